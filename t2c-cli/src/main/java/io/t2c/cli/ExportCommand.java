package io.t2c.cli;

import io.t2c.convert.export.CCheck;
import io.t2c.convert.export.CExport;
import io.t2c.convert.export.ExportCheck;
import io.t2c.convert.export.OnnxExport;
import io.t2c.convert.export.OnnxRunner;
import io.t2c.convert.export.QonnxExport;
import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.io.bundle.ModelBundle;
import io.t2c.io.data.Dataset;
import io.t2c.io.data.Datasets;
import io.t2c.io.onnx.OnnxImporter;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "export", description = "Write the integer model as ONNX (the exact style: integer ONNX ops, bit for"
        + " bit our arithmetic; or the QOperator style: QLinearConv, Quantize/DequantizeLinear, float requantization,"
        + " not bit-exact by construction) or as a self-contained C99 reference (one function per op, weights as arrays,"
        + " a file-in/file-out harness), bit for bit our arithmetic; or the fake-quant model as QONNX (QONNX's Quant"
        + " nodes, any bit width, for FINN and Brevitas).",
        footer = {"%nExamples:%n  ./t2c export runs/cnn --to onnx", "  ./t2c export runs/cnn --to onnx --style qoperator"
                + " --out cnn-qop.onnx --json", "  ./t2c export runs/cnn --to c",
                "  ./t2c export runs/cnn --to qonnx --out cnn.qonnx.onnx",
                "%nonnx and c read RUN/t2c/model (t2c convert) and write RUN/t2c/model.onnx or the folder RUN/t2c/c."
                        + " When ONNX Runtime is on the class path (onnx) or gcc on the PATH (c), the export is run on"
                        + " --samples real samples and compared with our integer model; a C reference that differs is"
                        + " not written. qonnx reads RUN/ptq/NAME/model (t2c ptq; --ptq NAME when there are several),"
                        + " writes RUN/t2c/model.qonnx.onnx, and is written only when the file, read back, equals the"
                        + " fake-quant model on --samples samples."},
        mixinStandardHelpOptions = true)
final class ExportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "RUN", description = "run folder with an integer model (t2c convert)")
    Path run;

    @Option(names = "--to", paramLabel = "FORMAT", required = true, description = "onnx, c or qonnx")
    String to;

    @Option(names = "--ptq", paramLabel = "NAME", description = "qonnx only: which RUN/ptq/NAME (needed when there"
            + " are several)")
    String ptq;

    @Option(names = "--strict-ties", description = "qonnx only: refuse a quantizer whose exact ties of x/Δ could"
            + " round one code apart in QONNX (half-even with an odd zero point, half-away with a non-zero one)")
    boolean strictTies;

    @Option(names = "--style", paramLabel = "STYLE", defaultValue = "exact",
            description = "onnx only: exact or qoperator (default ${DEFAULT-VALUE})")
    String style;

    @Option(names = "--out", paramLabel = "PATH", description = "onnx: a file, default RUN/t2c/model.onnx; c: a folder,"
            + " default RUN/t2c/c; qonnx: a file, default RUN/t2c/model.qonnx.onnx")
    Path out;

    @Option(names = "--data", paramLabel = "DATASET", defaultValue = "fashion-mnist:test",
            description = "samples for the check against ONNX Runtime or the compiled C (default ${DEFAULT-VALUE})")
    String data;

    @Option(names = "--samples", paramLabel = "N", defaultValue = "16",
            description = "the first N samples of the dataset (default ${DEFAULT-VALUE})")
    int samples;

    @Option(names = "--json", description = "print one JSON object on stdout (human output goes to stderr)")
    boolean json;

    @Override
    public Integer call() throws IOException {
        Output o = new Output(spec.commandLine().getOut(), spec.commandLine().getErr(), json);
        if (!to.equals("onnx") && !to.equals("c") && !to.equals("qonnx")) {
            throw new T2cException("--to " + to + " is not supported; use --to onnx, --to c or --to qonnx");
        }
        OnnxExport.Style exportStyle = OnnxExport.Style.parse(style);
        if (!to.equals("onnx") && exportStyle != OnnxExport.Style.EXACT) {
            throw new T2cException("--style " + style + " applies to --to onnx only");
        }
        if (!to.equals("qonnx") && (ptq != null || strictTies)) {
            throw new T2cException((ptq != null ? "--ptq" : "--strict-ties") + " applies to --to qonnx only; onnx and"
                    + " c export the integer model of t2c convert");
        }
        if (samples < 1) {
            throw new T2cException("--samples must be at least 1, got " + samples);
        }
        if (to.equals("qonnx")) {
            return exportQonnx(o);
        }
        Path model = run.resolve("t2c").resolve("model");
        if (!Files.isDirectory(model)) {
            throw new T2cException(run + " has no integer model (" + model + "); run t2c convert " + run + " first");
        }
        Graph integer = ModelBundle.read(model);
        if (to.equals("c")) {
            return exportC(o, integer);
        }
        OnnxExport.Result result = OnnxExport.export(integer, exportStyle);
        Path file = out != null ? out : run.resolve("t2c").resolve("model.onnx");
        OnnxExport.write(result.model(), file);

        var w = o.human();
        Table t = new Table("onnx op", "count");
        result.ops().forEach((op, n) -> t.add(op, String.valueOf(n)));
        t.print(w);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("path", file.toString());
        json.put("style", exportStyle.id());
        json.put("ops", result.ops());
        boolean differs = false;
        Optional<OnnxRunner> runner = OnnxRunner.find();
        if (runner.isEmpty()) {
            w.println("not checked against ONNX Runtime: it is not on the class path (the test suite runs the check)");
            json.put("bit_exact_vs_ort", null);
            json.put("top1_agreement", null);
        } else {
            ExportCheck.Report r = ExportCheck.run(integer, result, images(), runner.get());
            if (exportStyle == OnnxExport.Style.EXACT) {
                w.printf("bit-exact vs ONNX Runtime: %d/%d samples (%d values each)%n", r.exactSamples(), r.samples(),
                        r.values());
                if (r.firstMismatch() != null) {
                    w.println("  first difference: " + r.firstMismatch());
                }
                json.put("bit_exact_vs_ort", r.exactSamples());
                differs = r.exactSamples() < r.samples();
            } else {
                w.printf("top-1 agreement with the integer model: %.2f %% on %d samples (float requantization: not"
                        + " bit-exact by construction; %d/%d samples equal)%n", 100 * r.agreement(), r.samples(),
                        r.exactSamples(), r.samples());
                json.put("bit_exact_vs_ort", null);
            }
            json.put("top1_agreement", r.agreement());
            json.put("samples", r.samples());
        }
        w.printf("wrote %s (%s style)%n", file, exportStyle.id());
        w.flush();
        o.result(json);
        return differs ? 1 : 0;
    }

    /**
     * The fake-quant model as QONNX: exported, read back through our importer (whose Quant follows QONNX's published
     * semantics, not our FakeQuant), run beside the fake-quant model on --samples samples, and written (atomically)
     * only when every output is equal.
     */
    private int exportQonnx(Output o) throws IOException {
        Path source = ConvertCommand.ptqModel(run, ptq);
        Graph fakeQuant = ModelBundle.read(source);
        QonnxExport.Result result = QonnxExport.export(fakeQuant, strictTies);
        Path file = out != null ? out : run.resolve("t2c").resolve("model.qonnx.onnx");
        var w = o.human();
        Table t = new Table("onnx op", "count");
        result.ops().forEach((op, n) -> t.add(op, String.valueOf(n)));
        t.print(w);
        StringBuilder widths = new StringBuilder();
        result.bitWidths().forEach((bits, n) -> widths.append(widths.isEmpty() ? "" : ", ").append(n).append(" × ")
                .append(bits).append("-bit"));
        w.printf("%d Quant + %d BipolarQuant nodes (%s), opset %d + %s v%d%n", result.quantNodes(),
                result.bipolarNodes(), widths, result.opset(), io.t2c.io.onnx.QonnxOps.DOMAIN,
                QonnxExport.QONNX_VERSION);
        for (String note : result.tieNotes()) {
            w.println("note: " + note);
        }

        Graph back = new OnnxImporter(io.t2c.graph.op.OpRegistry.standard()).convert(result.model(),
                file.getFileName().toString());
        Tensor images = images();
        String input = fakeQuant.inputs().get(0).name();
        Map<String, Tensor> want = new Executor(fakeQuant).run(Map.of(input, images));
        Map<String, Tensor> got = new Executor(back).run(Map.of(input, images));
        int equal = 0;
        for (int s = 0; s < samples; s++) {
            boolean same = true;
            for (var v : fakeQuant.outputs()) {
                same &= Arrays.equals(sample(want.get(v.name()), s), sample(got.get(v.name()), s));
            }
            equal += same ? 1 : 0;
        }
        w.printf("read back: %d/%d samples equal to the fake-quant model bit for bit%n", equal, samples);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("to", "qonnx");
        json.put("source", source.toString());
        json.put("quant_nodes", result.quantNodes());
        json.put("bipolar_quant_nodes", result.bipolarNodes());
        Map<String, Integer> bitJson = new LinkedHashMap<>();
        result.bitWidths().forEach((bits, n) -> bitJson.put(String.valueOf(bits), n));
        json.put("bit_widths", bitJson);
        json.put("opset", result.opset());
        json.put("ops", result.ops());
        json.put("tie_notes", result.tieNotes());
        json.put("samples", samples);
        json.put("equal_samples", equal);
        boolean ok = equal == samples;
        if (ok) {
            QonnxExport.write(result.model(), file);
            w.printf("wrote %s%n", file);
        } else {
            w.println("not written: the QONNX model read back differs from the fake-quant model"
                    + (result.tieNotes().isEmpty() ? " (a bug: please report it)" : " (see the tie notes above;"
                    + " re-run ptq with --rounding floor for an exact export)"));
        }
        json.put("path", ok ? file.toString() : null);
        w.flush();
        o.result(json);
        return ok ? 0 : 1;
    }

    /** Sample s of a batch-major tensor, as raw floats. */
    private static float[] sample(Tensor t, int s) {
        float[] v = t.floats();
        int per = v.length / t.dim(0);
        return Arrays.copyOfRange(v, s * per, (s + 1) * per);
    }

    /** The first --samples images of --data, one batch. */
    private Tensor images() {
        Dataset dataset = Datasets.open(data);
        return dataset.batch(ExtractCommand.firstSamples(dataset, samples)).images();
    }

    /**
     * The C reference: written to a temporary folder, compiled and compared with our integer executor when gcc is on
     * the PATH, moved into place only when every sample is bit-exact (exit 1 and nothing written otherwise).
     */
    private int exportC(Output o, Graph integer) {
        Path dir = out != null ? out : run.resolve("t2c").resolve("c");
        var w = o.human();
        Optional<Path> gcc = CCheck.gcc();
        Tensor images = gcc.isPresent() ? images() : null;
        CCheck.Report[] report = new CCheck.Report[1];
        CExport.Result result = CExport.write(integer, dir, folder -> {
            if (gcc.isEmpty()) {
                return true;
            }
            report[0] = CCheck.run(gcc.get(), folder, integer, images, 2);
            return report[0].exact();
        });
        Table t = new Table("op", "C functions");
        result.ops().forEach((op, n) -> t.add(op, String.valueOf(n)));
        t.print(w);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("path", result.written() ? result.dir().toString() : null);
        json.put("to", "c");
        json.put("ops", result.ops());
        json.put("files", CExport.FILES);
        if (report[0] == null) {
            w.println("C reference not checked: gcc is not on the PATH (build it with the command in README.txt)");
            json.put("bit_exact_vs_c", null);
        } else {
            CCheck.Report r = report[0];
            w.printf("C reference: %d/%d samples bit-exact (gcc %s, compiled in %.1f s)%n", r.exactSamples(),
                    r.samples(), CCheck.flags(2), r.compileSeconds());
            if (r.firstMismatch() != null) {
                w.println("  first difference: " + r.firstMismatch());
            }
            json.put("bit_exact_vs_c", r.exactSamples());
            json.put("samples", r.samples());
        }
        if (result.written()) {
            w.printf("wrote %s (%s)%n", result.dir(), String.join(", ", CExport.FILES));
        } else {
            w.printf("not written: the C reference differs from the integer model (a bug: please report it)%n");
        }
        w.flush();
        o.result(json);
        return result.written() ? 0 : 1;
    }
}
