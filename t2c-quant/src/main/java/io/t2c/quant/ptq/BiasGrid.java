package io.t2c.quant.ptq;

import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.quant.FakeQuantOp;
import io.t2c.quant.Role;
import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Puts the bias of each Conv and Gemm of a fake-quant graph on the grid its integer form holds it on: b becomes
 * round(b/(Δx·Δw_c))·Δx·Δw_c, a whole number of accumulator steps (Brevitas's Int32Bias does the same). The integer
 * model adds the bias in the accumulator; a float bias between two steps left the fake-quant model up to half an
 * accumulator step away from it, which flips about 10^−4 of the output codes by one, and a ViT carries such flips from
 * block to block (its top-1 agreement with the integer model was 99.2 % before, 99.9 % after). The accuracy of the
 * fake-quant model does not move measurably: the step is Δx·Δw, far below the output step.
 */
public final class BiasGrid {
    private BiasGrid() {}

    /**
     * g with the biases of layers whose input is quantized per tensor (directly or through pass-through ops) and whose
     * weight is quantized per tensor or per output channel moved to their accumulator grid; other biases unchanged.
     */
    public static Graph snap(Graph g) {
        Map<String, Tensor> initializers = new LinkedHashMap<>(g.initializers());
        snap(g.nodes(), initializers);
        return g.withNodes(g.nodes(), initializers);
    }

    /** {@link #snap(Graph)} on a node list, replacing bias tensors in {@code initializers}. */
    static void snap(List<Node> nodes, Map<String, Tensor> initializers) {
        Map<String, Node> producers = new HashMap<>();
        for (Node n : nodes) {
            n.outputs().forEach(o -> producers.put(o, n));
        }
        for (Node n : nodes) {
            if (!n.opType().equals("Conv") && !n.opType().equals("Gemm") || n.inputs().size() < 3) {
                continue;
            }
            Tensor bias = initializers.get(n.input(2));
            float[] sx = scaleOf(activationQuantizer(producers, n.input(0)), initializers);
            float[] sw = scaleOf(weightQuantizer(producers, n.input(1), initializers), initializers);
            if (bias == null || bias.dtype() != DType.FLOAT32 || sx == null || sw == null || sx.length != 1
                    || sw.length != 1 && sw.length != bias.size()) {
                continue;
            }
            float[] b = bias.floats().clone();
            for (int c = 0; c < b.length; c++) {
                // The accumulator step exactly as the converter computes it: the two float scales multiplied in double.
                double step = (double) sx[0] * sw[sw.length == 1 ? 0 : c];
                b[c] = (float) (Math.rint(b[c] / step) * step);
            }
            initializers.put(n.input(2), Tensor.of(b, bias.shape()));
        }
    }

    /** The activation quantizer whose codes reach {@code value} through pass-through ops, or null. */
    private static Node activationQuantizer(Map<String, Node> producers, String value) {
        Node p = producers.get(value);
        while (p != null && QuantPlan.PASS_THROUGH.contains(p.opType())) {
            p = producers.get(p.input(0));
        }
        return p != null && p.opType().equals(FakeQuantOp.NAME) && FakeQuantOp.role(p) == Role.ACTIVATION ? p : null;
    }

    private static Node weightQuantizer(Map<String, Node> producers, String value, Map<String, Tensor> initializers) {
        Node p = producers.get(value);
        return p != null && p.opType().equals(FakeQuantOp.NAME) && initializers.containsKey(p.input(0)) ? p : null;
    }

    private static float[] scaleOf(Node quantizer, Map<String, Tensor> initializers) {
        Tensor s = quantizer == null ? null : initializers.get(quantizer.input(1));
        return s == null || s.dtype() != DType.FLOAT32 ? null : s.floats();
    }
}
