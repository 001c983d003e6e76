package io.t2c.quant.algo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

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

    @Test
    void binaryWeightScaleIsTheMeanMagnitude() {
        Tensor w = Tensor.of(new float[] {-1f, 3f, -2f, 2f}, 2, 2);
        var q = QuantizerRegistry.standard().get("minmax");
        Calibrator cal = q.calibrator(Role.WEIGHT, QuantSpec.template(1, true, Granularity.perTensor()));
        cal.observe(w);
        assertEquals(2f, cal.finish().spec().scale()[0]);
    }
}
