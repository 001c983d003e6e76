package io.t2c.quant.algo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.quant.Calibrator;
import io.t2c.quant.Granularity;
import io.t2c.quant.QuantSpec;
import io.t2c.quant.Quantizer;
import io.t2c.quant.QuantizerRegistry;
import io.t2c.quant.Role;
import io.t2c.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PercentileTest {
    static QuantSpec calibrate(Quantizer q, QuantSpec template, Tensor... batches) {
        Calibrator cal = q.calibrator(Role.ACTIVATION, template);
        for (Tensor b : batches) {
            cal.observe(b);
        }
        return cal.finish().spec();
    }

    @Test
    void outliersAreClipped() {
        Random r = new Random(42);
        int n = 100000;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < 5; i++) {
            x[r.nextInt(n)] = 1000f;
            x[r.nextInt(n)] = -1000f;
        }
        QuantSpec template = QuantSpec.template(8, true, Granularity.perTensor());
        QuantSpec spec = calibrate(QuantizerRegistry.standard().get("percentile"), template, Tensor.of(x, 2, n / 2));
        // The 99.99th percentile of N(0,1) is 3.72; of 100000 values the ±1000 outliers are the top and bottom 5.
        assertTrue(spec.scale()[0] > 3.3 / 127 && spec.scale()[0] < 4.5 / 127, spec.toString());
        QuantSpec minmax = calibrate(QuantizerRegistry.standard().get("minmax"), template, Tensor.of(x, 2, n / 2));
        assertEquals(1000f / 127, minmax.scale()[0], 1e-4f);
    }

    @Test
    void percentilesInterpolateOrderStatistics() {
        // Values 0..10000 in scrambled order: the 0.01st percentile is 1 and the 99.99th is 9999, exactly.
        int n = 10001;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (i * 7919) % n;
        }
        QuantSpec spec = calibrate(QuantizerRegistry.standard().get("percentile"),
                QuantSpec.template(8, true, Granularity.perTensor()), Tensor.of(x, 1, n));
        assertEquals(9999.0 / 127, spec.scale()[0], 1e-4);
        QuantSpec median = calibrate(Percentile.of("p75", Granularity.Kind.TENSOR, 75),
                QuantSpec.template(8, false, Granularity.perTensor()), Tensor.of(x, 1, n));
        // [2500, 7500] widened to hold zero: [0, 7500].
        assertEquals(7500.0 / 255, median.scale()[0], 1e-4);
    }
}
