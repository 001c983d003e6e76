package io.t2c.graph.op;

import io.t2c.graph.Attributes;
import io.t2c.graph.Node;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.ops.Elementwise;

/**
 * A fused activation: our attributes {@code clamp_min} / {@code clamp_max} (not ONNX's) on a Conv or Add clamp its
 * output to [min, max] (Relu: [0, ∞); Relu6 / Clip: [lo, hi]). Set by {@code FuseActivation}; the forward clamps
 * its fresh output in place and the backward passes the gradient only where the clamp did not bite.
 */
public final class FusedClamp {
    public static final String MIN = "clamp_min";
    public static final String MAX = "clamp_max";

    private FusedClamp() {}

    public static boolean present(Node node) {
        return node.attributes().has(MIN) || node.attributes().has(MAX);
    }

    /** The lower bound of the fused clamp; −∞ when there is none. */
    static float lo(Node node) {
        return node.attributes().getFloat(MIN, Float.NEGATIVE_INFINITY);
    }

    /** The upper bound of the fused clamp; +∞ when there is none. */
    static float hi(Node node) {
        return node.attributes().getFloat(MAX, Float.POSITIVE_INFINITY);
    }

    /** Clamps {@code y} (a tensor the op just created) in place; returns it. */
    static Tensor apply(Node node, Tensor y) {
        if (!present(node)) {
            return y;
        }
        Attributes a = node.attributes();
        float lo = a.getFloat(MIN, Float.NEGATIVE_INFINITY);
        float hi = a.getFloat(MAX, Float.POSITIVE_INFINITY);
        Elementwise.clipInPlace(y, lo, hi);
        return y;
    }

    /** The output gradient where the clamped output {@code y} lies strictly inside the bounds, zero elsewhere. */
    static Tensor maskGradient(Node node, Tensor y, Tensor g) {
        if (!present(node)) {
            return g;
        }
        Attributes a = node.attributes();
        float lo = a.getFloat(MIN, Float.NEGATIVE_INFINITY);
        float hi = a.getFloat(MAX, Float.POSITIVE_INFINITY);
        return Elementwise.passWhereInRange(y, g, Math.nextUp(lo), Math.nextDown(hi));
    }
}
