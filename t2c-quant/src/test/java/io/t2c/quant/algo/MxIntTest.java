package io.t2c.quant.algo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.graph.Attributes;
import io.t2c.quant.Granularity;
import io.t2c.quant.QuantContext;
import io.t2c.quant.QuantSpec;
import io.t2c.quant.QuantizerRegistry;
import io.t2c.quant.Role;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MxIntTest {
    private final MxInt mx = new MxInt();

    private static float[] gaussian(long seed, int n) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    private QuantContext calibrate(Role role, Tensor x) {
        var cal = mx.calibrator(role, QuantSpec.template(8, true, mx.granularity(role, x.rank())));
        cal.observe(x);
        return new QuantContext("x", role, cal.finish().spec(), Map.of(), Attributes.EMPTY, false, 0);
    }

    @Test
    void weightBlocksRunAlongTheFlattenedReductionDimension() {
        // (O, I, kh, kw) = (2, 8, 3, 3): 72 inputs per output channel, blocks of 32, 32 and 8.
        float[] v = gaussian(1, 2 * 72);
        v[40] = 100;  // output channel 0, second block (reduction index 40)
        QuantSpec spec = calibrate(Role.WEIGHT, Tensor.of(v, 2, 8, 3, 3)).spec();
        assertEquals(Granularity.perGroup(1, 32), spec.granularity());
        assertEquals(6, spec.scale().length);
        assertEquals(Math.scalb(1f, 6 - 6), spec.scale()[1], 0f, "block holding 100: e = floor(log2 100) = 6");
        for (int g : new int[] {0, 2, 3, 4, 5}) {
            assertTrue(spec.scale()[g] <= Math.scalb(1f, 2 - 6), "block " + g + " keeps its own small scale");
        }
        assertTrue(spec.powerOfTwo() && spec.narrow());
    }

    @Test
    void everyScaleIsThePowerOfTwoOfTheBlockMaximum() {
        float[] v = gaussian(2, 4 * 96);
        for (int i = 0; i < v.length; i++) {
            v[i] *= (float) Math.pow(10, (i / 32) % 5 - 2);  // blocks spanning five decades
        }
        Tensor w = Tensor.of(v, 4, 96);
        QuantSpec spec = calibrate(Role.WEIGHT, w).spec();
        for (int g = 0; g < spec.scale().length; g++) {
            float s = spec.scale()[g];
            assertEquals(s, Math.scalb(1f, Math.getExponent(s)), 0f, "block " + g + " scale " + s);
            double maxAbs = 0;
            for (int i = g * 32; i < g * 32 + 32; i++) {
                maxAbs = Math.max(maxAbs, Math.abs(v[i]));
            }
            // max|x| / Δ lies in [64, 128): the block maximum uses the top binade of the int8 element.
            assertTrue(maxAbs / s >= 64 && maxAbs / s < 128, "block " + g + ": " + maxAbs / s);
        }
    }

    @Test
    void codesStayWithinPlusMinus127AndReconstructWithinHalfAStep() {
        float[] v = gaussian(3, 8 * 64);
        for (int i = 0; i < v.length; i++) {
            v[i] *= 0.5f;  // keeps the planted maxima below the largest block's binade [1, 2)
        }
        v[5] = -1.999f;   // −1.999/2^−6 = −127.9: rounds to −128, which the symmetric range clips to −127
        v[70] = 1.995f;
        Tensor w = Tensor.of(v, 8, 64);
        QuantContext c = calibrate(Role.WEIGHT, w);
        int[] codes = mx.toInteger(c, w).ints();
        float[] y = mx.simulate(c, w).floats();
        var idx = c.spec().granularity().indexer(w.shape());
        for (int i = 0; i < v.length; i++) {
            assertTrue(codes[i] >= -127 && codes[i] <= 127, "code " + codes[i]);
            double step = c.spec().scale()[idx.granule(i)];
            double saturated = Math.abs(v[i]) / step >= 127.5 ? step : step / 2;
            assertTrue(Math.abs(y[i] - v[i]) <= saturated, "element " + i);
        }
        assertEquals(-127, codes[5]);
        assertEquals(127, codes[70]);
    }

    @Test
    void tiesRoundAwayFromZero() {
        float[] v = new float[32];
        v[0] = 1;            // e = 0, Δ = 2^−6
        v[1] = 0.5f / 64;    // half a step
        v[2] = -0.5f / 64;
        v[3] = 2.5f / 64;
        Tensor x = Tensor.of(v, 1, 32);
        int[] codes = mx.toInteger(calibrate(Role.WEIGHT, x), x).ints();
        assertArrayEquals(new int[] {64, 1, -1, 3}, java.util.Arrays.copyOf(codes, 4));
    }

    @Test
    void anAllZeroBlockQuantizesToZeroWithoutNaN() {
        float[] v = gaussian(4, 64);
        java.util.Arrays.fill(v, 32, 64, 0f);
        Tensor w = Tensor.of(v, 1, 64);
        QuantContext c = calibrate(Role.WEIGHT, w);
        assertTrue(Float.isFinite(c.spec().scale()[1]) && c.spec().scale()[1] > 0);
        float[] y = mx.simulate(c, w).floats();
        for (int i = 32; i < 64; i++) {
            assertEquals(0f, y[i]);
        }
        for (float f : y) {
            assertTrue(Float.isFinite(f));
        }
    }

    @Test
    void activationBlocksAreRecomputedPerSampleAlongTheLastAxis() {
        float[] v = gaussian(5, 2 * 3 * 64);
        Tensor x = Tensor.of(v, 2, 3, 64);
        QuantContext c = calibrate(Role.ACTIVATION, x);
        assertEquals(Granularity.perGroup(2, 32), c.spec().granularity());
        float[] before = mx.simulate(c, x).floats();
        // Scaling sample 1 by 1000 must not change how sample 0 is quantized, and sample 1 follows its own range.
        float[] louder = v.clone();
        for (int i = 192; i < 384; i++) {
            louder[i] *= 1000;
        }
        float[] after = mx.simulate(c, Tensor.of(louder, 2, 3, 64)).floats();
        for (int i = 0; i < 192; i++) {
            assertEquals(before[i], after[i], 0f);
        }
        for (int i = 192; i < 384; i++) {
            double blockMax = 0;
            for (int j = i / 32 * 32; j < i / 32 * 32 + 32; j++) {
                blockMax = Math.max(blockMax, Math.abs(louder[j]));
            }
            // Δ ≤ max/64, so half a step is at most max/128.
            assertEquals(louder[i], after[i], blockMax / 128, "sample 1 element " + i);
        }
        assertThrows(T2cException.class, () -> mx.granularity(Role.ACTIVATION, 4));
    }

    @Test
    void isRegistered() {
        assertEquals("mxint", QuantizerRegistry.standard().get("mxint").name());
    }
}
