package io.t2c.tensor.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.Arrays;
import java.util.Random;
import java.util.function.IntToDoubleFunction;

/** Helpers shared by the ops tests: random tensors, plain index arithmetic for references, comparisons. */
final class OpsTesting {
    private OpsTesting() {}

    /** Runs {@code body} once on the Vector API paths and once on the scalar paths. */
    static void bothPaths(Runnable body) {
        try {
            Vectorization.forceScalar(false);
            body.run();
            Vectorization.forceScalar(true);
            body.run();
        } finally {
            Vectorization.forceScalar(false);
        }
    }

    static Tensor randomFloats(Random r, double lo, double hi, int... shape) {
        Tensor t = Tensor.zeros(DType.FLOAT32, shape);
        float[] d = t.floats();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (lo + (hi - lo) * r.nextDouble());
        }
        return t;
    }

    /** Random values of an integer type (BOOL: 0/1) in [lo, hi], stored with the type's wrap-around. */
    static Tensor randomInts(Random r, DType t, long lo, long hi, int... shape) {
        Tensor x = Tensor.zeros(t, shape);
        for (int i = 0; i < x.size(); i++) {
            long v = lo + (long) (r.nextDouble() * (hi - lo + 1));
            set(x, i, Math.min(v, hi));
        }
        return x;
    }

    static void set(Tensor x, int i, double v) {
        switch (x.dtype()) {
            case FLOAT32 -> x.floats()[i] = (float) v;
            case INT64 -> x.longs()[i] = (long) v;
            case INT32 -> x.ints()[i] = (int) (long) v;
            case INT16 -> x.shorts()[i] = (short) (long) v;
            case INT8, UINT8 -> x.bytes()[i] = (byte) (long) v;
            case BOOL -> x.bytes()[i] = (byte) (v != 0 ? 1 : 0);
        }
    }

    static void set(Tensor x, int i, long v) {
        switch (x.dtype()) {
            case FLOAT32 -> x.floats()[i] = v;
            case INT64 -> x.longs()[i] = v;
            case INT32 -> x.ints()[i] = (int) v;
            case INT16 -> x.shorts()[i] = (short) v;
            case INT8, UINT8 -> x.bytes()[i] = (byte) v;
            case BOOL -> x.bytes()[i] = (byte) (v != 0 ? 1 : 0);
        }
    }

    static int numel(int[] shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    /** Multi-index of a row-major flat index. */
    static int[] unravel(int flat, int[] shape) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] > 0) {
                idx[d] = flat % shape[d];
                flat /= shape[d];
            }
        }
        return idx;
    }

    /** Flat index of {@code idx} in {@code shape}. */
    static int ravel(int[] idx, int[] shape) {
        int f = 0;
        for (int d = 0; d < shape.length; d++) {
            f = f * shape[d] + idx[d];
        }
        return f;
    }

    /** Flat index into {@code in} of output index {@code outIdx} under numpy broadcasting (right-aligned). */
    static int broadcastIndex(int[] outIdx, int[] in) {
        int off = outIdx.length - in.length;
        int f = 0;
        for (int d = 0; d < in.length; d++) {
            int i = in[d] == 1 ? 0 : outIdx[d + off];
            f = f * in[d] + i;
        }
        return f;
    }

    /** Float tensor {@code got} equals {@code want(i)} within {@code abs + rel * |want|} (NaN matches NaN). */
    static void assertClose(IntToDoubleFunction want, Tensor got, double abs, double rel, String what) {
        for (int i = 0; i < got.size(); i++) {
            double w = want.applyAsDouble(i);
            double g = got.getDouble(i);
            if (Double.isNaN(w) ? !Double.isNaN(g) : !(w == g || Math.abs(w - g) <= abs + rel * Math.abs(w))) {
                fail(what + ": element " + i + " of " + Arrays.toString(got.shape()) + ": expected " + w + ", got " + g
                        + " (diff " + Math.abs(w - g) + ")");
            }
        }
    }

    static void assertFloats(float[] want, Tensor got, int... shape) {
        assertEquals(DType.FLOAT32, got.dtype());
        assertArrayEquals(shape, got.shape(), "shape");
        assertArrayEquals(want, got.floats(), 1e-6f);
    }

    static void assertLongs(long[] want, Tensor got, int... shape) {
        assertArrayEquals(shape, got.shape(), "shape");
        assertArrayEquals(want, got.toLongArray());
    }

    /** Asserts a {@link T2cException} whose message contains every fragment. */
    static T2cException assertT2c(Runnable r, String... fragments) {
        T2cException e = assertThrows(T2cException.class, r::run);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' should contain '" + f + "'");
        }
        return e;
    }

    static Tensor floats(float[] v, int... shape) {
        return Tensor.of(v, shape);
    }
}
