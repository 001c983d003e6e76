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
}
