package io.t2c.graph.pass;

import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.Value;
import io.t2c.graph.op.FusedClamp;
import io.t2c.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Folds a Relu, or a Clip with constant bounds (Relu6), into the Conv or Add before it as an output clamp
 * ({@link io.t2c.graph.op.FusedClamp} attributes), so the activation costs no extra pass over memory (residual
 * blocks end in Add → Relu). Fires only when the producer's output is read by that activation alone and is not a
 * graph output; the fused node keeps its name and takes the activation's output value, so consumers see the same
 * name.
 */
public final class FuseActivation implements Pass {
    public static final String NAME = "FuseActivation";

    /** Ops whose float forward creates its output and applies {@link FusedClamp}. */
    private static final Set<String> FUSABLE = Set.of("Conv", "Add");

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public PassResult apply(Graph g) {
        Set<String> graphOutputs = new HashSet<>();
        for (Value v : g.outputs()) {
            graphOutputs.add(v.name());
        }
        Map<String, Node> fused = new LinkedHashMap<>();
        Set<String> removed = new HashSet<>();
        for (Node act : g.nodes()) {
            float[] bounds = clampOf(act, g.initializers());
            if (bounds == null) {
                continue;
            }
            Node producer = g.producer(act.input(0));
            if (producer == null || !FUSABLE.contains(producer.opType()) || FusedClamp.present(producer)
                    || fused.containsKey(producer.name()) || graphOutputs.contains(producer.output(0))
                    || g.consumers(producer.output(0)).size() != 1) {
                continue;
            }
            var attrs = producer.attributes();
            if (bounds[0] != Float.NEGATIVE_INFINITY) {
                attrs = attrs.with(FusedClamp.MIN, (double) bounds[0]);
            }
            if (bounds[1] != Float.POSITIVE_INFINITY) {
                attrs = attrs.with(FusedClamp.MAX, (double) bounds[1]);
            }
            fused.put(producer.name(), new Node(producer.name(), producer.opType(), producer.inputs(), act.outputs(), attrs));
            removed.add(act.name());
        }
        if (fused.isEmpty()) {
            return new PassResult(g, false);
        }
        List<Node> nodes = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (!removed.contains(n.name())) {
                nodes.add(fused.getOrDefault(n.name(), n));
            }
        }
        return new PassResult(new EliminateDeadNodes().apply(g.withNodes(nodes, g.initializers())).graph(), true);
    }

    /** [min, max] of a Relu or of a Clip whose bounds are constants (absent: unbounded); null otherwise. */
    private static float[] clampOf(Node n, Map<String, Tensor> inits) {
        if (n.opType().equals("Relu")) {
            return new float[] {0f, Float.POSITIVE_INFINITY};
        }
        if (!n.opType().equals("Clip")) {
            return null;
        }
        float lo = Float.NEGATIVE_INFINITY;
        float hi = Float.POSITIVE_INFINITY;
        if (!n.input(1).isEmpty()) {
            Tensor t = inits.get(n.input(1));
            if (t == null || t.size() != 1) {
                return null;
            }
            lo = (float) t.getDouble(0);
        }
        if (!n.input(2).isEmpty()) {
            Tensor t = inits.get(n.input(2));
            if (t == null || t.size() != 1) {
                return null;
            }
            hi = (float) t.getDouble(0);
        }
        return new float[] {lo, hi};
    }
}
