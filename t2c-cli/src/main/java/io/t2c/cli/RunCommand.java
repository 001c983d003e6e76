package io.t2c.cli;

import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.graph.Value;
import io.t2c.io.tensorfile.Npy;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "run", description = "Run a model on inputs from .npy files and write every output as .npy.",
        footer = {"%nExamples:%n  ./t2c run examples/fashion_cnn.onnx --input examples/fashion_samples.npy --output logits.npy",
                "  ./t2c run model.onnx --input ids=ids.npy --input mask=mask.npy --output outputs/",
                "%nWith one output and an --output ending in .npy, that file is written; otherwise --output is a folder",
                "and each graph output is written there as <output-name>.npy."},
        mixinStandardHelpOptions = true)
final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MODEL", description = "ONNX model file or model bundle (folder or .zip)")
    Path model;

    @Option(names = "--input", required = true, paramLabel = "[NAME=]X.npy",
            description = "input tensor; name it (NAME=FILE) when the model has several inputs")
    List<String> inputs;

    @Option(names = "--output", required = true, paramLabel = "Y.npy|DIR", description = "where to write the outputs")
    Path output;

    @Option(names = "--json", description = "print one JSON object on stdout (human output goes to stderr)")
    boolean json;

    @Override
    public Integer call() throws IOException {
        Output o = new Output(spec.commandLine().getOut(), spec.commandLine().getErr(), json);
        Graph g = ModelFiles.load(model);
        Map<String, Tensor> feeds = readInputs(g);
        long t0 = System.nanoTime();
        Map<String, Tensor> results = new Executor(g).run(feeds);
        double ms = (System.nanoTime() - t0) / 1e6;
        Map<String, Path> written = write(results);
        var w = o.human();
        Table t = new Table("output", "dtype", "shape", "file");
        List<Map<String, Object>> outs = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : results.entrySet()) {
            Tensor y = e.getValue();
            t.add(e.getKey(), y.dtype(), Arrays.toString(y.shape()), written.get(e.getKey()));
            outs.add(Map.of("name", e.getKey(), "dtype", y.dtype().toString(), "shape", y.shape(),
                    "path", written.get(e.getKey()).toString()));
        }
        t.print(w);
        w.printf("ran %s in %.1f ms%n", model.getFileName(), ms);
        w.flush();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", model.toString());
        r.put("outputs", outs);
        r.put("time_ms", ms);
        o.result(r);
        return 0;
    }

    private Map<String, Tensor> readInputs(Graph g) {
        Map<String, Tensor> feeds = new LinkedHashMap<>();
        List<Value> declared = g.inputs();
        for (String spec : inputs) {
            int eq = spec.indexOf('=');
            String name;
            Path file;
            if (eq > 0 && !Files.exists(Path.of(spec))) {
                name = spec.substring(0, eq);
                file = Path.of(spec.substring(eq + 1));
            } else {
                if (declared.size() != 1) {
                    throw new T2cException("the model has " + declared.size() + " inputs "
                            + declared.stream().map(Value::name).toList() + "; name each one: --input NAME=FILE.npy");
                }
                name = declared.get(0).name();
                file = Path.of(spec);
            }
            if (feeds.put(name, Npy.read(file)) != null) {
                throw new T2cException("input '" + name + "' is given twice");
            }
        }
        return feeds;
    }

    private Map<String, Path> write(Map<String, Tensor> results) throws IOException {
        Map<String, Path> paths = new LinkedHashMap<>();
        boolean singleFile = results.size() == 1 && output.getFileName().toString().endsWith(".npy");
        if (singleFile) {
            Path parent = output.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Map.Entry<String, Tensor> e = results.entrySet().iterator().next();
            writeAtomically(output, e.getValue());
            paths.put(e.getKey(), output);
            return paths;
        }
        if (Files.exists(output) && !Files.isDirectory(output)) {
            throw new T2cException("--output " + output + " is a file, but the model has " + results.size()
                    + " outputs; give a folder");
        }
        Files.createDirectories(output);
        for (Map.Entry<String, Tensor> e : results.entrySet()) {
            Path p = output.resolve(e.getKey().replaceAll("[^A-Za-z0-9._-]", "_") + ".npy");
            writeAtomically(p, e.getValue());
            paths.put(e.getKey(), p);
        }
        return paths;
    }

    private static void writeAtomically(Path target, Tensor t) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Npy.write(tmp, t);
        Files.move(tmp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
