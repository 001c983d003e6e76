package io.t2c.quant.algo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.autograd.Adam;
import io.t2c.autograd.Backprop;
import io.t2c.graph.Attributes;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.Value;
import io.t2c.graph.op.OpRegistry;
import io.t2c.quant.Calibrator;
import io.t2c.quant.FakeQuantOp;
import io.t2c.quant.Granularity;
import io.t2c.quant.QuantSpec;
import io.t2c.quant.Quantizer;
import io.t2c.quant.QuantizerRegistry;
import io.t2c.quant.Role;
import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LsqTest {
    static Tensor gaussian(long seed, double sigma, int... shape) {
        Random r = new Random(seed);
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (sigma * r.nextGaussian());
        }
        return Tensor.of(v, shape);
    }

    @Test
    void weightStepGovernsItsWholeGranule() {
        QuantSpec spec = QuantSpec.template(8, true, Granularity.perChannel(0))
                .withValues(new float[] {0.01f, 0.02f, 0.03f}, new int[3]);
        double[] g = Lsq.gradientScales(Role.WEIGHT, spec, new int[] {3, 5, 2});
        for (double gi : g) {
            assertEquals(1 / Math.sqrt(10.0 * 127), gi, 1e-15);
        }
        QuantSpec perTensor = QuantSpec.template(8, true, Granularity.perTensor()).withValues(new float[] {1}, new int[1]);
        assertEquals(1 / Math.sqrt(30.0 * 127), Lsq.gradientScales(Role.WEIGHT, perTensor, new int[] {3, 5, 2})[0]);
        assertEquals(1 / Math.sqrt(10.0 * 127), Lsq.gradientScales(Role.ACTIVATION, perTensor, new int[] {3, 5, 2})[0]);
    }

    @Test
    void learnedStepLowersTheReconstructionErrorThroughBackpropAndAdam() {
        // x → FakeQuant(lsq, 3-bit) → y; loss = mean (y − x)². Start from the min/max step, which clips nothing and
        // is far too coarse for 3 bits; Adam on the step must find a finer one.
        Tensor x = gaussian(9, 1.0, 16, 64);
        QuantSpec template = QuantSpec.template(3, true, Granularity.perTensor());
        Calibrator minmax = QuantizerRegistry.standard().get("minmax").calibrator(Role.ACTIVATION, template);
        minmax.observe(x);
        QuantSpec start = minmax.finish().spec();
        Tensor scale = Tensor.of(start.scale().clone(), 1);
        Map<String, Tensor> init = Map.of("scale", scale, "zero_point", Tensor.ofInts(new int[1], 1));
        List<Node> nodes = List.of(
                new Node("q", FakeQuantOp.NAME, List.of("x", "scale", "zero_point"), List.of("y"),
                        FakeQuantOp.attributes("lsq", Role.ACTIVATION, template, List.of())),
                new Node("err", "Sub", List.of("y", "x"), List.of("e"), Attributes.EMPTY),
                new Node("sq", "Mul", List.of("e", "e"), List.of("e2"), Attributes.EMPTY),
                new Node("mean", "ReduceMean", List.of("e2"), List.of("loss"), Attributes.of("keepdims", 0L)));
        Graph g = new Graph("lsq_toy", List.of(new Value("x", DType.FLOAT32, new int[] {16, 64})),
                List.of(new Value("loss", DType.FLOAT32, new int[0])), nodes, init, Map.of());
        Adam adam = Adam.adam(0.01, 0.9, 0.999, 1e-8, 0);
        double first = Double.NaN;
        double last = Double.NaN;
        for (int step = 0; step < 150; step++) {
            Backprop.Result r = Backprop.run(g, OpRegistry.standard(), Map.of("x", x), "loss", List.of("scale"));
            last = r.outputs().get("loss").floats()[0];
            if (step == 0) {
                first = last;
            }
            adam.step(Map.of("scale", scale), r.gradients());
        }
        assertTrue(scale.floats()[0] < 0.75 * start.scale()[0], "step " + start.scale()[0] + " → " + scale.floats()[0]);
        assertTrue(last < 0.6 * first, "loss " + first + " → " + last);
    }

    @Test
    void tokenStepsArePerTokenAndPerSample() {
        // (B=2, T=2, C=64): sample 1's token 0 spans ±100, everything else ±1.
        Tensor base = gaussian(4, 0.4, 2, 2, 64);
        float[] wide = base.floats().clone();
        for (int k = 0; k < 64; k++) {
            wide[(1 * 2 + 0) * 64 + k] *= 250;
        }
        QuantSpec template = QuantSpec.template(8, true, Granularity.perToken(1));
        Quantizer lsqToken = QuantizerRegistry.standard().get("lsq_token");
        assertEquals(Granularity.perToken(1), lsqToken.granularity(Role.ACTIVATION, 3));
        QuantSpec narrowSpec = calibrateOn(lsqToken, template, base);
        QuantSpec wideSpec = calibrateOn(lsqToken, template, Tensor.of(wide, 2, 2, 64));
        // Token 1 does not see sample 1's token 0.
        assertEquals(narrowSpec.scale()[1], wideSpec.scale()[1]);
        // Token 0's step is the search over token 0 of both samples.
        float[] token0 = new float[128];
        System.arraycopy(wide, 0, token0, 0, 64);
        System.arraycopy(wide, 128, token0, 64, 64);
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (float v : token0) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        QuantSpec single = QuantSpec.template(8, true, Granularity.perTensor());
        assertEquals(Mse.search(single, token0, lo, hi).scale(), wideSpec.scale()[0]);
        assertTrue(wideSpec.scale()[0] > 50 * wideSpec.scale()[1], wideSpec.toString());
        // Each token's step governs one token's 64 features per sample.
        for (double g : Lsq.gradientScales(Role.ACTIVATION, wideSpec, new int[] {2, 2, 64})) {
            assertEquals(1 / Math.sqrt(64.0 * 127), g, 1e-15);
        }
    }

    static QuantSpec calibrateOn(Quantizer q, QuantSpec template, Tensor x) {
        Calibrator c = q.calibrator(Role.ACTIVATION, template);
        c.observe(x);
        return c.finish().spec();
    }
}
