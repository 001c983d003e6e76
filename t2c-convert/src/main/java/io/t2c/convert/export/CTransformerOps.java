package io.t2c.convert.export;

import io.t2c.convert.IntegerOps;

/**
 * C for the transformer non-linearities, transcribed from {@code ReferenceExecutor} step by step (docs/NUMERICS.md,
 * "Transformer non-linearities"): IntSoftmax (I-BERT i-exp per row), IntLayerNorm (integer mean and variance, the
 * digit-by-digit square root, one per-channel requantization for γ and β) and IntGelu (I-BERT i-erf per element).
 * Every division is a floor division and every rounding the reference's; all in int64_t.
 */
final class CTransformerOps {
    private CTransformerOps() {}

    static void softmax(CNode c) {
        int[] s = c.inShape(0);
        int cols = s[s.length - 1];
        int rows = CNode.size(s) / cols;
        long mx = c.longs(IntegerOps.X_MULTIPLIER)[0];
        long sx = c.longs(IntegerOps.X_SHIFT)[0];
        long m = c.longs(IntegerOps.MULTIPLIER)[0];
        long shift = c.longs(IntegerOps.SHIFT)[0];
        String x = c.in(0);
        c.loop("row", rows);
        c.line("int64_t e[" + cols + "];");
        c.line("int64_t max = " + x + "[row * " + cols + "];");
        c.line("int64_t sum = 0;");
        c.loop("j", cols);
        c.open("if (" + x + "[row * " + cols + " + j] > max)");
        c.line("max = " + x + "[row * " + cols + " + j];");
        c.close().close();
        c.loop("j", cols);
        c.line("/* t = (x - max) at 2^-frac_bits; -t = z * ln2 + q with q in [0, ln2); e = e^-q (Horner) / 2^z */");
        c.line("int64_t t = t2c_round_shift_half_up(((int64_t)" + x + "[row * " + cols + " + j] - max) * "
                + CSource.lit(mx) + ", " + sx + ");");
        long ln2 = c.a.getLong(IntegerOps.EXP_LN2, 0);
        c.line("int64_t z = t2c_floor_div(-t, " + CSource.lit(ln2) + ");");
        c.line("int64_t q = -t - z * " + CSource.lit(ln2) + ";");
        long[] coeffs = c.a.getLongs(IntegerOps.EXP_COEFFS);
        int f = c.a.getInt(IntegerOps.FRAC_BITS, 0);
        c.line("int64_t h = " + CSource.lit(coeffs[coeffs.length - 1]) + ";");
        for (int k = coeffs.length - 2; k >= 0; k--) {
            c.line("h = " + CSource.lit(coeffs[k]) + " - t2c_floor_div(q * h, " + CSource.lit(1L << f) + ");");
        }
        c.line("e[j] = z >= 63 ? 0 : t2c_floor_div(h, (int64_t)1 << (z < 62 ? z : 62));");
        c.line("sum += e[j];");
        c.close();
        c.loop("j", cols);
        c.line("int64_t q = t2c_div_half_up(e[j] * " + CSource.lit(m) + ", sum * " + CSource.lit(1L << shift) + ");");
        c.line("y[row * " + cols + " + j] = (" + c.outType() + ")t2c_clamp("
                + CSource.lit(c.a.getLong(IntegerOps.Y_ZERO_POINT, 0)) + " + q, "
                + CSource.lit(c.a.getLong(IntegerOps.Y_MIN, 0)) + ", " + CSource.lit(c.a.getLong(IntegerOps.Y_MAX, 0))
                + ");");
        c.close();
        c.close();
    }

    static void layerNorm(CNode c) {
        int[] s = c.inShape(0);
        int d = s[s.length - 1];
        int rows = CNode.size(s) / d;
        long zx = c.a.getLong(IntegerOps.X_ZERO_POINT, 0);
        int f = c.a.getInt(IntegerOps.FRAC_BITS, 0);
        int k = c.a.getInt(IntegerOps.SQRT_SHIFT, 0);
        CNode.Param m = c.param("multiplier", c.longs(IntegerOps.MULTIPLIER));
        CNode.Param sh = c.param("shift", c.longs(IntegerOps.SHIFT));
        CNode.Param beta = c.param("bias_codes", c.longs(IntegerOps.BIAS_CODES));
        String mode = c.rounding();
        String x = c.in(0);
        c.loop("row", rows);
        c.line("int64_t s1 = 0;");
        c.line("int64_t s2 = 0;");
        c.line("int64_t variance;");
        c.line("int64_t sd;");
        c.loop("j", d);
        c.line("int64_t v = " + CNode.centered(x + "[row * " + d + " + j]", zx) + ";");
        c.line("s1 += v;");
        c.line("s2 += v * v;");
        c.close();
        c.line("/* D^2 times the variance in codes^2, plus D^2 eps; sd = floor(sqrt(variance * 4^k)) */");
        c.line("variance = " + d + " * s2 - s1 * s1 + " + CSource.lit(c.a.getLong(IntegerOps.EPS_CODES, 0)) + ";");
        c.line("sd = t2c_isqrt(variance * " + CSource.lit(1L << (2 * k)) + ");");
        c.open("if (sd == 0)");
        c.line("return T2C_ERR_DIVISION;");
        c.close();
        c.loop("j", d);
        c.line("int64_t centered = " + d + " * " + CNode.centered(x + "[row * " + d + " + j]", zx) + " - s1;");
        c.line("int64_t r = t2c_floor_div(centered * " + CSource.lit(1L << (k + f)) + ", sd); /* at 2^-"
                + f + " */");
        c.line("int64_t acc = r * " + m.at("j") + " + " + beta.at("j") + ";");
        c.line("y[row * " + d + " + j] = (" + c.outType() + ")t2c_clamp("
                + CSource.lit(c.a.getLong(IntegerOps.Y_ZERO_POINT, 0)) + " + t2c_round_shift_" + mode + "(acc, "
                + sh.at("j") + "), " + CSource.lit(c.a.getLong(IntegerOps.Y_MIN, 0)) + ", "
                + CSource.lit(c.a.getLong(IntegerOps.Y_MAX, 0)) + ");");
        c.close();
        c.close();
    }

    static void gelu(CNode c) {
        int[] s = c.inShape(0);
        int axis = Math.floorMod(c.a.getInt(IntegerOps.Y_AXIS, -1), s.length);
        long[] mxValues = c.longs(IntegerOps.X_MULTIPLIER);
        CNode.Param mx = c.param("x_multiplier", mxValues);
        CNode.Param sx = c.param("x_shift", c.longs(IntegerOps.X_SHIFT));
        long one = 1L << c.a.getInt(IntegerOps.FRAC_BITS, 0);
        long erfA = c.a.getLong(IntegerOps.ERF_A, 0);
        long erfB = c.a.getLong(IntegerOps.ERF_B, 0);
        // The reference's output requantization uses the first multiplier and shift.
        long m = c.longs(IntegerOps.MULTIPLIER)[0];
        long shift = c.longs(IntegerOps.SHIFT)[0];
        String x = c.in(0);
        boolean perChannel = mxValues.length > 1 && (mx.perChannel() || sx.perChannel());
        c.loop("i", CNode.size(s));
        if (perChannel) {
            c.line("int c = " + CNode.channelOf("i", s, axis) + ";");
        }
        String ch = perChannel ? "c" : "0";
        c.line("/* x at 2^-frac_bits; erf(|x|/sqrt2) = 1 - a (b - u)^2 with u = min(|x|/sqrt2, b); g = x (1 + erf) / 2 */");
        c.line("int64_t xf = t2c_round_shift_half_up(" + CNode.centered(x + "[i]", c.a.getLong(IntegerOps.X_ZERO_POINT, 0))
                + " * " + mx.at(ch) + ", " + sx.at(ch) + ");");
        c.line("int64_t u = t2c_floor_div((xf < 0 ? -xf : xf) * " + CSource.lit(c.a.getLong(IntegerOps.INV_SQRT2_Q16, 0))
                + ", " + CSource.lit(1L << 16) + ");");
        c.line("int64_t erf;");
        c.line("int64_t g;");
        c.open("if (u > " + CSource.lit(erfB) + ")");
        c.line("u = " + CSource.lit(erfB) + ";");
        c.close();
        c.line("erf = " + CSource.lit(one) + " - t2c_floor_div(" + CSource.lit(erfA) + " * ((" + CSource.lit(erfB)
                + " - u) * (" + CSource.lit(erfB) + " - u)), " + CSource.lit(one * one) + ");");
        c.line("g = t2c_floor_div(xf * (" + CSource.lit(one) + " + (xf > 0 ? erf : (xf < 0 ? -erf : 0))), "
                + CSource.lit(2 * one) + ");");
        c.line("y[i] = (" + c.outType() + ")t2c_requant_" + c.rounding() + "(g, " + CSource.lit(m) + ", " + shift
                + ", " + CSource.lit(c.a.getLong(IntegerOps.Y_ZERO_POINT, 0)) + ", "
                + CSource.lit(c.a.getLong(IntegerOps.Y_MIN, 0)) + ", " + CSource.lit(c.a.getLong(IntegerOps.Y_MAX, 0))
                + ");");
        c.close();
    }
}
