package io.t2c.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.autograd.Float64Reference.D;
import io.t2c.graph.Attributes;
import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.Value;
import io.t2c.graph.op.OpDef;
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
 * Every differentiable op's gradient against central finite differences of an independent float64 forward
 * ({@link Float64Reference}: scalar double loops written from the ONNX definitions, no call into our kernels). Each
 * case is one node; the loss is Σ r·y for a fixed random r per output (so every output element matters). Two checks
 * per case:
 * <ol>
 *   <li>our float32 forward equals the float64 reference within 1e-5·max|y| + 1e-6: the reference implements the
 *       same function, attributes included (float32 rounding of a sum of K ≤ 150 terms is ≤ K·2⁻²⁴ ≈ 1e-5 of the
 *       terms' magnitude in the worst case, typically √K·2⁻²⁴ ≈ 1e-6);</li>
 *   <li>our analytic gradient (the float32 {@code backward} of each op, through {@link Backprop}) equals central
 *       differences of the float64 reference's loss, with a step h = 1e-6·(1 + |x|), within
 *       1e-4·max|g| + 1e-5 per input tensor (max over that input's reference gradient). The difference error is
 *       truncation h²·|L‴|/6 ≈ 1e-12 plus cancellation 2⁻⁵³·|L|/h ≈ 1e-10·|L|, so negligible; the figure is the
 *       float32 rounding of the backward, which accumulates sums of at most ~150 products (≤ 150·6e-8 ≈ 1e-5
 *       relative in the worst case) — a tenfold margin, and still 100× below a gradient term worth 1 %.</li>
 * </ol>
 * Measured on these cases: forward errors up to 1.1e-7·max|y| (Conv), gradient errors up to 1.7e-7·max|g| (Pow).
 * Inputs keep away from kinks (Relu at 0, ties in Max: values ≥ 0.13 apart) by far more than a step. Every random
 * draw is seeded: the inputs from one generator reset in {@link #cases()}, the loss weights r from the case label.
 * Adding an op: one {@link Case} here and one entry in {@link Float64Reference#REFERENCES}.
 */
class GradientCheckTest {
    /**
     * One op under test: its inputs and attributes, how many outputs feed the loss, and the inputs held fixed
     * ({@code held}: bounds, statistics, scales). Other float inputs are differentiated; integer ones never are.
     */
    record Case(String label, String op, Attributes attrs, List<Tensor> inputs, int outputs, Set<Integer> held) {
        @Override
        public String toString() {
            return label;
        }

        Case outputs(int n) {
            return new Case(label + " (" + n + " outputs)", op, attrs, inputs, n, held);
        }

        Case holding(Integer... indices) {
            return new Case(label, op, attrs, inputs, outputs, Set.of(indices));
        }
    }

    static Random R = new Random(2024);

    static Tensor rand(int... shape) {
        return fill(shape, () -> (float) (R.nextBoolean() ? 1 : -1) * (0.2f + R.nextFloat()));
    }

    static Tensor positive(int... shape) {
        return fill(shape, () -> 0.5f + R.nextFloat());
    }

    /** Distinct values at least 0.13 apart, shuffled: max/min never change hands within a difference step. */
    static Tensor spread(int... shape) {
        int n = java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        List<Float> v = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            v.add((i - n / 2) * 0.13f);
        }
        java.util.Collections.shuffle(v, R);
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = v.get(i);
        }
        return Tensor.of(f, shape);
    }

    static Tensor fill(int[] shape, java.util.function.Supplier<Float> f) {
        float[] v = new float[java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
        for (int i = 0; i < v.length; i++) {
            v[i] = f.get();
        }
        return Tensor.of(v, shape);
    }

    static Case c(String op, Attributes attrs, Tensor... inputs) {
        return new Case(op + " " + attrs, op, attrs, List.of(inputs), 1, Set.of());
    }

    static Case c(String op, Tensor... inputs) {
        return c(op, Attributes.EMPTY, inputs);
    }

    static Stream<Case> cases() {
        R = new Random(2024);
        List<Case> cs = new ArrayList<>();
        for (String op : List.of("Neg", "Abs", "Exp", "Erf", "Relu", "Sigmoid", "Tanh", "HardSwish", "Gelu")) {
            cs.add(c(op, rand(3, 5)));
        }
        for (String op : List.of("Sqrt", "Log", "Reciprocal")) {
            cs.add(c(op, positive(3, 5)));
        }
        cs.add(c("Gelu", Attributes.of("approximate", "tanh"), rand(4, 3)));
        cs.add(c("LeakyRelu", Attributes.of("alpha", 0.1), rand(4, 3)));
        cs.add(c("HardSigmoid", Attributes.of("alpha", 0.3, "beta", 0.4), rand(4, 3)));
        cs.add(c("Clip", spread(4, 5), Tensor.scalar(-0.6f).reshape(), Tensor.scalar(0.7f).reshape()).holding(1, 2));
        cs.add(c("Add", rand(2, 3, 4), rand(3, 1)));
        cs.add(c("Sub", rand(3, 1), rand(2, 3, 4)));
        cs.add(c("Mul", rand(2, 3, 4), rand(4)));
        cs.add(c("Div", rand(2, 3, 4), positive(2, 1, 4)));
        cs.add(c("Pow", positive(2, 3), rand(3)));
        cs.add(c("PRelu", rand(2, 3, 4), rand(3, 1)));
        cs.add(c("Sum", rand(2, 3), rand(3), rand(2, 1)));
        cs.add(c("Mean", rand(2, 3), rand(3)));
        cs.add(c("Where", Tensor.ofBytes(DType.BOOL, new byte[] {1, 0, 1}, 3), rand(2, 3), rand(3)));
        cs.add(c("Identity", rand(2, 3)));
        cs.add(c("Dropout", rand(2, 3)));
        cs.add(c("Flatten", Attributes.of("axis", 2), rand(2, 3, 4)));
        cs.add(c("Reshape", rand(2, 3, 4), Tensor.vector(4, -1)));
        cs.add(c("Squeeze", rand(2, 1, 4), Tensor.vector(1)));
        cs.add(c("Unsqueeze", rand(2, 4), Tensor.vector(0, 3)));
        cs.add(c("Transpose", Attributes.of("perm", new long[] {2, 0, 1}), rand(2, 3, 4)));
        cs.add(c("Concat", Attributes.of("axis", 1), rand(2, 3), rand(2, 2)));
        cs.add(c("Split", Attributes.of("axis", 1), rand(2, 4, 2), Tensor.vector(1, 3)).outputs(2));
        cs.add(c("Slice", rand(4, 6), Tensor.vector(3, 1), Tensor.vector(0, 6), Tensor.vector(0, 1), Tensor.vector(-1, 2)));
        cs.add(c("Gather", Attributes.of("axis", 1), rand(3, 4), Tensor.ofLongs(new long[] {0, 3, 3, -1}, 2, 2)));
        cs.add(c("Pad", Attributes.of("mode", "reflect"), rand(2, 3, 4), Tensor.vector(0, 1, 2, 0, 2, 1)));
        cs.add(c("Pad", Attributes.of("mode", "constant"), rand(2, 3), Tensor.vector(1, 0, 2, 3), Tensor.scalar(0.5f).reshape())
                .holding(2));
        cs.add(c("Expand", rand(3, 1), Tensor.vector(2, 3, 4)));
        cs.add(c("Tile", rand(2, 3), Tensor.vector(2, 2)));
        cs.add(c("ReduceSum", Attributes.of("keepdims", 0), rand(2, 3, 4), Tensor.vector(1)));
        cs.add(c("ReduceMean", rand(2, 3, 4), Tensor.vector(0, 2)));
        cs.add(c("ReduceMax", Attributes.of("keepdims", 0), spread(3, 5), Tensor.vector(1)));
        cs.add(c("ReduceMin", spread(3, 5)));
        cs.add(c("ReduceProd", positive(2, 3), Tensor.vector(1)));
        cs.add(c("Softmax", Attributes.of("axis", 1), rand(2, 5, 3)));
        cs.add(c("LogSoftmax", rand(3, 6)));
        cs.add(c("Softmax", Attributes.of("axis", 1, "coerce_2d", 1), rand(2, 3, 2)));
        cs.add(c("SoftmaxCrossEntropyLoss", Attributes.of("label_smoothing", 0.1), rand(4, 5), Tensor.vector(0, 4, 2, 2)));
        cs.add(c("SoftmaxCrossEntropyLoss", Attributes.of("reduction", "none"), rand(3, 4), Tensor.vector(3, 0, 1)));
        cs.add(c("MatMul", rand(2, 3, 4), rand(4, 5)));
        cs.add(c("MatMul", rand(2, 1, 3, 4), rand(3, 4, 2)));
        cs.add(c("MatMul", rand(4), rand(4, 3)));
        cs.add(c("MatMul", rand(2, 3, 5), rand(5)));
        cs.add(c("Gemm", rand(3, 4), rand(4, 2))); // no C
        // our fused activation attributes (FuseActivation): the gradient passes only where the clamp did not bite
        cs.add(c("Add", Attributes.of("clamp_min", -0.5, "clamp_max", 0.8), rand(2, 3, 4), rand(3, 1)));
        for (int ta = 0; ta < 2; ta++) {
            for (int tb = 0; tb < 2; tb++) {
                Tensor a = ta == 0 ? rand(3, 4) : rand(4, 3);
                Tensor b = tb == 0 ? rand(4, 5) : rand(5, 4);
                cs.add(c("Gemm", Attributes.of("transA", ta, "transB", tb, "alpha", 0.7, "beta", 1.3), a, b, rand(5)));
            }
        }
        convolutionCases(cs);
        poolingCases(cs);
        normalizationCases(cs);
        resizeCases(cs);
        return cs.stream();
    }

    static Attributes conv(Object... nameValuePairs) {
        return Attributes.of(nameValuePairs);
    }

    static void convolutionCases(List<Case> cs) {
        // strides 2 with H = 6 and pads 1+1: the last stride is cut short, so x̄ needs output padding
        cs.add(c("Conv", conv("strides", new long[] {2, 1}, "pads", new long[] {1, 0, 1, 2}, "dilations", new long[] {1, 2}),
                rand(2, 4, 6, 5), rand(6, 4, 3, 2), rand(6)));
        cs.add(c("Conv", conv("group", 2, "strides", new long[] {2, 2}, "pads", new long[] {0, 1, 1, 0}),
                rand(1, 4, 5, 6), rand(6, 2, 2, 3)));
        cs.add(c("Conv", conv("group", 3, "pads", new long[] {1, 1, 1, 1}, "dilations", new long[] {2, 1}),
                rand(2, 3, 5, 4), rand(3, 1, 3, 3), rand(3))); // depthwise
        cs.add(c("Conv", conv("auto_pad", "SAME_UPPER", "strides", new long[] {2, 2}), rand(1, 2, 5, 6), rand(3, 2, 3, 2)));
        cs.add(c("Conv", conv("auto_pad", "SAME_LOWER", "group", 2, "strides", new long[] {2}), rand(2, 4, 7), rand(2, 2, 4),
                rand(2)));
        cs.add(c("Conv", conv("strides", new long[] {2}, "pads", new long[] {1, 2}, "dilations", new long[] {2}),
                rand(2, 3, 9), rand(4, 3, 3), rand(4))); // 1-D
        cs.add(c("Conv", conv("pads", new long[] {1, 1, 0, 1}, "clamp_min", 0.0, "clamp_max", 0.9), rand(2, 3, 4, 5),
                rand(4, 3, 2, 3), rand(4))); // fused Relu6-like clamp
        cs.add(c("ConvTranspose", conv("group", 2, "strides", new long[] {2, 2}, "pads", new long[] {1, 0, 0, 1},
                "output_padding", new long[] {1, 0}), rand(2, 4, 3, 3), rand(4, 3, 3, 2), rand(6)));
        cs.add(c("ConvTranspose", conv("strides", new long[] {3}, "dilations", new long[] {2}, "pads", new long[] {2, 1},
                "output_padding", new long[] {2}), rand(2, 3, 4), rand(3, 2, 2))); // 1-D
        cs.add(c("ConvTranspose", conv("auto_pad", "SAME_UPPER", "strides", new long[] {2, 2}), rand(1, 2, 3, 2),
                rand(2, 2, 3, 3)));
    }

    static void poolingCases(List<Case> cs) {
        cs.add(c("MaxPool", conv("kernel_shape", new long[] {3, 3}, "strides", new long[] {2, 2},
                "pads", new long[] {1, 0, 1, 1}, "ceil_mode", 1), spread(2, 2, 6, 7)));
        cs.add(c("MaxPool", conv("kernel_shape", new long[] {2, 2}, "dilations", new long[] {2, 1}), spread(1, 2, 5, 4)));
        cs.add(c("MaxPool", conv("kernel_shape", new long[] {3}, "strides", new long[] {2}, "auto_pad", "SAME_UPPER"),
                spread(2, 3, 8)));
        cs.add(c("AveragePool", conv("kernel_shape", new long[] {3, 3}, "strides", new long[] {2, 2},
                "pads", new long[] {1, 1, 1, 0}, "count_include_pad", 1, "ceil_mode", 1), rand(2, 2, 6, 7)));
        cs.add(c("AveragePool", conv("kernel_shape", new long[] {2, 3}, "strides", new long[] {1, 2},
                "pads", new long[] {1, 1, 0, 1}, "ceil_mode", 1), rand(1, 2, 4, 6)));
        cs.add(c("AveragePool", conv("kernel_shape", new long[] {3}, "pads", new long[] {1, 1}), rand(2, 2, 5)));
        cs.add(c("GlobalAveragePool", rand(2, 3, 3, 4)));
        cs.add(c("GlobalMaxPool", spread(2, 3, 5)));
    }

    static void normalizationCases(List<Case> cs) {
        // inference: running mean and var are not trained, so they are held
        cs.add(c("BatchNormalization", Attributes.of("epsilon", 1e-3), rand(2, 3, 2, 2), rand(3), rand(3), rand(3), positive(3))
                .holding(3, 4));
        cs.add(c("BatchNormalization", Attributes.of("training_mode", 1, "momentum", 0.8),
                rand(3, 2, 2, 3), rand(2), rand(2), rand(2), positive(2)).outputs(3));
        cs.add(c("BatchNormalization", Attributes.of("training_mode", 1, "running_var_unbiased", 1), rand(2, 3, 5),
                rand(3), rand(3), rand(3), positive(3)).outputs(3));
        cs.add(c("BatchNormalization", Attributes.of("training_mode", 1, "epsilon", 1e-2), rand(5, 3), rand(3), rand(3),
                rand(3), positive(3)));
        cs.add(c("LayerNormalization", Attributes.of("axis", -2), rand(2, 3, 4), rand(3, 4), rand(4)));
        cs.add(c("LayerNormalization", Attributes.of("axis", 1), rand(3, 5), rand(5)).outputs(3));
        cs.add(c("InstanceNormalization", rand(2, 3, 5), rand(3), rand(3)));
        cs.add(c("InstanceNormalization", Attributes.of("epsilon", 1e-3), rand(1, 2, 3, 3), rand(2), rand(2)));
    }

    static void resizeCases(List<Case> cs) {
        Tensor noRoi = Tensor.of(new float[0], 0);
        cs.add(c("Resize", Attributes.of("mode", "nearest"), rand(1, 2, 3, 4), noRoi,
                Tensor.of(new float[] {1, 1, 2, 1.5f}, 4)).holding(1, 2));
        cs.add(c("Resize", Attributes.of("mode", "nearest", "coordinate_transformation_mode", "asymmetric",
                "nearest_mode", "floor"), rand(2, 6, 5), noRoi, Tensor.of(new float[0], 0), Tensor.vector(2, 3, 2))
                .holding(1, 2)); // downsampling: some inputs get no gradient
        cs.add(c("Resize", Attributes.of("mode", "nearest", "coordinate_transformation_mode", "tf_crop_and_resize",
                "extrapolation_value", 0.5), rand(1, 1, 4, 4), Tensor.of(new float[] {0, 0, -0.2f, 0.1f, 1, 1, 0.9f, 1.3f}, 8),
                Tensor.of(new float[] {1, 1, 1.5f, 1.25f}, 4)).holding(1, 2));
    }

    /** Forward tolerance (relative to the output's largest magnitude, plus an absolute floor); see the class comment. */
    static final double FORWARD_REL = 1e-5;
    static final double FORWARD_ABS = 1e-6;
    /** Gradient tolerance (relative to the input's largest reference gradient, plus an absolute floor). */
    static final double GRADIENT_REL = 1e-4;
    static final double GRADIENT_ABS = 1e-5;

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientMatchesFloat64FiniteDifferences(Case tc) {
        Float64Reference.Ref ref = Float64Reference.REFERENCES.get(tc.op());
        assertNotNull(ref, tc.op() + " has no float64 reference");
        List<String> names = new ArrayList<>();
        List<Value> inputs = new ArrayList<>();
        Map<String, Tensor> feeds = new LinkedHashMap<>();
        List<D> inputs64 = new ArrayList<>();
        for (int i = 0; i < tc.inputs().size(); i++) {
            String n = "in" + i;
            names.add(n);
            Tensor t = tc.inputs().get(i);
            inputs.add(new Value(n, t.dtype(), t.shape()));
            feeds.put(n, t);
            inputs64.add(toDouble(t));
        }
        List<Node> nodes = new ArrayList<>();
        List<String> outs = new ArrayList<>();
        for (int k = 0; k < tc.outputs(); k++) {
            outs.add("y" + k);
        }
        nodes.add(new Node("op", tc.op(), names, outs, tc.attrs()));
        Executor probe = new Executor(new Graph("probe", inputs, outs.stream().map(o -> new Value(o, null, null)).toList(),
                nodes, Map.of(), Map.of()));
        Map<String, Tensor> ys = probe.run(feeds);

        // 1. the float64 reference computes what our float32 forward computes
        List<D> ys64 = ref.apply(tc.attrs(), inputs64);
        for (int k = 0; k < tc.outputs(); k++) {
            Tensor y = ys.get(outs.get(k));
            D y64 = ys64.get(k);
            assertArrayEquals(y.shape(), y64.shape(), tc + ": shape of output " + k);
            double tol = FORWARD_ABS + FORWARD_REL * maxAbs(y64.v());
            for (int i = 0; i < y.size(); i++) {
                assertTrue(Math.abs(y.getDouble(i) - y64.v()[i]) <= tol,
                        tc + ": output " + k + "[" + i + "] float32 " + y.getDouble(i) + ", float64 reference " + y64.v()[i]);
            }
        }

        // 2. loss = Σ_k Σ r_k·y_k, with fixed random r_k of each output's shape, seeded by the case
        Random rr = new Random(tc.label().hashCode());
        Map<String, Tensor> inits = new LinkedHashMap<>();
        List<double[]> weights = new ArrayList<>();
        List<String> partials = new ArrayList<>();
        for (String o : outs) {
            Tensor r = fill(ys.get(o).shape(), () -> (float) (rr.nextBoolean() ? 1 : -1) * (0.2f + rr.nextFloat()));
            inits.put("r_" + o, r);
            weights.add(toDouble(r).v());
            nodes.add(new Node("weigh_" + o, "Mul", List.of(o, "r_" + o), List.of("wy_" + o), Attributes.EMPTY));
            nodes.add(new Node("sum_" + o, "ReduceSum", List.of("wy_" + o), List.of("l_" + o), Attributes.of("keepdims", 0)));
            partials.add("l_" + o);
        }
        nodes.add(new Node("loss", "Sum", partials, List.of("loss"), Attributes.EMPTY));
        Graph g = new Graph("check", inputs, List.of(new Value("loss", null, null)), nodes, inits, Map.of());
        List<Integer> wrt = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            if (feeds.get(names.get(i)).dtype() == DType.FLOAT32 && !tc.held().contains(i)) {
                wrt.add(i);
            }
        }
        Backprop.Result res = Backprop.run(g, OpRegistry.standard(), feeds, "loss",
                wrt.stream().map(names::get).toList());
        for (int w : wrt) {
            double[] x = inputs64.get(w).v();
            Tensor analytic = res.gradients().get(names.get(w));
            assertArrayEquals(inputs64.get(w).shape(), analytic.shape(), tc + ": gradient shape of input " + w);
            double[] fd = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                double x0 = x[i];
                double h = 1e-6 * (1 + Math.abs(x0));
                x[i] = x0 + h;
                double up = loss64(ref, tc, inputs64, weights);
                x[i] = x0 - h;
                double down = loss64(ref, tc, inputs64, weights);
                x[i] = x0;
                fd[i] = (up - down) / (2 * h);
            }
            double tol = GRADIENT_ABS + GRADIENT_REL * maxAbs(fd);
            for (int i = 0; i < x.length; i++) {
                double an = analytic.getDouble(i);
                assertTrue(Math.abs(fd[i] - an) <= tol, tc + ": d loss / d in" + w + "[" + i + "] analytic " + an
                        + ", float64 finite difference " + fd[i] + " (tolerance " + tol + ")");
            }
        }
    }

    /** Σ_k Σ r_k·y_k of the float64 reference. */
    private static double loss64(Float64Reference.Ref ref, Case tc, List<D> inputs, List<double[]> weights) {
        List<D> ys = ref.apply(tc.attrs(), inputs);
        double l = 0;
        for (int k = 0; k < weights.size(); k++) {
            double[] y = ys.get(k).v();
            for (int i = 0; i < y.length; i++) {
                l += weights.get(k)[i] * y[i];
            }
        }
        return l;
    }

    static D toDouble(Tensor t) {
        double[] v = new double[t.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = t.getDouble(i);
        }
        return new D(v, t.shape().clone());
    }

    static double maxAbs(double[] v) {
        double m = 0;
        for (double d : v) {
            m = Math.max(m, Math.abs(d));
        }
        return m;
    }

    @Test
    void everyDifferentiableOpHasACaseAndAFloat64Reference() {
        Set<String> covered = new TreeSet<>();
        cases().forEach(c -> covered.add(c.op()));
        Set<String> missing = new TreeSet<>();
        for (OpDef op : OpRegistry.standard().all().values()) {
            if (op.differentiable() && !(covered.contains(op.name()) && Float64Reference.REFERENCES.containsKey(op.name()))) {
                missing.add(op.name());
            }
        }
        assertTrue(missing.isEmpty(), "differentiable ops without a float64 gradient check (a case and a reference): "
                + missing);
    }

    /** Gradient of Σ y for one single-node graph x → op → y. */
    static Tensor gradientOfSum(String op, Attributes attrs, Tensor x) {
        Graph g = new Graph("g", List.of(new Value("x", DType.FLOAT32, x.shape())), List.of(new Value("l", null, null)),
                List.of(new Node("p", op, List.of("x"), List.of("y"), attrs),
                        new Node("s", "ReduceSum", List.of("y"), List.of("l"), Attributes.of("keepdims", 0))),
                Map.of(), Map.of());
        return Backprop.run(g, OpRegistry.standard(), Map.of("x", x), "l", List.of("x")).gradients().get("x");
    }

    @Test
    void maxPoolRoutesTiesToTheFirstTapAndNeverToPadding() {
        // windows [pad, 1], [1, 1], [1, 0], [0, -2], [-2, -2], [-2, pad]: ties go to the first tap in scan order,
        // and the negative value beside the padding still wins its window
        Tensor x = Tensor.of(new float[] {1, 1, 0, -2, -2}, 1, 1, 5);
        Tensor g = gradientOfSum("MaxPool", Attributes.of("kernel_shape", new long[] {2}, "pads", new long[] {1, 1}), x);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {2, 1, 1, 1, 1}, g.floats());
        Tensor gm = gradientOfSum("GlobalMaxPool", Attributes.EMPTY, Tensor.of(new float[] {0, 3, 1, 3}, 1, 1, 2, 2));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {0, 1, 0, 0}, gm.floats());
    }

    @Test
    void linearResizeHasNoGradientYet() {
        Graph g = new Graph("g", List.of(new Value("x", DType.FLOAT32, new int[] {1, 1, 2, 2})),
                List.of(new Value("l", null, null)),
                List.of(new Node("up", "Resize", List.of("x", "", "scales"), List.of("y"), Attributes.of("mode", "linear")),
                        new Node("s", "ReduceSum", List.of("y"), List.of("l"), Attributes.of("keepdims", 0))),
                Map.of("scales", Tensor.of(new float[] {1, 1, 2, 2}, 4)), Map.of());
        var e = org.junit.jupiter.api.Assertions.assertThrows(io.t2c.tensor.T2cException.class,
                () -> Backprop.run(g, OpRegistry.standard(), Map.of("x", rand(1, 1, 2, 2)), "l", List.of("x")));
        assertTrue(e.getMessage().contains("node up") && e.getMessage().contains("linear"), e.getMessage());
    }

    @Test
    void nonDifferentiableOpOnThePathIsReported() {
        Graph g = new Graph("g", List.of(new Value("x", DType.FLOAT32, new int[] {3})), List.of(new Value("l", null, null)),
                List.of(new Node("f", "Floor", List.of("x"), List.of("y"), Attributes.EMPTY),
                        new Node("s", "ReduceSum", List.of("y"), List.of("l"), Attributes.of("keepdims", 0))),
                Map.of(), Map.of());
        var e = org.junit.jupiter.api.Assertions.assertThrows(io.t2c.tensor.T2cException.class,
                () -> Backprop.run(g, OpRegistry.standard(), Map.of("x", rand(3)), "l", List.of("x")));
        assertTrue(e.getMessage().contains("Floor has no gradient"), e.getMessage());
    }
}
