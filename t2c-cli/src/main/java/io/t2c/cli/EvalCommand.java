package io.t2c.cli;

import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.io.data.Dataset;
import io.t2c.io.data.Datasets;
import io.t2c.io.data.Evaluation;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "eval", description = "Top-1 accuracy of a classifier on a dataset (and agreement with a reference model).",
        footer = {"%nExamples:%n  ./t2c eval examples/fashion_cnn.onnx --data fashion-mnist:test",
                "  ./t2c eval model.onnx --data fashion-mnist --limit 1000 --reference other.onnx --json",
                "%nDATASET: fashion-mnist[:train|:test], mnist[:DIR], cifar10:DIR, imagefolder:DIR, npy:X.npy[,Y.npy]"},
        mixinStandardHelpOptions = true)
final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MODEL", description = "ONNX model or model bundle")
    Path model;

    @Option(names = "--data", required = true, paramLabel = "DATASET", description = "dataset to evaluate on")
    String data;

    @Option(names = "--limit", paramLabel = "N", description = "evaluate only the first N samples")
    int limit;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "128", description = "batch size (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--reference", paramLabel = "MODEL", description = "also report top-1 agreement with this model")
    Path reference;

    @Option(names = "--json", description = "print one JSON object on stdout (human output goes to stderr)")
    boolean json;

    @Override
    public Integer call() {
        if (batch < 1) {
            throw new io.t2c.tensor.T2cException("--batch must be at least 1");
        }
        Output o = new Output(spec.commandLine().getOut(), spec.commandLine().getErr(), json);
        Graph g = ModelFiles.load(model);
        Dataset ds = Datasets.open(data);
        int n = limit > 0 ? Math.min(limit, ds.size()) : ds.size();
        Progress bar = new Progress(spec.commandLine().getErr(), "eval", n);
        Evaluation.Result r = Evaluation.top1(new Executor(g), ds, n, batch, done -> bar.update(done, null));
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("model", model.toString());
        result.put("dataset", ds.name());
        result.put("samples", r.samples());
        result.put("correct", r.correct());
        result.put("top1", r.accuracy());
        result.put("seconds", r.seconds());
        var w = o.human();
        Table t = new Table("model", "dataset", "samples", "top-1", "time").numeric(2, 3, 4);
        t.add(model.getFileName(), ds.name(), r.samples(), Table.percent(r.accuracy()),
                String.format("%.1f s", r.seconds()));
        if (reference != null) {
            Evaluation.Result ref = Evaluation.top1(new Executor(ModelFiles.load(reference)), ds, n, batch, null);
            t.add(reference.getFileName(), ds.name(), ref.samples(), Table.percent(ref.accuracy()),
                    String.format("%.1f s", ref.seconds()));
            result.put("reference", reference.toString());
            result.put("reference_top1", ref.accuracy());
            result.put("agreement", r.agreement(ref));
        }
        t.print(w);
        if (reference != null) {
            w.printf("top-1 agreement with %s: %.2f %%%n", reference.getFileName(), 100 * (double) result.get("agreement"));
        }
        w.flush();
        o.result(result);
        return 0;
    }
}
