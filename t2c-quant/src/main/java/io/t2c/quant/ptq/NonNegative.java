package io.t2c.quant.ptq;

import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.op.FusedClamp;
import java.util.Set;

/**
 * Whether a value can never be negative, read from the graph's structure: the output of a ReLU, of a Conv/Add with a
 * fused clamp at 0 or above, of Sigmoid/Softmax, or of pooling and movement ops applied to such a value. Those
 * activations get unsigned codes (twice the resolution of signed ones over the same range); anything else is signed.
 * Structural, so the choice does not depend on which calibration images happened to be seen.
 */
final class NonNegative {
    private NonNegative() {}

    private static final Set<String> NON_NEGATIVE_OPS = Set.of("Relu", "Sigmoid", "Softmax", "HardSigmoid", "Abs");
    private static final Set<String> PRESERVING_OPS = Set.of("MaxPool", "AveragePool", "GlobalAveragePool",
            "GlobalMaxPool", "Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Identity", "Concat");

    static boolean of(Graph g, String value) {
        Node p = g.producer(value);
        if (p == null) {
            return false;
        }
        if (NON_NEGATIVE_OPS.contains(p.opType())) {
            return true;
        }
        if (p.attributes().has(FusedClamp.MIN) && p.attributes().getDouble(FusedClamp.MIN, -1) >= 0) {
            return true;
        }
        if (p.opType().equals("Clip") && p.inputs().size() > 1 && !p.input(1).isEmpty()
                && g.initializers().containsKey(p.input(1))) {
            return g.initializer(p.input(1)).getDouble(0) >= 0;
        }
        if (p.opType().equals("Concat")) {
            return p.inputs().stream().allMatch(v -> of(g, v));
        }
        return PRESERVING_OPS.contains(p.opType()) && of(g, p.input(0));
    }
}
