package io.t2c.quant;

import io.t2c.tensor.T2cException;
import java.util.Arrays;

/**
 * How the integers of one tensor are read (DESIGN.md §3): {@code bits} wide, signed or not (narrow drops the most
 * negative code, for a range symmetric about zero), one {@link #scale} Δ and {@link #zeroPoint} per granule, an
 * explicit rounding mode, optionally power-of-two scales.
 *
 * <p>Quantize: {@code q = clamp(round(x / Δ) + zp, qmin, qmax)} with the division and rounding in double precision;
 * dequantize: {@code (q − zp)·Δ}. Δ is stored, never 1/Δ. A spec whose {@link #scale} is null is a template: the
 * quantizer's kind before calibration has chosen the values.
 */
public record QuantSpec(int bits, boolean signed, boolean narrow, Granularity granularity, Rounding rounding,
                        boolean powerOfTwo, float[] scale, int[] zeroPoint) {
    public QuantSpec {
        if (bits < 1 || bits > 16) {
            throw new T2cException("bit width must be 1 to 16, got " + bits);
        }
        if (bits == 1 && !signed) {
            throw new T2cException("1-bit quantization is binary (±Δ) and must be signed");
        }
        if ((scale == null) != (zeroPoint == null) || scale != null && scale.length != zeroPoint.length) {
            throw new T2cException("scale and zero point must come together, one per granule");
        }
    }

    /** A template: everything but the values. */
    public static QuantSpec template(int bits, boolean signed, Granularity g) {
        return new QuantSpec(bits, signed, false, g, Rounding.HALF_EVEN, false, null, null);
    }

    public QuantSpec withValues(float[] newScale, int[] newZeroPoint) {
        return new QuantSpec(bits, signed, narrow, granularity, rounding, powerOfTwo, newScale, newZeroPoint);
    }

    public QuantSpec withRounding(Rounding r) {
        return new QuantSpec(bits, signed, narrow, granularity, r, powerOfTwo, scale, zeroPoint);
    }

    public QuantSpec withPowerOfTwo(boolean p) {
        return new QuantSpec(bits, signed, narrow, granularity, rounding, p, scale, zeroPoint);
    }

    public QuantSpec withNarrow(boolean n) {
        return new QuantSpec(bits, signed, n, granularity, rounding, powerOfTwo, scale, zeroPoint);
    }

    public boolean calibrated() {
        return scale != null;
    }

    /** Smallest code: −2^(b−1) (or −2^(b−1)+1 when narrow) signed, 0 unsigned; −1 for binary. */
    public int qmin() {
        if (bits == 1) {
            return -1;
        }
        return signed ? -(1 << (bits - 1)) + (narrow ? 1 : 0) : 0;
    }

    /** Largest code: 2^(b−1)−1 signed, 2^b−1 unsigned; +1 for binary. */
    public int qmax() {
        if (bits == 1) {
            return 1;
        }
        return signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
    }

    /** The code of x in a granule. Binary (1-bit) maps to ±1 by sign (0 → +1). */
    public int quantize(float x, int granule) {
        if (bits == 1) {
            return x < 0 ? -1 : 1;
        }
        double r = rounding.round((double) x / scale[granule]) + zeroPoint[granule];
        return (int) Math.max(qmin(), Math.min(qmax(), r));
    }

    public float dequantize(int q, int granule) {
        return (float) ((double) (q - zeroPoint[granule]) * scale[granule]);
    }

    /** The nearest power of two to Δ in the log domain, 2^round(log2 Δ): the scale a shifter can apply. */
    public static float nearestPowerOfTwo(float delta) {
        if (!(delta > 0) || !Float.isFinite(delta)) {
            throw new T2cException("scale must be positive and finite, got " + delta);
        }
        return (float) Math.pow(2, Math.rint(Math.log(delta) / Math.log(2)));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof QuantSpec s && bits == s.bits && signed == s.signed && narrow == s.narrow
                && granularity.equals(s.granularity) && rounding == s.rounding && powerOfTwo == s.powerOfTwo
                && Arrays.equals(scale, s.scale) && Arrays.equals(zeroPoint, s.zeroPoint);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * bits + granularity.hashCode()) + Arrays.hashCode(scale);
    }

    @Override
    public String toString() {
        return (signed ? "int" : "uint") + bits + (narrow ? " narrow" : "") + " per " + granularity.id()
                + (granularity.kind() == Granularity.Kind.TENSOR ? "" : "(axis " + granularity.axis()
                + (granularity.kind() == Granularity.Kind.GROUP ? ", " + granularity.groupSize() : "") + ")")
                + " " + rounding.id() + (powerOfTwo ? " pow2" : "")
                + (scale == null ? " (uncalibrated)" : scale.length == 1 ? " Δ=" + scale[0] + " zp=" + zeroPoint[0]
                : " " + scale.length + " scales");
    }
}
