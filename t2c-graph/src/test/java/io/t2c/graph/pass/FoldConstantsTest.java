package io.t2c.graph.pass;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.t2c.graph.Attributes;
import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.Value;
import io.t2c.graph.op.OpRegistry;
import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FoldConstantsTest {
    /** Shape(x, start=1) of x[N,4,2] folds to [4, 2] (and what depends only on it), Shape(x) keeps the batch dynamic. */
    @Test
    void foldsStaticShapeArithmeticButKeepsBatchDynamic() {
        Value x = new Value("x", DType.FLOAT32, new int[] {-1, 4, 2});
        List<Node> nodes = List.of(
                new Node("tail", "Shape", List.of("x"), List.of("tail_shape"), Attributes.of("start", 1)),
                new Node("all", "Shape", List.of("x"), List.of("full_shape"), Attributes.EMPTY),
                new Node("flat", "Reshape", List.of("x", "keep_batch"), List.of("y"), Attributes.EMPTY),
                new Node("w", "Reshape", List.of("eight", "tail_shape"), List.of("w42"), Attributes.EMPTY));
        Graph g = new Graph("g", List.of(x), List.of(new Value("y", null, null), new Value("full_shape", null, null),
                new Value("w42", null, null)), nodes,
                Map.of("keep_batch", Tensor.vector(0, -1), "eight", Tensor.of(new float[8], 8)), Map.of());
        Graph folded = new FoldConstants(OpRegistry.standard()).apply(g).graph();
        assertEquals(List.of("all", "flat"), folded.nodes().stream().map(Node::name).toList());
        assertEquals(List.of(4, 2), java.util.Arrays.stream(folded.initializer("w42").shape()).boxed().toList());
        Map<String, Tensor> out = new Executor(folded).run(Map.of("x", Tensor.zeros(DType.FLOAT32, 5, 4, 2)));
        assertEquals(5, out.get("full_shape").getLong(0), "batch read at run time, not folded");
        assertEquals(List.of(5, 8), java.util.Arrays.stream(out.get("y").shape()).boxed().toList());
    }

    @Test
    void leavesGraphWithoutConstantsUnchanged() {
        Value x = new Value("x", DType.FLOAT32, new int[] {-1, 3});
        Graph g = new Graph("g", List.of(x), List.of(new Value("y", null, null)),
                List.of(new Node("id", "Identity", List.of("x"), List.of("y"), Attributes.EMPTY)), Map.of(), Map.of());
        assertFalse(new FoldConstants(OpRegistry.standard()).apply(g).changed());
    }
}
