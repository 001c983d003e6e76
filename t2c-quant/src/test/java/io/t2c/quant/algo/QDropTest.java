package io.t2c.quant.algo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.t2c.graph.Attributes;
import io.t2c.quant.FakeQuant;
import io.t2c.quant.Granularity;
import io.t2c.quant.QuantContext;
import io.t2c.quant.QuantSpec;
import io.t2c.quant.Quantizer;
import io.t2c.quant.QuantizerRegistry;
import io.t2c.quant.Role;
import io.t2c.tensor.Tensor;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QDropTest {
    static final QuantSpec SPEC = QuantSpec.template(4, true, Granularity.perTensor())
            .withValues(new float[] {0.5f}, new int[] {0});
    static final Quantizer QDROP = QuantizerRegistry.standard().get("qdrop");
    static final Quantizer LSQ = QuantizerRegistry.standard().get("lsq");

    /** Values a quarter step off the grid, some beyond the range: quantization always changes them. */
    static Tensor offGrid(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (((i % 41) - 20 + 0.25) * 0.5);
        }
        return Tensor.of(v, 1, n);
    }

    static QuantContext context(String node, boolean training, long seed, Attributes attributes) {
        return new QuantContext(node, Role.ACTIVATION, SPEC, Map.of(), attributes, training, seed);
    }

    static boolean[] dropped(Tensor x, Tensor y) {
        boolean[] d = new boolean[x.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = x.floats()[i] == y.floats()[i];
        }
        return d;
    }

    static double fraction(boolean[] d) {
        int n = 0;
        for (boolean b : d) {
            n += b ? 1 : 0;
        }
        return (double) n / d.length;
    }

    @Test
    void dropsQuantizationWithProbabilityDropProb() {
        int n = 100000;
        Tensor x = offGrid(n);
        for (double p : new double[] {0.1, 0.3, 0.5, 0.9}) {
            Tensor y = QDROP.simulate(context("q", true, 17, Attributes.of("drop_prob", p)), x);
            // Five standard deviations of a binomial fraction.
            assertEquals(p, fraction(dropped(x, y)), 5 * Math.sqrt(p * (1 - p) / n), "p = " + p);
        }
        Tensor byDefault = QDROP.simulate(context("q", true, 17, Attributes.EMPTY), x);
        assertEquals(0.5, fraction(dropped(x, byDefault)), 5 * Math.sqrt(0.25 / n));
        Tensor token = QuantizerRegistry.standard().get("qdrop_token").simulate(new QuantContext("q", Role.ACTIVATION,
                QuantSpec.template(4, true, Granularity.perToken(1)).withValues(new float[] {0.5f}, new int[1]),
                Map.of(), Attributes.of("drop_prob", 0.2), true, 17), Tensor.of(x.floats(), 1, 1, n));
        assertEquals(0.2, fraction(dropped(x, token)), 5 * Math.sqrt(0.16 / n), "qdrop_token honours drop_prob");
    }

    @Test
    void maskIsAFunctionOfSeedNodeAndIndex() {
        Tensor x = offGrid(4096);
        Tensor a = QDROP.simulate(context("q", true, 5, Attributes.EMPTY), x);
        Tensor b = QDROP.simulate(context("q", true, 5, Attributes.EMPTY), x);
        assertArrayEquals(a.floats(), b.floats());
        assertFalse(Arrays.equals(dropped(x, a), dropped(x, QDROP.simulate(context("q", true, 6, Attributes.EMPTY), x))));
        assertFalse(Arrays.equals(dropped(x, a), dropped(x, QDROP.simulate(context("r", true, 5, Attributes.EMPTY), x))));
        // An element's draw does not depend on the tensor's length.
        boolean[] prefix = dropped(offGrid(1000), QDROP.simulate(context("q", true, 5, Attributes.EMPTY), offGrid(1000)));
        assertArrayEquals(prefix, Arrays.copyOf(dropped(x, a), 1000));
    }

    @Test
    void evaluationIsPlainLsq() {
        Tensor x = offGrid(2000);
        Tensor gy = LsqTest.gaussian(3, 1.0, 1, 2000);
        QuantContext eval = context("q", false, 5, Attributes.of("drop_prob", 0.9));
        assertArrayEquals(LSQ.simulate(eval, x).floats(), QDROP.simulate(eval, x).floats());
        assertArrayEquals(LSQ.backward(eval, x, gy).x().floats(), QDROP.backward(eval, x, gy).x().floats());
        assertArrayEquals(LSQ.backward(eval, x, gy).parameters().get("scale").floats(),
                QDROP.backward(eval, x, gy).parameters().get("scale").floats());
    }

    @Test
    void gradientIsIdentityThroughDroppedAndSteThroughQuantizedElements() {
        Tensor x = offGrid(2000);
        Tensor gy = LsqTest.gaussian(3, 1.0, 1, 2000);
        QuantContext train = context("q", true, 8, Attributes.EMPTY);
        boolean[] dropped = dropped(x, QDROP.simulate(train, x));
        Quantizer.Gradients g = QDROP.backward(train, x, gy);
        float[] ste = FakeQuant.steGradient(SPEC, x, gy).floats();
        float[] onlyQuantized = gy.floats().clone();
        boolean clippedAndDropped = false;
        for (int i = 0; i < dropped.length; i++) {
            assertEquals(dropped[i] ? gy.floats()[i] : ste[i], g.x().floats()[i], "element " + i);
            clippedAndDropped |= dropped[i] && ste[i] == 0 && gy.floats()[i] != 0;
            if (dropped[i]) {
                onlyQuantized[i] = 0;
            }
        }
        assertEquals(true, clippedAndDropped, "some clipped elements are dropped and pass their gradient");
        float expected = FakeQuant.lsqScaleGradient(SPEC, x, Tensor.of(onlyQuantized, 1, 2000),
                1 / Math.sqrt(2000.0 * SPEC.qmax()))[0];
        assertEquals(expected, g.parameters().get("scale").floats()[0], 1e-6f * Math.abs(expected));
    }
}
