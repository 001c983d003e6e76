package io.t2c.graph.pass;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.graph.Attributes;
import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.Value;
import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FoldBatchNormTest {
    static Tensor random(Random r, float offset, int... shape) {
        float[] v = new float[java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
        for (int i = 0; i < v.length; i++) {
            v[i] = offset + (float) r.nextGaussian() * 0.5f;
        }
        return Tensor.of(v, shape);
    }

    /** x → Conv(w[, b]) → BN → Relu, with an optional second reader of the conv output. */
    static Graph convBnRelu(boolean convBias, boolean convOutputSharedWithAdd) {
        Random r = new Random(5);
        Map<String, Tensor> inits = new HashMap<>();
        inits.put("w", random(r, 0, 4, 3, 3, 3));
        if (convBias) {
            inits.put("b", random(r, 0, 4));
        }
        inits.put("gamma", random(r, 1, 4));
        inits.put("beta", random(r, 0, 4));
        inits.put("mean", random(r, 0, 4));
        inits.put("var", random(r, 2, 4));
        List<Node> nodes = new ArrayList<>();
        nodes.add(new Node("conv", "Conv", convBias ? List.of("x", "w", "b") : List.of("x", "w"), List.of("c"),
                Attributes.of("pads", new long[] {1, 1, 1, 1})));
        nodes.add(new Node("bn", "BatchNormalization", List.of("c", "gamma", "beta", "mean", "var"), List.of("n"),
                Attributes.of("epsilon", 1e-3)));
        nodes.add(new Node("relu", "Relu", List.of("n"), List.of("y"), Attributes.EMPTY));
        List<Value> outputs = new ArrayList<>(List.of(new Value("y", null, null)));
        if (convOutputSharedWithAdd) {
            nodes.add(new Node("add", "Add", List.of("c", "n"), List.of("z"), Attributes.EMPTY));
            outputs.add(new Value("z", null, null));
        }
        return new Graph("g", List.of(new Value("x", DType.FLOAT32, new int[] {-1, 3, 6, 6})), outputs, nodes, inits,
                Map.of());
    }

    @Test
    void foldsIntoConvWithAndWithoutBiasKeepingOutputs() {
        for (boolean bias : new boolean[] {false, true}) {
            Graph g = convBnRelu(bias, false);
            Pass.PassResult res = new FoldBatchNorm().apply(g);
            assertTrue(res.changed());
            Graph f = res.graph();
            assertEquals(List.of("Conv", "Relu"), f.nodes().stream().map(Node::opType).toList());
            assertEquals("conv", f.nodes().get(0).name(), "the fused conv keeps its own name");
            assertEquals("n", f.nodes().get(0).output(0));
            Tensor x = random(new Random(9), 0, 2, 3, 6, 6);
            Tensor before = new Executor(g).run(x);
            Tensor after = new Executor(f).run(x);
            for (int i = 0; i < before.size(); i++) {
                assertEquals(before.getDouble(i), after.getDouble(i), 1e-5 * (1 + Math.abs(before.getDouble(i))));
            }
        }
    }

    @Test
    void declinesWhenTheConvOutputHasAnotherReader() {
        assertFalse(new FoldBatchNorm().apply(convBnRelu(true, true)).changed());
    }

    @Test
    void declinesInTrainingMode() {
        Graph g = convBnRelu(false, false);
        List<Node> nodes = new ArrayList<>();
        for (Node n : g.nodes()) {
            nodes.add(n.opType().equals("BatchNormalization") ? new Node(n.name(), n.opType(), n.inputs(), n.outputs(),
                    n.attributes().with("training_mode", 1L)) : n);
        }
        Graph training = new Graph("g", g.inputs(), g.outputs(), nodes, g.initializers(), Map.of());
        assertFalse(new FoldBatchNorm().apply(training).changed());
    }

    @Test
    void declinesWhenParametersAreNotConstant() {
        Graph g = convBnRelu(false, false);
        List<Value> inputs = List.of(g.inputs().get(0), new Value("gamma", DType.FLOAT32, new int[] {4}));
        Map<String, Tensor> inits = new HashMap<>(g.initializers());
        inits.remove("gamma");
        Graph dynamicGamma = new Graph("g", inputs, g.outputs(), g.nodes(), inits, Map.of());
        assertFalse(new FoldBatchNorm().apply(dynamicGamma).changed());
    }

    @Test
    void foldingArithmeticMatchesFloat64() {
        Random r = new Random(3);
        Tensor w = random(r, 0, 2, 5);
        Tensor b = random(r, 0, 2);
        Tensor mean = random(r, 0, 2);
        Tensor var = random(r, 2, 2);
        Tensor gamma = random(r, 1, 2);
        Tensor beta = random(r, 0, 2);
        BatchNormFolding.Folded f = BatchNormFolding.foldIntoConv(w, b, mean, var, 1e-5, gamma, beta);
        for (int o = 0; o < 2; o++) {
            double a = gamma.getDouble(o) / Math.sqrt(var.getDouble(o) + 1e-5);
            for (int i = 0; i < 5; i++) {
                assertEquals(a * w.getDouble(o * 5 + i), f.weight().getDouble(o * 5 + i), 1e-6);
            }
            assertEquals(a * (b.getDouble(o) - mean.getDouble(o)) + beta.getDouble(o), f.bias().getDouble(o), 1e-6);
        }
    }
}
