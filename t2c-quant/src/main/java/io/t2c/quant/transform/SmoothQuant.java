package io.t2c.quant.transform;

import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.Value;
import io.t2c.graph.pass.Pass;
import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * SmoothQuant (Xiao et al., 2023): moves quantization difficulty from activations to weights. For an activation X
 * read only by linear layers, input channel j is divided by s_j and the weights' input column j multiplied by it:
 * {@code s_j = max(max|X_j|^α / max|W_j|^(1−α), 1e-5)}, where max|W_j| is taken over all reading linears (q, k and v
 * share one s) and clamped ≥ 1e-5, as Torch2Chip's LLM code. The division is folded into X's producer, so the float
 * function is unchanged:
 *
 * <ul>
 * <li>a LayerNormalization over the last axis: its scale and bias divided by s;
 * <li>a Gemm or MatMul with a constant weight: its output column j (and bias j) divided by s_j.
 * </ul>
 *
 * Readers must be Gemm (transA = 0) or MatMul with a constant 2-D weight, each weight used by that node alone, and X
 * must not be a graph output. Channel maxima come from calibration ({@link #activationMaxima}). α is 0.5 for vision
 * models ({@link #VISION_ALPHA}, Torch2Chip's ViT default) and 0.85 for language models ({@link #LANGUAGE_ALPHA}, all
 * of Torch2Chip's LLM configs). Unlike Torch2Chip's ViT path, which uses one scalar per layer (a no-op for per-tensor
 * quantization), s is per channel.
 */
public final class SmoothQuant implements Pass {
    public static final String NAME = "SmoothQuant";
    public static final double VISION_ALPHA = 0.5;
    public static final double LANGUAGE_ALPHA = 0.85;
    static final double MIN_SCALE = 1e-5;

    private final Map<String, float[]> activationMax;
    private final double alpha;
    private final Map<String, float[]> applied = new LinkedHashMap<>();

    /** {@code activationMax}: for each activation to smooth, max |X[…, j]| over the calibration data per channel j. */
    public SmoothQuant(Map<String, float[]> activationMax, double alpha) {
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new T2cException("SmoothQuant's migration strength α must lie in [0, 1], got " + alpha);
        }
        this.activationMax = Map.copyOf(activationMax);
        this.alpha = alpha;
    }

    @Override
    public String name() {
        return NAME;
    }

    /** The smoothing factors s of the last {@link #apply}, by activation value. */
    public Map<String, float[]> scales() {
        return Map.copyOf(applied);
    }

    /** Activations whose producer and readers allow smoothing. */
    public static List<String> smoothable(Graph g) {
        Set<String> graphOutputs = new HashSet<>();
        for (Value v : g.outputs()) {
            graphOutputs.add(v.name());
        }
        List<String> out = new ArrayList<>();
        for (Node producer : g.nodes()) {
            if (producer.outputs().isEmpty()) {
                continue;
            }
            String x = producer.output(0);
            List<Node> readers = g.consumers(x);
            if (graphOutputs.contains(x) || readers.isEmpty() || !foldableProducer(g, producer)) {
                continue;
            }
            boolean allLinear = true;
            for (Node r : readers) {
                allLinear &= readsAsLinearInput(g, r, x);
            }
            if (allLinear) {
                out.add(x);
            }
        }
        return out;
    }

    /**
     * Runs g on each batch (graph input name → tensor) and returns, for each named value, max |X[…, j]| over every
     * batch and row, per index j of the last axis.
     */
    public static Map<String, float[]> activationMaxima(Graph g, List<String> values, List<Map<String, Tensor>> batches) {
        List<Value> outputs = new ArrayList<>(g.outputs());
        for (String v : values) {
            outputs.add(new Value(v, DType.FLOAT32, new int[] {Value.DYNAMIC}));
        }
        Executor exec = new Executor(new Graph(g.name(), g.inputs(), outputs, g.nodes(), g.initializers(),
                g.metadata()));
        Map<String, float[]> maxima = new LinkedHashMap<>();
        for (Map<String, Tensor> batch : batches) {
            Map<String, Tensor> results = exec.run(batch);
            for (String v : values) {
                Tensor t = results.get(v);
                int channels = t.dim(-1);
                float[] m = maxima.computeIfAbsent(v, k -> new float[channels]);
                float[] data = t.floats();
                for (int i = 0; i < data.length; i++) {
                    m[i % channels] = Math.max(m[i % channels], Math.abs(data[i]));
                }
            }
        }
        return maxima;
    }

    @Override
    public PassResult apply(Graph g) {
        applied.clear();
        Map<String, Tensor> inits = new LinkedHashMap<>(g.initializers());
        List<String> candidates = smoothable(g);
        for (String x : candidates) {
            float[] actMax = activationMax.get(x);
            if (actMax == null) {
                continue;
            }
            Node producer = g.producer(x);
            List<Node> readers = g.consumers(x);
            float[] weightMax = new float[actMax.length];
            for (Node r : readers) {
                LinearWeight w = LinearWeight.of(r, inits.get(r.input(1)));
                if (w.in() != actMax.length) {
                    throw new T2cException("SmoothQuant: " + x + " has " + actMax.length + " calibrated channels but "
                            + r.name() + " reads " + w.in());
                }
                for (int j = 0; j < w.in(); j++) {
                    for (int o = 0; o < w.out(); o++) {
                        weightMax[j] = Math.max(weightMax[j], Math.abs(w.values()[w.index(j, o)]));
                    }
                }
            }
            float[] s = new float[actMax.length];
            for (int j = 0; j < s.length; j++) {
                double wj = Math.max(weightMax[j], MIN_SCALE);
                s[j] = (float) Math.max(Math.pow(actMax[j], alpha) / Math.pow(wj, 1 - alpha), MIN_SCALE);
            }
            for (Node r : readers) {
                String name = r.input(1);
                LinearWeight w = LinearWeight.of(r, copy(inits, name));
                for (int j = 0; j < w.in(); j++) {
                    for (int o = 0; o < w.out(); o++) {
                        w.values()[w.index(j, o)] *= s[j];
                    }
                }
            }
            divideProducer(producer, inits, s);
            applied.put(x, s);
        }
        return new PassResult(applied.isEmpty() ? g : g.withNodes(g.nodes(), inits), !applied.isEmpty());
    }

    /** Divides channel j of the producer's output by s_j through its constants. */
    private static void divideProducer(Node producer, Map<String, Tensor> inits, float[] s) {
        if (producer.opType().equals("LayerNormalization")) {
            for (int k = 1; k < producer.inputs().size(); k++) {
                if (!producer.input(k).isEmpty()) {
                    float[] v = copy(inits, producer.input(k)).floats();
                    for (int j = 0; j < v.length; j++) {
                        v[j] /= s[j];
                    }
                }
            }
            return;
        }
        // A linear producer: its output column j is this activation's channel j.
        LinearWeight w = LinearWeight.of(producer, copy(inits, producer.input(1)));
        for (int i = 0; i < w.in(); i++) {
            for (int j = 0; j < w.out(); j++) {
                w.values()[w.index(i, j)] /= s[j];
            }
        }
        if (producer.inputs().size() > 2 && !producer.input(2).isEmpty()) {
            float[] bias = copy(inits, producer.input(2)).floats();
            for (int j = 0; j < bias.length; j++) {
                bias[j] /= s[j];
            }
        }
    }

    private static boolean foldableProducer(Graph g, Node p) {
        if (p.opType().equals("LayerNormalization")) {
            Tensor scale = g.initializer(p.input(1));
            boolean biasConstant = p.inputs().size() < 3 || p.input(2).isEmpty()
                    || g.initializer(p.input(2)) != null && ownedBy(g, p.input(2));
            // Only a normalization over the last axis has one scale per channel of its output.
            return p.attributes().getInt("axis", -1) == -1 && scale != null && scale.rank() == 1
                    && ownedBy(g, p.input(1)) && biasConstant;
        }
        if (!isLinear(g, p)) {
            return false;
        }
        if (p.inputs().size() < 3 || p.input(2).isEmpty()) {
            return true;
        }
        Tensor bias = g.initializer(p.input(2));
        return bias != null && bias.rank() == 1 && ownedBy(g, p.input(2))
                && bias.dim(0) == LinearWeight.of(p, g.initializer(p.input(1))).out();
    }

    private static boolean readsAsLinearInput(Graph g, Node r, String x) {
        return isLinear(g, r) && r.input(0).equals(x) && !r.input(1).equals(x);
    }

    /** Gemm (transA = 0) or MatMul with a constant 2-D float weight that no other node reads. */
    private static boolean isLinear(Graph g, Node n) {
        boolean gemm = n.opType().equals("Gemm") && n.attributes().getInt("transA", 0) == 0;
        if (!gemm && !n.opType().equals("MatMul")) {
            return false;
        }
        Tensor w = g.initializer(n.input(1));
        return w != null && w.rank() == 2 && w.dtype() == DType.FLOAT32 && ownedBy(g, n.input(1));
    }

    private static boolean ownedBy(Graph g, String value) {
        return g.consumers(value).size() == 1;
    }

    private static Tensor copy(Map<String, Tensor> inits, String name) {
        Tensor t = inits.get(name);
        Tensor c = Tensor.of(t.floats().clone(), t.shape());
        inits.put(name, c);
        return c;
    }

    /** A linear layer's weight seen as in × out: Gemm transB = 1 stores (out, in), MatMul and transB = 0 (in, out). */
    private record LinearWeight(float[] values, int in, int out, boolean outerIsOut) {
        static LinearWeight of(Node n, Tensor w) {
            boolean transposed = n.opType().equals("Gemm") && n.attributes().getInt("transB", 0) != 0;
            return transposed ? new LinearWeight(w.floats(), w.dim(1), w.dim(0), true)
                    : new LinearWeight(w.floats(), w.dim(0), w.dim(1), false);
        }

        int index(int inIndex, int outIndex) {
            return outerIsOut ? outIndex * in + inIndex : inIndex * out + outIndex;
        }
    }
}
