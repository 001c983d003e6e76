package io.t2c.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelBuilderTest {
    @Test
    void modulesAreNodesNamedByPathFunctionalOpsCarryASlash() {
        Graph g = ModelZoo.build("resnet20");
        List<String> names = g.nodes().stream().map(Node::name).toList();
        assertEquals(List.of("conv1", "bn1", "relu", "layer1.0.conv1", "layer1.0.bn1", "layer1.0.relu",
                "layer1.0.conv2", "layer1.0.bn2", "layer1.0/add", "layer1.0.relu_1"), names.subList(0, 10));
        assertTrue(names.contains("layer2.0.downsample.0") && names.contains("fc"));
        for (Node n : g.nodes()) {
            assertEquals(List.of(n.name()), n.outputs(), "a node's output is named after it");
        }
        Node conv = g.nodes().get(3);
        assertEquals(List.of("relu", "layer1.0.conv1.weight"), conv.inputs());
    }

    @Test
    void linearIsGemmOnTheTorchWeightLayout() {
        ModelBuilder b = new ModelBuilder("lin", 0);
        String x = b.input("x", DType.FLOAT32, -1, 3);
        String y = b.linear("fc", x, 2);
        Graph g = b.output(y).build();
        Node n = g.nodes().get(0);
        assertEquals("Gemm", n.opType());
        assertEquals(1, n.attributes().getInt("transB", 0));
        assertArrayEquals(new int[] {2, 3}, g.initializer("fc.weight").shape());
        assertArrayEquals(new int[] {-1, 2}, g.outputs().get(0).shape());
        // y = x·Wᵀ + b, checked by hand
        Tensor w = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor bias = Tensor.of(new float[] {0.5f, -1}, 2);
        Graph loaded = ModelZoo.loadStateDict(g, java.util.Map.of("fc.weight", w, "fc.bias", bias));
        Tensor out = new Executor(loaded).run(Tensor.of(new float[] {1, 0, -1}, 1, 3));
        assertArrayEquals(new float[] {1 - 3 + 0.5f, 4 - 6 - 1}, out.floats());
    }

    @Test
    void linearRefusesTokenTensorsWithAHint() {
        ModelBuilder b = new ModelBuilder("t", 0);
        String x = b.input("x", DType.FLOAT32, -1, 5, 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.linear("fc", x, 2));
        assertTrue(e.getMessage().contains("[N·L, D]"), e.getMessage());
    }

    @Test
    void shapesReportDynamicDimensions() {
        ModelBuilder b = new ModelBuilder("s", 0);
        String x = b.input("x", DType.FLOAT32, -1, 4, 6, 6);
        String y = b.reshape("rows", b.transpose("nhwc", x, 0, 2, 3, 1), -1, 4);
        assertArrayEquals(new int[] {-1, 4}, b.shape(y));
        assertEquals(4, b.dim(y, 1));
        T2cException e = assertThrows(T2cException.class, () -> b.dim(y, 0));
        assertTrue(e.getMessage().contains("dynamic"), e.getMessage());
    }

    @Test
    void repeatedNamesGetSuffixesAndParametersMustBeUnique() {
        ModelBuilder b = new ModelBuilder("u", 0);
        String x = b.input("x", DType.FLOAT32, -1, 2);
        assertEquals("act", b.relu("act", x));
        assertEquals("act_1", b.relu("act", x));
        b.filled("p.weight", 1, 2);
        assertThrows(IllegalArgumentException.class, () -> b.filled("p.weight", 1, 2));
        assertThrows(IllegalArgumentException.class, () -> b.filled("p/weight", 1, 2));
    }

    @Test
    void aShapeMistakeFailsAtTheNodeThatMadeIt() {
        ModelBuilder b = new ModelBuilder("bad", 0);
        String x = b.input("x", DType.FLOAT32, -1, 3, 8, 8);
        String w = b.filled("conv.weight", 1, 4, 5, 3, 3);
        T2cException e = assertThrows(T2cException.class, () -> b.op("conv", "Conv", x, w));
        assertTrue(e.getMessage().contains("conv (Conv)"), e.getMessage());
    }

    @Test
    void rollMatchesTorchRoll() {
        ModelBuilder b = new ModelBuilder("roll", 0);
        String x = b.input("x", DType.FLOAT32, 1, 5);
        Graph g = b.output(b.roll("left", x, -2, 1)).output(b.roll("right", x, 2, 1)).build();
        var out = new Executor(g).run(java.util.Map.of("x", Tensor.of(new float[] {0, 1, 2, 3, 4}, 1, 5)));
        assertArrayEquals(new float[] {2, 3, 4, 0, 1}, out.get("left").floats()); // torch.roll(x, -2)
        assertArrayEquals(new float[] {3, 4, 0, 1, 2}, out.get("right").floats()); // torch.roll(x, 2)
    }
}
