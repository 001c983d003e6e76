package io.t2c.cli;

import io.t2c.convert.BitExactChecker;
import io.t2c.convert.LayerSqnr;
import io.t2c.convert.LowerToInteger;
import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.io.bundle.ModelBundle;
import io.t2c.io.data.Dataset;
import io.t2c.io.data.Datasets;
import io.t2c.io.data.Evaluation;
import io.t2c.quant.Rounding;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "convert", description = "Convert a run's fake-quant model into an integer-only model, check it bit for"
        + " bit against the scalar reference on real samples, and compare it with the fake-quant and float models.",
        footer = {"%nExamples:%n  ./t2c convert runs/cnn", "  ./t2c convert runs/cnn --ptq minmax_channel_minmax"
                + " --requant-bits 16 --rounding half-even --json",
                "%nReads RUN/ptq/<name>/model; writes RUN/t2c/model (integer bundle), RUN/t2c/summary.json,"
                        + " RUN/report.html. docs/NUMERICS.md states the"
                        + " arithmetic."},
        mixinStandardHelpOptions = true)
final class ConvertCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "RUN", description = "run folder written by t2c ptq")
    Path run;

    @Option(names = "--ptq", paramLabel = "NAME", description = "which RUN/ptq/NAME (needed when there are several)")
    String ptq;

    @Option(names = "--requant-bits", defaultValue = "32", description = "multiplier word length: 32 or 16"
            + " (default ${DEFAULT-VALUE})")
    int requantBits;

    @Option(names = "--rounding", defaultValue = "half-up", description = "rounding of the requantization shift:"
            + " half-up, half-even, half-away or floor (default ${DEFAULT-VALUE})")
    String rounding;

    @Option(names = "--data", paramLabel = "DATASET", defaultValue = "fashion-mnist:test",
            description = "evaluation and check data (default ${DEFAULT-VALUE})")
    String data;

    @Option(names = "--samples", paramLabel = "N", defaultValue = "16",
            description = "samples the bit-exact checker and SQNR run on (default ${DEFAULT-VALUE})")
    int samples;

    @Option(names = "--limit", paramLabel = "N", description = "evaluate accuracy on the first N samples only")
    int limit;

    @Option(names = "--no-report", description = "do not write RUN/report.html (t2c sweep writes one for all cells)")
    boolean noReport;

    @Option(names = "--json", description = "print one JSON object on stdout (human output goes to stderr)")
    boolean json;

    @Override
    public Integer call() throws IOException {
        Output o = new Output(spec.commandLine().getOut(), spec.commandLine().getErr(), json);
        if (samples < 1) {
            throw new T2cException("--samples must be at least 1, got " + samples);
        }
        LowerToInteger.Options options = new LowerToInteger.Options(requantBits, Rounding.parse(rounding));
        Path source = ptqModel();
        Graph fakeQuant = ModelBundle.read(source);
        Graph integer = LowerToInteger.run(fakeQuant, options);
        // ModelBundle.write goes through a temporary folder and a rename: a failure leaves the previous model intact.
        Path target = run.resolve("t2c").resolve("model");
        ModelBundle.write(integer, target);
        Dataset test = Datasets.open(data);
        int n = limit > 0 ? Math.min(limit, test.size()) : test.size();
        Evaluation.Result intResult = evaluate("eval integer", integer, test, n);
        Evaluation.Result fqResult = evaluate("eval fake-quant", fakeQuant, test, n);
        List<Tensor> batches = checkBatches(test);
        BitExactChecker checker = new BitExactChecker(integer);
        BitExactChecker.Report report = checker.check(batches);
        Map<String, Double> sqnr = LayerSqnr.measure(fakeQuant, checker, integer, batches);

        var w = o.human();
        Table t = new Table("model", "top-1", "samples").numeric(1, 2);
        t.add("integer", Table.percent(intResult.accuracy()), n);
        t.add("fake-quant", Table.percent(fqResult.accuracy()), n);
        t.print(w);
        w.printf("top-1 agreement: %.2f %%%n", 100 * intResult.agreement(fqResult));
        Table layers = new Table("layer", "SQNR dB").numeric(1);
        sqnr.forEach((layer, db) -> layers.add(layer, String.format("%.2f", db)));
        layers.print(w);
        w.printf("bit-exact: %d/%d ops (%d samples)%n", report.exactOps(), report.ops(), samples);
        report.mismatches().forEach(m -> w.println("  differs: " + m));
        w.printf("wrote %s%n", target);

        Map<String, Object> result = new LinkedHashMap<>();
        result.put("integer_top1", intResult.accuracy());
        result.put("fakequant_top1", fqResult.accuracy());
        result.put("agreement", intResult.agreement(fqResult));
        result.put("samples", n);
        result.put("bit_exact", report.exactOps());
        result.put("ops", report.ops());
        result.put("check_samples", samples);
        result.put("sqnr_db", sqnr);
        result.put("requant_bits", requantBits);
        result.put("rounding", Rounding.parse(rounding).id());
        result.put("paths", Map.of("fakequant", source.toString(), "integer", target.toString()));
        // The report (and scripts) read the last conversion's figures from here, as ptq's from RUN/ptq/NAME/.
        Files.writeString(run.resolve("t2c/summary.json"), Output.JSON.writeValueAsString(result));
        if (!noReport) {
            RunReport.writeAfterCommand(run, w);
        }
        w.flush();
        o.result(result);
        return report.exact() ? 0 : 1;
    }

    private Path ptqModel() throws IOException {
        return ptqModel(run, ptq);
    }

    /** RUN/ptq/NAME/model: the one named, or the only one there is. */
    static Path ptqModel(Path run, String ptq) throws IOException {
        Path dir = run.resolve("ptq");
        if (!Files.isDirectory(dir)) {
            throw new T2cException(run + " is not a run folder with PTQ results (no " + dir + "); run t2c ptq first");
        }
        if (ptq != null) {
            Path m = dir.resolve(ptq).resolve("model");
            if (!Files.isDirectory(m)) {
                throw new T2cException("no PTQ result " + m + "; --ptq takes one of " + ptqNames(dir));
            }
            return m;
        }
        List<String> names = ptqNames(dir);
        if (names.size() != 1) {
            throw new T2cException(run + " has " + names.size() + " PTQ results " + names + "; choose one with --ptq NAME");
        }
        return dir.resolve(names.get(0)).resolve("model");
    }

    private static List<String> ptqNames(Path ptqDir) throws IOException {
        try (Stream<Path> s = Files.list(ptqDir)) {
            return s.filter(p -> Files.isDirectory(p.resolve("model"))).map(p -> p.getFileName().toString()).sorted()
                    .toList();
        }
    }

    private List<Tensor> checkBatches(Dataset test) {
        List<Tensor> out = new ArrayList<>();
        int count = Math.min(samples, test.size());
        for (int from = 0; from < count; from += 8) {
            int[] idx = new int[Math.min(8, count - from)];
            for (int i = 0; i < idx.length; i++) {
                idx[i] = from + i;
            }
            out.add(test.batch(idx).images());
        }
        return out;
    }

    private Evaluation.Result evaluate(String label, Graph g, Dataset test, int n) {
        Progress bar = new Progress(spec.commandLine().getErr(), label, n);
        return Evaluation.top1(new Executor(g), test, n, 250, d -> bar.update(d, null));
    }
}
