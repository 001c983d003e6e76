package io.t2c.tensor;

import java.util.Arrays;

/** Shape arithmetic shared by tensors, kernels and shape inference: element counts, strides, broadcasting. */
public final class Shapes {
    /** Largest element count a single tensor may have: Java arrays are indexed by int. */
    public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    private Shapes() {}

    /** Number of elements; refuses negative dimensions and counts a Java array cannot hold. */
    public static int numel(int... shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new T2cException("invalid shape " + Arrays.toString(shape) + ": dimensions must be >= 0");
            }
            n *= d;
            if (n > MAX_ELEMENTS) {
                throw new T2cException("shape " + Arrays.toString(shape) + " has more than " + MAX_ELEMENTS
                        + " elements; such a tensor cannot be held in memory here");
            }
        }
        return (int) n;
    }

    /** Row-major strides in elements. */
    public static int[] strides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    /** Numpy-style broadcast of two shapes; throws naming both when they are incompatible. */
    public static int[] broadcast(int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            int db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new T2cException("shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                        + " cannot be broadcast together (dimension " + i + ": " + da + " vs " + db + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** Broadcast of any number of shapes. */
    public static int[] broadcast(int[]... shapes) {
        int[] out = new int[0];
        for (int[] s : shapes) {
            out = broadcast(out, s);
        }
        return out;
    }

    /** Normalizes a possibly negative axis against {@code rank}; throws when out of range. */
    public static int axis(int axis, int rank) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new T2cException("axis " + axis + " is out of range for a tensor of rank " + rank);
        }
        return a;
    }

    /**
     * Normalizes a list of possibly negative axes against {@code rank}: each in range, no duplicates, returned sorted.
     * Throws naming the axes and the rank otherwise.
     */
    public static int[] axes(int[] axes, int rank) {
        boolean[] seen = new boolean[rank];
        for (int a : axes) {
            int n = a < 0 ? a + rank : a;
            if (n < 0 || n >= rank) {
                throw new T2cException("axis " + a + " in " + Arrays.toString(axes)
                        + " is out of range for a tensor of rank " + rank);
            }
            if (seen[n]) {
                throw new T2cException("axes " + Arrays.toString(axes) + " name axis " + n + " twice (rank " + rank
                        + ")");
            }
            seen[n] = true;
        }
        int[] out = new int[axes.length];
        int k = 0;
        for (int i = 0; i < rank; i++) {
            if (seen[i]) {
                out[k++] = i;
            }
        }
        return out;
    }

    /** Product of {@code shape[from, to)} (1 for an empty range). */
    public static int product(int[] shape, int from, int to) {
        long p = 1;
        for (int i = from; i < to; i++) {
            p *= shape[i];
        }
        return (int) p;
    }

    public static String toString(int[] shape) {
        return Arrays.toString(shape);
    }
}
