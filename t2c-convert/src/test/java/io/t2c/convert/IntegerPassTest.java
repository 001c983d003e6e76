package io.t2c.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.io.data.Dataset;
import io.t2c.io.data.Datasets;
import io.t2c.models.ModelBuilder;
import io.t2c.quant.ptq.Ptq;
import io.t2c.quant.ptq.PtqConfig;
import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Each lowering on a small hand-built graph (Fashion-MNIST-shaped input, seeded weights): W8A8 PTQ, conversion, the
 * expected integer ops, every op bit-exact against the reference, and the integer logits within 35 dB SQNR of the
 * fake-quant model's (their one legitimate difference is the bias rounded to the accumulator scale).
 */
class IntegerPassTest {
    static final Dataset TRAIN = Datasets.open("fashion-mnist:train");
    static final Dataset TEST = Datasets.open("fashion-mnist:test");

    record Converted(Graph fakeQuant, Graph integer) {
        List<Node> ops(String type) {
            return integer.nodes().stream().filter(n -> n.opType().equals(type)).toList();
        }
    }

    /** Builds {@code body(builder, image)} → flatten → linear(10), quantizes, converts and checks bit-exactness. */
    static Converted convert(Function<ModelBuilder, String> body) {
        ModelBuilder b = new ModelBuilder("pass", 11);
        b.input("image", DType.FLOAT32, -1, 1, 28, 28);
        String features = body.apply(b);
        b.output(b.linear("fc", b.flatten("flat", features), 10));
        PtqConfig c = PtqConfig.defaults("minmax_channel", "minmax", 8, 8).withSamples(64, 32)
                .withReconstruction(PtqConfig.Reconstruction.NONE);
        Graph fq = Ptq.run(b.build(), TRAIN, c, Ptq.Listener.NONE).model();
        Graph ig = LowerToInteger.run(fq, LowerToInteger.Options.defaults());
        for (Node n : ig.nodes()) {
            assertTrue(ConvertCnnTest.INTEGER_OR_MOVEMENT.contains(n.opType()), "no float op left: " + n.label());
        }
        BitExactChecker.Report r = new BitExactChecker(ig).check(List.of(TEST.batch(0, 3).images()));
        assertEquals(r.ops(), r.exactOps(), r.mismatches().toString());
        Tensor images = TEST.batch(0, 16).images();
        float[] want = new Executor(fq).run(Map.of("image", images)).values().iterator().next().floats();
        float[] got = new Executor(ig).run(Map.of("image", images)).values().iterator().next().floats();
        double signal = 0;
        double noise = 0;
        for (int i = 0; i < want.length; i++) {
            signal += (double) want[i] * want[i];
            noise += (double) (want[i] - got[i]) * (want[i] - got[i]);
        }
        assertTrue(10 * Math.log10(signal / noise) >= 35, "integer vs fake-quant SQNR " + 10 * Math.log10(
                signal / noise) + " dB");
        return new Converted(fq, ig);
    }

    @Test
    void reluAndRelu6FoldIntoTheClamp() {
        Converted c = convert(b -> {
            String x = b.relu("relu", b.conv("c1", "image", 8, 3, 1, 1, 1, true));
            return b.op("relu6", "Clip", b.conv("c2", x, 8, 3, 2, 1, 1, true),
                    b.scalar("relu6", "min", 0), b.scalar("relu6", "max", 6));
        });
        assertTrue(c.integer().nodes().stream().noneMatch(n -> n.opType().equals("Relu") || n.opType().equals("Clip")));
        Node first = c.ops(IntegerOps.CONV).get(0);
        Node second = c.ops(IntegerOps.CONV).get(1);
        assertEquals(first.attributes().getLong(IntegerOps.Y_ZERO_POINT, -1), first.attributes().getLong(
                IntegerOps.Y_MIN, -99), "ReLU: the clamp starts at the code of 0");
        double scale = second.attributes().getDoubles(IntegerOps.Y_SCALE)[0];
        long zero = second.attributes().getLong(IntegerOps.Y_ZERO_POINT, 0);
        long sixOrTop = Math.min(zero + Math.round(6 / scale), 255);
        assertEquals(zero, second.attributes().getLong(IntegerOps.Y_MIN, -99));
        assertTrue(second.attributes().getLong(IntegerOps.Y_MAX, -99) <= sixOrTop, "ReLU6: the clamp stops at 6");
    }

    @Test
    void maxPoolFlattenReshapeTransposePassCodesThrough() {
        Converted c = convert(b -> {
            String x = b.maxPool("pool", b.relu("relu", b.conv("c1", "image", 4, 3, 1, 1, 1, true)), 2, 2, 0);
            String tokens = b.transpose("tr", b.reshape("rows", x, 0, 4, 196), 0, 2, 1);
            return b.reshape("back", tokens, 0, 196, 2, 2);
        });
        assertEquals(1, c.ops(IntegerOps.MAX_POOL).size());
        assertEquals(1, c.ops("Transpose").size());
        assertEquals(0, c.ops(IntegerOps.REQUANTIZE).size(), "codes move unchanged: nothing to requantize");
    }

    @Test
    void residualAddAndSubRescaleBothOperands() {
        Converted c = convert(b -> {
            String stem = b.relu("relu", b.conv("stem", "image", 8, 3, 2, 1, 1, true));
            String sum = b.relu("relu2", b.add("add", stem, b.conv("branch", stem, 8, 3, 1, 1, 1, true)));
            return b.op("sub", "Sub", sum, b.conv("other", sum, 8, 1, 1, 0, 1, true));
        });
        List<Node> adds = c.ops(IntegerOps.ADD);
        assertEquals(2, adds.size());
        assertTrue(adds.get(0).attributes().getLongs(IntegerOps.B_MULTIPLIER)[0] > 0, "Add: positive multiplier");
        assertTrue(adds.get(1).attributes().getLongs(IntegerOps.B_MULTIPLIER)[0] < 0, "Sub: negated multiplier");
    }

    @Test
    void averageAndGlobalAveragePoolsDivideByTheirTapCount() {
        Converted c = convert(b -> {
            String x = b.avgPool("avg", b.relu("relu", b.conv("c1", "image", 8, 3, 1, 1, 1, true)), 2, 2);
            return b.globalAvgPool("gap", b.relu("relu2", b.conv("c2", x, 8, 3, 1, 1, 1, true)));
        });
        List<Node> pools = c.ops(IntegerOps.AVERAGE_POOL);
        assertEquals(2, pools.size());
        assertEquals(0, pools.get(0).attributes().getLong("global", -1));
        assertEquals(1, pools.get(1).attributes().getLong("global", -1));
        assertEquals(1, pools.get(1).attributes().getLong(IntegerOps.POOL_PER_CHANNEL, -1),
                "the GAP reads the conv's ReLU'd accumulator with per-channel scales");
    }

    @Test
    void groupedAndDepthwiseConvolutions() {
        Converted c = convert(b -> {
            String x = b.relu("relu", b.conv("stem", "image", 8, 3, 2, 1, 1, true));
            String grouped = b.relu("relu2", b.conv("grouped", x, 8, 3, 1, 1, 2, true));
            return b.relu("relu3", b.conv("depthwise", grouped, 8, 3, 2, 1, 8, true));
        });
        List<Node> convs = c.ops(IntegerOps.CONV);
        assertEquals(2, convs.get(1).attributes().getLong("group", -1));
        assertEquals(8, convs.get(2).attributes().getLong("group", -1));
    }

    @Test
    void concatRescalesEachOperandToTheOutputSpec() {
        Converted c = convert(b -> {
            String stem = b.relu("relu", b.conv("stem", "image", 4, 3, 2, 1, 1, true));
            String wide = b.conv("wide", stem, 4, 3, 1, 1, 1, true);
            String joined = b.concat("cat", 1, stem, wide);
            return b.relu("relu2", b.conv("mix", joined, 8, 1, 1, 0, 1, true));
        });
        Node cat = c.ops(IntegerOps.CONCAT).get(0);
        assertArrayEquals(new long[] {1, 4}, cat.attributes().getLongs(IntegerOps.X_CHANNELS),
                "the ReLU'd stem is codes (one multiplier), the conv branch an accumulator (one per channel)");
        assertEquals(5, cat.attributes().getLongs(IntegerOps.MULTIPLIER).length);
    }

    @Test
    void matMulOfTwoActivationsAccumulatesAndRequantizes() {
        Converted c = convert(b -> {
            String x = b.relu("relu", b.conv("stem", "image", 8, 3, 2, 1, 1, true));
            String tokens = b.transpose("tokens", b.reshape("rows", x, 0, 8, 196), 0, 2, 1);
            String q = b.reshape("q", b.linear("query", b.reshape("flat", tokens, -1, 8), 8), -1, 196, 8);
            String scores = b.matmul("scores", q, b.transpose("kT", q, 0, 2, 1));
            return b.matmul("mix", scores, q);
        });
        List<Node> matmuls = c.ops(IntegerOps.MATMUL);
        assertEquals(2, matmuls.size());
        assertTrue(matmuls.get(0).attributes().has(IntegerOps.MULTIPLIER), "Q·Kᵀ is requantized for the next MatMul");
    }
}
