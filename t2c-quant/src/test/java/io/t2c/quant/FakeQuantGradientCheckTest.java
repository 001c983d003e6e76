package io.t2c.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.autograd.Backprop;
import io.t2c.graph.Attributes;
import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.Value;
import io.t2c.graph.op.OpRegistry;
import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The FakeQuant op's gradients, through {@link Backprop} (the path training and reconstruction use), against float64
 * references written here from the defining formulas — the t2c-quant counterpart of t2c-graph's
 * {@code GradientCheckTest}. One node {@code y = FakeQuant(x, Δ, zp[, α])}, loss Σ r·y with seeded random r:
 * <ul>
 *   <li>forward: our float32 forward equals the float64 fake quantization (hard: {@code (clamp(rint(x/Δ) + zp) −
 *       zp)·Δ}; AdaRound training: {@code (clamp(floor(W/Δ) + h(α) + zp) − zp)·Δ}) within 1e-5·max|y| + 1e-6;</li>
 *   <li>x: the clipped straight-through estimator, r where {@code rint(x/Δ) + zp} lies in [qmin, qmax] and 0
 *       elsewhere (QDrop's dropped elements: r);</li>
 *   <li>Δ (LSQ, QDrop): Esser et al.'s eq. 3 times {@code g = 1/√(N·Qp)}, {@code Σ r·(rint(v) − v)} inside the range and
 *       the bound {@code qmin − zp} / {@code qmax − zp} outside, v = x/Δ, summed over the granule's quantized
 *       elements; N, the elements one step governs in one sample, is written in each case from its definition;</li>
 *   <li>α (AdaRound): central differences (h = 1e-6·(1 + |α|)) of the float64 soft forward with the rectified
 *       sigmoid {@code h(α) = clamp(σ(α)(ζ − γ) + γ, 0, 1)}, ζ = 1.1, γ = −0.1, skipping elements on the clamp's
 *       kink (code within 1e-3 of qmin or qmax), where the derivative is one-sided.</li>
 * </ul>
 * Tolerance 1e-4·max|g| + 1e-5 per parameter, as in {@code GradientCheckTest}: our backward rounds once to float32
 * after double accumulation, and the difference error is ~1e-10. Every registered quantizer must have a case.
 */
class FakeQuantGradientCheckTest {
    static final double GAMMA = -0.1;
    static final double ZETA = 1.1;

    /**
     * One quantizer position: x, its spec with values, AdaRound's α (or null), QDrop's drop probability in a training
     * step (or NaN: not a training step), and LSQ's N (0 when the step is not learned).
     */
    record QCase(String label, String quantizer, Role role, QuantSpec spec, Tensor x, Tensor alpha, double dropProb,
            int stepElements) {
        @Override
        public String toString() {
            return label;
        }

        boolean training() {
            return alpha != null || !Double.isNaN(dropProb);
        }
    }

    static Tensor gaussian(Random r, double sigma, int... shape) {
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

    /** Gaussian values with the last two at ±10σ, so the clamp always cuts some codes off on both sides. */
    static Tensor wide(Random r, double sigma, int... shape) {
        Tensor t = gaussian(r, sigma, shape);
        float[] v = t.floats();
        v[v.length - 1] = (float) (-10 * sigma);
        v[v.length - 2] = (float) (10 * sigma);
        return t;
    }

    static QuantSpec spec(int bits, boolean signed, Granularity g, float[] scale, int[] zp) {
        return QuantSpec.template(bits, signed, g).withValues(scale, zp);
    }

    static Stream<QCase> cases() {
        Random r = new Random(77);
        List<QCase> cs = new ArrayList<>();
        Granularity tensor = Granularity.perTensor();
        // two elements of every x lie far outside [qmin, qmax]·Δ, so both clamp branches are exercised
        for (String q : List.of("minmax", "mse", "percentile")) {
            cs.add(new QCase(q, q, Role.ACTIVATION, spec(4, true, tensor, new float[] {0.21f}, new int[1]),
                    wide(r, 1.0, 3, 7), null, Double.NaN, 0));
        }
        cs.add(new QCase("minmax_channel", "minmax_channel", Role.WEIGHT,
                spec(3, true, Granularity.perChannel(0), new float[] {0.1f, 0.3f, 0.17f}, new int[3]),
                wide(r, 0.5, 3, 2, 3), null, Double.NaN, 0));
        cs.add(new QCase("minmax_token", "minmax_token", Role.ACTIVATION,
                spec(4, false, Granularity.perToken(1), new float[] {0.2f, 0.11f}, new int[] {7, 3}),
                wide(r, 1.0, 2, 2, 5), null, Double.NaN, 0));
        cs.add(new QCase("mse_channel", "mse_channel", Role.WEIGHT,
                spec(4, true, Granularity.perChannel(0), new float[] {0.05f, 0.09f}, new int[2]),
                wide(r, 0.4, 2, 9), null, Double.NaN, 0));
        // LSQ: an activation step governs one sample's elements (N = 7 of [3, 7]); a weight step its granule's
        cs.add(new QCase("lsq signed activation", "lsq", Role.ACTIVATION,
                spec(4, true, tensor, new float[] {0.3f}, new int[1]), wide(r, 1.0, 3, 7), null, Double.NaN, 7));
        cs.add(new QCase("lsq unsigned activation", "lsq", Role.ACTIVATION,
                spec(3, false, tensor, new float[] {0.25f}, new int[] {3}), wide(r, 1.0, 2, 3, 3), null, Double.NaN,
                9));
        cs.add(new QCase("lsq weight", "lsq", Role.WEIGHT, spec(4, true, tensor, new float[] {0.07f}, new int[1]),
                wide(r, 0.4, 5, 3), null, Double.NaN, 15));
        // lsq_token: one step per token position, governing that token's 6 features in each sample
        cs.add(new QCase("lsq_token", "lsq_token", Role.ACTIVATION,
                spec(4, true, Granularity.perToken(1), new float[] {0.2f, 0.35f, 0.1f}, new int[3]),
                wide(r, 1.0, 2, 3, 6), null, Double.NaN, 6));
        // QDrop in a training step: every element quantized (p = 0), or every element dropped (p = 1), and inference
        cs.add(new QCase("qdrop p=0", "qdrop", Role.ACTIVATION, spec(4, true, tensor, new float[] {0.3f}, new int[1]),
                wide(r, 1.0, 2, 5), null, 0.0, 5));
        cs.add(new QCase("qdrop p=1", "qdrop", Role.ACTIVATION, spec(4, true, tensor, new float[] {0.3f}, new int[1]),
                wide(r, 1.0, 2, 5), null, 1.0, 5));
        cs.add(new QCase("qdrop inference", "qdrop", Role.ACTIVATION,
                spec(4, true, tensor, new float[] {0.3f}, new int[1]), wide(r, 1.0, 2, 5), null, Double.NaN, 5));
        cs.add(new QCase("qdrop_token", "qdrop_token", Role.ACTIVATION,
                spec(4, true, Granularity.perToken(1), new float[] {0.2f, 0.3f}, new int[2]), wide(r, 1.0, 3, 2, 4),
                null, 0.0, 4));
        // AdaRound: soft rounding in training; α spread over the sigmoid's range, two saturated (h = 0 / 1: no gradient)
        cs.add(new QCase("adaround", "adaround", Role.WEIGHT,
                spec(3, true, Granularity.perChannel(0), new float[] {0.12f, 0.08f, 0.15f}, new int[3]),
                wide(r, 0.3, 3, 7), alpha(r, 3, 7), Double.NaN, 0));
        cs.add(new QCase("adaround_tensor", "adaround_tensor", Role.WEIGHT,
                spec(4, true, tensor, new float[] {0.05f}, new int[1]), wide(r, 0.2, 2, 3, 2), alpha(r, 2, 3, 2),
                Double.NaN, 0));
        // MX integer weight: a power-of-two step per 32 elements of the flattened input dims (last group partial)
        cs.add(new QCase("mxint weight", "mxint", Role.WEIGHT,
                spec(8, true, Granularity.perGroup(1, 32), new float[] {0.0078125f, 0.015625f, 0.00390625f, 0.5f},
                        new int[4]), wide(r, 0.6, 2, 40), null, Double.NaN, 0));
        // the network-input grid: unsigned codes with a zero point (appended last: earlier cases keep their draws)
        cs.add(new QCase("minmax_exact_min", "minmax_exact_min", Role.ACTIVATION,
                spec(4, false, tensor, new float[] {0.2026f}, new int[] {4}), wide(r, 1.0, 3, 7), null, Double.NaN, 0));
        return cs.stream();
    }

    /** α uniform in [−3, 3], with the first two at ±6 where h saturates. */
    static Tensor alpha(Random r, int... shape) {
        Tensor a = gaussian(r, 1, shape);
        float[] v = a.floats();
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (6 * r.nextDouble() - 3);
        }
        v[0] = 6;
        v[1] = -6;
        return a;
    }

    // ------------------------------------------------------------------------------------------ float64 reference

    /** The granule of flat element i of a tensor of {@code shape}, from the granularity's definition. */
    static int granule(Granularity g, int[] shape, int i) {
        int a = g.axis() < 0 ? g.axis() + shape.length : g.axis();
        int inner = 1;
        for (int k = a + 1; k < shape.length; k++) {
            inner *= shape[k];
        }
        return switch (g.kind()) {
            case TENSOR -> 0;
            case CHANNEL, TOKEN -> (i / inner) % shape[a];
            case GROUP -> {
                int row = inner * shape[a];
                int blocks = (row + g.groupSize() - 1) / g.groupSize();
                yield i / row * blocks + i % row / g.groupSize();
            }
        };
    }

    static double h(double alpha) {
        return Math.max(0, Math.min(1, (ZETA - GAMMA) / (1 + Math.exp(-alpha)) + GAMMA));
    }

    /** The unclamped code of element i: rint(x/Δ) + zp, or AdaRound's soft floor(x/Δ) + h(α) + zp. */
    static double code(QCase c, double[] x, double[] alpha, int i) {
        int g = granule(c.spec().granularity(), c.x().shape(), i);
        double v = x[i] / c.spec().scale()[g];
        return (alpha != null ? Math.floor(v) + h(alpha[i]) : Math.rint(v)) + c.spec().zeroPoint()[g];
    }

    static double[] forward64(QCase c, double[] x, double[] alpha) {
        QuantSpec s = c.spec();
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            int g = granule(s.granularity(), c.x().shape(), i);
            double q = Math.max(s.qmin(), Math.min(s.qmax(), code(c, x, alpha, i)));
            y[i] = c.dropProb() == 1.0 ? x[i] : (q - s.zeroPoint()[g]) * s.scale()[g];
        }
        return y;
    }

    static double[] doubles(Tensor t) {
        double[] d = new double[t.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = t.getDouble(i);
        }
        return d;
    }

    static double maxAbs(double[] v) {
        double m = 0;
        for (double d : v) {
            m = Math.max(m, Math.abs(d));
        }
        return m;
    }

    static void assertClose(double[] expected, Tensor actual, String what) {
        double tol = 1e-5 + 1e-4 * maxAbs(expected);
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual.getDouble(i)) <= tol,
                    what + "[" + i + "]: ours " + actual.getDouble(i) + ", float64 reference " + expected[i]);
        }
    }

    // ------------------------------------------------------------------------------------------ the check

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientsMatchTheirFloat64Definitions(QCase c) {
        QuantSpec s = c.spec();
        int[] shape = c.x().shape();
        int[] pShape = s.granularity().paramShape(shape);
        Quantizer quantizer = QuantizerRegistry.standard().get(c.quantizer());
        Attributes attrs = FakeQuantOp.attributes(c.quantizer(), c.role(), s,
                c.alpha() == null ? List.of() : List.of("alpha"));
        if (c.training()) {
            attrs = attrs.with("training", 1L).with("seed", 5L);
        }
        if (!Double.isNaN(c.dropProb())) {
            attrs = attrs.with("drop_prob", c.dropProb());
        }
        Map<String, Tensor> feeds = new LinkedHashMap<>();
        feeds.put("x", c.x());
        feeds.put("scale", Tensor.of(s.scale().clone(), pShape));
        feeds.put("zero_point", Tensor.ofInts(s.zeroPoint().clone(), pShape));
        List<String> nodeInputs = new ArrayList<>(List.of("x", "scale", "zero_point"));
        if (c.alpha() != null) {
            feeds.put("alpha", c.alpha());
            nodeInputs.add("alpha");
        }
        Random rr = new Random(c.label().hashCode());
        Tensor weights = gaussian(rr, 1.0, shape);
        List<Value> inputs = feeds.entrySet().stream()
                .map(e -> new Value(e.getKey(), e.getValue().dtype(), e.getValue().shape())).toList();
        Graph g = new Graph("fq", inputs, List.of(new Value("loss", null, null), new Value("y", null, null)),
                List.of(new Node("q", FakeQuantOp.NAME, nodeInputs, List.of("y"), attrs),
                        new Node("weigh", "Mul", List.of("y", "r"), List.of("wy"), Attributes.EMPTY),
                        new Node("sum", "ReduceSum", List.of("wy"), List.of("loss"), Attributes.of("keepdims", 0L))),
                Map.of("r", weights), Map.of());
        List<String> wrt = new ArrayList<>(List.of("x"));
        if (quantizer.learnsScale()) {
            wrt.add("scale");
        }
        if (c.alpha() != null) {
            wrt.add("alpha");
        }
        Backprop.Result res = Backprop.run(g, OpRegistry.standard(), feeds, "loss", wrt);

        double[] x = doubles(c.x());
        double[] alpha = c.alpha() == null ? null : doubles(c.alpha());
        double[] r = doubles(weights);
        Tensor y = new Executor(g).run(feeds).get("y");
        double[] y64 = forward64(c, x, alpha);
        double tolY = 1e-6 + 1e-5 * maxAbs(y64);
        for (int i = 0; i < x.length; i++) {
            assertTrue(Math.abs(y.getDouble(i) - y64[i]) <= tolY, c + ": y[" + i + "] ours " + y.getDouble(i)
                    + ", float64 reference " + y64[i]);
        }

        // x: the clipped straight-through estimator (dropped elements pass r unchanged)
        double[] gx = new double[x.length];
        int clipped = 0;
        for (int i = 0; i < x.length; i++) {
            double hard = code(c, x, null, i);
            boolean inside = hard >= s.qmin() && hard <= s.qmax();
            clipped += inside ? 0 : 1;
            gx[i] = c.dropProb() == 1.0 || inside ? r[i] : 0;
        }
        assertArrayEquals(shape, res.gradients().get("x").shape());
        assertClose(gx, res.gradients().get("x"), c + ": d loss / d x");
        if (c.dropProb() != 1.0) {
            assertTrue(clipped > 0, c + ": no element is clipped; widen x");
        }

        // Δ: LSQ's eq. 3 over each granule's quantized elements, times 1/√(N·Qp)
        if (quantizer.learnsScale()) {
            double[] gs = new double[s.scale().length];
            if (c.dropProb() != 1.0) {
                for (int i = 0; i < x.length; i++) {
                    int k = granule(s.granularity(), shape, i);
                    double v = x[i] / s.scale()[k];
                    double code = Math.rint(v) + s.zeroPoint()[k];
                    double d = code < s.qmin() ? s.qmin() - s.zeroPoint()[k]
                            : code > s.qmax() ? s.qmax() - s.zeroPoint()[k] : Math.rint(v) - v;
                    gs[k] += r[i] * d;
                }
            }
            for (int k = 0; k < gs.length; k++) {
                gs[k] /= Math.sqrt((double) c.stepElements() * s.qmax());
            }
            assertArrayEquals(pShape, res.gradients().get("scale").shape());
            assertClose(gs, res.gradients().get("scale"), c + ": d loss / d scale");
        }

        // α: central differences of the float64 soft forward
        if (alpha != null) {
            Tensor ga = res.gradients().get("alpha");
            double[] fd = new double[alpha.length];
            boolean[] kink = new boolean[alpha.length];
            for (int i = 0; i < alpha.length; i++) {
                double code = code(c, x, alpha, i);
                kink[i] = Math.abs(code - s.qmin()) < 1e-3 || Math.abs(code - s.qmax()) < 1e-3;
                double a0 = alpha[i];
                double step = 1e-6 * (1 + Math.abs(a0));
                alpha[i] = a0 + step;
                double up = dot(r, forward64(c, x, alpha));
                alpha[i] = a0 - step;
                double down = dot(r, forward64(c, x, alpha));
                alpha[i] = a0;
                fd[i] = (up - down) / (2 * step);
            }
            double tol = 1e-5 + 1e-4 * maxAbs(fd);
            int checked = 0;
            for (int i = 0; i < alpha.length; i++) {
                if (!kink[i]) {
                    checked++;
                    assertTrue(Math.abs(fd[i] - ga.getDouble(i)) <= tol, c + ": d loss / d alpha[" + i + "] ours "
                            + ga.getDouble(i) + ", float64 finite difference " + fd[i]);
                }
            }
            assertTrue(checked >= alpha.length - 2, c + ": only " + checked + " elements off the clamp's kink");
            assertEquals(0.0, Math.abs(ga.getDouble(0)), c + ": h saturates at α = 6");
            assertEquals(0.0, Math.abs(ga.getDouble(1)), c + ": h saturates at α = −6");
            assertNotEquals(0.0, maxAbs(fd), c + ": α gets no gradient at all");
        }
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    @Test
    void everyQuantizerHasAGradientCase() {
        assertTrue(OpRegistry.standard().get(FakeQuantOp.NAME).differentiable());
        Set<String> covered = new TreeSet<>();
        cases().forEach(c -> covered.add(c.quantizer()));
        Set<String> missing = new TreeSet<>(QuantizerRegistry.standard().all().keySet());
        missing.removeAll(covered);
        assertTrue(missing.isEmpty(), "quantizers without a float64 gradient check: " + missing);
    }
}
