package io.t2c.convert;

import io.t2c.graph.Attributes;
import io.t2c.graph.Node;
import io.t2c.quant.Rounding;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.kernel.Parallel;

/**
 * Fast forwards of the integer Softmax, LayerNorm and GELU (docs/NUMERICS.md, "Transformer non-linearities"): rows
 * in parallel, the floor square root from {@link Math#sqrt} corrected by one step each way. The independent scalar
 * versions are in {@link ReferenceExecutor}.
 */
final class NonLinearKernels {
    private NonLinearKernels() {}

    private static int channel(int i, int[] shape, int axis, int channels) {
        int inner = 1;
        for (int d = axis + 1; d < shape.length; d++) {
            inner *= shape[d];
        }
        return (i / inner) % channels;
    }

    static Tensor softmax(Node node, Tensor input) {
        Attributes a = node.attributes();
        long[] x = IntegerOps.longs(node, input);
        int[] shape = input.shape();
        int cols = shape[shape.length - 1];
        long mx = a.getLongs(IntegerOps.X_MULTIPLIER)[0];
        int sx = (int) a.getLongs(IntegerOps.X_SHIFT)[0];
        int f = a.getInt(IntegerOps.FRAC_BITS, 0);
        long ln2 = a.getLong(IntegerOps.EXP_LN2, 0);
        long[] coeffs = a.getLongs(IntegerOps.EXP_COEFFS);
        long m = a.getLongs(IntegerOps.MULTIPLIER)[0];
        int s = (int) a.getLongs(IntegerOps.SHIFT)[0];
        long zy = a.getLong(IntegerOps.Y_ZERO_POINT, 0);
        long lo = a.getLong(IntegerOps.Y_MIN, 0);
        long hi = a.getLong(IntegerOps.Y_MAX, 0);
        int[] out = new int[x.length];
        Parallel.forRange(x.length / cols, 16, (from, to) -> {
            long[] e = new long[cols];
            for (int row = from; row < to; row++) {
                int base = row * cols;
                long max = Long.MIN_VALUE;
                for (int j = 0; j < cols; j++) {
                    max = Math.max(max, x[base + j]);
                }
                long sum = 0;
                for (int j = 0; j < cols; j++) {
                    long t = FixedPoint.roundShift((x[base + j] - max) * mx, sx, Rounding.HALF_UP);
                    e[j] = expOfNegative(-t, ln2, coeffs, f);
                    sum += e[j];
                }
                long den = sum << s;
                for (int j = 0; j < cols; j++) {
                    long y = zy + (2 * e[j] * m + den) / (2 * den);
                    out[base + j] = (int) Math.max(lo, Math.min(hi, y));
                }
            }
        });
        return Tensor.ofInts(out, shape);
    }

    /** e^(−u·2^−f)·2^f for u ≥ 0: u = z·ln2 + q, e^−q by Horner on the Taylor coefficients, then >> z. */
    private static long expOfNegative(long u, long ln2, long[] coeffs, int f) {
        long z = u / ln2;
        if (z > 62) {
            return 0;
        }
        long q = u - z * ln2;
        long h = coeffs[coeffs.length - 1];
        for (int k = coeffs.length - 2; k >= 0; k--) {
            h = coeffs[k] - ((q * h) >> f);
        }
        return h >> z;
    }

    /** ⌊√v⌋ for v ≥ 0: the double square root, then corrected so that r² ≤ v < (r + 1)². */
    static long floorSqrt(long v) {
        long r = (long) Math.sqrt((double) v);
        while (r * r > v) {
            r--;
        }
        while ((r + 1) * (r + 1) <= v) {
            r++;
        }
        return r;
    }

    static Tensor layerNorm(Node node, Tensor input) {
        Attributes a = node.attributes();
        long[] x = IntegerOps.longs(node, input);
        int[] shape = input.shape();
        int cols = shape[shape.length - 1];
        long zx = a.getLong(IntegerOps.X_ZERO_POINT, 0);
        int f = a.getInt(IntegerOps.FRAC_BITS, 0);
        long eps = a.getLong(IntegerOps.EPS_CODES, 0);
        int k = a.getInt(IntegerOps.SQRT_SHIFT, 0);
        long[] m = a.getLongs(IntegerOps.MULTIPLIER);
        long[] sh = a.getLongs(IntegerOps.SHIFT);
        long[] beta = a.getLongs(IntegerOps.BIAS_CODES);
        long zy = a.getLong(IntegerOps.Y_ZERO_POINT, 0);
        long lo = a.getLong(IntegerOps.Y_MIN, 0);
        long hi = a.getLong(IntegerOps.Y_MAX, 0);
        Rounding mode = IntegerOps.rounding(node);
        int[] out = new int[x.length];
        Parallel.forRange(x.length / cols, 16, (from, to) -> {
            for (int row = from; row < to; row++) {
                int base = row * cols;
                long s1 = 0;
                long s2 = 0;
                for (int j = 0; j < cols; j++) {
                    long v = x[base + j] - zx;
                    s1 += v;
                    s2 += v * v;
                }
                long sd = floorSqrt((cols * s2 - s1 * s1 + eps) << (2 * k));
                for (int j = 0; j < cols; j++) {
                    long r = Math.floorDiv((cols * (x[base + j] - zx) - s1) << (k + f), sd);
                    long y = zy + FixedPoint.roundShift(r * m[j] + beta[j], (int) sh[j], mode);
                    out[base + j] = (int) Math.max(lo, Math.min(hi, y));
                }
            }
        });
        return Tensor.ofInts(out, shape);
    }

    static Tensor gelu(Node node, Tensor input) {
        Attributes a = node.attributes();
        long[] x = IntegerOps.longs(node, input);
        int[] shape = input.shape();
        int axis = Math.floorMod(a.getInt(IntegerOps.Y_AXIS, -1), shape.length);
        long zx = a.getLong(IntegerOps.X_ZERO_POINT, 0);
        long[] mx = a.getLongs(IntegerOps.X_MULTIPLIER);
        long[] sx = a.getLongs(IntegerOps.X_SHIFT);
        int f = a.getInt(IntegerOps.FRAC_BITS, 0);
        long erfA = a.getLong(IntegerOps.ERF_A, 0);
        long erfB = a.getLong(IntegerOps.ERF_B, 0);
        long invSqrt2 = a.getLong(IntegerOps.INV_SQRT2_Q16, 0);
        Requant rq = Requant.of(node);
        int channels = shape[axis];
        int[] out = new int[x.length];
        Parallel.forRange(x.length, 1 << 14, (from, to) -> {
            for (int i = from; i < to; i++) {
                int c = mx.length == 1 ? 0 : channel(i, shape, axis, channels);
                long xf = FixedPoint.roundShift((x[i] - zx) * mx[c], (int) sx[c], Rounding.HALF_UP);
                long u = Math.min((Math.abs(xf) * invSqrt2) >> 16, erfB);
                long erf = (1L << f) - ((erfA * (erfB - u) * (erfB - u)) >> (2 * f));
                long g = (xf * ((1L << f) + Long.signum(xf) * erf)) >> (f + 1);
                out[i] = (int) rq.apply(g, 0);
            }
        });
        return Tensor.ofInts(out, shape);
    }
}
