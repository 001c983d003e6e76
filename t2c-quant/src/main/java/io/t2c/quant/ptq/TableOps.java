package io.t2c.quant.ptq;

import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The element-wise non-linearities an integer model computes as one lookup table when their input is quantized to at
 * most {@link #MAX_BITS} bits (docs/NUMERICS.md, "Lookup tables"): {@link QuantPlan} puts a quantizer on their input
 * and, when nothing else quantizes it, on the output of their {@link #region}; t2c-convert's {@code LowerToInteger}
 * evaluates the same region on every input code. Both sides call this class, so they agree on what a table covers.
 */
public final class TableOps {
    private TableOps() {}

    /** Ops of one input whose table is their float kernel on each code ({@code Gelu}: erf and tanh forms). */
    public static final Set<String> OPS = Set.of("Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Gelu", "LeakyRelu");
    /** Widest input codes a table indexes: 2^8 = 256 entries. */
    public static final int MAX_BITS = 8;
    /** Single-input ops that may follow a table inside its region: clamps (ReLU, ReLU6) computed in float. */
    private static final Set<String> CLAMPS = Set.of("Relu", "Clip");

    /** Whether node n starts a table; GELU only when the wide I-BERT path is not asked for. */
    public static boolean starts(Node n, boolean wideGelu) {
        return OPS.contains(n.opType()) && !(wideGelu && n.opType().equals("Gelu"));
    }

    /**
     * The nodes one table computes, in order: the table op n, then (if its output's single reader is) a
     * {@code Mul(x, n(x))} of the same input x — SiLU as an ONNX export writes it, x·Sigmoid(x) — then any
     * single-reader Relu or Clip with constant bounds. A value that is a graph output or has several readers ends
     * the region. The last node's output is what the table's entries encode.
     */
    public static List<Node> region(Graph g, Node n) {
        List<Node> nodes = new ArrayList<>(List.of(n));
        String x = n.input(0);
        String v = n.output(0);
        boolean mulSeen = false;
        while (true) {
            List<Node> readers = g.consumers(v);
            String current = v;
            if (readers.size() != 1 || g.outputs().stream().anyMatch(o -> o.name().equals(current))) {
                return nodes;
            }
            Node r = readers.get(0);
            boolean silu = !mulSeen && nodes.size() == 1 && r.opType().equals("Mul") && r.inputs().size() == 2
                    && (r.input(0).equals(x) && r.input(1).equals(v) || r.input(0).equals(v) && r.input(1).equals(x));
            boolean clamp = CLAMPS.contains(r.opType()) && r.input(0).equals(v)
                    && r.inputs().stream().skip(1).allMatch(b -> b.isEmpty() || g.initializers().containsKey(b));
            if (!silu && !clamp) {
                return nodes;
            }
            mulSeen |= silu;
            nodes.add(r);
            v = r.output(0);
        }
    }

    /** A readable name of what a region computes: "Sigmoid", "Mul(x, Sigmoid(x))", "Relu(HardSwish(x))". */
    public static String describe(List<Node> region) {
        String f = "x";
        for (Node r : region) {
            f = r.opType().equals("Mul") ? "Mul(x, " + f + ")" : r.opType() + "(" + f + ")";
        }
        return f;
    }
}
