package io.t2c.graph;

import io.t2c.tensor.DType;
import java.util.Arrays;

/**
 * A named tensor flowing between nodes, with what is known of it statically: element type and shape, where a
 * dimension of {@code -1} is dynamic (typically the batch). Graph inputs and outputs are described by Values;
 * node edges refer to values by name, as ONNX does.
 */
public record Value(String name, DType dtype, int[] shape) {
    public static final int DYNAMIC = -1;

    public Value {
        shape = shape == null ? null : shape.clone();
    }

    @Override
    public int[] shape() {
        return shape == null ? null : shape.clone();
    }

    public boolean hasDynamicDims() {
        return shape == null || Arrays.stream(shape).anyMatch(d -> d < 0);
    }

    /** Shape for display: dynamic dims as "N" (first) or "?". */
    public static String describe(int[] shape) {
        if (shape == null) {
            return "?";
        }
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(shape[i] < 0 ? (i == 0 ? "N" : "?") : String.valueOf(shape[i]));
        }
        return sb.append(']').toString();
    }

    @Override
    public String toString() {
        return name + ":" + dtype + describe(shape);
    }
}
