package io.t2c.quant;

import io.t2c.tensor.T2cException;

/**
 * Scale and zero point from a real range [lo, hi], the rule every range-based calibrator shares. Signed: symmetric,
 * Δ = max(|lo|, |hi|) / qmax and zp = 0, so +max maps exactly to qmax (Torch2Chip divides by 127.5 instead and clips
 * +max). Unsigned: the range is widened to hold 0, Δ = (hi − lo) / (qmax − qmin) and zp = qmin − round(lo / Δ), so
 * 0 is exactly representable. Power-of-two scales round Δ up to 2^k, so the range is still covered.
 */
public final class Ranges {
    private Ranges() {}

    /** Fills scale[g] and zeroPoint[g] of a template from granule g's observed range. */
    public static void choose(QuantSpec template, double lo, double hi, float[] scale, int[] zeroPoint, int g) {
        if (Double.isNaN(lo) || Double.isNaN(hi) || Double.isInfinite(lo) || Double.isInfinite(hi)) {
            throw new T2cException("cannot calibrate on non-finite values (range [" + lo + ", " + hi + "])");
        }
        double delta;
        int zp = 0;
        if (template.signed()) {
            delta = Math.max(Math.abs(lo), Math.abs(hi)) / template.qmax();
        } else {
            lo = Math.min(lo, 0);
            hi = Math.max(hi, 0);
            delta = (hi - lo) / (template.qmax() - template.qmin());
        }
        if (!(delta > 0)) {
            delta = 1;  // an all-zero granule: any step represents it exactly
        }
        if (template.powerOfTwo()) {
            delta = powerOfTwoAtLeast(delta);
        }
        if (!template.signed()) {
            zp = (int) Math.max(template.qmin(), Math.min(template.qmax(),
                    template.qmin() - template.rounding().round(lo / delta)));
        }
        scale[g] = (float) delta;
        zeroPoint[g] = zp;
    }

    /**
     * As {@link #choose}, but an asymmetric range (unsigned codes with a zero point) whose lower end {@code lo} is
     * below zero gets a step widened just enough that {@code lo} is exactly a code: {@code k = floor(−lo/Δ)} steps
     * below zero, {@code Δ' = −lo/k ≥ Δ}, so {@code hi} stays covered. An activation's minimum is often shared by
     * many elements (a normalized image's background: half of Fashion-MNIST's pixels); a grid that misses it moves
     * all of them by the same amount, which no later layer averages away. Power-of-two steps and ranges within one
     * step of zero keep {@link #choose}'s result.
     */
    public static void chooseExactLow(QuantSpec template, double lo, double hi, float[] scale, int[] zeroPoint,
                                      int g) {
        choose(template, lo, hi, scale, zeroPoint, g);
        if (template.signed() || template.powerOfTwo() || !(lo < 0)) {
            return;
        }
        long k = (long) Math.floor(-lo / scale[g]);
        if (k >= 1 && template.qmin() + k <= template.qmax()) {
            scale[g] = (float) (-lo / k);
            zeroPoint[g] = (int) (template.qmin() + k);
        }
    }

    /** The smallest 2^k ≥ v. */
    public static double powerOfTwoAtLeast(double v) {
        double p = Math.pow(2, Math.ceil(Math.log(v) / Math.log(2)));
        return p < v ? p * 2 : p;
    }
}
