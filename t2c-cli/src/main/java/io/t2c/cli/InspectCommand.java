package io.t2c.cli;

import io.t2c.graph.Graph;
import io.t2c.graph.GraphSummary;
import io.t2c.graph.Value;
import io.t2c.graph.op.OpRegistry;
import java.nio.file.Path;
import io.t2c.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "inspect", description = "Show a model's operations: name, op type, shapes, parameters and MACs.",
        footer = {"%nExample:%n  ./t2c inspect examples/fashion_cnn.onnx"}, mixinStandardHelpOptions = true)
final class InspectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MODEL", description = "ONNX model or model bundle, or a weights file (.pth, .safetensors, .npz) to list its tensors")
    Path model;

    @Option(names = "--json", description = "print one JSON object on stdout (human output goes to stderr)")
    boolean json;

    @Override
    public Integer call() {
        Output o = new Output(spec.commandLine().getOut(), spec.commandLine().getErr(), json);
        if (ModelFiles.isWeights(model)) {
            return inspectWeights(o);
        }
        Graph g = ModelFiles.load(model);
        GraphSummary s = GraphSummary.of(g, OpRegistry.standard());
        Table t = new Table("#", "name", "op", "inputs", "outputs", "params", "MACs").numeric(0, 5, 6);
        List<Map<String, Object>> nodes = new ArrayList<>();
        int i = 0;
        for (GraphSummary.NodeSummary n : s.nodes()) {
            t.add(i++, n.name(), n.opType(), shapes(n.inputShapes()), shapes(n.outputShapes()),
                    Table.thousands(n.parameters()), Table.thousands(n.macs()));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", n.name());
            m.put("op", n.opType());
            m.put("input_shapes", n.inputShapes());
            m.put("output_shapes", n.outputShapes());
            m.put("params", n.parameters());
            m.put("macs", n.macs());
            nodes.add(m);
        }
        var w = o.human();
        w.println("model " + model + " (" + g.metadata().getOrDefault("producer", "unknown producer") + ", opset "
                + g.metadata().getOrDefault("opset", "?") + ")");
        w.println("inputs:  " + g.inputs().stream().map(Value::toString).toList());
        w.println("outputs: " + g.outputs().stream().map(v -> v.name()).toList());
        t.print(w);
        w.println("total: " + s.nodes().size() + " ops, " + Table.thousands(s.totalParameters()) + " parameters, "
                + Table.thousands(s.totalMacs()) + " MACs per sample (N = batch size)");
        w.flush();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", model.toString());
        r.put("inputs", g.inputs().stream().map(v -> Map.of("name", v.name(), "dtype", String.valueOf(v.dtype()),
                "shape", v.shape() == null ? List.of() : v.shape())).toList());
        r.put("outputs", g.outputs().stream().map(Value::name).toList());
        r.put("nodes", nodes);
        r.put("total_ops", s.nodes().size());
        r.put("total_params", s.totalParameters());
        r.put("total_macs", s.totalMacs());
        o.result(r);
        return 0;
    }

    private int inspectWeights(Output o) {
        Map<String, Tensor> weights = ModelFiles.loadWeights(model);
        Table t = new Table("#", "tensor", "dtype", "shape", "elements").numeric(0, 4);
        List<Map<String, Object>> rows = new ArrayList<>();
        long total = 0;
        int i = 0;
        for (Map.Entry<String, Tensor> e : weights.entrySet()) {
            Tensor w = e.getValue();
            t.add(i++, e.getKey(), w.dtype(), Arrays.toString(w.shape()), Table.thousands(w.size()));
            rows.add(Map.of("name", e.getKey(), "dtype", w.dtype().toString(), "shape", w.shape(), "elements", w.size()));
            total += w.size();
        }
        var w = o.human();
        w.println("weights " + model + " (no graph: tensors only)");
        t.print(w);
        w.println("total: " + weights.size() + " tensors, " + Table.thousands(total) + " elements");
        w.flush();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", model.toString());
        r.put("tensors", rows);
        r.put("total_elements", total);
        o.result(r);
        return 0;
    }

    private static String shapes(List<int[]> shapes) {
        return String.join(" ", shapes.stream().map(Value::describe).toList());
    }
}
