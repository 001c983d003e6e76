package io.t2c.tensor.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs the ONNX backend node tests (inputs, attributes and expected outputs exported by
 * {@code t2c-tensor/tools/export_onnx_node_cases.py}) against the ops, mapping each ONNX op and its attributes onto
 * the ops API the way the graph layer will. Floats must match to 1e-5 absolute + 1e-5 relative (the ONNX backend
 * runner allows 1e-3 relative); integers and booleans exactly.
 */
class OnnxNodeConformanceTest {
    private static final String RESOURCE = "onnx-node-cases.txt.gz";
    /** Cases outside the scope of the ops (inference-only float executor), with the reason. */
    private static final Map<String, String> SKIPPED = Map.of(
            "test_maxpool_with_argmax_2d_precomputed_pads", "MaxPool's optional Indices output is not implemented",
            "test_maxpool_with_argmax_2d_precomputed_strides", "MaxPool's optional Indices output is not implemented");

    record Case(String name, String op, Map<String, String[]> attrs, Map<Integer, Tensor> in,
            TreeMap<Integer, Tensor> out) {
        boolean has(String a) {
            return attrs.containsKey(a);
        }

        long i(String a, long dflt) {
            return attrs.containsKey(a) ? Long.parseLong(attrs.get(a)[1]) : dflt;
        }

        float f(String a, float dflt) {
            return attrs.containsKey(a) ? Float.parseFloat(attrs.get(a)[1]) : dflt;
        }

        String s(String a, String dflt) {
            return attrs.containsKey(a) ? attrs.get(a)[1] : dflt;
        }

        int[] ints(String a) {
            if (!attrs.containsKey(a)) {
                return null;
            }
            String[] v = attrs.get(a);
            int[] r = new int[v.length - 1];
            for (int k = 1; k < v.length; k++) {
                r[k - 1] = Integer.parseInt(v[k]);
            }
            return r;
        }

        Tensor input(int pos) {
            Tensor t = in.get(pos);
            return t;
        }

        /** An optional input, absent when missing or empty (opset-11 Resize passes empty scales). */
        Tensor optional(int pos) {
            Tensor t = in.get(pos);
            return t == null || t.size() == 0 && pos > 0 && op.equals("Resize") ? null : t;
        }
    }

    @TestFactory
    Stream<DynamicTest> onnxBackendNodeTests() throws IOException {
        List<Case> cases = load();
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            Assumptions.assumeFalse(SKIPPED.containsKey(c.name()), () -> SKIPPED.get(c.name()));
            check(c);
        }));
    }

    /**
     * Outputs that deliberately differ from the ONNX reference, with the reason; the case's other outputs are
     * checked.
     */
    private static final String RUNNING_VAR = "running_var takes the unbiased batch variance, as PyTorch does; the ONNX"
            + " reference takes the biased one (see BatchNormalization in t2c-graph)";
    private static final Map<String, String> DEVIATIONS = Map.of(
            "test_batchnorm_epsilon_training_mode/2", RUNNING_VAR, "test_batchnorm_example_training_mode/2", RUNNING_VAR);

    private static void check(Case c) {
        Tensor[] actual = run(c);
        for (Map.Entry<Integer, Tensor> e : c.out().entrySet()) {
            if (DEVIATIONS.containsKey(c.name() + "/" + e.getKey())) {
                continue;
            }
            Tensor expected = e.getValue();
            Tensor got = actual[e.getKey()];
            assertNotNull(got, c.name() + ": no output " + e.getKey());
            assertEquals(expected.dtype(), got.dtype(), c.name() + ": dtype of output " + e.getKey());
            assertArrayEquals(expected.shape(), got.shape(), c.name() + ": shape of output " + e.getKey());
            for (int i = 0; i < expected.size(); i++) {
                double want = expected.getDouble(i);
                double have = got.getDouble(i);
                if (expected.dtype() == DType.FLOAT32) {
                    boolean ok = Double.isNaN(want) ? Double.isNaN(have)
                            : want == have || Math.abs(want - have) <= 1e-5 + 1e-5 * Math.abs(want);
                    if (!ok) {
                        fail(c.name() + ": output " + e.getKey() + " element " + i + ": expected " + want + ", got "
                                + have);
                    }
                } else if (expected.getLong(i) != got.getLong(i)) {
                    fail(c.name() + ": output " + e.getKey() + " element " + i + ": expected " + expected.getLong(i)
                            + ", got " + got.getLong(i));
                }
            }
        }
    }

    /** Training-mode BatchNormalization as the graph op computes it: batch statistics, running-statistics update. */
    private static Tensor[] batchNormTraining(Tensor x, Tensor scale, Tensor bias, Tensor mean, Tensor var, float eps,
            float momentum) {
        Normalization.ChannelStats st = Normalization.channelStats(x);
        Tensor y = Normalization.batchNorm(x, scale, bias, st.mean(), st.variance(), eps);
        float[] runningMean = new float[st.mean().length];
        float[] runningVar = new float[st.mean().length];
        for (int i = 0; i < runningMean.length; i++) {
            runningMean[i] = (float) (momentum * mean.getDouble(i) + (1 - momentum) * st.mean()[i]);
            runningVar[i] = (float) (momentum * var.getDouble(i)
                    + (1 - momentum) * st.variance()[i] * st.count() / (st.count() - 1));
        }
        return new Tensor[] {y, Tensor.of(runningMean, mean.shape()), Tensor.of(runningVar, var.shape())};
    }

    /** The graph layer's job in miniature: ONNX op + attributes -> ops call. */
    private static Tensor[] run(Case c) {
        Tensor x = c.input(0);
        return switch (c.op()) {
            case "Abs" -> one(Elementwise.abs(x));
            case "Neg" -> one(Elementwise.neg(x));
            case "Sqrt" -> one(Elementwise.sqrt(x));
            case "Exp" -> one(Elementwise.exp(x));
            case "Log" -> one(Elementwise.log(x));
            case "Tanh" -> one(Elementwise.tanh(x));
            case "Erf" -> one(Elementwise.erf(x));
            case "Reciprocal" -> one(Elementwise.reciprocal(x));
            case "Floor" -> one(Elementwise.floor(x));
            case "Ceil" -> one(Elementwise.ceil(x));
            case "Round" -> one(Elementwise.round(x));
            case "Sign" -> one(Elementwise.sign(x));
            case "Relu" -> one(Elementwise.relu(x));
            case "Sigmoid" -> one(Elementwise.sigmoid(x));
            case "Not" -> one(Elementwise.not(x));
            case "LeakyRelu" -> one(Elementwise.leakyRelu(x, c.f("alpha", 0.01f)));
            case "HardSigmoid" -> one(Elementwise.hardSigmoid(x, c.f("alpha", 0.2f), c.f("beta", 0.5f)));
            case "HardSwish" -> one(Elementwise.hardSwish(x));
            case "Add" -> one(Elementwise.add(x, c.input(1)));
            case "Sub" -> one(Elementwise.sub(x, c.input(1)));
            case "Mul" -> one(Elementwise.mul(x, c.input(1)));
            case "Div" -> one(Elementwise.div(x, c.input(1)));
            case "Pow" -> one(Elementwise.pow(x, c.input(1)));
            case "Mod" -> one(Elementwise.mod(x, c.input(1), c.i("fmod", 0) == 1));
            case "PRelu" -> one(Elementwise.prelu(x, c.input(1)));
            case "And" -> one(Elementwise.and(x, c.input(1)));
            case "Or" -> one(Elementwise.or(x, c.input(1)));
            case "Xor" -> one(Elementwise.xor(x, c.input(1)));
            case "Equal" -> one(Elementwise.equal(x, c.input(1)));
            case "Less" -> one(Elementwise.less(x, c.input(1)));
            case "LessOrEqual" -> one(Elementwise.lessOrEqual(x, c.input(1)));
            case "Greater" -> one(Elementwise.greater(x, c.input(1)));
            case "GreaterOrEqual" -> one(Elementwise.greaterOrEqual(x, c.input(1)));
            case "Where" -> one(Elementwise.where(x, c.input(1), c.input(2)));
            case "Sum" -> one(Elementwise.sum(inputs(c)));
            case "Max" -> one(Elementwise.max(inputs(c)));
            case "Min" -> one(Elementwise.min(inputs(c)));
            case "Clip" -> one(c.has("min") || c.has("max")
                    ? Elementwise.clip(x, c.f("min", Float.NEGATIVE_INFINITY), c.f("max", Float.POSITIVE_INFINITY))
                    : Elementwise.clip(x, c.optional(1), c.optional(2)));
            case "ArgMax" -> one(Reductions.argMax(x, (int) c.i("axis", 0), c.i("keepdims", 1) == 1,
                    c.i("select_last_index", 0) == 1));
            case "ArgMin" -> one(Reductions.argMin(x, (int) c.i("axis", 0), c.i("keepdims", 1) == 1,
                    c.i("select_last_index", 0) == 1));
            case "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceSumSquare", "ReduceL1",
                    "ReduceL2", "ReduceLogSum", "ReduceLogSumExp" -> {
                int[] axes = c.has("axes") ? c.ints("axes") : c.optional(1) == null ? null : toInts(c.input(1));
                Reductions.Reduction kind = switch (c.op()) {
                    case "ReduceSum" -> Reductions.Reduction.SUM;
                    case "ReduceMean" -> Reductions.Reduction.MEAN;
                    case "ReduceMax" -> Reductions.Reduction.MAX;
                    case "ReduceMin" -> Reductions.Reduction.MIN;
                    case "ReduceProd" -> Reductions.Reduction.PROD;
                    case "ReduceSumSquare" -> Reductions.Reduction.SUM_SQUARE;
                    case "ReduceL1" -> Reductions.Reduction.L1;
                    case "ReduceL2" -> Reductions.Reduction.L2;
                    case "ReduceLogSum" -> Reductions.Reduction.LOG_SUM;
                    default -> Reductions.Reduction.LOG_SUM_EXP;
                };
                yield one(Reductions.reduce(x, kind, axes, c.i("keepdims", 1) == 1,
                        c.i("noop_with_empty_axes", 0) == 1));
            }
            case "Concat" -> one(Movement.concat((int) c.i("axis", 0), inputs(c)));
            case "Split" -> {
                int axis = (int) c.i("axis", 0);
                int[] sizes = c.has("split") ? c.ints("split") : c.optional(1) == null ? null : toInts(c.input(1));
                yield sizes != null ? Movement.split(x, axis, sizes) : Movement.splitEqual(x, axis, c.out().size());
            }
            case "Transpose" -> one(Movement.transpose(x, c.ints("perm")));
            case "Slice" -> one(Movement.slice(x, c.input(1).toLongArray(), c.input(2).toLongArray(),
                    c.optional(3) == null ? null : toInts(c.input(3)),
                    c.optional(4) == null ? null : c.input(4).toLongArray()));
            case "Gather" -> one(Movement.gather(x, c.input(1), (int) c.i("axis", 0)));
            case "GatherElements" -> one(Movement.gatherElements(x, c.input(1), (int) c.i("axis", 0)));
            case "Pad" -> one(Movement.pad(x, c.input(1).toLongArray(), Movement.PadMode.of(c.s("mode", "constant")),
                    c.optional(2) == null ? 0 : c.input(2).getDouble(0),
                    c.optional(3) == null ? null : toInts(c.input(3))));
            case "Expand" -> one(Movement.expand(x, c.input(1).toLongArray()));
            case "Tile" -> one(Movement.tile(x, c.input(1).toLongArray()));
            case "Reshape" -> one(Movement.reshape(x, c.input(1).toLongArray(), c.i("allowzero", 0) == 1));
            case "Flatten" -> one(Movement.flatten(x, (int) c.i("axis", 1)));
            case "Squeeze" -> one(Movement.squeeze(x, c.has("axes") ? c.ints("axes")
                    : c.optional(1) == null ? null : toInts(c.input(1))));
            case "Unsqueeze" -> one(Movement.unsqueeze(x, c.has("axes") ? c.ints("axes") : toInts(c.input(1))));
            case "MaxPool", "AveragePool" -> {
                int[] kernel = c.ints("kernel_shape");
                int sp = kernel.length;
                int[] in = x.shape();
                int[] spatial = java.util.Arrays.copyOfRange(in, 2, 2 + sp);
                int[] strides = c.ints("strides");
                int[] dil = c.ints("dilations");
                int[] pads = Pooling.autoPads(Pooling.AutoPad.of(c.s("auto_pad", "NOTSET")), spatial, kernel, strides,
                        dil, c.ints("pads"));
                boolean ceil = c.i("ceil_mode", 0) == 1;
                yield one(c.op().equals("MaxPool") ? Pooling.maxPool(x, kernel, strides, pads, dil, ceil)
                        : Pooling.averagePool(x, kernel, strides, pads, dil, ceil, c.i("count_include_pad", 0) == 1));
            }
            case "GlobalAveragePool" -> one(Pooling.globalAveragePool(x));
            case "GlobalMaxPool" -> one(Pooling.globalMaxPool(x));
            case "BatchNormalization" -> c.i("training_mode", 0) == 0
                    ? one(Normalization.batchNormInference(x, c.input(1), c.input(2), c.input(3), c.input(4),
                            c.f("epsilon", 1e-5f)))
                    : batchNormTraining(x, c.input(1), c.input(2), c.input(3), c.input(4), c.f("epsilon", 1e-5f),
                            c.f("momentum", 0.9f));
            case "InstanceNormalization" -> one(Normalization.instanceNorm(x, c.input(1), c.input(2),
                    c.f("epsilon", 1e-5f)));
            case "LayerNormalization" -> {
                Normalization.LayerNormOutput o = Normalization.layerNormWithStats(x, c.input(1), c.optional(2),
                        (int) c.i("axis", -1), c.f("epsilon", 1e-5f));
                yield new Tensor[] {o.y(), o.mean(), o.invStdDev()};
            }
            case "Softmax" -> one(Normalization.softmax(x, (int) c.i("axis", -1)));
            case "LogSoftmax" -> one(Normalization.logSoftmax(x, (int) c.i("axis", -1)));
            case "Resize" -> {
                Resize.Options o = Resize.Options.of(Resize.Mode.of(c.s("mode", "nearest")))
                        .with(Resize.CoordinateTransform.of(c.s("coordinate_transformation_mode", "half_pixel")))
                        .with(Resize.NearestMode.of(c.s("nearest_mode", "round_prefer_floor")))
                        .withCubic(c.f("cubic_coeff_a", -0.75f), c.i("exclude_outside", 0) == 1)
                        .withExtrapolation(c.f("extrapolation_value", 0f));
                Tensor roi = c.optional(1);
                Tensor scales = c.optional(2);
                Tensor sizes = c.optional(3);
                yield one(Resize.resize(x, roi == null ? null : roi.floats(), scales == null ? null : scales.floats(),
                        sizes == null ? null : sizes.toLongArray(), o));
            }
            default -> throw new IllegalStateException("no mapping for " + c.op());
        };
    }

    private static Tensor[] one(Tensor t) {
        return new Tensor[] {t};
    }

    private static Tensor[] inputs(Case c) {
        Tensor[] r = new Tensor[c.in().size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = c.input(i);
        }
        return r;
    }

    private static int[] toInts(Tensor t) {
        long[] v = t.toLongArray();
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = (int) v[i];
        }
        return r;
    }

    // ---- parsing ----

    static List<Case> load() throws IOException {
        List<Case> cases = new ArrayList<>();
        try (InputStream raw = OnnxNodeConformanceTest.class.getResourceAsStream(RESOURCE)) {
            assertNotNull(raw, "missing test resource " + RESOURCE);
            BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(raw),
                    StandardCharsets.UTF_8));
            String name = null;
            String op = null;
            Map<String, String[]> attrs = new HashMap<>();
            Map<Integer, Tensor> in = new HashMap<>();
            TreeMap<Integer, Tensor> out = new TreeMap<>();
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("#") || line.isBlank()) {
                    continue;
                }
                String[] f = line.split(" ");
                switch (f[0]) {
                    case "case" -> {
                        name = f[1];
                        attrs = new HashMap<>();
                        in = new HashMap<>();
                        out = new TreeMap<>();
                    }
                    case "op" -> op = f[1];
                    case "attr" -> attrs.put(f[1], java.util.Arrays.copyOfRange(f, 2, f.length));
                    case "in" -> in.put(Integer.parseInt(f[1]), tensor(f));
                    case "out" -> out.put(Integer.parseInt(f[1]), tensor(f));
                    case "end" -> cases.add(new Case(name, op, attrs, in, out));
                    default -> throw new IOException("bad line in " + RESOURCE + ": " + line);
                }
            }
        }
        return cases;
    }

    private static Tensor tensor(String[] f) {
        String dtype = f[2];
        int[] shape = f[3].equals("-") ? new int[0]
                : java.util.Arrays.stream(f[3].split(",")).mapToInt(Integer::parseInt).toArray();
        int n = f.length - 4;
        Tensor t = Tensor.zeros(switch (dtype) {
            case "float32" -> DType.FLOAT32;
            case "int64" -> DType.INT64;
            case "int32" -> DType.INT32;
            case "int16" -> DType.INT16;
            case "int8" -> DType.INT8;
            case "uint8" -> DType.UINT8;
            case "bool" -> DType.BOOL;
            default -> throw new IllegalArgumentException(dtype);
        }, shape);
        if (t.size() != n) {
            throw new IllegalArgumentException("value count " + n + " does not match shape " + f[3]);
        }
        for (int i = 0; i < n; i++) {
            String v = f[4 + i];
            switch (t.dtype()) {
                case FLOAT32 -> t.floats()[i] = switch (v) {
                    case "nan" -> Float.NaN;
                    case "inf" -> Float.POSITIVE_INFINITY;
                    case "-inf" -> Float.NEGATIVE_INFINITY;
                    default -> Float.parseFloat(v);
                };
                case INT64 -> t.longs()[i] = Long.parseLong(v);
                case INT32 -> t.ints()[i] = Integer.parseInt(v);
                case INT16 -> t.shorts()[i] = Short.parseShort(v);
                case INT8, UINT8, BOOL -> t.bytes()[i] = (byte) Integer.parseInt(v);
            }
        }
        return t;
    }
}
