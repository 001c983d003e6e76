package io.t2c.convert;

import io.t2c.quant.Rounding;
import io.t2c.tensor.T2cException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;

/**
 * Fixed-point requantization arithmetic (docs/NUMERICS.md): a positive real scale r becomes an integer multiplier M
 * and a right shift s with {@code r ≈ M·2^−s}, and {@code roundShift(v, s)} divides by 2^s with an explicit rounding
 * mode. The derivation is exact (BigDecimal on the float scales, which are dyadic rationals), so the same scales
 * always give the same M and s on every machine.
 */
public final class FixedPoint {
    /** Largest shift: the product acc·M is held in a long, so a shift of 63 or more would only ever give 0 or −1. */
    public static final int MAX_SHIFT = 62;
    /** Products acc·M (summed over operands) must stay below 2^62, leaving a bit for rounding's added half. */
    static final long PRODUCT_LIMIT = 1L << 62;

    private FixedPoint() {}

    /** r ≈ multiplier·2^−shift, multiplier in [2^(wordBits−2), 2^(wordBits−1)). */
    public record Multiplier(long multiplier, int shift) {}

    /** The exact real value of Δa·Δb/Δc for float scales (each float is a dyadic rational, so this is exact). */
    public static BigDecimal ratio(double numeratorA, double numeratorB, double denominator) {
        BigDecimal num = new BigDecimal(numeratorA).multiply(new BigDecimal(numeratorB));
        return divide(num, new BigDecimal(denominator));
    }

    /** num/den to 80 significant digits: far more than any 31-bit multiplier can see. */
    static BigDecimal divide(BigDecimal num, BigDecimal den) {
        return num.divide(den, new java.math.MathContext(80, RoundingMode.HALF_EVEN));
    }

    /**
     * M and s for one real scale r > 0 and a signed multiplier word of {@code wordBits} (32 or 16): write
     * r = m·2^k with m in [0.5, 1); M = round_half_up(m·2^(wordBits−1)), which lies in [2^(wordBits−2),
     * 2^(wordBits−1)]; when it reaches 2^(wordBits−1) it is halved and k grows by one; s = wordBits − 1 − k.
     * Then |r − M·2^−s| ≤ 2^−(s+1): M carries wordBits − 1 significant bits of r.
     */
    public static Multiplier multiplierAndShift(BigDecimal r, int wordBits) {
        return sharedShift(new BigDecimal[] {r}, new long[] {0}, wordBits)[0];
    }

    /**
     * Multipliers for several real scales that share one shift (operands of an add that are summed before the single
     * rounding): the largest scale gets a full {@code wordBits}-bit multiplier, the others the same shift. When
     * {@code Σ bound_i·M_i} would reach 2^62 the shift is lowered until it does not (bounds 0 are ignored).
     */
    public static Multiplier[] sharedShift(BigDecimal[] reals, long[] bounds, int wordBits) {
        if (wordBits < 2 || wordBits > 32) {
            throw new T2cException("requantization multiplier word length must be 2 to 32 bits, got " + wordBits);
        }
        BigDecimal largest = BigDecimal.ZERO;
        for (BigDecimal r : reals) {
            if (r.signum() < 0) {
                throw new T2cException("requantization scale must not be negative, got " + r);
            }
            largest = largest.max(r);
        }
        if (largest.signum() == 0) {
            throw new T2cException("requantization scale is zero");
        }
        int shift = wordBits - 1 - exponent(largest);
        long cap = 1L << (wordBits - 1);
        while (true) {
            long[] m = new long[reals.length];
            boolean tooWide = false;
            long total = 0;
            boolean overflows = false;
            for (int i = 0; i < reals.length; i++) {
                m[i] = scaleAndRound(reals[i], shift);
                tooWide |= m[i] >= cap;
                if (bounds[i] > 0 && (m[i] > 0 && bounds[i] > (PRODUCT_LIMIT - total) / m[i])) {
                    overflows = true;
                } else {
                    total += bounds[i] * m[i];
                }
            }
            if (!tooWide && !overflows) {
                if (shift < 0 || shift > MAX_SHIFT) {
                    throw new T2cException("requantization scale " + largest.round(new java.math.MathContext(6))
                            + " needs a shift of " + shift + ", outside 0.." + MAX_SHIFT
                            + "; the layer's scales are degenerate (recalibrate)");
                }
                Multiplier[] out = new Multiplier[reals.length];
                for (int i = 0; i < reals.length; i++) {
                    out[i] = new Multiplier(m[i], shift);
                }
                return out;
            }
            shift--;
        }
    }

    /**
     * Multipliers for the terms of one sum (IntAdd's operands): each first gets the full word length on its own,
     * then all move to the largest of those shifts (a multiplier becomes m·2^k), so the terms add before one
     * rounding and a fine operand keeps its precision: under one shared shift a term 2^20 times finer than the other
     * kept 11 bits of multiplier. Where the aligned products could reach 2^62, the shared shift is used instead.
     */
    public static Multiplier[] alignedShift(BigDecimal[] reals, long[] bounds, int wordBits) {
        Multiplier[] own = new Multiplier[reals.length];
        int shift = Integer.MIN_VALUE;
        for (int i = 0; i < reals.length; i++) {
            if (reals[i].signum() != 0) {
                own[i] = sharedShift(new BigDecimal[] {reals[i]}, new long[] {bounds[i]}, wordBits)[0];
                shift = Math.max(shift, own[i].shift());
            }
        }
        if (shift == Integer.MIN_VALUE) {
            return sharedShift(reals, bounds, wordBits);
        }
        Multiplier[] aligned = new Multiplier[reals.length];
        BigInteger total = BigInteger.ZERO;
        for (int i = 0; i < reals.length; i++) {
            BigInteger m = own[i] == null ? BigInteger.ZERO
                    : BigInteger.valueOf(own[i].multiplier()).shiftLeft(shift - own[i].shift());
            total = total.add(m.multiply(BigInteger.valueOf(bounds[i])));
            if (m.bitLength() > 62 || total.compareTo(BigInteger.valueOf(PRODUCT_LIMIT)) >= 0) {
                return sharedShift(reals, bounds, wordBits);
            }
            aligned[i] = new Multiplier(m.longValueExact(), shift);
        }
        return aligned;
    }

    /** k with 2^(k−1) ≤ r < 2^k, i.e. r = m·2^k with m in [0.5, 1). */
    static int exponent(BigDecimal r) {
        int k = Math.getExponent(r.doubleValue()) + 1;
        while (r.compareTo(pow2(k)) >= 0) {
            k++;
        }
        while (r.compareTo(pow2(k - 1)) < 0) {
            k--;
        }
        return k;
    }

    private static long scaleAndRound(BigDecimal r, int shift) {
        BigDecimal scaled = shift >= 0 ? r.multiply(new BigDecimal(BigInteger.ONE.shiftLeft(shift)))
                : r.divide(new BigDecimal(BigInteger.ONE.shiftLeft(-shift)));
        return scaled.setScale(0, RoundingMode.HALF_UP).longValueExact();
    }

    static BigDecimal pow2(int k) {
        return k >= 0 ? new BigDecimal(BigInteger.ONE.shiftLeft(k)) : BigDecimal.ONE.divide(
                new BigDecimal(BigInteger.ONE.shiftLeft(-k)));
    }

    /**
     * v / 2^s rounded by {@code mode}, for 0 ≤ s ≤ 62 and |v| < 2^62 (the converter proves the bound). Half-up adds
     * half and shifts (ties towards +∞); half-away does that on |v|; half-even looks at the dropped bits; floor is
     * the arithmetic shift.
     */
    public static long roundShift(long v, int s, Rounding mode) {
        if (s == 0) {
            return v;
        }
        long half = 1L << (s - 1);
        return switch (mode) {
            case HALF_UP -> (v + half) >> s;
            case FLOOR -> v >> s;
            case HALF_AWAY -> v >= 0 ? (v + half) >> s : -((-v + half) >> s);
            case HALF_EVEN -> {
                long q = v >> s;
                long dropped = v & ((1L << s) - 1);
                yield dropped > half || dropped == half && (q & 1) != 0 ? q + 1 : q;
            }
        };
    }

    /**
     * round(b / scale) half-even in double: the bias's code at the accumulator's scale Δx·Δw. Codes up to 2^52 are
     * kept (doubles hold those integers exactly; a layer whose input range is nearly zero can need 2^50 steps, and
     * then accumulates in int64); beyond, the scales are degenerate.
     */
    public static long biasCode(float bias, double accumulatorScale) {
        double q = Math.rint(bias / accumulatorScale);
        if (Math.abs(q) > (1L << 52)) {
            throw new T2cException("bias " + bias + " is " + q + " accumulator steps: scales are degenerate");
        }
        return (long) q;
    }
}
