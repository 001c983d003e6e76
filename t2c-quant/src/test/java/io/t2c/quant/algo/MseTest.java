package io.t2c.quant.algo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.quant.Calibrator;
import io.t2c.quant.FakeQuant;
import io.t2c.quant.Granularity;
import io.t2c.quant.QuantSpec;
import io.t2c.quant.QuantizerRegistry;
import io.t2c.quant.Role;
import io.t2c.tensor.Tensor;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class MseTest {
    static float[] gaussian(long seed, int n, double mean) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (mean + r.nextGaussian());
        }
        return v;
    }

    /** The loss of candidate i written out in float64 from the formulas, sharing no code with the search. */
    static double bruteForceLoss(float[] x, double lo, double hi, int bits, boolean signed, int i) {
        double shrink = 1 - 0.01 * i;
        double l = lo * shrink;
        double h = hi * shrink;
        double delta;
        long zp = 0;
        long qmin;
        long qmax;
        if (signed) {
            qmin = -(1L << (bits - 1));
            qmax = (1L << (bits - 1)) - 1;
            delta = Math.max(Math.abs(l), Math.abs(h)) / qmax;
        } else {
            qmin = 0;
            qmax = (1L << bits) - 1;
            l = Math.min(l, 0);
            h = Math.max(h, 0);
            delta = (h - l) / qmax;
            zp = Math.max(qmin, Math.min(qmax, -Math.round(Math.rint(l / delta))));
        }
        double sum = 0;
        for (float v : x) {
            double q = Math.max(qmin, Math.min(qmax, Math.rint(v / delta) + zp));
            sum += Math.pow(Math.abs((q - zp) * delta - v), 2.4);
        }
        return sum / x.length;
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void searchReturnsTheArgminOfTheHundredCandidates(boolean signed) {
        int bits = 4;
        float[] x = gaussian(11, 5000, signed ? 0 : 1);
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (float v : x) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        Mse.Choice choice = Mse.search(QuantSpec.template(bits, signed, Granularity.perTensor()), x, lo, hi);
        double best = Double.POSITIVE_INFINITY;
        int bestIndex = -1;
        for (int i = 0; i < 100; i++) {
            double loss = bruteForceLoss(x, lo, hi, bits, signed, i);
            if (loss < best) {
                best = loss;
                bestIndex = i;
            }
        }
        // Float32 scales may reorder candidates whose losses agree to ~1e-7; the choice must be as good as the best.
        double chosen = bruteForceLoss(x, lo, hi, bits, signed, choice.candidate());
        assertEquals(best, chosen, best * 1e-5, "chose " + choice.candidate() + ", brute force " + bestIndex);
        assertTrue(choice.candidate() > 0 && choice.candidate() < 99, "a 4-bit Gaussian clips some: " + choice);
        // The chosen range is kept, not the last candidate's.
        assertEquals(lo * (1 - 0.01 * choice.candidate()), choice.lo(), 1e-12);
        assertEquals(hi * (1 - 0.01 * choice.candidate()), choice.hi(), 1e-12);
    }

    @Test
    void unsignedAsymmetricRangeKeepsItsNegativeLowerBound() {
        // Torch2Chip's search subtracts the zero point, so this tensor reconstructs to positive values only.
        float[] x = gaussian(3, 20000, 0.5);
        double trueMin = Arrays.stream(box(x)).mapToDouble(Float::doubleValue).min().orElseThrow();
        Tensor t = Tensor.of(x, 4, 5000);
        Calibrator cal = QuantizerRegistry.standard().get("mse")
                .calibrator(Role.ACTIVATION, QuantSpec.template(8, false, Granularity.perTensor()));
        cal.observe(t);
        QuantSpec spec = cal.finish().spec();
        assertTrue(spec.zeroPoint()[0] > 0, "lo < 0 needs a positive zero point: " + spec);
        float[] y = FakeQuant.simulate(spec, t).floats();
        double reconstructedMin = Arrays.stream(box(y)).mapToDouble(Float::doubleValue).min().orElseThrow();
        assertTrue(reconstructedMin < 0.8 * trueMin, "min " + reconstructedMin + " vs true " + trueMin);
        assertTrue(reconstructedMin >= trueMin - spec.scale()[0], "min " + reconstructedMin + " vs true " + trueMin);
    }

    @Test
    void perChannelSearchesEachChannelAlone() {
        float[] w = new float[3 * 64];
        for (int c = 0; c < 3; c++) {
            float[] channel = gaussian(20 + c, 64, 0);
            for (int k = 0; k < 64; k++) {
                w[c * 64 + k] = channel[k] * (c + 1) * (c + 1);
            }
        }
        QuantSpec template = QuantSpec.template(4, true, Granularity.perChannel(0));
        Calibrator cal = QuantizerRegistry.standard().get("mse_channel").calibrator(Role.WEIGHT, template);
        cal.observe(Tensor.of(w, 3, 64));
        QuantSpec spec = cal.finish().spec();
        QuantSpec single = QuantSpec.template(4, true, Granularity.perTensor());
        for (int c = 0; c < 3; c++) {
            float[] channel = Arrays.copyOfRange(w, c * 64, c * 64 + 64);
            double lo = Arrays.stream(box(channel)).mapToDouble(Float::doubleValue).min().orElseThrow();
            double hi = Arrays.stream(box(channel)).mapToDouble(Float::doubleValue).max().orElseThrow();
            assertEquals(Mse.search(single, channel, lo, hi).scale(), spec.scale()[c], "channel " + c);
        }
    }

    @Test
    void sampleIsBoundedAndDeterministic() {
        float[] x = gaussian(5, ObservedValues.MAX_PER_GRANULE + 50000, 0);
        ObservedValues a = new ObservedValues(Granularity.perTensor());
        ObservedValues b = new ObservedValues(Granularity.perTensor());
        for (ObservedValues o : new ObservedValues[] {a, b}) {
            int half = x.length / 2;
            o.observe(Tensor.of(Arrays.copyOf(x, half), half));
            o.observe(Tensor.of(Arrays.copyOfRange(x, half, x.length), x.length - half));
        }
        assertEquals(ObservedValues.MAX_PER_GRANULE, a.sample(0).length);
        assertArrayEquals(a.sample(0), b.sample(0));
        // Late values made it into the sample: it is not just the first MAX_PER_GRANULE arrivals.
        assertTrue(!Arrays.equals(a.sample(0), Arrays.copyOf(x, ObservedValues.MAX_PER_GRANULE)));
        double lo = Arrays.stream(box(x)).mapToDouble(Float::doubleValue).min().orElseThrow();
        assertEquals(lo, a.min(0));
    }

    static Float[] box(float[] v) {
        Float[] out = new Float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }
}
