package io.t2c.quant.algo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.autograd.Adam;
import io.t2c.graph.Attributes;
import io.t2c.quant.Granularity;
import io.t2c.quant.QuantContext;
import io.t2c.quant.QuantSpec;
import io.t2c.quant.Quantizer;
import io.t2c.quant.QuantizerRegistry;
import io.t2c.quant.Role;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AdaRoundTest {
    private static final double GAMMA = -0.1;
    private static final double ZETA = 1.1;

    private static Tensor gaussian(long seed, float sigma, int... shape) {
        Random r = new Random(seed);
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * sigma);
        }
        return Tensor.of(v, shape);
    }

    /** Calibrates a weight and returns its context in training or evaluation mode. */
    private static QuantContext calibrated(AdaRound q, Tensor w, int bits, boolean training) {
        QuantSpec template = QuantSpec.template(bits, true, q.granularity(Role.WEIGHT, w.rank()));
        var cal = q.calibrator(Role.WEIGHT, template);
        cal.observe(w);
        var c = cal.finish();
        return new QuantContext("w", Role.WEIGHT, c.spec(), c.extras(), Attributes.EMPTY, training, 0);
    }

    private static QuantContext withMode(QuantContext c, boolean training) {
        return new QuantContext(c.node(), c.role(), c.spec(), c.extras(), c.attributes(), training, c.seed());
    }

    private static double referenceH(double alpha) {
        return Math.max(0, Math.min(1, (ZETA - GAMMA) / (1 + Math.exp(-alpha)) + GAMMA));
    }

    @Test
    void softWeightAtInitializationEqualsTheFloatWeight() {
        Tensor w = gaussian(1, 0.2f, 8, 3, 3, 3);
        QuantContext c = calibrated(AdaRound.perChannel(), w, 4, true);
        float[] soft = AdaRound.perChannel().simulate(c, w).floats();
        float[] v = w.floats();
        var idx = c.spec().granularity().indexer(w.shape());
        int inside = 0;
        for (int i = 0; i < v.length; i++) {
            double code = v[i] / c.spec().scale()[idx.granule(i)];
            if (code >= c.spec().qmin() && code <= c.spec().qmax()) {
                inside++;
                assertEquals(v[i], soft[i], 1e-6, "element " + i);
            }
        }
        // The MSE search clips a few outliers only; the property must be checked on most of the tensor.
        assertTrue(inside > 0.9 * v.length, inside + " of " + v.length + " inside the range");
    }

    @Test
    void hardRoundingAtInitializationIsRoundHalfUp() {
        // Δ = 0.25 exactly, so the weights ±0.125, ±0.375 are exact ties that half-up rounds towards +∞.
        float[] v = {0.125f, -0.125f, 0.375f, -0.375f, 0.1f, -0.1f, 0.2f, -0.2f, 1.9f, -1.9f, 0.6f, -0.6f};
        Tensor w = Tensor.of(v, 2, 6);
        QuantSpec spec = QuantSpec.template(4, true, Granularity.perChannel(0))
                .withValues(new float[] {0.25f, 0.25f}, new int[] {0, 0});
        QuantContext c = new QuantContext("w", Role.WEIGHT, spec, Map.of(AdaRound.ALPHA, AdaRound.initialAlpha(spec, w)),
                Attributes.EMPTY, false, 0);
        AdaRound q = AdaRound.perChannel();
        float[] hard = q.simulate(c, w).floats();
        int[] codes = q.toInteger(c, w).ints();
        int[] expected = {1, 0, 2, -1, 0, 0, 1, -1, 7, -8, 2, -2};
        assertArrayEquals(expected, codes);
        for (int i = 0; i < v.length; i++) {
            assertEquals(expected[i] * 0.25f, hard[i], 0f, "element " + i);
        }
    }

    @Test
    void hardRoundingOfACalibratedWeightMatchesNearestRounding() {
        Tensor w = gaussian(2, 0.1f, 16, 32);
        QuantContext c = calibrated(AdaRound.perTensor(), w, 8, false);
        int[] codes = AdaRound.perTensor().toInteger(c, w).ints();
        float[] v = w.floats();
        QuantSpec spec = c.spec();
        for (int i = 0; i < v.length; i++) {
            double nearest = Math.floor((double) v[i] / spec.scale()[0] + 0.5);
            assertEquals(Math.max(spec.qmin(), Math.min(spec.qmax(), nearest)), codes[i], 0, "element " + i);
        }
    }

    @Test
    void betaIsTwentyDuringWarmUpThenDecaysLinearlyToTwo() {
        assertEquals(20, AdaRound.beta(0), 1e-12);
        assertEquals(20, AdaRound.beta(0.2), 1e-12);
        assertEquals(11, AdaRound.beta(0.6), 1e-12);
        assertEquals(2, AdaRound.beta(1.0), 1e-12);
    }

    private static double referenceRegularizer(float[] alpha, double lambda, double beta) {
        double total = 0;
        for (float a : alpha) {
            total += 1 - Math.pow(Math.abs(2 * referenceH(a) - 1), beta);
        }
        return lambda * total;
    }

    @Test
    void regularizerValueAndGradientMatchTheDefinition() {
        float[] alpha = {-3f, -0.8f, -0.1f, 0.05f, 0.4f, 1.3f, 2.2f, 5f};
        double lambda = 0.05f;
        Tensor at = Tensor.of(alpha.clone(), 2, 4);
        QuantSpec spec = QuantSpec.template(4, true, Granularity.perTensor()).withValues(new float[] {1}, new int[] {0});
        Attributes attrs = Attributes.of(AdaRound.WEIGHT_ATTRIBUTE, (float) lambda);
        AdaRound q = AdaRound.perTensor();
        double t = 0.6;
        Map<String, Tensor> grads = new HashMap<>();
        double value = q.regularize(new QuantContext("w", Role.WEIGHT, spec, Map.of(AdaRound.ALPHA, at), attrs, true, 0),
                t, grads);
        assertEquals(referenceRegularizer(alpha, lambda, 11), value, 1e-12);
        float[] g = grads.get(AdaRound.ALPHA).floats();
        for (int i = 0; i < alpha.length; i++) {
            float[] up = alpha.clone();
            float[] down = alpha.clone();
            up[i] += 1e-3f;
            down[i] -= 1e-3f;
            double fd = (referenceRegularizer(up, lambda, 11) - referenceRegularizer(down, lambda, 11))
                    / ((double) up[i] - down[i]);
            assertEquals(fd, g[i], 1e-3 * Math.max(1e-3, Math.abs(fd)), "element " + i);
        }
        // Adds into an existing gradient rather than replacing it.
        Map<String, Tensor> accumulated = new HashMap<>(Map.of(AdaRound.ALPHA, Tensor.of(new float[8], 2, 4)));
        accumulated.get(AdaRound.ALPHA).floats()[3] = 1f;
        q.regularize(new QuantContext("w", Role.WEIGHT, spec, Map.of(AdaRound.ALPHA, at), attrs, true, 0), t,
                accumulated);
        assertEquals(1f + g[3], accumulated.get(AdaRound.ALPHA).floats()[3], 1e-6);
    }

    @Test
    void noRegularizationDuringWarmUp() {
        QuantSpec spec = QuantSpec.template(4, true, Granularity.perTensor()).withValues(new float[] {1}, new int[] {0});
        Map<String, Tensor> grads = new HashMap<>();
        double value = AdaRound.perTensor().regularize(new QuantContext("w", Role.WEIGHT, spec,
                Map.of(AdaRound.ALPHA, Tensor.of(new float[] {0.3f, -0.2f}, 2)), Attributes.EMPTY, true, 0), 0.19, grads);
        assertEquals(0, value);
        assertTrue(grads.isEmpty());
    }

    @Test
    void perChannelScalesFollowEachChannelsRange() {
        float[] v = gaussian(5, 1f, 4, 64).floats();
        float[] magnitude = {0.01f, 0.1f, 1f, 10f};
        for (int i = 0; i < v.length; i++) {
            v[i] *= magnitude[i / 64];
        }
        Tensor w = Tensor.of(v, 4, 64);
        QuantContext c = calibrated(AdaRound.perChannel(), w, 8, false);
        float[] scale = c.spec().scale();
        assertEquals(4, scale.length);
        assertEquals(Granularity.perChannel(0), c.spec().granularity());
        for (int ch = 0; ch < 4; ch++) {
            double maxAbs = 0;
            for (int i = ch * 64; i < (ch + 1) * 64; i++) {
                maxAbs = Math.max(maxAbs, Math.abs(v[i]));
            }
            // The search only shrinks the min/max range, never widens it, and keeps at least 1 % of it.
            assertTrue(scale[ch] <= maxAbs / 127 * (1 + 1e-6) && scale[ch] >= 0.01 * maxAbs / 127, "channel " + ch);
        }
        assertEquals(100, scale[3] / scale[1], 30, "scales track the 100× magnitude ratio");
        assertEquals(1, calibrated(AdaRound.perTensor(), w, 8, false).spec().scale().length);
    }

    @Test
    void quantizesWeightsOnlyAndIsRegistered() {
        assertThrows(T2cException.class, () -> AdaRound.perChannel().granularity(Role.ACTIVATION, 4));
        Quantizer q = QuantizerRegistry.standard().get("adaround");
        assertEquals(java.util.List.of("alpha"), q.extras());
        assertEquals("adaround_tensor", QuantizerRegistry.standard().get("adaround_tensor").name());
    }

    /** Mean over samples of Σ over outputs of (x·(ŵ − w))², the reconstruction loss λ is calibrated against. */
    private static double outputError(float[] x, float[] w, float[] wq, int n, int in, int out, float[] gradWq) {
        double total = 0;
        for (int s = 0; s < n; s++) {
            for (int o = 0; o < out; o++) {
                double e = 0;
                for (int j = 0; j < in; j++) {
                    e += x[s * in + j] * ((double) wq[o * in + j] - w[o * in + j]);
                }
                total += e * e;
                if (gradWq != null) {
                    for (int j = 0; j < in; j++) {
                        gradWq[o * in + j] += (float) (2 * e * x[s * in + j] / n);
                    }
                }
            }
        }
        return total / n;
    }

    @Test
    void learnedRoundingIsBinaryAndBeatsRoundToNearestOnCorrelatedInputs() {
        int n = 256;
        int in = 32;
        int out = 8;
        // Strongly correlated inputs (a shared component per sample): rounding errors of neighbouring weights add up,
        // which rounding each weight to nearest ignores and AdaRound can exploit.
        Random r = new Random(7);
        float[] x = new float[n * in];
        for (int s = 0; s < n; s++) {
            double shared = r.nextGaussian();
            for (int j = 0; j < in; j++) {
                x[s * in + j] = (float) (shared + 0.3 * r.nextGaussian());
            }
        }
        Tensor w = gaussian(8, 0.3f, out, in);
        AdaRound q = AdaRound.perChannel();
        QuantContext soft = calibrated(q, w, 4, true);
        QuantContext hard = withMode(soft, false);
        float[] nearest = q.simulate(hard, w).floats();
        double nearestError = outputError(x, w.floats(), nearest, n, in, out, null);

        Tensor alpha = soft.extra(AdaRound.ALPHA);
        Adam adam = Adam.adam(0.01, 0.9, 0.999, 1e-8, 0);
        int steps = 2000;
        for (int step = 0; step < steps; step++) {
            float[] gradW = new float[out * in];
            outputError(x, w.floats(), q.simulate(soft, w).floats(), n, in, out, gradW);
            Map<String, Tensor> grads = new HashMap<>(q.backward(soft, w, Tensor.of(gradW, out, in)).parameters());
            q.regularize(soft, (double) step / steps, grads);
            adam.step(Map.of(AdaRound.ALPHA, alpha), grads);
        }

        int binary = 0;
        for (float a : alpha.floats()) {
            double h = AdaRound.h(a);
            if (h < 0.01 || h > 0.99) {
                binary++;
            }
        }
        assertTrue(binary >= 0.95 * alpha.size(), binary + " of " + alpha.size() + " h values near 0 or 1");
        double learnedError = outputError(x, w.floats(), q.simulate(hard, w).floats(), n, in, out, null);
        assertTrue(learnedError < 0.7 * nearestError, "AdaRound " + learnedError + " vs nearest " + nearestError);
    }
}
