package io.t2c.quant.transform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.op.FusedClamp;
import io.t2c.graph.pass.FoldBatchNorm;
import io.t2c.graph.pass.FuseActivation;
import io.t2c.graph.pass.PassPipeline;
import io.t2c.models.ModelBuilder;
import io.t2c.models.ModelConfig;
import io.t2c.models.ModelZoo;
import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CrossLayerEqualizationTest {
    private static Graph folded(Graph g) {
        return new PassPipeline(List.of(new FoldBatchNorm(), new FuseActivation())).run(g);
    }

    private static Tensor randomInput(long seed, int... shape) {
        Random r = new Random(seed);
        float[] v = new float[Math.multiplyExact(Math.multiplyExact(shape[0], shape[1]), shape[2] * shape[3])];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return Tensor.of(v, shape);
    }

    private static double relativeDifference(Tensor a, Tensor b) {
        double diff = 0;
        double scale = 0;
        for (int i = 0; i < a.size(); i++) {
            diff = Math.max(diff, Math.abs(a.floats()[i] - b.floats()[i]));
            scale = Math.max(scale, Math.abs(a.floats()[i]));
        }
        return diff / scale;
    }

    private static void assertEqualizedAndUnchanged(Graph model, Tensor input) {
        Graph before = folded(model);
        Graph after = new CrossLayerEqualization().apply(before).graph();
        var pairs = CrossLayerEqualization.pairs(after);
        assertTrue(pairs.size() >= 2, pairs.size() + " pairs");
        assertTrue(relativeDifference(new Executor(before).run(input), new Executor(after).run(input)) <= 1e-5);
        int changedChannels = 0;
        for (var p : pairs) {
            float[] r1 = CrossLayerEqualization.outputChannelRanges(after.initializer(p.first().input(1)));
            float[] r2 = CrossLayerEqualization.inputChannelRanges(after.initializer(p.second().input(1)),
                    p.second().attributes().getInt("group", 1), r1.length);
            float[] old1 = CrossLayerEqualization.outputChannelRanges(before.initializer(p.first().input(1)));
            for (int i = 0; i < r1.length; i++) {
                assertEquals(r1[i], r2[i], 1e-3 * r1[i], p.first().name() + " → " + p.second().name() + " channel " + i);
                if (Math.abs(old1[i] - r1[i]) > 1e-3 * old1[i]) {
                    changedChannels++;
                }
            }
        }
        assertTrue(changedChannels > 0, "the pass moved some channel ranges");
    }

    @Test
    void resnet20KeepsItsFunctionAndEqualizesEachPair() {
        Graph g = ModelZoo.build("resnet20", new ModelConfig(10, 3, 16, 3));
        assertEqualizedAndUnchanged(g, randomInput(4, 2, 3, 16, 16));
    }

    @Test
    void depthwiseAndPointwiseChainsAreEqualized() {
        // MobileNet's pattern: pointwise → depthwise → pointwise → depthwise, BN and ReLU after each.
        ModelBuilder b = new ModelBuilder("separable", 5);
        String x = b.input("input", DType.FLOAT32, 2, 8, 8, 8);
        x = b.relu("pw1.relu", b.bn("pw1.bn", b.conv("pw1", x, 16, 1, 1, 0)));
        x = b.relu("dw1.relu", b.bn("dw1.bn", b.conv("dw1", x, 16, 3, 1, 1, 16, false)));
        x = b.relu("pw2.relu", b.bn("pw2.bn", b.conv("pw2", x, 8, 1, 1, 0)));
        x = b.conv("dw2", x, 8, 3, 2, 1, 8, true);
        assertEqualizedAndUnchanged(b.output(x).build(), randomInput(6, 2, 8, 8, 8));
    }

    /** conv a (8 → 8, ReLU) → conv b, optionally with a second reader of a's output. */
    private static Graph twoConvs(boolean secondReader) {
        ModelBuilder b = new ModelBuilder("pair", 9);
        String x = b.input("input", DType.FLOAT32, 1, 4, 6, 6);
        String a = b.relu("relu", b.conv("a", x, 8, 3, 1, 1, 1, true));
        String y = b.conv("b", a, 8, 3, 1, 1, 1, true);
        return b.output(secondReader ? b.add("sum", y, a) : y).build();
    }

    @Test
    void declinesReluSixAndSharedIntermediates() {
        Graph plain = folded(twoConvs(false));
        assertEquals(1, CrossLayerEqualization.pairs(plain).size());
        List<Node> nodes = new ArrayList<>();
        for (Node n : plain.nodes()) {
            nodes.add(n.name().equals("a") ? n.withAttributes(n.attributes().with(FusedClamp.MAX, 6f)) : n);
        }
        Graph relu6 = plain.withNodes(nodes, plain.initializers());
        assertTrue(CrossLayerEqualization.pairs(relu6).isEmpty());
        assertFalse(new CrossLayerEqualization().apply(relu6).changed());
        assertTrue(CrossLayerEqualization.pairs(folded(twoConvs(true))).isEmpty());
    }
}
