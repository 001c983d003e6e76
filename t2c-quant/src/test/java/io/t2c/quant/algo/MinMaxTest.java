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
import java.util.Random;
import org.junit.jupiter.api.Test;

class MinMaxTest {
    @Test
    void perChannelActivationRangesAreEachChannelsOwnAcrossTheBatch() {
        // (B=2, C=3, H=2, W=2); channel c holds values in ±(c + 1), and the extremes sit in sample 1 only.
        int b = 2;
        int c = 3;
        int hw = 4;
        float[] v = new float[b * c * hw];
        Random r = new Random(7);
        for (int s = 0; s < b; s++) {
            for (int ch = 0; ch < c; ch++) {
                for (int k = 0; k < hw; k++) {
                    v[(s * c + ch) * hw + k] = (float) ((r.nextDouble() - 0.5) * (ch + 1));
                }
            }
        }
        for (int ch = 0; ch < c; ch++) {
            v[(c + ch) * hw] = -(ch + 1);
            v[(c + ch) * hw + 1] = ch + 1;
        }
        Tensor x = Tensor.of(v, b, c, 2, 2);
        var q = QuantizerRegistry.standard().get("minmax_channel");
        Granularity g = q.granularity(Role.ACTIVATION, 4);
        assertEquals(Granularity.perChannel(1), g);
        Calibrator cal = q.calibrator(Role.ACTIVATION, QuantSpec.template(8, true, g));
        cal.observe(x);
        QuantSpec spec = cal.finish().spec();
        for (int ch = 0; ch < c; ch++) {
            assertEquals((ch + 1) / 127f, spec.scale()[ch], 1e-7f, "channel " + ch);
        }
        // Each channel's extreme maps to exactly ±127 in its own channel.
        int[] codes = FakeQuant.toInteger(spec, x).ints();
        for (int ch = 0; ch < c; ch++) {
            assertArrayEquals(new int[] {-127, 127}, new int[] {codes[(c + ch) * hw], codes[(c + ch) * hw + 1]});
        }
    }

    /**
     * An asymmetric activation range puts its minimum exactly on a code and still covers its maximum: a normalized
     * Fashion-MNIST image (background −0.2860/0.3530, half the pixels) at 4 and 8 bits. Plain rounding of the zero
     * point left the 4-bit background at −0.7556, which alone costs the float ResNet-20 2.8 points.
     */
    @Test
    void asymmetricRangeKeepsItsMinimumExactlyOnTheGrid() {
        float background = -0.2860f / 0.3530f;
        float brightest = (1f - 0.2860f) / 0.3530f;
        Random r = new Random(8);
        float[] v = new float[2 * 64];
        for (int i = 0; i < v.length; i++) {
            v[i] = i % 2 == 0 ? background : background + r.nextFloat() * (brightest - background);
        }
        v[1] = brightest;
        Tensor x = Tensor.of(v, 2, 1, 8, 8);
        for (int bits : new int[] {4, 8}) {
            Calibrator cal = QuantizerRegistry.standard().get("minmax_exact_min").calibrator(Role.ACTIVATION,
                    QuantSpec.template(bits, false, Granularity.perTensor()));
            cal.observe(x);
            QuantSpec spec = cal.finish().spec();
            float[] back = FakeQuant.simulate(spec, x).floats();
            assertEquals(background, back[0], 1e-6f, bits + "-bit background");
            assertEquals(brightest, back[1], spec.scale()[0] / 2 + 1e-6f, bits + "-bit brightest pixel");
            assertTrue(spec.zeroPoint()[0] * spec.scale()[0] >= -background - 1e-6f, bits + "-bit zero point");
        }
        // Plain minmax rounds the zero point: at 4 bits the background lands 0.055 off its value.
        Calibrator plain = QuantizerRegistry.standard().get("minmax").calibrator(Role.ACTIVATION,
                QuantSpec.template(4, false, Granularity.perTensor()));
        plain.observe(x);
        assertEquals(-0.7556f, FakeQuant.simulate(plain.finish().spec(), x).floats()[0], 1e-3f);
    }

    @Test
    void binaryWeightScaleIsTheMeanMagnitude() {
        Tensor w = Tensor.of(new float[] {-1f, 3f, -2f, 2f}, 2, 2);
        var q = QuantizerRegistry.standard().get("minmax");
        Calibrator cal = q.calibrator(Role.WEIGHT, QuantSpec.template(1, true, Granularity.perTensor()));
        cal.observe(w);
        assertEquals(2f, cal.finish().spec().scale()[0]);
    }
}
