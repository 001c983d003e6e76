package io.t2c.cli;

import io.t2c.convert.extract.Extraction;
import io.t2c.convert.extract.SelfCheck;
import io.t2c.graph.Graph;
import io.t2c.io.bundle.ModelBundle;
import io.t2c.io.data.Dataset;
import io.t2c.io.data.Datasets;
import io.t2c.tensor.T2cException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "extract", description = "Write every integer op's tensors (x, w, b, acc, y) on real samples as test"
        + " vectors for hardware testbenches, with manifest.json, then recompute each op from the files alone.",
        footer = {"%nExamples:%n  ./t2c extract runs/cnn", "  ./t2c extract runs/cnn --samples 4 --format npy,hex,bin,c"
                + " --pe 16x16 --json",
                "%nReads RUN/t2c/model (t2c convert); writes RUN/t2c/tensors/. docs/FORMATS.md describes the files."},
        mixinStandardHelpOptions = true)
final class ExtractCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "RUN", description = "run folder with an integer model (t2c convert)")
    Path run;

    @Option(names = "--data", paramLabel = "DATASET", defaultValue = "fashion-mnist:test",
            description = "samples to run (default ${DEFAULT-VALUE})")
    String data;

    @Option(names = "--samples", paramLabel = "K", defaultValue = "1",
            description = "the first K samples of the dataset (default ${DEFAULT-VALUE})")
    int samples;

    @Option(names = "--format", paramLabel = "LIST", defaultValue = "npy",
            description = "comma-separated: npy, hex, bin, c (default ${DEFAULT-VALUE})")
    String format;

    @Option(names = "--pe", paramLabel = "RxC", description = "also write conv/linear GEMM operands tiled for an R×C"
            + " weight-stationary systolic array")
    String pe;

    @Option(names = "--json", description = "print one JSON object on stdout (human output goes to stderr)")
    boolean json;

    @Override
    public Integer call() throws IOException {
        Output o = new Output(spec.commandLine().getOut(), spec.commandLine().getErr(), json);
        // Everything the user can get wrong is checked before anything is run or written.
        Extraction.Options options = Extraction.Options.parse(format, pe);
        if (samples < 1) {
            throw new T2cException("--samples must be at least 1, got " + samples);
        }
        Path model = run.resolve("t2c").resolve("model");
        if (!Files.isDirectory(model)) {
            throw new T2cException(run + " has no integer model (" + model + "); run t2c convert " + run + " first");
        }
        Graph integer = ModelBundle.read(model);
        Dataset dataset = Datasets.open(data);
        int[] indices = firstSamples(dataset, samples);
        long start = System.nanoTime();
        Extraction.Summary summary = Extraction.write(integer, dataset.batch(indices).images(), indices, options,
                run.resolve("t2c").resolve("tensors"));
        double writeSeconds = (System.nanoTime() - start) / 1e9;
        SelfCheck.Report check = SelfCheck.run(summary.dir());

        var w = o.human();
        Table t = new Table("op", "folder");
        summary.folders().forEach(t::add);
        t.print(w);
        w.printf("%d ops, %d files, %d sample(s) of %s, %.1f s%n", summary.ops(), summary.files(), samples,
                dataset.name(), writeSeconds);
        w.printf("self-check: %d/%d ops%n", check.passed(), check.ops());
        check.failures().forEach(f -> w.println("  differs: " + f));
        w.printf("wrote %s%n", summary.dir());
        w.flush();

        Map<String, Object> result = new LinkedHashMap<>();
        result.put("ops", summary.ops());
        result.put("self_check", check.passed());
        result.put("self_check_failures", check.failures());
        result.put("samples", indices);
        result.put("path", summary.dir().toString());
        result.put("files", summary.files());
        result.put("folders", summary.folders());
        result.put("formats", format);
        result.put("pe", pe);
        o.result(result);
        return check.passed() == check.ops() ? 0 : 1;
    }

    /** Indices 0 … samples − 1 of the dataset: the samples --samples asks for, refused when it has fewer. */
    static int[] firstSamples(Dataset dataset, int samples) {
        if (samples > dataset.size()) {
            throw new T2cException("--samples " + samples + " exceeds the " + dataset.size() + " samples of "
                    + dataset.name());
        }
        int[] indices = new int[samples];
        for (int i = 0; i < samples; i++) {
            indices[i] = i;
        }
        return indices;
    }
}
