package io.t2c.tensor.ops;

import io.t2c.tensor.DType;
import io.t2c.tensor.Shapes;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.kernel.Parallel;
import java.util.Arrays;

/**
 * ONNX Reduce* ops and ArgMax/ArgMin.
 *
 * <p><b>Shared rules.</b> {@code axes} may be negative and must not repeat. Null or empty {@code axes} reduce every
 * axis, unless {@code noopWithEmptyAxes} is set, in which case the input is returned unchanged (ONNX
 * {@code noop_with_empty_axes}). {@code keepDims} keeps reduced axes as size 1. The result has the input's dtype.
 * FLOAT32 accumulates in double (vector rows: float lanes over short blocks, blocks added in double); integer types
 * accumulate in {@code long} and wrap to their width, and their mean truncates toward zero. Reducing an empty set
 * gives the identity of the reduction: 0 for sums, 1 for the product, -inf / +inf for max / min (the type's
 * minimum / maximum for integers), NaN for a float mean.
 */
public final class Reductions {
    private Reductions() {}

    /** The reductions of ONNX, by their op names. */
    public enum Reduction {
        SUM, MEAN, MAX, MIN, PROD, SUM_SQUARE, L1, L2, LOG_SUM, LOG_SUM_EXP
    }

    public static Tensor reduceSum(Tensor x, int[] axes, boolean keepDims) {
        return reduce(x, Reduction.SUM, axes, keepDims, false);
    }

    public static Tensor reduceMean(Tensor x, int[] axes, boolean keepDims) {
        return reduce(x, Reduction.MEAN, axes, keepDims, false);
    }

    public static Tensor reduceMax(Tensor x, int[] axes, boolean keepDims) {
        return reduce(x, Reduction.MAX, axes, keepDims, false);
    }

    public static Tensor reduceMin(Tensor x, int[] axes, boolean keepDims) {
        return reduce(x, Reduction.MIN, axes, keepDims, false);
    }

    public static Tensor reduceProd(Tensor x, int[] axes, boolean keepDims) {
        return reduce(x, Reduction.PROD, axes, keepDims, false);
    }

    /**
     * Reduces {@code x} over {@code axes}. LOG_SUM and LOG_SUM_EXP need FLOAT32; L2 of integers truncates the root.
     * LOG_SUM_EXP is computed as {@code log(sum(exp(x)))} in double, which does not overflow for float inputs.
     */
    public static Tensor reduce(Tensor x, Reduction kind, int[] axes, boolean keepDims, boolean noopWithEmptyAxes) {
        int rank = x.rank();
        int[] shape = x.shape();
        boolean[] reduced = new boolean[rank];
        if (axes == null || axes.length == 0) {
            if (noopWithEmptyAxes) {
                return x;
            }
            Arrays.fill(reduced, true);
        } else {
            for (int a : Shapes.axes(axes, rank)) {
                reduced[a] = true;
            }
        }
        if (x.dtype() == DType.BOOL) {
            throw new T2cException("Reduce" + kind + " does not accept BOOL tensors, got " + x);
        }
        if (x.dtype() != DType.FLOAT32 && (kind == Reduction.LOG_SUM || kind == Reduction.LOG_SUM_EXP)) {
            throw new T2cException("Reduce" + kind + " needs a FLOAT32 tensor, got " + x);
        }
        int[] outShape = reducedShape(shape, reduced, keepDims);
        // Merge runs of kept / reduced axes (size-1 axes belong to neither) to find an [outer, R, inner] layout.
        int groups = 0;
        int reducedGroups = 0;
        boolean lastReduced = false;
        for (int d = 0; d < rank; d++) {
            if (shape[d] == 1) {
                continue;
            }
            if (groups == 0 || reduced[d] != lastReduced) {
                groups++;
                reducedGroups += reduced[d] ? 1 : 0;
                lastReduced = reduced[d];
            }
        }
        if (reducedGroups > 1) {
            // Kept axes first, reduced axes last: one transpose, then a plain row reduction.
            int[] perm = new int[rank];
            int k = 0;
            for (int d = 0; d < rank; d++) {
                if (!reduced[d]) {
                    perm[k++] = d;
                }
            }
            int keptCount = k;
            for (int d = 0; d < rank; d++) {
                if (reduced[d]) {
                    perm[k++] = d;
                }
            }
            Tensor t = Movement.transpose(x, perm);
            int outer = Shapes.product(t.shape(), 0, keptCount);
            int r = Shapes.product(t.shape(), keptCount, rank);
            return run(t, kind, outer, r, 1).reshape(outShape);
        }
        int first = -1;
        int lastAxis = -1;
        for (int d = 0; d < rank; d++) {
            if (reduced[d] && shape[d] != 1) {
                if (first < 0) {
                    first = d;
                }
                lastAxis = d;
            }
        }
        if (first < 0) {
            // Every reduced axis has size 1: each output reduces a single element.
            return run(x, kind, x.size(), 1, 1).reshape(outShape);
        }
        int outer = Shapes.product(shape, 0, first);
        int r = Shapes.product(shape, first, lastAxis + 1);
        int inner = Shapes.product(shape, lastAxis + 1, rank);
        return run(x, kind, outer, r, inner).reshape(outShape);
    }

    /** ONNX ArgMax along one axis; INT64 result. Ties pick the first index, or the last with selectLastIndex. */
    public static Tensor argMax(Tensor x, int axis, boolean keepDims, boolean selectLastIndex) {
        return arg("ArgMax", x, axis, keepDims, selectLastIndex, true);
    }

    /** ONNX ArgMin along one axis; INT64 result. Ties pick the first index, or the last with selectLastIndex. */
    public static Tensor argMin(Tensor x, int axis, boolean keepDims, boolean selectLastIndex) {
        return arg("ArgMin", x, axis, keepDims, selectLastIndex, false);
    }

    static int[] reducedShape(int[] shape, boolean[] reduced, boolean keepDims) {
        int[] out = new int[shape.length];
        int k = 0;
        for (int d = 0; d < shape.length; d++) {
            if (!reduced[d]) {
                out[k++] = shape[d];
            } else if (keepDims) {
                out[k++] = 1;
            }
        }
        return Arrays.copyOf(out, k);
    }

    private static Tensor arg(String name, Tensor x, int axis, boolean keepDims, boolean last, boolean isMax) {
        int[] shape = x.shape();
        int a = Shapes.axis(axis, shape.length);
        if (shape[a] == 0) {
            throw new T2cException(name + ": axis " + axis + " of " + Shapes.toString(shape) + " is empty");
        }
        if (x.dtype() == DType.BOOL) {
            throw new T2cException(name + " does not accept BOOL tensors, got " + x);
        }
        boolean[] reduced = new boolean[shape.length];
        reduced[a] = true;
        int[] outShape = reducedShape(shape, reduced, keepDims);
        int outer = Shapes.product(shape, 0, a);
        int r = shape[a];
        int inner = Shapes.product(shape, a + 1, shape.length);
        long[] out = new long[outer * inner];
        boolean isFloat = x.dtype() == DType.FLOAT32;
        float[] f = isFloat ? x.floats() : null;
        long[] l = isFloat ? null : TypedArrays.widen(x);
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * r * inner + i;
                int best = 0;
                for (int j = 1; j < r; j++) {
                    int p = base + j * inner;
                    int q = base + best * inner;
                    // Plain value comparison (not Float.compare, which orders -0 below 0 and NaN above all).
                    int c = isFloat ? (f[p] > f[q] ? 1 : f[p] < f[q] ? -1 : 0) : Long.compare(l[p], l[q]);
                    if (!isMax) {
                        c = -c;
                    }
                    if (c > 0 || (c == 0 && last)) {
                        best = j;
                    }
                }
                out[o * inner + i] = best;
            }
        }
        return Tensor.ofLongs(out, outShape);
    }

    // ---- kernels over an [outer, r, inner] layout; output [outer, inner] ----

    private static Tensor run(Tensor x, Reduction kind, int outer, int r, int inner) {
        if (x.dtype() == DType.FLOAT32) {
            return Tensor.of(runFloat(x.floats(), kind, outer, r, inner), outer * inner);
        }
        return TypedArrays.narrow(runLong(TypedArrays.widen(x), kind, outer, r, inner, x.dtype()), x.dtype(),
                new int[] {outer * inner});
    }

    private static float[] runFloat(float[] x, Reduction kind, int outer, int r, int inner) {
        float[] out = new float[outer * inner];
        if (out.length == 0) {
            return out;
        }
        boolean vector = Vectorization.enabled();
        if (inner == 1) {
            Parallel.forRange(outer, Math.max(1, StridedLoop.GRAIN / Math.max(1, r)), (from, to) -> {
                for (int o = from; o < to; o++) {
                    out[o] = (float) finish(kind, reduceRow(kind, x, o * r, r, vector), r);
                }
            });
            return out;
        }
        // Tasks are (o, block of inner) pairs; each walks r rows, accumulating a block of inner in double.
        int block = Math.min(inner, 1024);
        int blocks = (inner + block - 1) / block;
        long work = (long) r * block;
        Parallel.forRange(outer * blocks, (int) Math.max(1, StridedLoop.GRAIN / Math.max(1, work)), (from, to) -> {
            double[] acc = new double[block];
            for (int t = from; t < to; t++) {
                int o = t / blocks;
                int i0 = (t % blocks) * block;
                int n = Math.min(block, inner - i0);
                Arrays.fill(acc, 0, n, init(kind));
                for (int j = 0; j < r; j++) {
                    accumulate(kind, acc, x, (o * r + j) * inner + i0, n);
                }
                for (int i = 0; i < n; i++) {
                    out[o * inner + i0 + i] = (float) finish(kind, acc[i], r);
                }
            }
        });
        return out;
    }

    private static double init(Reduction kind) {
        return switch (kind) {
            case MAX -> Double.NEGATIVE_INFINITY;
            case MIN -> Double.POSITIVE_INFINITY;
            case PROD -> 1;
            default -> 0;
        };
    }

    private static double reduceRow(Reduction kind, float[] x, int off, int n, boolean vector) {
        if (vector) {
            switch (kind) {
                case SUM, MEAN, LOG_SUM -> {
                    return VectorKernels.sum(x, off, n);
                }
                case SUM_SQUARE, L2 -> {
                    return VectorKernels.sumSquares(x, off, n);
                }
                case MAX -> {
                    return VectorKernels.max(x, off, n);
                }
                case MIN -> {
                    return VectorKernels.min(x, off, n);
                }
                default -> {
                    // scalar below
                }
            }
        }
        double[] acc = {init(kind)};
        for (int i = 0; i < n; i++) {
            acc[0] = combine(kind, acc[0], x[off + i]);
        }
        return acc[0];
    }

    /** {@code acc[i] = combine(acc[i], x[off + i])}; the switch sits outside the loops. */
    private static void accumulate(Reduction kind, double[] acc, float[] x, int off, int n) {
        switch (kind) {
            case SUM, MEAN, LOG_SUM -> {
                for (int i = 0; i < n; i++) {
                    acc[i] += x[off + i];
                }
            }
            case SUM_SQUARE, L2 -> {
                for (int i = 0; i < n; i++) {
                    double v = x[off + i];
                    acc[i] += v * v;
                }
            }
            case MAX -> {
                for (int i = 0; i < n; i++) {
                    acc[i] = Math.max(acc[i], x[off + i]);
                }
            }
            case MIN -> {
                for (int i = 0; i < n; i++) {
                    acc[i] = Math.min(acc[i], x[off + i]);
                }
            }
            default -> {
                for (int i = 0; i < n; i++) {
                    acc[i] = combine(kind, acc[i], x[off + i]);
                }
            }
        }
    }

    private static double combine(Reduction kind, double acc, double v) {
        return switch (kind) {
            case SUM, MEAN, LOG_SUM -> acc + v;
            case MAX -> Math.max(acc, v);
            case MIN -> Math.min(acc, v);
            case PROD -> acc * v;
            case SUM_SQUARE, L2 -> acc + v * v;
            case L1 -> acc + Math.abs(v);
            case LOG_SUM_EXP -> acc + Math.exp(v);
        };
    }

    private static double finish(Reduction kind, double acc, int count) {
        return switch (kind) {
            case MEAN -> acc / count;
            case L2 -> Math.sqrt(acc);
            case LOG_SUM, LOG_SUM_EXP -> Math.log(acc);
            default -> acc;
        };
    }

    private static long[] runLong(long[] x, Reduction kind, int outer, int r, int inner, DType t) {
        long[] out = new long[outer * inner];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                long acc = switch (kind) {
                    case MAX -> TypedArrays.minValue(t);
                    case MIN -> TypedArrays.maxValue(t);
                    case PROD -> 1;
                    default -> 0;
                };
                int base = o * r * inner + i;
                for (int j = 0; j < r; j++) {
                    long v = x[base + j * inner];
                    acc = switch (kind) {
                        case SUM, MEAN -> acc + v;
                        case MAX -> Math.max(acc, v);
                        case MIN -> Math.min(acc, v);
                        case PROD -> acc * v;
                        case SUM_SQUARE, L2 -> acc + v * v;
                        case L1 -> acc + Math.abs(v);
                        case LOG_SUM, LOG_SUM_EXP -> throw new IllegalStateException();
                    };
                }
                if (kind == Reduction.MEAN) {
                    acc = r == 0 ? 0 : acc / r;
                } else if (kind == Reduction.L2) {
                    acc = (long) Math.sqrt((double) acc);
                }
                out[o * inner + i] = acc;
            }
        }
        return out;
    }
}
