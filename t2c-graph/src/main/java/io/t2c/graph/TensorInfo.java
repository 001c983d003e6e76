package io.t2c.graph;

import io.t2c.tensor.DType;
import io.t2c.tensor.Shapes;
import io.t2c.tensor.Tensor;

/**
 * What shape inference knows of a value: its element type, its concrete shape and, when it is computable without
 * running the model on data (constants and shape arithmetic), its value. A value is what lets
 * {@code Shape → Gather → Concat → Reshape} chains fold into constants.
 */
public record TensorInfo(DType dtype, int[] shape, Tensor value) {
    public TensorInfo {
        shape = shape.clone();
    }

    public static TensorInfo of(Tensor t) {
        return new TensorInfo(t.dtype(), t.shape(), t);
    }

    public static TensorInfo of(DType dtype, int... shape) {
        return new TensorInfo(dtype, shape, null);
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int axis) {
        return shape[Shapes.axis(axis, shape.length)];
    }

    public boolean hasValue() {
        return value != null;
    }

    public long numel() {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }
}
