package io.t2c.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GraphTest {
    static Node node(String name, String op, List<String> in, List<String> out) {
        return new Node(name, op, in, out, Attributes.EMPTY);
    }

    @Test
    void sortsNodesTopologically() {
        Value x = new Value("x", DType.FLOAT32, new int[] {-1, 3});
        Graph g = new Graph("g", List.of(x), List.of(new Value("c", null, null)),
                List.of(node("n2", "Identity", List.of("b"), List.of("c")), node("n1", "Identity", List.of("x"), List.of("b"))),
                Map.of(), Map.of());
        assertEquals(List.of("n1", "n2"), g.nodes().stream().map(Node::name).toList());
    }

    @Test
    void rejectsCyclesMissingValuesAndDuplicates() {
        Value x = new Value("x", DType.FLOAT32, new int[] {1});
        T2cException cycle = assertThrows(T2cException.class, () -> new Graph("g", List.of(x), List.of(new Value("a", null, null)),
                List.of(node("n1", "Identity", List.of("b"), List.of("a")), node("n2", "Identity", List.of("a"), List.of("b"))),
                Map.of(), Map.of()));
        assertTrue(cycle.getMessage().contains("cycle"), cycle.getMessage());
        T2cException missing = assertThrows(T2cException.class, () -> new Graph("g", List.of(x), List.of(new Value("a", null, null)),
                List.of(node("n1", "Identity", List.of("nope"), List.of("a"))), Map.of(), Map.of()));
        assertTrue(missing.getMessage().contains("'nope'"), missing.getMessage());
        T2cException twice = assertThrows(T2cException.class, () -> new Graph("g", List.of(x), List.of(new Value("a", null, null)),
                List.of(node("n1", "Identity", List.of("x"), List.of("a")), node("n2", "Identity", List.of("x"), List.of("a"))),
                Map.of(), Map.of()));
        assertTrue(twice.getMessage().contains("more than once"), twice.getMessage());
    }

    @Test
    void executorChecksInputsAndKeepsBatchDynamic() {
        Value x = new Value("x", DType.FLOAT32, new int[] {-1, 2, 3});
        Graph g = new Graph("g", List.of(x), List.of(new Value("y", null, null), new Value("s", null, null)),
                List.of(new Node("flat", "Flatten", List.of("x"), List.of("y"), Attributes.of("axis", 1)),
                        node("shape", "Shape", List.of("x"), List.of("s"))),
                Map.of(), Map.of());
        Executor ex = new Executor(g);
        for (int batch : new int[] {1, 5}) {
            Map<String, Tensor> out = ex.run(Map.of("x", Tensor.zeros(DType.FLOAT32, batch, 2, 3)));
            assertEquals(List.of("y", "s"), List.copyOf(out.keySet()));
            assertEquals(batch, out.get("y").dim(0));
            assertEquals(6, out.get("y").dim(1));
            assertEquals(batch, out.get("s").getLong(0));
        }
        T2cException bad = assertThrows(T2cException.class, () -> ex.run(Map.of("x", Tensor.zeros(DType.FLOAT32, 1, 3, 3))));
        assertTrue(bad.getMessage().contains("[N, 2, 3]"), bad.getMessage());
        T2cException missing = assertThrows(T2cException.class, () -> ex.run(Map.of()));
        assertTrue(missing.getMessage().contains("missing input 'x'"), missing.getMessage());
    }

    /**
     * The executor reuses the arrays of dead intermediates: repeated runs must still give each run's own results,
     * leave the inputs alone, and never touch an output handed out earlier, also when an output shares its array
     * with a dead intermediate (a reshape).
     */
    @Test
    void reusedArraysNeverLeakBetweenValuesOrRuns() {
        Value x = new Value("x", DType.FLOAT32, new int[] {-1, 3, 4});
        Graph g = new Graph("g", List.of(x), List.of(new Value("flat", null, null), new Value("y", null, null)),
                List.of(node("relu", "Relu", List.of("x"), List.of("r")),
                        node("reshape", "Reshape", List.of("r", "shape"), List.of("flat")),
                        node("neg", "Neg", List.of("x"), List.of("n")),
                        node("add", "Add", List.of("n", "x"), List.of("z")),
                        node("sig", "Sigmoid", List.of("z"), List.of("s")),
                        node("mul", "Mul", List.of("s", "n"), List.of("y"))),
                Map.of("shape", Tensor.ofLongs(new long[] {-1, 12}, 2)), Map.of());
        Executor ex = new Executor(g);
        java.util.Random rnd = new java.util.Random(5);
        List<float[]> inputs = new java.util.ArrayList<>();
        List<Map<String, Tensor>> outputs = new java.util.ArrayList<>();
        for (int run = 0; run < 4; run++) {
            float[] in = new float[2 * 12];
            for (int i = 0; i < in.length; i++) {
                in[i] = (float) rnd.nextGaussian();
            }
            inputs.add(in.clone());
            outputs.add(ex.run(Map.of("x", Tensor.of(in, 2, 3, 4))));
            org.junit.jupiter.api.Assertions.assertArrayEquals(inputs.get(run), in, "the input was modified");
        }
        for (int run = 0; run < 4; run++) {
            float[] in = inputs.get(run);
            float[] flat = outputs.get(run).get("flat").floats();
            float[] y = outputs.get(run).get("y").floats();
            for (int i = 0; i < in.length; i++) {
                assertEquals(Math.max(in[i], 0f), flat[i], "run " + run + " flat[" + i + "]");
                double z = -in[i] + in[i];
                assertEquals(-in[i] / (1 + Math.exp(-z)), y[i], 1e-6, "run " + run + " y[" + i + "]");
            }
        }
    }
}
