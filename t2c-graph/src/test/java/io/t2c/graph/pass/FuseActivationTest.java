package io.t2c.graph.pass;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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

class FuseActivationTest {
    /** x → Conv → act (→ y), optionally with a second reader of the conv output. */
    static Graph convThen(String act, boolean shared) {
        Random r = new Random(8);
        Map<String, Tensor> inits = new HashMap<>();
        inits.put("w", FoldBatchNormTest.random(r, 0, 4, 2, 3, 3));
        inits.put("lo", Tensor.scalar(0f).reshape());
        inits.put("hi", Tensor.scalar(0.3f).reshape());
        List<Node> nodes = new ArrayList<>();
        nodes.add(new Node("conv", "Conv", List.of("x", "w"), List.of("c"), Attributes.of("pads", new long[] {1, 1, 1, 1})));
        nodes.add(new Node("act", act, act.equals("Clip") ? List.of("c", "lo", "hi") : List.of("c"), List.of("y"),
                Attributes.EMPTY));
        List<Value> outs = new ArrayList<>(List.of(new Value("y", null, null)));
        if (shared) {
            nodes.add(new Node("neg", "Neg", List.of("c"), List.of("z"), Attributes.EMPTY));
            outs.add(new Value("z", null, null));
        }
        return new Graph("g", List.of(new Value("x", DType.FLOAT32, new int[] {-1, 2, 5, 5})), outs, nodes, inits, Map.of());
    }

    @Test
    void fusesReluAndClipKeepingTheOutputName() {
        Tensor x = FoldBatchNormTest.random(new Random(2), 0, 2, 2, 5, 5);
        for (String act : List.of("Relu", "Clip")) {
            Graph g = convThen(act, false);
            Pass.PassResult res = new FuseActivation().apply(g);
            assertTrue(res.changed());
            assertEquals(List.of("Conv"), res.graph().nodes().stream().map(Node::opType).toList());
            assertEquals("y", res.graph().nodes().get(0).output(0));
            assertArrayEquals(new Executor(g).run(x).floats(), new Executor(res.graph()).run(x).floats(), act);
        }
    }

    /** The fused clamp's gradient equals the separate activation's: training a fused graph changes nothing. */
    @Test
    void gradientsEqualThoseOfTheUnfusedGraph() {
        Tensor x = FoldBatchNormTest.random(new Random(3), 0, 2, 2, 5, 5);
        for (String act : List.of("Relu", "Clip")) {
            Graph g = withSumLoss(convThen(act, false));
            Graph f = withSumLoss(new FuseActivation().apply(convThen(act, false)).graph());
            var a = io.t2c.autograd.Backprop.run(g, io.t2c.graph.op.OpRegistry.standard(), Map.of("x", x), "loss", List.of("x", "w"));
            var b = io.t2c.autograd.Backprop.run(f, io.t2c.graph.op.OpRegistry.standard(), Map.of("x", x), "loss", List.of("x", "w"));
            for (String k : List.of("x", "w")) {
                float[] ga = a.gradients().get(k).floats();
                float[] gb = b.gradients().get(k).floats();
                for (int i = 0; i < ga.length; i++) {
                    assertEquals(ga[i], gb[i], 1e-6, act + " d/d" + k + "[" + i + "]");
                }
            }
        }
    }

    /** The graph with loss = Σ y·r for a fixed random r. */
    private static Graph withSumLoss(Graph g) {
        List<Node> nodes = new ArrayList<>(g.nodes());
        Map<String, Tensor> inits = new HashMap<>(g.initializers());
        inits.put("r", FoldBatchNormTest.random(new Random(1), 0, 2, 4, 5, 5));
        nodes.add(new Node("weigh", "Mul", List.of("y", "r"), List.of("wy"), Attributes.EMPTY));
        nodes.add(new Node("sum", "ReduceSum", List.of("wy"), List.of("loss"), Attributes.of("keepdims", 0)));
        return new Graph("g", g.inputs(), List.of(new Value("loss", null, null)), nodes, inits, Map.of());
    }

    /** A residual Add → Relu fuses too, with the same values and gradients. */
    @Test
    void fusesAResidualAddAndRelu() {
        Map<String, Tensor> inits = new HashMap<>(Map.of("skip", FoldBatchNormTest.random(new Random(6), 0, 2, 4, 5, 5),
                "r", FoldBatchNormTest.random(new Random(7), 0, 2, 4, 5, 5)));
        List<Node> nodes = List.of(new Node("add", "Add", List.of("x", "skip"), List.of("s"), Attributes.EMPTY),
                new Node("relu", "Relu", List.of("s"), List.of("y"), Attributes.EMPTY),
                new Node("weigh", "Mul", List.of("y", "r"), List.of("wy"), Attributes.EMPTY),
                new Node("sum", "ReduceSum", List.of("wy"), List.of("loss"), Attributes.of("keepdims", 0)));
        Graph g = new Graph("res", List.of(new Value("x", DType.FLOAT32, new int[] {2, 4, 5, 5})),
                List.of(new Value("loss", null, null)), nodes, inits, Map.of());
        Graph f = new FuseActivation().apply(g).graph();
        assertEquals(List.of("Add", "Mul", "ReduceSum"), f.nodes().stream().map(Node::opType).toList());
        Tensor x = FoldBatchNormTest.random(new Random(9), 0, 2, 4, 5, 5);
        var a = io.t2c.autograd.Backprop.run(g, io.t2c.graph.op.OpRegistry.standard(), Map.of("x", x), "loss", List.of("x"));
        var b = io.t2c.autograd.Backprop.run(f, io.t2c.graph.op.OpRegistry.standard(), Map.of("x", x), "loss", List.of("x"));
        assertEquals(a.outputs().get("loss").getDouble(0), b.outputs().get("loss").getDouble(0), 1e-6);
        assertArrayEquals(a.gradients().get("x").floats(), b.gradients().get("x").floats());
    }

    @Test
    void declinesWhenTheConvOutputHasAnotherReader() {
        assertFalse(new FuseActivation().apply(convThen("Relu", true)).changed());
    }

    @Test
    void declinesForOtherActivations() {
        assertFalse(new FuseActivation().apply(convThen("Sigmoid", false)).changed());
    }
}
