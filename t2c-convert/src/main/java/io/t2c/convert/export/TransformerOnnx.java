package io.t2c.convert.export;

import static io.t2c.convert.export.FixedPointOnnx.floorDiv;
import static io.t2c.convert.export.FixedPointOnnx.scalar;

import io.t2c.convert.IntegerOps;
import io.t2c.graph.Attributes;
import io.t2c.io.onnx.OnnxBuilder;
import io.t2c.quant.Rounding;
import io.t2c.tensor.T2cException;

/**
 * IntSoftmax, IntLayerNorm and IntGelu of the exact export as INT64 ONNX ops, transcribed from
 * {@link io.t2c.convert.ReferenceExecutor} step by step. Every division of values that may be negative is a floor
 * division ({@link FixedPointOnnx#floorDiv}); each method takes {@code x − zx} as INT64 and returns the clamped codes
 * as INT64.
 */
final class TransformerOnnx {
    private static final int INT64 = 7;
    private static final int DOUBLE = 11;
    private static final int UINT64 = 13;
    private static final Attributes LAST_AXIS = Attributes.of("axes", new long[] {-1}, "keepdims", 1L);

    private TransformerOnnx() {}

    /**
     * Softmax over the last axis: t = roundShift((x − max)·Mx, sx) at 2^−F, z = ⌊−t / ln2⌋, q = −t − z·ln2,
     * h = c_n, h = c_k − ⌊q·h / 2^F⌋ down to k = 0, e = ⌊h / 2^z⌋ (0 for z ≥ 63),
     * y = clamp(zy + round_half_up(e·M / (Σe·2^s))).
     */
    static String softmax(OnnxBuilder b, String x, Attributes a) {
        String max = b.node("ReduceMax", LAST_AXIS, x);
        String product = b.node("Mul", b.node("Sub", x, max), scalar(b, "x_multiplier",
                a.getLongs(IntegerOps.X_MULTIPLIER)[0]));
        String t = FixedPointOnnx.roundShift(b, product, new int[] {(int) a.getLongs(IntegerOps.X_SHIFT)[0]},
                Rounding.HALF_UP, new int[] {1});
        String ln2 = scalar(b, "exp_ln2", a.getLong(IntegerOps.EXP_LN2, 0));
        String u = b.node("Neg", t);
        String z = floorDiv(b, u, ln2);
        String q = b.node("Sub", u, b.node("Mul", z, ln2));
        long[] coeffs = a.getLongs(IntegerOps.EXP_COEFFS);
        String unit = scalar(b, "two_to_frac_bits", 1L << a.getInt(IntegerOps.FRAC_BITS, 0));
        String h = scalar(b, "exp_c" + (coeffs.length - 1), coeffs[coeffs.length - 1]);
        for (int k = coeffs.length - 2; k >= 0; k--) {
            h = b.node("Sub", scalar(b, "exp_c" + k, coeffs[k]), floorDiv(b, b.node("Mul", q, h), unit));
        }
        String e = b.node("Where", b.node("Greater", z, scalar(b, "max_exponent", 62)), scalar(b, "zero", 0),
                floorDiv(b, h, powerOfTwo(b, FixedPointOnnx.atMost(b, z, 62))));
        String sum = b.node("ReduceSum", Attributes.of("keepdims", 1L), e, scalar(b, "axes", -1));
        String den = b.node("Mul", sum, scalar(b, "two_to_s", 1L << a.getLongs(IntegerOps.SHIFT)[0]));
        String codes = FixedPointOnnx.divideHalfUp(b, b.node("Mul", e, scalar(b, "multiplier",
                a.getLongs(IntegerOps.MULTIPLIER)[0])), den);
        return FixedPointOnnx.clamp(b, b.node("Add", codes, scalar(b, "y_zero_point", a.getLong(IntegerOps.Y_ZERO_POINT,
                0))), a.getLong(IntegerOps.Y_MIN, 0), a.getLong(IntegerOps.Y_MAX, 0));
    }

    /**
     * 2^z for INT64 z in [0, 62] by BitShift, which ONNX Runtime runs on unsigned types only. z ≥ 0 here: t ≤ 0
     * (x − max ≤ 0, a positive multiplier, and half-up rounding of a non-positive product is ≤ 0) and ln2 > 0.
     */
    private static String powerOfTwo(OnnxBuilder b, String z) {
        String shifted = b.node("BitShift", Attributes.of("direction", "LEFT"), cast(b, scalar(b, "one", 1), UINT64),
                cast(b, z, UINT64));
        return cast(b, shifted, INT64);
    }

    /**
     * LayerNorm over the last axis (D = {@code width}): s1 = Σv, s2 = Σv², sd = ⌊√((D·s2 − s1² + ε)·4^k)⌋,
     * r = ⌊(D·v − s1)·2^(k+F) / sd⌋, y = clamp(zy + roundShift(r·M_c + β_c, s_c)). {@code maxAbs} bounds |v|.
     */
    static String layerNorm(OnnxBuilder b, String v, int width, long maxAbs, Attributes a, String label) {
        int k = a.getInt(IntegerOps.SQRT_SHIFT, 0);
        long eps = a.getLong(IntegerOps.EPS_CODES, 0);
        // The radicand is at most (D²·max|v|² + ε)·4^k (D·s2 − s1² ≤ D·s2); below 2^62 isqrt is exact (see there).
        double bound = ((double) width * width * maxAbs * maxAbs + eps) * Math.pow(4, k);
        if (bound >= 0x1p62) {
            throw new T2cException("node " + label + " (IntLayerNorm): the variance times 4^" + k + " may reach "
                    + bound + ", beyond the 2^62 for which the exported integer square root is exact");
        }
        String s1 = b.node("ReduceSum", Attributes.of("keepdims", 1L), v, scalar(b, "axes", -1));
        String s2 = b.node("ReduceSum", Attributes.of("keepdims", 1L), b.node("Mul", v, v), scalar(b, "axes", -1));
        String d = scalar(b, "width", width);
        String variance = b.node("Add", b.node("Sub", b.node("Mul", d, s2), b.node("Mul", s1, s1)),
                scalar(b, "eps_codes", eps));
        String sd = isqrt(b, b.node("Mul", variance, scalar(b, "four_to_k", 1L << (2 * k))));
        String centered = b.node("Sub", b.node("Mul", d, v), s1);
        String r = floorDiv(b, b.node("Mul", centered, scalar(b, "two_to_k_f",
                1L << (k + a.getInt(IntegerOps.FRAC_BITS, 0)))), sd);
        int[] channels = {width};
        String acc = b.node("Add", b.node("Mul", r, FixedPointOnnx.longs(b, "multiplier",
                a.getLongs(IntegerOps.MULTIPLIER), channels)), FixedPointOnnx.longs(b, "bias_codes",
                a.getLongs(IntegerOps.BIAS_CODES), channels));
        return FixedPointOnnx.shiftToCodes(b, acc, a.getInts(IntegerOps.SHIFT, null),
                Rounding.parse(a.getString(IntegerOps.ROUNDING, "half-up")), a.getLong(IntegerOps.Y_ZERO_POINT, 0),
                a.getLong(IntegerOps.Y_MIN, 0), a.getLong(IntegerOps.Y_MAX, 0), channels);
    }

    /**
     * ⌊√v⌋ for INT64 0 ≤ v < 2^62 without an integer square root op: Sqrt in DOUBLE, truncated, then one step down
     * when r² > v and one step up when (r + 1)² ≤ v. The double root is within 1 of √v: below 2^53 v converts
     * exactly and Sqrt rounds correctly (error ≤ 2^−22); above, v converts within 2^9, moving √v by at most
     * 2^9 / (2·2^26.5) < 2^−18. So the truncation is ⌊√v⌋ − 1, ⌊√v⌋ or ⌊√v⌋ + 1, which the two steps correct; r ≤
     * 2^31 keeps (r + 1)² inside INT64.
     */
    static String isqrt(OnnxBuilder b, String v) {
        String r = cast(b, b.node("Sqrt", cast(b, v, DOUBLE)), INT64);
        String one = scalar(b, "one", 1);
        String down = b.node("Sub", r, cast(b, b.node("Greater", b.node("Mul", r, r), v), INT64));
        String next = b.node("Add", down, one);
        return b.node("Add", down, cast(b, b.node("Not", b.node("Greater", b.node("Mul", next, next), v)),
                INT64));
    }

    /**
     * I-BERT GELU: x_f = roundShift(v·Mx_c, sx_c) at 2^−F, u = min(⌊|x_f|·inv√2 / 2^16⌋, b),
     * erf = 2^F − ⌊a·(b − u)² / 2^2F⌋, g = ⌊x_f·(2^F + sign(x_f)·erf) / 2^(F+1)⌋, y = clamp(zy + roundShift(g·M, s))
     * with the first multiplier and shift, as the reference.
     */
    static String gelu(OnnxBuilder b, String v, Attributes a, int[] channelShape) {
        long one = 1L << a.getInt(IntegerOps.FRAC_BITS, 0);
        String xf = FixedPointOnnx.roundShift(b, b.node("Mul", v, FixedPointOnnx.longs(b, "x_multiplier",
                a.getLongs(IntegerOps.X_MULTIPLIER), channelShape)), a.getInts(IntegerOps.X_SHIFT, null),
                Rounding.HALF_UP, channelShape);
        String scaled = floorDiv(b, b.node("Mul", b.node("Abs", xf), scalar(b, "inv_sqrt2_q16",
                a.getLong(IntegerOps.INV_SQRT2_Q16, 0))), scalar(b, "two_to_16", 1L << 16));
        long erfB = a.getLong(IntegerOps.ERF_B, 0);
        String gap = b.node("Sub", scalar(b, "erf_b", erfB), FixedPointOnnx.atMost(b, scaled, erfB));
        String erf = b.node("Sub", scalar(b, "one", one), floorDiv(b, b.node("Mul", b.node("Mul", gap, gap),
                scalar(b, "erf_a", a.getLong(IntegerOps.ERF_A, 0))), scalar(b, "one_squared", one * one)));
        String factor = b.node("Add", scalar(b, "one", one), b.node("Mul", b.node("Sign", xf), erf));
        String g = floorDiv(b, b.node("Mul", xf, factor), scalar(b, "two_one", 2 * one));
        return FixedPointOnnx.requantize(b, g, new long[] {a.getLongs(IntegerOps.MULTIPLIER)[0]},
                new int[] {a.getInts(IntegerOps.SHIFT, null)[0]}, Rounding.parse(a.getString(IntegerOps.ROUNDING,
                "half-up")), a.getLong(IntegerOps.Y_ZERO_POINT, 0), a.getLong(IntegerOps.Y_MIN, 0),
                a.getLong(IntegerOps.Y_MAX, 0), new int[] {1});
    }

    /** Cast to an ONNX element type number: DOUBLE and UINT64 have no DType. */
    private static String cast(OnnxBuilder b, String v, int onnxType) {
        return b.node("Cast", Attributes.of("to", onnxType), v);
    }
}
