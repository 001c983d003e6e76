package io.t2c.tensor.ops;

import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import java.util.Arrays;

/**
 * Element copies and conversions over the primitive arrays behind tensors, so that movement ops can be written once
 * for every {@link DType}. Integer arithmetic is done on {@code long} ({@link #widen}) and narrowed back with the
 * wrap-around of a C cast ({@link #narrow}); UINT8 widens to 0..255, BOOL to 0/1.
 */
final class TypedArrays {
    private TypedArrays() {}

    static Object newArray(DType t, int n) {
        return Tensor.zeros(t, n).data();
    }

    /** {@code dst[dp + i] = src[sp + i * stride]} for {@code i < n}; arrays of the same primitive type. */
    static void copy(Object src, int sp, int stride, Object dst, int dp, int n) {
        if (n <= 0) {
            return;
        }
        if (stride == 1) {
            System.arraycopy(src, sp, dst, dp, n);
            return;
        }
        switch (src) {
            case float[] s -> {
                float[] d = (float[]) dst;
                if (stride == 0) {
                    Arrays.fill(d, dp, dp + n, s[sp]);
                } else {
                    for (int i = 0; i < n; i++) {
                        d[dp + i] = s[sp + i * stride];
                    }
                }
            }
            case byte[] s -> {
                byte[] d = (byte[]) dst;
                if (stride == 0) {
                    Arrays.fill(d, dp, dp + n, s[sp]);
                } else {
                    for (int i = 0; i < n; i++) {
                        d[dp + i] = s[sp + i * stride];
                    }
                }
            }
            case short[] s -> {
                short[] d = (short[]) dst;
                if (stride == 0) {
                    Arrays.fill(d, dp, dp + n, s[sp]);
                } else {
                    for (int i = 0; i < n; i++) {
                        d[dp + i] = s[sp + i * stride];
                    }
                }
            }
            case int[] s -> {
                int[] d = (int[]) dst;
                if (stride == 0) {
                    Arrays.fill(d, dp, dp + n, s[sp]);
                } else {
                    for (int i = 0; i < n; i++) {
                        d[dp + i] = s[sp + i * stride];
                    }
                }
            }
            case long[] s -> {
                long[] d = (long[]) dst;
                if (stride == 0) {
                    Arrays.fill(d, dp, dp + n, s[sp]);
                } else {
                    for (int i = 0; i < n; i++) {
                        d[dp + i] = s[sp + i * stride];
                    }
                }
            }
            default -> throw new IllegalArgumentException("not a tensor array: " + src.getClass());
        }
    }

    /**
     * Copies a {@code ni x nj} tile from a source that is contiguous along i and strided along j to a destination
     * that is contiguous along j: {@code dst[dp + i * dstStride + j] = src[sp + i + j * srcStride]}.
     */
    static void copyTile(Object src, int sp, int srcStride, Object dst, int dp, int dstStride, int ni, int nj) {
        switch (src) {
            case float[] s -> {
                float[] d = (float[]) dst;
                for (int j = 0; j < nj; j++) {
                    for (int i = 0; i < ni; i++) {
                        d[dp + i * dstStride + j] = s[sp + i + j * srcStride];
                    }
                }
            }
            case byte[] s -> {
                byte[] d = (byte[]) dst;
                for (int j = 0; j < nj; j++) {
                    for (int i = 0; i < ni; i++) {
                        d[dp + i * dstStride + j] = s[sp + i + j * srcStride];
                    }
                }
            }
            case short[] s -> {
                short[] d = (short[]) dst;
                for (int j = 0; j < nj; j++) {
                    for (int i = 0; i < ni; i++) {
                        d[dp + i * dstStride + j] = s[sp + i + j * srcStride];
                    }
                }
            }
            case int[] s -> {
                int[] d = (int[]) dst;
                for (int j = 0; j < nj; j++) {
                    for (int i = 0; i < ni; i++) {
                        d[dp + i * dstStride + j] = s[sp + i + j * srcStride];
                    }
                }
            }
            case long[] s -> {
                long[] d = (long[]) dst;
                for (int j = 0; j < nj; j++) {
                    for (int i = 0; i < ni; i++) {
                        d[dp + i * dstStride + j] = s[sp + i + j * srcStride];
                    }
                }
            }
            default -> throw new IllegalArgumentException("not a tensor array: " + src.getClass());
        }
    }

    /**
     * Gathers one row through an index map: {@code dst[dp + j] = map[j] < 0 ? constant[0] : src[srcBase + map[j]]}.
     * {@code constant} is a one-element array of the same type (may be null when no map entry is negative).
     */
    static void mapCopy(Object src, int srcBase, int[] map, Object dst, int dp, Object constant) {
        int n = map.length;
        switch (src) {
            case float[] s -> {
                float[] d = (float[]) dst;
                float c = constant == null ? 0 : ((float[]) constant)[0];
                for (int j = 0; j < n; j++) {
                    int m = map[j];
                    d[dp + j] = m < 0 ? c : s[srcBase + m];
                }
            }
            case byte[] s -> {
                byte[] d = (byte[]) dst;
                byte c = constant == null ? 0 : ((byte[]) constant)[0];
                for (int j = 0; j < n; j++) {
                    int m = map[j];
                    d[dp + j] = m < 0 ? c : s[srcBase + m];
                }
            }
            case short[] s -> {
                short[] d = (short[]) dst;
                short c = constant == null ? 0 : ((short[]) constant)[0];
                for (int j = 0; j < n; j++) {
                    int m = map[j];
                    d[dp + j] = m < 0 ? c : s[srcBase + m];
                }
            }
            case int[] s -> {
                int[] d = (int[]) dst;
                int c = constant == null ? 0 : ((int[]) constant)[0];
                for (int j = 0; j < n; j++) {
                    int m = map[j];
                    d[dp + j] = m < 0 ? c : s[srcBase + m];
                }
            }
            case long[] s -> {
                long[] d = (long[]) dst;
                long c = constant == null ? 0 : ((long[]) constant)[0];
                for (int j = 0; j < n; j++) {
                    int m = map[j];
                    d[dp + j] = m < 0 ? c : s[srcBase + m];
                }
            }
            default -> throw new IllegalArgumentException("not a tensor array: " + src.getClass());
        }
    }

    /** Fills {@code dst[from, to)} with {@code constant[0]} (a one-element array of the same type). */
    static void fill(Object dst, int from, int to, Object constant) {
        copy(constant, 0, 0, dst, from, to - from);
    }

    /** A one-element array of type {@code t} holding {@code v} converted as ONNX Cast would (truncation for ints). */
    static Object scalarArray(DType t, double v) {
        Object a = newArray(t, 1);
        switch (t) {
            case FLOAT32 -> ((float[]) a)[0] = (float) v;
            case BOOL -> ((byte[]) a)[0] = (byte) (v != 0 ? 1 : 0);
            case INT8, UINT8 -> ((byte[]) a)[0] = (byte) (long) v;
            case INT16 -> ((short[]) a)[0] = (short) (long) v;
            case INT32 -> ((int[]) a)[0] = (int) (long) v;
            case INT64 -> ((long[]) a)[0] = (long) v;
        }
        return a;
    }

    /** Integer (or BOOL) elements as longs: INT8/INT16/INT32 sign-extended, UINT8 as 0..255, BOOL as 0/1. */
    static long[] widen(Tensor t) {
        int n = t.size();
        long[] out = new long[n];
        switch (t.dtype()) {
            case INT8, BOOL -> {
                byte[] s = t.bytes();
                for (int i = 0; i < n; i++) {
                    out[i] = s[i];
                }
            }
            case UINT8 -> {
                byte[] s = t.bytes();
                for (int i = 0; i < n; i++) {
                    out[i] = s[i] & 0xFF;
                }
            }
            case INT16 -> {
                short[] s = t.shorts();
                for (int i = 0; i < n; i++) {
                    out[i] = s[i];
                }
            }
            case INT32 -> {
                int[] s = t.ints();
                for (int i = 0; i < n; i++) {
                    out[i] = s[i];
                }
            }
            case INT64 -> System.arraycopy(t.longs(), 0, out, 0, n);
            case FLOAT32 -> throw new IllegalArgumentException("widen() is for integer tensors, got " + t);
        }
        return out;
    }

    /** Stores longs as type {@code t}, wrapping like a C cast; BOOL stores {@code v != 0}. */
    static Tensor narrow(long[] v, DType t, int[] shape) {
        Tensor out = Tensor.zeros(t, shape);
        int n = v.length;
        switch (t) {
            case INT8, UINT8 -> {
                byte[] d = out.bytes();
                for (int i = 0; i < n; i++) {
                    d[i] = (byte) v[i];
                }
            }
            case BOOL -> {
                byte[] d = out.bytes();
                for (int i = 0; i < n; i++) {
                    d[i] = (byte) (v[i] != 0 ? 1 : 0);
                }
            }
            case INT16 -> {
                short[] d = out.shorts();
                for (int i = 0; i < n; i++) {
                    d[i] = (short) v[i];
                }
            }
            case INT32 -> {
                int[] d = out.ints();
                for (int i = 0; i < n; i++) {
                    d[i] = (int) v[i];
                }
            }
            case INT64 -> System.arraycopy(v, 0, out.longs(), 0, n);
            case FLOAT32 -> throw new IllegalArgumentException("narrow() is for integer tensors");
        }
        return out;
    }

    /** Smallest and largest value of an integer type, as longs. */
    static long minValue(DType t) {
        return switch (t) {
            case INT8 -> Byte.MIN_VALUE;
            case UINT8, BOOL -> 0;
            case INT16 -> Short.MIN_VALUE;
            case INT32 -> Integer.MIN_VALUE;
            case INT64 -> Long.MIN_VALUE;
            case FLOAT32 -> throw new IllegalArgumentException("not an integer type");
        };
    }

    static long maxValue(DType t) {
        return switch (t) {
            case INT8 -> Byte.MAX_VALUE;
            case UINT8 -> 255;
            case BOOL -> 1;
            case INT16 -> Short.MAX_VALUE;
            case INT32 -> Integer.MAX_VALUE;
            case INT64 -> Long.MAX_VALUE;
            case FLOAT32 -> throw new IllegalArgumentException("not an integer type");
        };
    }
}
