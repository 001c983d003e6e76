package io.t2c.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.io.tensorfile.Npy;
import io.t2c.io.tensorfile.PthReader;
import io.t2c.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The constants of window attention against torchvision's (same definitions as timm's). */
class SwinTransformersTest {
    @Test
    void relativePositionIndexIsTorchvisionsBuffer() {
        Tensor expected = PthReader.read(Fixtures.resource("fixtures/swin_relative_position_index_w4.pth")).get("index");
        assertArrayEquals(expected.toLongArray(), SwinTransformers.relativePositionIndex(4).toLongArray());
    }

    @Test
    void shiftMaskIsTorchvisions() {
        Tensor expected = Npy.read(Fixtures.resource("fixtures/swin_mask_r16_w4_s2.npy")); // [nW, w², w²]
        Tensor mask = SwinTransformers.shiftMask(16, 4, 2);
        assertArrayEquals(new int[] {16, 1, 16, 16}, mask.shape());
        assertArrayEquals(expected.floats(), mask.floats());
    }

    @Test
    void swinTinyShiftsEveryOddBlockButInTheLastStage() {
        Graph g = ModelZoo.build("swin_tiny_patch4_window7_224");
        long shifted = g.nodes().stream().map(Node::name).filter(n -> n.endsWith("/roll_h")).count();
        assertEquals(1 + 1 + 3, shifted); // stages of 56, 28, 14: blocks 1 (1, 3, 5); stage of 7 = one window
        assertArrayEquals(new int[] {64, 1, 49, 49}, g.initializer("layers.0.blocks.1.attn/attn_mask").shape());
    }
}
