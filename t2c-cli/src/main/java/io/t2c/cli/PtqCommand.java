package io.t2c.cli;

import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.io.bundle.ModelBundle;
import io.t2c.io.data.Dataset;
import io.t2c.io.data.Datasets;
import io.t2c.io.data.Evaluation;
import io.t2c.quant.QuantizerRegistry;
import io.t2c.quant.Rounding;
import io.t2c.quant.ptq.LayerOverride;
import io.t2c.quant.ptq.Ptq;
import io.t2c.quant.ptq.PtqConfig;
import io.t2c.tensor.T2cException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "ptq", description = "Post-training quantization: calibrate (and reconstruct) weight and activation"
        + " quantizers, write the fake-quant model into a run folder, compare its accuracy with float.",
        footer = {"%nExamples:%n  ./t2c ptq examples/fashion_cnn.onnx --data fashion-mnist:train --out runs/cnn"
                + " --wq minmax_channel --aq minmax --wbit 8 --abit 8",
                "  ./t2c ptq models/resnet20_fmnist --out runs/r20 --config configs/resnet20_lsq.yaml --json",
                "%nWrites RUN/ptq/<wq>_<aq>/model (fake-quant bundle), RUN/ptq/<wq>_<aq>/config.yaml, RUN/config.yaml,"
                        + " RUN/log.txt, RUN/report.html.",
                "Flags override the --config file. Quantizers: see --list."},
        mixinStandardHelpOptions = true)
final class PtqCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MODEL", arity = "0..1", description = "float ONNX model or model bundle")
    Path model;

    @Option(names = "--data", paramLabel = "DATASET", defaultValue = "fashion-mnist:train",
            description = "calibration data (default ${DEFAULT-VALUE})")
    String data;

    @Option(names = "--eval-data", paramLabel = "DATASET", defaultValue = "fashion-mnist:test",
            description = "evaluated before and after (default ${DEFAULT-VALUE}); 'none' to skip")
    String evalData;

    @Option(names = "--limit", paramLabel = "N", description = "evaluate only the first N samples")
    int limit;

    @Option(names = "--out", paramLabel = "RUN", description = "run folder")
    Path out;

    @Option(names = "--config", paramLabel = "C.yaml", description = "YAML config (Torch2Chip's keys)")
    Path config;

    @Option(names = "--wq", description = "weight quantizer (default minmax_channel)")
    String wq;

    @Option(names = "--aq", description = "activation quantizer (default minmax)")
    String aq;

    @Option(names = "--wbit", description = "weight bits (default 8)")
    Integer wbit;

    @Option(names = "--abit", description = "activation bits (default 8)")
    Integer abit;

    @Option(names = "--samples", description = "calibration samples (default 1024)")
    Integer samples;

    @Option(names = "--batch", description = "calibration batch size (default 64)")
    Integer batch;

    @Option(names = "--recon", description = "reconstruction: none, layer or block (default layer)")
    String recon;

    @Option(names = "--lr", description = "reconstruction learning rate (Adam; default 1e-3)")
    Double lr;

    @Option(names = "--scale-lr", description = "learning rate of learned quantizer steps (LSQ, QDrop; default: --lr)")
    Double scaleLr;

    @Option(names = "--epochs", description = "passes over the calibration batches per unit (default 1)")
    Integer epochs;

    @Option(names = "--iters", description = "fixed steps per unit instead of --epochs")
    Integer iters;

    @Option(names = "--rounding", description = "half-even, half-up, half-away or floor (default half-even)")
    String rounding;

    @Option(names = "--cle", description = "cross-layer equalization of Conv→ReLU→Conv pairs before calibrating")
    boolean cle;

    @Option(names = "--bias-correction", description = "empirical bias correction: shift each layer's bias by the mean"
            + " difference between its float and quantized pre-activations on the calibration data")
    boolean biasCorrection;

    @Option(names = "--wide-gelu", description = "keep GELU on the wide integer path (I-BERT i-GELU on the"
            + " accumulator) instead of the exact 256-entry table used when activations have at most 8 bits")
    boolean wideGelu;

    @Option(names = "--skip", paramLabel = "GLOB", description = "leave layers whose name matches unquantized (repeatable)")
    List<String> skip = new ArrayList<>();

    @Option(names = "--seed", description = "seed of the calibration subset and random choices (default 0)")
    Long seed;

    @Option(names = "--list", description = "list the quantizers and exit")
    boolean list;

    @Option(names = "--no-report", description = "do not write RUN/report.html (t2c sweep writes one for all cells)")
    boolean noReport;

    @Option(names = "--json", description = "print one JSON object on stdout (human output goes to stderr)")
    boolean json;

    @Override
    public Integer call() throws IOException {
        Output o = new Output(spec.commandLine().getOut(), spec.commandLine().getErr(), json);
        if (list) {
            return listQuantizers(o);
        }
        if (model == null || out == null) {
            throw new T2cException("ptq needs MODEL and --out RUN; e.g. ./t2c ptq examples/fashion_cnn.onnx --out runs/cnn");
        }
        PtqConfig c = resolveConfig();
        QuantizerRegistry.standard().get(c.wq());
        QuantizerRegistry.standard().get(c.aq());
        Graph fp = ModelFiles.load(model);
        Dataset calib = Datasets.open(data);
        Dataset test = evalData.equals("none") ? null : Datasets.open(evalData);
        var w = o.human();
        Progress[] bar = new Progress[1];
        int[] done = new int[1];
        Ptq.Result r = Ptq.run(fp, calib, c, new Ptq.Listener() {
            public void stage(String name, int total) {
                bar[0] = new Progress(spec.commandLine().getErr(), name, total);
                done[0] = 0;
            }

            public void advance() {
                bar[0].update(++done[0], null);
            }
        });
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("model", model.toString());
        result.put("run", out.toString());
        result.put("wq", c.wq());
        result.put("aq", c.aq());
        result.put("wbit", c.wbit());
        result.put("abit", c.abit());
        result.put("calibration_data", calib.name());
        result.put("quantizers", r.plan().positions().size());
        result.put("calibration_seconds", r.calibrationSeconds());
        result.put("reconstruction_seconds", r.reconstructionSeconds());
        Table t = new Table("model", "top-1", "samples").numeric(1, 2);
        if (test != null) {
            int n = limit > 0 ? Math.min(limit, test.size()) : test.size();
            Evaluation.Result f = evaluate("eval fp32", fp, test, n);
            Evaluation.Result q = evaluate("eval fake-quant", r.model(), test, n);
            result.put("dataset", test.name());
            result.put("samples", n);
            result.put("fp32_top1", f.accuracy());
            result.put("fakequant_top1", q.accuracy());
            result.put("agreement", q.agreement(f));
            t.add("FP32", Table.percent(f.accuracy()), n);
            t.add("W" + c.wbit() + "A" + c.abit() + " " + c.runName(), Table.percent(q.accuracy()), n);
        }
        Path dir = writeRun(r.model(), c, result);
        result.put("path", dir.toString());
        w.printf("%d quantizers; calibration %.1f s, reconstruction %.1f s%n", r.plan().positions().size(),
                r.calibrationSeconds(), r.reconstructionSeconds());
        if (test != null) {
            t.print(w);
            w.printf("top-1 agreement: %.2f %%%n", 100 * (double) result.get("agreement"));
        }
        w.printf("wrote %s%n", dir);
        if (!noReport) {
            RunReport.writeAfterCommand(out, w);
        }
        w.flush();
        o.result(result);
        return 0;
    }

    private Evaluation.Result evaluate(String label, Graph g, Dataset test, int n) {
        Progress bar = new Progress(spec.commandLine().getErr(), label, n);
        return Evaluation.top1(new Executor(g), test, n, 250, d -> bar.update(d, null));
    }

    private PtqConfig resolveConfig() {
        PtqConfig base = config != null ? QuantConfigFile.read(config)
                : PtqConfig.defaults("minmax_channel", "minmax", 8, 8);
        List<LayerOverride> overrides = new ArrayList<>(base.overrides());
        skip.forEach(p -> overrides.add(0, new LayerOverride(p, true, null, null, null, null)));
        return new PtqConfig(or(wq, base.wq()), or(aq, base.aq()), or(wbit, base.wbit()), or(abit, base.abit()),
                or(samples, base.numSamples()), or(batch, base.batchSize()),
                recon == null ? base.reconstruction() : reconstruction(recon), or(lr, base.lr()),
                or(scaleLr, lr != null && base.scaleLr() == base.lr() ? lr : base.scaleLr()),
                or(epochs, base.epochs()), or(iters, base.iterations()),
                rounding == null ? base.rounding() : Rounding.parse(rounding), base.dropProb(),
                cle || base.crossLayerEqualization(), biasCorrection || base.biasCorrection(), overrides,
                or(seed, base.seed()), wideGelu || base.wideGelu());
    }

    private static PtqConfig.Reconstruction reconstruction(String s) {
        for (PtqConfig.Reconstruction r : PtqConfig.Reconstruction.values()) {
            if (r.name().equalsIgnoreCase(s)) {
                return r;
            }
        }
        throw new T2cException("--recon must be none, layer or block, got '" + s + "'");
    }

    private static <T> T or(T flag, T dflt) {
        return flag != null ? flag : dflt;
    }

    /**
     * RUN/ptq/&lt;wq&gt;_&lt;aq&gt;/ holds the fake-quant bundle, its config and summary; written to a temporary folder
     * and moved into place, so an interrupted run leaves either the previous result or the new one.
     */
    private Path writeRun(Graph quantized, PtqConfig c, Map<String, Object> summary) throws IOException {
        Path ptq = out.resolve("ptq");
        Files.createDirectories(ptq);
        Path target = ptq.resolve(c.runName());
        Path tmp = ptq.resolve(c.runName() + ".tmp-" + ProcessHandle.current().pid());
        ModelBundle.write(quantized, tmp.resolve("model"));
        String yaml = QuantConfigFile.write(c);
        Files.writeString(tmp.resolve("config.yaml"), yaml);
        Files.writeString(tmp.resolve("summary.json"), Output.JSON.writeValueAsString(summary));
        if (Files.exists(target)) {
            ModelBundle.deleteRecursively(target);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        Files.writeString(out.resolve("config.yaml"), yaml);
        Files.writeString(out.resolve("log.txt"), LocalDateTime.now() + " ptq " + model + " -> " + target + " "
                + summary + System.lineSeparator(), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        return target;
    }

    private Integer listQuantizers(Output o) {
        Map<String, Object> result = new LinkedHashMap<>();
        Table t = new Table("quantizer", "learns", "what it does");
        QuantizerRegistry.standard().all().forEach((name, q) -> {
            t.add(name, q.learnsScale() ? "step" : q.extras().isEmpty() ? "-" : String.join(",", q.extras()),
                    q.description());
            result.put(name, q.description());
        });
        t.print(o.human());
        o.human().flush();
        o.result(Map.of("quantizers", result));
        return 0;
    }
}
