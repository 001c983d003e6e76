package io.t2c.quant.transform;

import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.Value;
import io.t2c.graph.op.FusedClamp;
import io.t2c.graph.pass.Pass;
import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Cross-layer equalization (Nagel et al., 2019, "Data-Free Quantization", §4.1). For two convolutions in a row,
 * {@code B(f(A(x)))} with f the identity or ReLU, f(s·v) = s·f(v) for s > 0, so dividing output channel i of A
 * (weights and bias) by s_i and multiplying input channel i of B by s_i leaves the function unchanged. With
 * r1_i = max|A's output channel i| and r2_i = max|B's input channel i|, DFQ's choice s_i = √(r1_i / r2_i) makes
 * both ranges √(r1_i·r2_i), so per-tensor quantization of either weight wastes less range on small channels.
 * Chains (A → B → C) are swept until no scale moves by more than {@link #TOLERANCE} (relative).
 *
 * <p>Run after FoldBatchNorm and FuseActivation: the pair must be Conv → Conv with nothing in between, A's clamp
 * (if fused) must be ReLU's [0, ∞) — ReLU6's fixed upper bound is not positively homogeneous — A's output must be
 * read by B alone and not be a graph output, and both weights (and A's bias) must be float constants used by their
 * conv only. B may be grouped (depthwise → pointwise, pointwise → depthwise). Other pairs are left as they are.
 */
public final class CrossLayerEqualization implements Pass {
    public static final String NAME = "CrossLayerEqualization";
    public static final double TOLERANCE = 1e-4;
    public static final int MAX_SWEEPS = 1000;

    @Override
    public String name() {
        return NAME;
    }

    /** A Conv → Conv pair that can be equalized. */
    public record Pair(Node first, Node second) {}

    /** The pairs of g that satisfy the preconditions, in graph order. */
    public static List<Pair> pairs(Graph g) {
        Set<String> graphOutputs = new HashSet<>();
        for (Value v : g.outputs()) {
            graphOutputs.add(v.name());
        }
        List<Pair> pairs = new ArrayList<>();
        for (Node a : g.nodes()) {
            if (!a.opType().equals("Conv") || !positivelyHomogeneous(a) || graphOutputs.contains(a.output(0))
                    || !ownedFloatConstant(g, a, 1) || a.inputs().size() > 2 && !a.input(2).isEmpty()
                    && !ownedFloatConstant(g, a, 2)) {
                continue;
            }
            List<Node> readers = g.consumers(a.output(0));
            if (readers.size() != 1) {
                continue;
            }
            Node b = readers.get(0);
            if (b.opType().equals("Conv") && b.input(0).equals(a.output(0)) && ownedFloatConstant(g, b, 1)) {
                pairs.add(new Pair(a, b));
            }
        }
        return pairs;
    }

    @Override
    public PassResult apply(Graph g) {
        List<Pair> pairs = pairs(g);
        if (pairs.isEmpty()) {
            return new PassResult(g, false);
        }
        Map<String, Tensor> inits = new LinkedHashMap<>(g.initializers());
        // Work on copies: tensors are values, and the input graph must keep its weights.
        for (Pair p : pairs) {
            copy(inits, p.first().input(1));
            copy(inits, p.second().input(1));
            if (hasBias(p.first())) {
                copy(inits, p.first().input(2));
            }
        }
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            double largestChange = 0;
            for (Pair p : pairs) {
                largestChange = Math.max(largestChange, equalize(p, inits));
            }
            if (largestChange < TOLERANCE) {
                break;
            }
        }
        return new PassResult(g.withNodes(g.nodes(), inits), true);
    }

    /** Equalizes one pair in place; returns the largest |s_i − 1|. */
    private static double equalize(Pair p, Map<String, Tensor> inits) {
        Tensor w1 = inits.get(p.first().input(1));
        Tensor w2 = inits.get(p.second().input(1));
        float[] r1 = outputChannelRanges(w1);
        float[] r2 = inputChannelRanges(w2, p.second().attributes().getInt("group", 1), r1.length);
        double[] s = new double[r1.length];
        double largest = 0;
        for (int i = 0; i < s.length; i++) {
            // A dead channel (all-zero weights on either side) has no range to balance.
            s[i] = r1[i] > 0 && r2[i] > 0 ? Math.sqrt((double) r1[i] / r2[i]) : 1;
            largest = Math.max(largest, Math.abs(s[i] - 1));
        }
        scaleOutputChannels(w1, s);
        if (hasBias(p.first())) {
            float[] bias = inits.get(p.first().input(2)).floats();
            for (int i = 0; i < bias.length; i++) {
                bias[i] = (float) (bias[i] / s[i]);
            }
        }
        scaleInputChannels(w2, p.second().attributes().getInt("group", 1), s);
        return largest;
    }

    /** max|W[i, …]| for each output channel i of a conv weight (O, I/g, kh, kw). */
    public static float[] outputChannelRanges(Tensor w) {
        float[] v = w.floats();
        int out = w.dim(0);
        int per = v.length / out;
        float[] r = new float[out];
        for (int i = 0; i < v.length; i++) {
            r[i / per] = Math.max(r[i / per], Math.abs(v[i]));
        }
        return r;
    }

    /**
     * max|W[o, c mod (C/g), …]| over the output channels o of c's group, for each input channel c of a conv weight
     * (O, C/g, kh, kw) with g groups.
     */
    public static float[] inputChannelRanges(Tensor w, int groups, int channels) {
        float[] v = w.floats();
        int[] shape = w.shape();
        int perGroupIn = shape[1];
        int kernel = v.length / (shape[0] * perGroupIn);
        int outPerGroup = shape[0] / groups;
        float[] r = new float[channels];
        for (int i = 0; i < v.length; i++) {
            int o = i / (perGroupIn * kernel);
            int c = (o / outPerGroup) * perGroupIn + (i / kernel) % perGroupIn;
            r[c] = Math.max(r[c], Math.abs(v[i]));
        }
        return r;
    }

    private static void scaleOutputChannels(Tensor w, double[] s) {
        float[] v = w.floats();
        int per = v.length / w.dim(0);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (v[i] / s[i / per]);
        }
    }

    private static void scaleInputChannels(Tensor w, int groups, double[] s) {
        float[] v = w.floats();
        int[] shape = w.shape();
        int perGroupIn = shape[1];
        int kernel = v.length / (shape[0] * perGroupIn);
        int outPerGroup = shape[0] / groups;
        for (int i = 0; i < v.length; i++) {
            int o = i / (perGroupIn * kernel);
            int c = (o / outPerGroup) * perGroupIn + (i / kernel) % perGroupIn;
            v[i] = (float) (v[i] * s[c]);
        }
    }

    /** No clamp, or ReLU's [0, ∞): f(s·v) = s·f(v) for every s > 0. */
    private static boolean positivelyHomogeneous(Node conv) {
        if (!FusedClamp.present(conv)) {
            return true;
        }
        var a = conv.attributes();
        return a.getFloat(FusedClamp.MIN, Float.NEGATIVE_INFINITY) == 0
                && a.getFloat(FusedClamp.MAX, Float.POSITIVE_INFINITY) == Float.POSITIVE_INFINITY;
    }

    private static boolean hasBias(Node conv) {
        return conv.inputs().size() > 2 && !conv.input(2).isEmpty();
    }

    private static boolean ownedFloatConstant(Graph g, Node node, int input) {
        Tensor t = g.initializer(node.input(input));
        return t != null && t.dtype() == DType.FLOAT32 && g.consumers(node.input(input)).size() == 1;
    }

    private static void copy(Map<String, Tensor> inits, String name) {
        Tensor t = inits.get(name);
        inits.put(name, Tensor.of(t.floats().clone(), t.shape()));
    }
}
