package io.t2c.quant.ptq;

import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.quant.FakeQuantOp;
import io.t2c.quant.QuantSpec;
import io.t2c.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the fake-quant graph: for each calibrated position on value {@code v}, a {@code FakeQuant} node
 * {@code v.fq} reading v, {@code v.q.scale}, {@code v.q.zero_point} (and {@code v.q.<extra>}), writing {@code v.q},
 * placed just before the first layer that reads v; those layers then read {@code v.q}. Nothing else changes, so
 * every original value keeps its name and its float counterpart can be found by name.
 */
public final class QuantizedGraph {
    private QuantizedGraph() {}

    public static final String NODE_SUFFIX = ".fq";
    public static final String VALUE_SUFFIX = ".q";

    static Graph build(Graph g, Map<String, Calibration.Result> calibrated) {
        Map<String, Tensor> inits = new LinkedHashMap<>(g.initializers());
        Map<String, Map<String, String>> rewiring = new HashMap<>();
        for (Calibration.Result r : calibrated.values()) {
            QuantPlan.Position p = r.position();
            QuantSpec spec = r.calibration().spec();
            String out = p.value() + VALUE_SUFFIX;
            inits.put(out + ".scale", Tensor.of(spec.scale().clone(), fit(r.paramShape(), spec.scale().length)));
            inits.put(out + ".zero_point", Tensor.ofInts(spec.zeroPoint().clone(),
                    fit(r.paramShape(), spec.zeroPoint().length)));
            r.calibration().extras().forEach((e, t) -> inits.put(out + "." + e, t));
            for (String c : p.consumers()) {
                rewiring.computeIfAbsent(c, k -> new HashMap<>()).put(p.value(), out);
            }
        }
        List<Node> nodes = new ArrayList<>();
        for (Node n : g.nodes()) {
            for (Calibration.Result r : calibrated.values()) {
                if (r.position().consumers().get(0).equals(n.name())) {
                    nodes.add(fakeQuantNode(r, inits));
                }
            }
            Map<String, String> re = rewiring.get(n.name());
            if (re == null) {
                nodes.add(n);
            } else {
                nodes.add(n.withInputs(n.inputs().stream().map(v -> re.getOrDefault(v, v)).toList()));
            }
        }
        return new Graph(g.name(), g.inputs(), g.outputs(), nodes, inits, g.metadata());
    }

    private static Node fakeQuantNode(Calibration.Result r, Map<String, Tensor> inits) {
        QuantPlan.Position p = r.position();
        String out = p.value() + VALUE_SUFFIX;
        List<String> inputs = new ArrayList<>(List.of(p.value(), out + ".scale", out + ".zero_point"));
        List<String> extras = new ArrayList<>(r.calibration().extras().keySet());
        extras.forEach(e -> inputs.add(out + "." + e));
        return new Node(p.value() + NODE_SUFFIX, FakeQuantOp.NAME, inputs, List.of(out),
                FakeQuantOp.attributes(p.quantizer().name(), p.role(), r.calibration().spec(), extras));
    }

    /** The broadcast shape when it holds the values, else a plain vector (dynamic per-block scales). */
    private static int[] fit(int[] shape, int count) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n == count ? shape : new int[] {count};
    }
}
