package io.t2c.quant.ptq;

import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.ShapeInference;
import io.t2c.graph.TensorInfo;
import io.t2c.graph.op.OpRegistry;
import io.t2c.quant.Quantizer;
import io.t2c.quant.QuantizerRegistry;
import io.t2c.quant.Role;
import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where quantizers go: on both inputs of every Conv, ConvTranspose, Gemm and MatMul — weights (initializers) and
 * activations alike, so the first layer's image input, the classifier, and attention's Q·Kᵀ and P·V (MatMuls of two
 * activations) are all quantized unless an override skips them — and on the outputs of residual adds,
 * concatenations, average pools and means (but not of an additive mask or bias that only a Softmax reads), and of
 * LayerNorm, Softmax and GELU when no single quantizer reads them through pass-through ops. Element-wise non-linearities computed as lookup tables ({@link TableOps}) get a
 * quantizer on their input when their activation bits are at most 8, so the table is indexed by codes of known scale;
 * their result is read by the next quantizer as usual, and when none reads it (through the pass-through ops Relu,
 * MaxPool, Flatten, Reshape, Transpose, Gather) the end of the table's region gets one of its own, since the table
 * must produce codes of some scale. A quantized value has one quantizer and every reader reads the quantized value
 * (except layers an override skips), as the integer model stores it once.
 */
public record QuantPlan(List<Position> positions) {
    /** Ops whose inputs are quantized: the ones that multiply. */
    public static final Set<String> MULTIPLYING_OPS = Set.of("Conv", "ConvTranspose", "Gemm", "MatMul");
    /**
     * Ops whose outputs are quantized too: they merge or average integer operands into a new tensor the integer
     * model stores (a residual sum, a concatenation, a pooled map), so the value needs a scale of its own.
     */
    public static final Set<String> STORED_OPS = Set.of("Add", "Sub", "Concat", "AveragePool", "GlobalAveragePool",
            "ReduceMean");
    /**
     * Ops whose integer form produces codes at a scale of their own: their output needs a quantizer. Usually the
     * next layer's input quantizer is it; when the output fans out (Swin's roll as two slices) or reaches an op that
     * is not a quantizer (a ReduceMean), the output gets one of its own.
     */
    static final Set<String> RESCALING_OPS = Set.of("LayerNormalization", "Softmax", "Gelu");
    /** Ops through which a table's codes reach the next quantizer unchanged in scale (LowerToInteger's list). */
    static final Set<String> PASS_THROUGH = Set.of("Relu", "MaxPool", "Flatten", "Reshape", "Transpose", "Gather");

    /**
     * One quantizer: on {@code value}, a weight or activation, with its quantizer and bit width, whether codes are
     * signed, the axis of a weight's output channels (−1 when not a weight of a known layout), and the layers that
     * read it.
     */
    public record Position(String value, Role role, Quantizer quantizer, int bits, boolean signed, int channelAxis,
                           List<String> consumers) {}

    public static QuantPlan of(Graph g, PtqConfig config, QuantizerRegistry registry) {
        Map<String, Position> byValue = new LinkedHashMap<>();
        Set<String> skipped = new HashSet<>();
        Map<String, TensorInfo> infos = null;
        Set<LayerOverride> unused = new HashSet<>(config.overrides());
        List<Node> tables = new ArrayList<>();
        List<Node> rescaling = new ArrayList<>();
        for (Node n : g.nodes()) {
            LayerOverride o = overrideOf(config, n);
            unused.remove(o);
            if (o != null && o.skip()) {
                skipped.add(n.name());
                continue;
            }
            if (MULTIPLYING_OPS.contains(n.opType())) {
                for (int i = 0; i < 2 && i < n.inputs().size(); i++) {
                    String v = n.input(i);
                    if (!byValue.containsKey(v)) {
                        byValue.put(v, position(g, config, registry, o, n, i, v));
                    }
                }
            } else if (TableOps.starts(n, config.wideGelu())
                    && pick(o == null ? null : o.abit(), config.abit()) <= TableOps.MAX_BITS) {
                tables.add(n);
                if (!byValue.containsKey(n.input(0))) {
                    byValue.put(n.input(0), position(g, config, registry, o, n, 0, n.input(0)));
                }
            } else if (RESCALING_OPS.contains(n.opType())) {
                rescaling.add(n);
            } else if (STORED_OPS.contains(n.opType()) && !byValue.containsKey(n.output(0))
                    && !isSoftmaxOffset(g, n)) {
                // Shape arithmetic (a Concat of INT64 dims feeding an Expand) is not a stored activation.
                infos = infos == null ? ShapeInference.infer(g, OpRegistry.standard(), 1) : infos;
                TensorInfo info = infos.get(n.output(0));
                if (info != null && info.dtype() != DType.FLOAT32) {
                    continue;
                }
                byValue.put(n.output(0), position(g, config, registry, o, n, -1, n.output(0)));
            }
        }
        if (!unused.isEmpty()) {
            // A pattern that names no layer is almost always a typo; silently quantizing that layer the default way
            // would hide it.
            throw new T2cException("override pattern " + unused.stream().map(x -> "'" + x.pattern() + "'").toList()
                    + " matches no layer of " + g.name() + "; layer names are: " + layerNames(g));
        }
        for (Node n : tables) {
            List<Node> region = TableOps.region(g, n);
            Node last = region.get(region.size() - 1);
            if (!quantizedDownstream(g, last.output(0), byValue.keySet())) {
                LayerOverride o = overrideOf(config, n);
                byValue.put(last.output(0), position(g, config, registry, o, last, -1, last.output(0)));
            }
        }
        for (Node n : rescaling) {
            if (!quantizedDownstream(g, n.output(0), byValue.keySet())) {
                LayerOverride o = overrideOf(config, n);
                byValue.put(n.output(0), position(g, config, registry, o, n, -1, n.output(0)));
            }
        }
        List<Position> positions = new ArrayList<>();
        for (Position p : byValue.values()) {
            List<String> readers = g.consumers(p.value()).stream().map(Node::name)
                    .filter(r -> !skipped.contains(r)).toList();
            if (!readers.isEmpty()) {
                positions.add(new Position(p.value(), p.role(), p.quantizer(), p.bits(), p.signed(), p.channelAxis(),
                        readers));
            }
        }
        return new QuantPlan(List.copyOf(positions));
    }

    /** The first override whose pattern matches the node's name, or null. */
    private static LayerOverride overrideOf(PtqConfig config, Node n) {
        return config.overrides().stream().filter(x -> x.matches(n.name())).findFirst().orElse(null);
    }

    private static String layerNames(Graph g) {
        List<String> names = g.nodes().stream()
                .filter(n -> MULTIPLYING_OPS.contains(n.opType()) || STORED_OPS.contains(n.opType()))
                .map(Node::name).toList();
        return names.size() <= 12 ? String.join(", ", names)
                : String.join(", ", names.subList(0, 12)) + ", … (" + names.size() + " in all; see t2c inspect)";
    }

    /**
     * An Add/Sub whose result only a Softmax reads (through pass-through ops): an additive attention mask or bias.
     * It stays unquantized, so a mask (BERT's (1 − mask)·float32.min, Swin's −100) removes its keys instead of
     * stretching an 8-bit grid over it; the integer model keeps the sum wide (docs/NUMERICS.md).
     */
    public static boolean isSoftmaxOffset(Graph g, Node n) {
        if (!n.opType().equals("Add") && !n.opType().equals("Sub")) {
            return false;
        }
        String at = n.output(0);
        while (true) {
            List<Node> readers = g.consumers(at);
            if (readers.size() != 1 || !readers.get(0).input(0).equals(at)) {
                return false;
            }
            Node r = readers.get(0);
            if (r.opType().equals("Softmax")) {
                return true;
            }
            if (!PASS_THROUGH.contains(r.opType())) {
                return false;
            }
            at = r.output(0);
        }
    }

    /** Whether {@code v}, or a value it reaches through single-reader pass-through ops, is quantized. */
    private static boolean quantizedDownstream(Graph g, String v, Set<String> quantized) {
        String at = v;
        while (true) {
            if (quantized.contains(at)) {
                return true;
            }
            List<Node> readers = g.consumers(at);
            String current = at;
            if (readers.size() != 1 || !PASS_THROUGH.contains(readers.get(0).opType())
                    || !readers.get(0).input(0).equals(at)
                    || g.outputs().stream().anyMatch(o -> o.name().equals(current))) {
                return false;
            }
            at = readers.get(0).output(0);
        }
    }

    /** A new position on {@code v}, read by (or, for input −1, written by) node n; readers are filled in later. */
    private static Position position(Graph g, PtqConfig config, QuantizerRegistry registry, LayerOverride o, Node n,
                                     int input, String v) {
        boolean weight = g.initializers().containsKey(v);
        Role role = weight ? Role.WEIGHT : Role.ACTIVATION;
        String name = weight ? pick(o == null ? null : o.wq(), config.wq()) : pick(o == null ? null : o.aq(), config.aq());
        int bits = weight ? pick(o == null ? null : o.wbit(), config.wbit()) : pick(o == null ? null : o.abit(), config.abit());
        // The network input's range comes from data normalization, not from a layer: a normalized image spans
        // [−mean/std, (1 − mean)/std] (Fashion-MNIST: [−0.81, 2.02]), where a symmetric grid leaves ~40 % of the codes
        // unused. It gets unsigned codes with a zero point (an asymmetric grid); 0 stays exactly representable.
        boolean signed = weight || !(NonNegative.of(g, v) || isGraphInput(g, v));
        int axis = weight ? weightChannelAxis(n, input, g.initializer(v).rank()) : -1;
        return new Position(v, role, registry.get(name), bits, signed, axis, List.of());
    }

    private static boolean isGraphInput(Graph g, String v) {
        return g.inputs().stream().anyMatch(in -> in.name().equals(v));
    }

    /**
     * The axis of a weight that indexes the layer's outputs: axis 0 of a Conv weight (O, I/g, kh, kw), axis 1 of a
     * ConvTranspose weight (I, O/g, kh, kw), axis 0 of Gemm's B when transB (torch's Linear) else axis 1, the last
     * axis of MatMul's right operand; for a constant left operand, the rows.
     */
    static int weightChannelAxis(Node n, int input, int rank) {
        return switch (n.opType()) {
            case "Conv" -> input == 1 ? 0 : -1;
            case "ConvTranspose" -> input == 1 ? 1 : -1;
            case "Gemm" -> input == 1 ? (n.attributes().getInt("transB", 0) != 0 ? 0 : 1)
                    : (n.attributes().getInt("transA", 0) != 0 ? 1 : 0);
            case "MatMul" -> input == 1 ? rank - 1 : Math.max(0, rank - 2);
            default -> -1;
        };
    }

    private static <T> T pick(T override, T dflt) {
        return override != null ? override : dflt;
    }
}
