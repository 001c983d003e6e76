package io.t2c.quant;

import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.Arrays;

/**
 * The arithmetic every quantizer shares: quantize, dequantize, fake-quantize (both at once) and the gradients of
 * fake quantization — the straight-through estimator for x and the LSQ gradient for the step size. Plain loops over
 * the spec's granules; a quantizer with different rounding (AdaRound) or a random mask (QDrop) builds on these.
 */
public final class FakeQuant {
    private FakeQuant() {}

    /** {@code (clamp(round(x/Δ)+zp) − zp)·Δ} element by element. */
    public static Tensor simulate(QuantSpec spec, Tensor x) {
        requireCalibrated(spec);
        float[] in = x.floats();
        float[] out = new float[in.length];
        spec.granularity().forEachRun(x.shape(), (g, from, to) -> {
            for (int i = from; i < to; i++) {
                out[i] = spec.dequantize(spec.quantize(in[i], g), g);
            }
        });
        return Tensor.of(out, x.shape());
    }

    /** The codes {@code clamp(round(x/Δ)+zp)} as an INT32 tensor of x's shape. */
    public static Tensor toInteger(QuantSpec spec, Tensor x) {
        requireCalibrated(spec);
        float[] in = x.floats();
        int[] out = new int[in.length];
        spec.granularity().forEachRun(x.shape(), (g, from, to) -> {
            for (int i = from; i < to; i++) {
                out[i] = spec.quantize(in[i], g);
            }
        });
        return Tensor.ofInts(out, x.shape());
    }

    /** Codes back to reals: {@code (q − zp)·Δ}. */
    public static Tensor dequantize(QuantSpec spec, Tensor q) {
        requireCalibrated(spec);
        if (q.dtype() != DType.INT32) {
            throw new T2cException("dequantize expects INT32 codes, got " + q.dtype());
        }
        int[] in = q.ints();
        float[] out = new float[in.length];
        Granularity.Indexer idx = spec.granularity().indexer(q.shape());
        for (int i = 0; i < in.length; i++) {
            int g = idx.granule(i);
            out[i] = spec.dequantize(in[i], g);
        }
        return Tensor.of(out, q.shape());
    }

    /**
     * Straight-through estimator: the gradient passes where the unclamped code {@code round(x/Δ)+zp} lies inside
     * [qmin, qmax] and is zero where the clamp cut it off (binary weights: where |x| ≤ Δ).
     */
    public static Tensor steGradient(QuantSpec spec, Tensor x, Tensor gradY) {
        requireCalibrated(spec);
        float[] in = x.floats();
        float[] gy = gradY.floats();
        float[] gx = new float[in.length];
        spec.granularity().forEachRun(x.shape(), (g, from, to) -> {
            for (int i = from; i < to; i++) {
                gx[i] = inRange(spec, in[i], g) ? gy[i] : 0f;
            }
        });
        return Tensor.of(gx, x.shape());
    }

    /** True when x's unclamped code lies inside the representable range. */
    static boolean inRange(QuantSpec spec, float x, int g) {
        double v = (double) x / spec.scale()[g];
        if (spec.bits() == 1) {
            return Math.abs(v) <= 1;
        }
        double code = spec.rounding().round(v) + spec.zeroPoint()[g];
        return code >= spec.qmin() && code <= spec.qmax();
    }

    /**
     * LSQ's gradient of the loss with respect to each granule's step size Δ (Esser et al., 2020, eq. 3), multiplied
     * by {@code gradScale}: for each element, {@code ∂ŷ/∂Δ} is {@code round(v) − v} inside the range and the clamp
     * bound {@code qmin − zp} or {@code qmax − zp} outside it, with {@code v = x/Δ}.
     */
    public static float[] lsqScaleGradient(QuantSpec spec, Tensor x, Tensor gradY, double gradScale) {
        double[] perGranule = new double[spec.scale().length];
        Arrays.fill(perGranule, gradScale);
        return lsqScaleGradient(spec, x, gradY, perGranule);
    }

    /** {@link #lsqScaleGradient(QuantSpec, Tensor, Tensor, double)} with one gradient scale per granule. */
    public static float[] lsqScaleGradient(QuantSpec spec, Tensor x, Tensor gradY, double[] gradScale) {
        requireCalibrated(spec);
        float[] in = x.floats();
        float[] gy = gradY.floats();
        double[] acc = new double[spec.scale().length];
        Granularity.Indexer idx = spec.granularity().indexer(x.shape());
        for (int i = 0; i < in.length; i++) {
            int g = idx.granule(i);
            double v = (double) in[i] / spec.scale()[g];
            int zp = spec.zeroPoint()[g];
            double code = spec.rounding().round(v) + zp;
            double d;
            if (spec.bits() == 1) {
                d = in[i] < 0 ? -1 : 1;  // binary: x̂ = ±Δ, so ∂x̂/∂Δ is the sign
            } else if (code < spec.qmin()) {
                d = spec.qmin() - zp;
            } else if (code > spec.qmax()) {
                d = spec.qmax() - zp;
            } else {
                d = code - zp - v;
            }
            acc[g] += d * gy[i];
        }
        float[] out = new float[acc.length];
        for (int g = 0; g < out.length; g++) {
            out[g] = (float) (acc[g] * gradScale[g]);
        }
        return out;
    }

    static void requireCalibrated(QuantSpec spec) {
        if (!spec.calibrated()) {
            throw new T2cException("quantizer used before calibration: " + spec);
        }
    }
}
