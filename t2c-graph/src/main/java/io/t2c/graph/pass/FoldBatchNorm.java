package io.t2c.graph.pass;

import io.t2c.graph.Attributes;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.Value;
import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Folds each inference-mode BatchNormalization into the Conv that feeds it (with or without its own bias). Fires
 * only when the Conv's output is read by that BatchNormalization alone and is not a graph output, and when the
 * Conv weight/bias and all BN parameters are constants; otherwise leaves the graph as it is. The fused Conv keeps
 * its own name (the layer name users write in overrides and read in reports: {@code layer1.0.conv1}) and takes the
 * BatchNormalization's output value, so consumers read the same value as before.
 */
public final class FoldBatchNorm implements Pass {
    public static final String NAME = "FoldBatchNorm";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public PassResult apply(Graph g) {
        Map<String, Tensor> inits = new LinkedHashMap<>(g.initializers());
        Set<String> graphOutputs = new HashSet<>();
        for (Value v : g.outputs()) {
            graphOutputs.add(v.name());
        }
        Map<String, Node> replaced = new LinkedHashMap<>();
        Set<String> removed = new HashSet<>();
        for (Node bn : g.nodes()) {
            // Training mode normalizes with batch statistics, which no constant weights can fold.
            if (!bn.opType().equals("BatchNormalization") || bn.outputs().size() != 1
                    || bn.attributes().getInt("training_mode", 0) != 0) {
                continue;
            }
            Node conv = g.producer(bn.input(0));
            if (conv == null || !conv.opType().equals("Conv") || graphOutputs.contains(conv.output(0))
                    || g.consumers(conv.output(0)).size() != 1 || !allConstant(inits, bn.inputs().subList(1, 5))
                    || !inits.containsKey(conv.input(1)) || (!conv.input(2).isEmpty() && !inits.containsKey(conv.input(2)))
                    || inits.get(conv.input(1)).dtype() != DType.FLOAT32) {
                continue;
            }
            Tensor bias = conv.input(2).isEmpty() ? null : inits.get(conv.input(2));
            BatchNormFolding.Folded f = BatchNormFolding.foldIntoConv(inits.get(conv.input(1)), bias,
                    inits.get(bn.input(3)), inits.get(bn.input(4)), bn.attributes().getDouble("epsilon", 1e-5),
                    inits.get(bn.input(1)), inits.get(bn.input(2)));
            String w = unique(inits, conv.name() + ".folded_weight");
            inits.put(w, f.weight());
            String b = unique(inits, conv.name() + ".folded_bias");
            inits.put(b, f.bias());
            Attributes attrs = conv.attributes();
            replaced.put(bn.name(), new Node(conv.name(), "Conv", List.of(conv.input(0), w, b), bn.outputs(), attrs));
            removed.add(conv.name());
        }
        if (replaced.isEmpty()) {
            return new PassResult(g, false);
        }
        List<Node> nodes = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (removed.contains(n.name())) {
                continue;
            }
            nodes.add(replaced.getOrDefault(n.name(), n));
        }
        return new PassResult(new EliminateDeadNodes().apply(g.withNodes(nodes, inits)).graph(), true);
    }

    private static boolean allConstant(Map<String, Tensor> inits, List<String> names) {
        return names.stream().allMatch(inits::containsKey);
    }

    private static String unique(Map<String, Tensor> inits, String base) {
        String n = base;
        for (int k = 1; inits.containsKey(n); k++) {
            n = base + "_" + k;
        }
        return n;
    }
}
