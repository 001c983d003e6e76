package io.t2c.tensor;

import java.util.Arrays;

/**
 * A dense, contiguous, row-major tensor: a {@link DType}, a shape and one primitive array holding the elements.
 *
 * <p>Tensors are treated as values: kernels and ops return new tensors and never write into their inputs.
 * {@link #reshape} shares the array (no copy); everything else that changes layout copies. The typed accessors
 * ({@link #floats()}, {@link #ints()}, ...) hand out the backing array itself for speed, so callers must not modify
 * arrays of tensors they did not create.
 */
public final class Tensor {
    private final DType dtype;
    private final int[] shape;
    private final Object data;

    private Tensor(DType dtype, int[] shape, Object data) {
        this.dtype = dtype;
        this.shape = shape;
        this.data = data;
    }

    // ---- construction ----

    /** Wraps {@code data} (not copied) with the given shape; the length must equal the shape's element count. */
    public static Tensor wrap(DType dtype, Object data, int... shape) {
        int[] s = shape.clone();
        int n = Shapes.numel(s);
        int len = java.lang.reflect.Array.getLength(data);
        if (len != n) {
            throw new IllegalArgumentException("data length " + len + " does not match shape " + Arrays.toString(s));
        }
        Object expected = dtype.newArray(0);
        if (expected.getClass() != data.getClass()) {
            throw new IllegalArgumentException(dtype + " tensors are stored in " + expected.getClass().getSimpleName()
                    + ", got " + data.getClass().getSimpleName());
        }
        return new Tensor(dtype, s, data);
    }

    public static Tensor of(float[] data, int... shape) {
        return wrap(DType.FLOAT32, data, shape);
    }

    public static Tensor ofInts(int[] data, int... shape) {
        return wrap(DType.INT32, data, shape);
    }

    public static Tensor ofLongs(long[] data, int... shape) {
        return wrap(DType.INT64, data, shape);
    }

    public static Tensor ofBytes(DType dtype, byte[] data, int... shape) {
        return wrap(dtype, data, shape);
    }

    public static Tensor ofShorts(short[] data, int... shape) {
        return wrap(DType.INT16, data, shape);
    }

    public static Tensor zeros(DType dtype, int... shape) {
        int[] s = shape.clone();
        return new Tensor(dtype, s, dtype.newArray(Shapes.numel(s)));
    }

    public static Tensor scalar(float v) {
        return of(new float[] {v});
    }

    public static Tensor scalarLong(long v) {
        return ofLongs(new long[] {v});
    }

    /** A 1-D INT64 tensor, the usual type of shapes, axes and indices. */
    public static Tensor vector(long... values) {
        return ofLongs(values.clone(), values.length);
    }

    // ---- metadata ----

    public DType dtype() {
        return dtype;
    }

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int axis) {
        return shape[Shapes.axis(axis, shape.length)];
    }

    public int size() {
        return java.lang.reflect.Array.getLength(data);
    }

    // ---- raw storage ----

    public Object data() {
        return data;
    }

    public float[] floats() {
        return (float[]) requireType(DType.FLOAT32);
    }

    /** Backing bytes of an INT8, UINT8 or BOOL tensor. */
    public byte[] bytes() {
        if (!(data instanceof byte[] b)) {
            throw new IllegalStateException("tensor is " + dtype + ", not a byte-backed type");
        }
        return b;
    }

    public short[] shorts() {
        return (short[]) requireType(DType.INT16);
    }

    public int[] ints() {
        return (int[]) requireType(DType.INT32);
    }

    public long[] longs() {
        return (long[]) requireType(DType.INT64);
    }

    private Object requireType(DType t) {
        if (dtype != t) {
            throw new IllegalStateException("tensor is " + dtype + ", expected " + t);
        }
        return data;
    }

    // ---- element access by flat index (slow path; kernels use the arrays) ----

    public double getDouble(int i) {
        return switch (dtype) {
            case FLOAT32 -> ((float[]) data)[i];
            case INT8, BOOL -> ((byte[]) data)[i];
            case UINT8 -> ((byte[]) data)[i] & 0xFF;
            case INT16 -> ((short[]) data)[i];
            case INT32 -> ((int[]) data)[i];
            case INT64 -> ((long[]) data)[i];
        };
    }

    public long getLong(int i) {
        return switch (dtype) {
            case FLOAT32 -> (long) ((float[]) data)[i];
            case INT8, BOOL -> ((byte[]) data)[i];
            case UINT8 -> ((byte[]) data)[i] & 0xFF;
            case INT16 -> ((short[]) data)[i];
            case INT32 -> ((int[]) data)[i];
            case INT64 -> ((long[]) data)[i];
        };
    }

    /** Values of a (small) integer tensor as longs, e.g. a shape or an axes list. */
    public long[] toLongArray() {
        long[] out = new long[size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = getLong(i);
        }
        return out;
    }

    /** Values as doubles. */
    public double[] toDoubleArray() {
        double[] out = new double[size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = getDouble(i);
        }
        return out;
    }

    // ---- layout ----

    /** Same elements, new shape (shares the array). */
    public Tensor reshape(int... newShape) {
        int n = Shapes.numel(newShape);
        if (n != size()) {
            throw new T2cException("cannot reshape " + Arrays.toString(shape) + " (" + size() + " elements) to "
                    + Arrays.toString(newShape) + " (" + n + " elements)");
        }
        return new Tensor(dtype, newShape.clone(), data);
    }

    /** Converts element type; float to integer truncates toward zero, like ONNX Cast and C. */
    public Tensor cast(DType to) {
        if (to == dtype) {
            return this;
        }
        int n = size();
        Tensor out = zeros(to, shape);
        Object o = out.data;
        for (int i = 0; i < n; i++) {
            switch (to) {
                case FLOAT32 -> ((float[]) o)[i] = (float) getDouble(i);
                case BOOL -> ((byte[]) o)[i] = (byte) (getDouble(i) != 0 ? 1 : 0);
                case INT8, UINT8 -> ((byte[]) o)[i] = (byte) getLong(i);
                case INT16 -> ((short[]) o)[i] = (short) getLong(i);
                case INT32 -> ((int[]) o)[i] = (int) getLong(i);
                case INT64 -> ((long[]) o)[i] = getLong(i);
            }
        }
        return out;
    }

    /** A deep copy. */
    public Tensor copy() {
        Object d = switch (dtype) {
            case FLOAT32 -> ((float[]) data).clone();
            case INT8, UINT8, BOOL -> ((byte[]) data).clone();
            case INT16 -> ((short[]) data).clone();
            case INT32 -> ((int[]) data).clone();
            case INT64 -> ((long[]) data).clone();
        };
        return new Tensor(dtype, shape.clone(), d);
    }

    @Override
    public String toString() {
        return "Tensor[" + dtype + " " + Arrays.toString(shape) + "]";
    }
}
