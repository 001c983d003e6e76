package io.t2c.cli;

import io.t2c.graph.Graph;
import io.t2c.graph.GraphSummary;
import io.t2c.graph.Value;
import io.t2c.graph.op.OpRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
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

    @Parameters(paramLabel = "MODEL", description = "ONNX model file")
    Path model;

    @Option(names = "--json", description = "print one JSON object on stdout (human output goes to stderr)")
    boolean json;

    @Override
    public Integer call() {
        Output o = new Output(spec.commandLine().getOut(), spec.commandLine().getErr(), json);
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

    private static String shapes(List<int[]> shapes) {
        return String.join(" ", shapes.stream().map(Value::describe).toList());
    }
}
