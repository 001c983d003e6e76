package io.t2c.graph.pass;

import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.ShapeInference;
import io.t2c.graph.TensorInfo;
import io.t2c.graph.op.OpRegistry;
import io.t2c.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Replaces every node whose outputs are computable without data — constants and shape arithmetic such as
 * {@code Shape → Gather → Concat → Reshape} — by initializers. A value is folded only when it is the same for two
 * different sizes of the dynamic dimensions, so the batch size stays dynamic; then dead nodes are removed.
 */
public final class FoldConstants implements Pass {
    public static final String NAME = "FoldConstants";
    private static final int PROBE_A = 2;
    private static final int PROBE_B = 3;

    private final OpRegistry registry;

    public FoldConstants(OpRegistry registry) {
        this.registry = registry;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public PassResult apply(Graph g) {
        Map<String, TensorInfo> a = ShapeInference.infer(g, registry, PROBE_A);
        Map<String, TensorInfo> b = ShapeInference.infer(g, registry, PROBE_B);
        Map<String, Tensor> inits = new LinkedHashMap<>(g.initializers());
        List<Node> kept = new ArrayList<>();
        boolean changed = false;
        for (Node n : g.nodes()) {
            boolean foldable = !n.outputs().isEmpty();
            for (String out : n.outputs()) {
                foldable &= out.isEmpty() || ShapeInference.sameValue(a.get(out), b.get(out));
            }
            if (foldable) {
                for (String out : n.outputs()) {
                    if (!out.isEmpty()) {
                        inits.put(out, a.get(out).value());
                    }
                }
                changed = true;
            } else {
                kept.add(n);
            }
        }
        if (!changed) {
            return new PassResult(g, false);
        }
        Graph folded = g.withNodes(kept, inits);
        return new PassResult(new EliminateDeadNodes().apply(folded).graph(), true);
    }
}
