package io.t2c.models;

import io.t2c.graph.Attributes;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.ShapeInference;
import io.t2c.graph.TensorInfo;
import io.t2c.graph.Value;
import io.t2c.graph.op.OnnxTypes;
import io.t2c.graph.op.OpRegistry;
import io.t2c.tensor.DType;
import io.t2c.tensor.Shapes;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Builds a {@link Graph} in code, one PyTorch module at a time, with PyTorch's names.
 *
 * <p>Naming, which reports, extraction and {@link StateDicts} rely on:
 * <ul>
 *   <li>a node standing for a torch module is named by the module's path ({@code layer1.0.conv1},
 *       {@code blocks.0.attn.qkv}); its output value has the same name;</li>
 *   <li>a node for a functional op torch has no module for is named {@code <module>/<op>}
 *       ({@code layer1.0/add}, {@code blocks.0.attn/softmax});</li>
 *   <li>parameters and buffers are initializers named exactly as in the torch state dict
 *       ({@code layer1.0.conv1.weight}, {@code bn1.running_mean}); internal constants (shapes, axes, index tables)
 *       are named {@code <module>/<what>}. A state-dict key never contains {@code '/'}, so the state dict of a graph
 *       is its initializers without one.</li>
 * </ul>
 * A name used twice gets {@code _1}, {@code _2}… appended, as torch.fx does for a module called twice.
 *
 * <p>Every node is shape-checked as it is added (with two probe sizes for the dynamic dimensions, so
 * {@link #shape} reports them as {@code -1}); a mistake fails at the line that made it, naming the node.
 * Parameters start with seeded random values (uniform ±1/√fan_in for weights and biases, as torch's default
 * initialisation bounds them; ones and zeros for norms and running statistics), deterministic per name and seed, so
 * a built model runs at once and {@link ModelZoo#loadStateDict} replaces them with trained values.
 *
 * <p>{@link #linear} takes 2-D inputs only: transformer builders keep token tensors as rows {@code [N·L, D]} so every
 * {@code nn.Linear} is one {@code Gemm(transB=1)} on the torch weight {@code [out, in]}, with no transposed copy.
 */
public final class ModelBuilder {
    private static final int PROBE_A = 1;
    private static final int PROBE_B = 2;

    private final String graphName;
    private final long seed;
    private final OpRegistry registry;
    private final List<Value> inputs = new ArrayList<>();
    private final List<String> outputs = new ArrayList<>();
    private final List<Node> nodes = new ArrayList<>();
    private final Map<String, Tensor> initializers = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final Set<String> usedNames = new HashSet<>();
    /** Inferred values with every dynamic dimension set to PROBE_A, and to PROBE_B: dims that differ are dynamic. */
    private final Map<String, TensorInfo> probeA = new HashMap<>();
    private final Map<String, TensorInfo> probeB = new HashMap<>();

    public ModelBuilder(String graphName, long seed) {
        this(graphName, seed, OpRegistry.standard());
    }

    public ModelBuilder(String graphName, long seed, OpRegistry registry) {
        this.graphName = graphName;
        this.seed = seed;
        this.registry = registry;
    }

    // ---- graph inputs, outputs, metadata ----

    /** Declares a graph input; a dimension of {@code -1} is dynamic (the batch, a sequence length). */
    public String input(String name, DType dtype, int... shape) {
        claim(name);
        inputs.add(new Value(name, dtype, shape));
        int[] a = shape.clone();
        int[] b = shape.clone();
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                a[i] = PROBE_A;
                b[i] = PROBE_B;
            }
        }
        probeA.put(name, TensorInfo.of(dtype, a));
        probeB.put(name, TensorInfo.of(dtype, b));
        return name;
    }

    /** Marks a value as a graph output; its type and shape (dynamic dims as -1) come from inference. */
    public ModelBuilder output(String value) {
        info(value);
        outputs.add(value);
        return this;
    }

    public ModelBuilder metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    public Graph build() {
        List<Value> outs = new ArrayList<>();
        for (String o : outputs) {
            outs.add(new Value(o, info(o).dtype(), shape(o)));
        }
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.putIfAbsent("producer", "t2c-models");
        return new Graph(graphName, inputs, outs, nodes, initializers, meta);
    }

    // ---- shapes ----

    /** The inferred shape of a value, with dynamic dimensions as {@code -1}. */
    public int[] shape(String value) {
        int[] a = info(value).shape();
        int[] b = probeB.get(value).shape();
        for (int i = 0; i < a.length; i++) {
            if (a[i] != b[i]) {
                a[i] = Value.DYNAMIC;
            }
        }
        return a;
    }

    /** One static dimension of a value; an error if that dimension is dynamic. */
    public int dim(String value, int axis) {
        int[] s = shape(value);
        int d = s[Shapes.axis(axis, s.length)];
        if (d < 0) {
            throw new T2cException("graph " + graphName + ": dimension " + axis + " of '" + value + "' "
                    + Value.describe(s) + " is dynamic; a layer needs it static");
        }
        return d;
    }

    private TensorInfo info(String value) {
        TensorInfo t = probeA.get(value);
        if (t == null) {
            throw new T2cException("graph " + graphName + ": no value named '" + value + "' has been defined");
        }
        return t;
    }

    // ---- parameters and constants ----

    /** Registers a state-dict entry (parameter or buffer) under its torch name. */
    public String param(String key, Tensor value) {
        if (key.contains("/")) {
            throw new IllegalArgumentException("parameter name '" + key + "' contains '/', which marks internal"
                    + " constants; torch state-dict keys never do");
        }
        claim(key);
        initializers.put(key, value);
        probeA.put(key, TensorInfo.of(value));
        probeB.put(key, TensorInfo.of(value));
        return key;
    }

    /** A parameter with seeded values uniform in {@code [-bound, bound]}, deterministic per (seed, key). */
    public String uniform(String key, double bound, int... shape) {
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ key.hashCode());
        float[] v = new float[Shapes.numel(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((2 * r.nextDouble() - 1) * bound);
        }
        return param(key, Tensor.of(v, shape));
    }

    /** A parameter (or buffer) filled with one value. */
    public String filled(String key, float value, int... shape) {
        float[] v = new float[Shapes.numel(shape)];
        Arrays.fill(v, value);
        return param(key, Tensor.of(v, shape));
    }

    /**
     * An internal constant named {@code <owner>/<what>} (owner: usually the node that reads it): not part of the
     * state dict.
     */
    public String constant(String owner, String what, Tensor value) {
        String name = unique(owner + "/" + what);
        claim(name);
        initializers.put(name, value);
        probeA.put(name, TensorInfo.of(value));
        probeB.put(name, TensorInfo.of(value));
        return name;
    }

    /** An INT64 vector constant: shapes, axes, indices. */
    public String ints(String owner, String what, long... values) {
        return constant(owner, what, Tensor.vector(values));
    }

    /** A float scalar constant (rank 0). */
    public String scalar(String owner, String what, float value) {
        return constant(owner, what, Tensor.scalar(value).reshape());
    }

    // ---- nodes ----

    /**
     * Adds a node named {@code name} (made unique) with one output of the same name, shape-checks it and returns
     * the output's name.
     */
    public String op(String name, String opType, Attributes attrs, String... nodeInputs) {
        String unique = unique(name);
        Node n = new Node(unique, opType, List.of(nodeInputs), List.of(unique), attrs);
        for (String in : nodeInputs) {
            if (!in.isEmpty()) {
                info(in);
            }
        }
        claim(unique);
        infer(n, probeA);
        infer(n, probeB);
        nodes.add(n);
        return unique;
    }

    public String op(String name, String opType, String... nodeInputs) {
        return op(name, opType, Attributes.EMPTY, nodeInputs);
    }

    private void infer(Node n, Map<String, TensorInfo> infos) {
        if (ShapeInference.inferNode(n, registry, infos) == null) {
            throw new T2cException("graph " + graphName + ": node " + n.label()
                    + " has a shape known only at run time; zoo graphs keep shapes static but for the batch");
        }
    }

    private String unique(String name) {
        if (!usedNames.contains(name)) {
            return name;
        }
        for (int i = 1; ; i++) {
            String candidate = name + "_" + i;
            if (!usedNames.contains(candidate)) {
                return candidate;
            }
        }
    }

    private void claim(String name) {
        if (!usedNames.add(name)) {
            throw new IllegalArgumentException("graph " + graphName + ": the name '" + name + "' is already used");
        }
    }

    // ---- layers: torch modules (node named by the module path) ----

    /** {@code nn.Conv2d} without bias: weight {@code <module>.weight [out, in/groups, k, k]}. */
    public String conv(String module, String x, int outChannels, int kernel, int stride, int padding) {
        return conv(module, x, outChannels, kernel, stride, padding, 1, false);
    }

    /** {@code nn.Conv2d(in, out, kernel, stride, padding, groups=groups, bias=bias)}, square kernel. */
    public String conv(String module, String x, int outChannels, int kernel, int stride, int padding, int groups,
                       boolean bias) {
        int in = dim(x, 1);
        if (in % groups != 0 || outChannels % groups != 0) {
            throw new IllegalArgumentException(module + ": " + in + " → " + outChannels + " channels do not split into "
                    + groups + " groups");
        }
        double bound = 1 / Math.sqrt((double) in / groups * kernel * kernel);
        String w = uniform(module + ".weight", bound, outChannels, in / groups, kernel, kernel);
        Attributes a = Attributes.of("kernel_shape", new long[] {kernel, kernel}, "strides",
                new long[] {stride, stride}, "pads", new long[] {padding, padding, padding, padding}, "group", groups);
        if (!bias) {
            return op(module, "Conv", a, x, w);
        }
        return op(module, "Conv", a, x, w, uniform(module + ".bias", bound, outChannels));
    }

    /** {@code nn.BatchNorm2d} in eval mode (eps 1e-5): weight, bias, running_mean, running_var. */
    public String bn(String module, String x) {
        int c = dim(x, 1);
        return op(module, "BatchNormalization", Attributes.of("epsilon", 1e-5), x, filled(module + ".weight", 1, c),
                filled(module + ".bias", 0, c), filled(module + ".running_mean", 0, c),
                filled(module + ".running_var", 1, c));
    }

    /**
     * {@code nn.Linear(in, out, bias)} on rows {@code [M, in]}: {@code Gemm(transB=1)} with the weight as torch
     * stores it, {@code [out, in]}.
     */
    public String linear(String module, String x, int outFeatures, boolean bias) {
        int[] s = shape(x);
        if (s.length != 2) {
            throw new IllegalArgumentException(module + ": linear takes rows [M, in], got " + Value.describe(s)
                    + "; reshape tokens to [N·L, D] first");
        }
        int in = dim(x, 1);
        double bound = 1 / Math.sqrt(in);
        String w = uniform(module + ".weight", bound, outFeatures, in);
        Attributes a = Attributes.of("transB", 1);
        if (!bias) {
            return op(module, "Gemm", a, x, w);
        }
        return op(module, "Gemm", a, x, w, uniform(module + ".bias", bound, outFeatures));
    }

    public String linear(String module, String x, int outFeatures) {
        return linear(module, x, outFeatures, true);
    }

    /** {@code nn.LayerNorm(last dim, eps)}: weight and bias over the last axis. */
    public String layerNorm(String module, String x, double eps) {
        int d = dim(x, -1);
        return op(module, "LayerNormalization", Attributes.of("axis", -1, "epsilon", eps), x,
                filled(module + ".weight", 1, d), filled(module + ".bias", 0, d));
    }

    /** {@code nn.Embedding(num, dim)} looked up by integer ids: weight {@code [num, dim]} (values N(0, 1)-like). */
    public String embedding(String module, String ids, int num, int dim) {
        String w = uniform(module + ".weight", Math.sqrt(3), num, dim);
        return op(module, "Gather", Attributes.of("axis", 0), w, ids);
    }

    public String relu(String name, String x) {
        return op(name, "Relu", x);
    }

    /** Exact (erf) GELU, {@code nn.GELU()}. */
    public String gelu(String name, String x) {
        return op(name, "Gelu", x);
    }

    public String tanh(String name, String x) {
        return op(name, "Tanh", x);
    }

    public String maxPool(String name, String x, int kernel, int stride, int padding) {
        return op(name, "MaxPool", Attributes.of("kernel_shape", new long[] {kernel, kernel}, "strides",
                new long[] {stride, stride}, "pads", new long[] {padding, padding, padding, padding}), x);
    }

    public String avgPool(String name, String x, int kernel, int stride) {
        return op(name, "AveragePool", Attributes.of("kernel_shape", new long[] {kernel, kernel}, "strides",
                new long[] {stride, stride}), x);
    }

    public String globalAvgPool(String name, String x) {
        return op(name, "GlobalAveragePool", x);
    }

    // ---- functional ops ----

    /** {@code torch.flatten(x, 1)}. */
    public String flatten(String name, String x) {
        return op(name, "Flatten", Attributes.of("axis", 1), x);
    }

    public String add(String name, String a, String b) {
        return op(name, "Add", a, b);
    }

    public String mul(String name, String a, String b) {
        return op(name, "Mul", a, b);
    }

    public String matmul(String name, String a, String b) {
        return op(name, "MatMul", a, b);
    }

    public String softmax(String name, String x) {
        return op(name, "Softmax", Attributes.of("axis", -1), x);
    }

    /** Reshape to a constant shape ({@code -1} inferred, {@code 0} copies the input's dimension). */
    public String reshape(String name, String x, long... shape) {
        String n = unique(name);
        return op(n, "Reshape", x, ints(n, "shape", shape));
    }

    /** Reshape to a shape computed in the graph (an INT64 vector value). */
    public String reshapeTo(String name, String x, String shapeValue) {
        return op(name, "Reshape", x, shapeValue);
    }

    public String transpose(String name, String x, int... perm) {
        return op(name, "Transpose", Attributes.of("perm", perm), x);
    }

    /** {@code x.select(axis, index)}: the slice at one index, with that axis removed. */
    public String select(String name, String x, int axis, long index) {
        String n = unique(name);
        return op(n, "Gather", Attributes.of("axis", axis), x, constant(n, "index", Tensor.scalarLong(index).reshape()));
    }

    public String concat(String name, int axis, String... xs) {
        return op(name, "Concat", Attributes.of("axis", axis), xs);
    }

    /** {@code x[start:end]} along one axis. */
    public String slice(String name, String x, int axis, long start, long end) {
        String n = unique(name);
        return op(n, "Slice", x, ints(n, "starts", start), ints(n, "ends", end), ints(n, "axes", axis));
    }

    /** {@code torch.roll(x, shift, axis)} as two slices and a concat (static axis size). */
    public String roll(String name, String x, int shift, int axis) {
        int n = dim(x, axis);
        int s = Math.floorMod(shift, n);
        if (s == 0) {
            return x;
        }
        String tail = slice(name + "_tail", x, axis, n - s, n);
        String head = slice(name + "_head", x, axis, 0, n - s);
        return concat(name, axis, tail, head);
    }

    /** The dimensions {@code [start, end)} of a value's runtime shape, as an INT64 vector. */
    public String shapeOf(String name, String x, int start, int end) {
        return op(name, "Shape", Attributes.of("start", start, "end", end), x);
    }

    public String cast(String name, String x, DType to) {
        return op(name, "Cast", Attributes.of("to", OnnxTypes.onnxType(to)), x);
    }

    /**
     * Scaled-dot-product attention on heads: {@code softmax(scale·q·kᵀ + Σ masks)·v} with {@code q [B, H, L, dh]},
     * {@code kT [B, H, dh, L]} and {@code v [B, H, L, dh]}. Nodes are {@code <module>/matmul_qk}, {@code /scale},
     * {@code /add_mask}, {@code /softmax}, {@code /matmul_av}.
     */
    public String attention(String module, String q, String kT, String v, double scale, String... additiveMasks) {
        String scores = matmul(module + "/matmul_qk", q, kT);
        if (scale != 1) {
            String n = unique(module + "/scale");
            scores = mul(n, scores, scalar(n, "value", (float) scale));
        }
        for (String m : additiveMasks) {
            scores = add(module + "/add_mask", scores, m);
        }
        return matmul(module + "/matmul_av", softmax(module + "/softmax", scores), v);
    }
}
