package io.t2c.graph.op;

import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.ops.Reductions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;

/** Helpers shared by gradient rules. */
final class Gradients {
    private Gradients() {}

    /**
     * Undoes broadcasting: sums {@code grad} over the dimensions along which an operand of {@code shape} was
     * broadcast, so the result has exactly {@code shape}.
     */
    static Tensor sumToShape(Tensor grad, int[] shape) {
        int[] g = grad.shape();
        if (Arrays.equals(g, shape)) {
            return grad;
        }
        int lead = g.length - shape.length;
        List<Integer> axes = new ArrayList<>();
        for (int i = 0; i < g.length; i++) {
            if (i < lead || (shape[i - lead] == 1 && g[i] != 1)) {
                axes.add(i);
            }
        }
        Tensor summed = axes.isEmpty() ? grad
                : Reductions.reduceSum(grad, axes.stream().mapToInt(Integer::intValue).toArray(), true);
        return summed.reshape(shape);
    }

    /**
     * The gradient of a movement op (anything that only copies input elements to output positions, possibly several
     * times or not at all): run the op on the flat indices of the input (an INT32 "iota" of the input's shape) to
     * learn where each output element came from, then scatter-add the output gradient back. Padding positions must
     * come out as -1 ({@code move} receives the iota and must fill new positions with -1).
     */
    static Tensor scatterThroughMove(int[] inputShape, Tensor gradOutput, UnaryOperator<Tensor> move) {
        int n = io.t2c.tensor.Shapes.numel(inputShape);
        int[] iota = new int[n];
        for (int i = 0; i < n; i++) {
            iota[i] = i;
        }
        Tensor source = move.apply(Tensor.ofInts(iota, inputShape));
        int[] src = source.ints();
        float[] g = gradOutput.floats();
        float[] out = new float[n];
        for (int i = 0; i < src.length; i++) {
            if (src[i] >= 0) {
                out[src[i]] += g[i];
            }
        }
        return Tensor.of(out, inputShape);
    }

    /** Element-wise map of same-shape float tensors: out[i] = f(a[i], b[i], c[i]). */
    interface Pointwise3 {
        float apply(float a, float b, float c);
    }

    static Tensor pointwise(Tensor a, Tensor b, Tensor c, Pointwise3 f) {
        float[] av = a.floats();
        float[] bv = b == null ? av : b.floats();
        float[] cv = c.floats();
        float[] out = new float[av.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = f.apply(av[i], bv[i], cv[i]);
        }
        return Tensor.of(out, a.shape());
    }

    /** A float tensor of the given shape filled with zeros, standing in for an absent output gradient. */
    static Tensor zerosLike(Tensor t) {
        return Tensor.zeros(DType.FLOAT32, t.shape());
    }

    /** True when the tensor can carry a gradient (integer and boolean values cannot). */
    static boolean isFloat(Tensor t) {
        return t != null && t.dtype() == DType.FLOAT32;
    }
}
