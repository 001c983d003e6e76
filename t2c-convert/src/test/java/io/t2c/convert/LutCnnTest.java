package io.t2c.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.graph.Attributes;
import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.io.data.Dataset;
import io.t2c.io.data.Datasets;
import io.t2c.models.ModelBuilder;
import io.t2c.quant.FakeQuantOp;
import io.t2c.quant.ptq.Ptq;
import io.t2c.quant.ptq.PtqConfig;
import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A small MobileNetV3/EfficientNet-style CNN (seeded weights, BN with batch-like statistics folded) whose activations
 * are all table ops — HardSwish, Sigmoid, SiLU as ONNX writes it (Mul(x, Sigmoid(x))), Tanh, HardSigmoid, GELU,
 * LeakyRelu, and a ReLU6 after a HardSwish — through the PTQ engine (W8A8) and conversion: every table op becomes
 * one IntLut, every op is bit-exact against the reference, and the integer logits agree with the fake-quant model's.
 */
public class LutCnnTest {
    static final Dataset TRAIN = Datasets.open("fashion-mnist:train");
    static final Dataset TEST = Datasets.open("fashion-mnist:test");

    static Graph model() {
        ModelBuilder b = new ModelBuilder("lut_cnn", 23);
        b.input("image", DType.FLOAT32, -1, 1, 28, 28);
        String x = b.op("hs1", "HardSwish", b.bn("bn1", b.conv("c1", "image", 8, 3, 1, 1)));
        x = b.op("sig2", "Sigmoid", b.conv("c2", x, 12, 3, 2, 1, 1, true));
        String c3 = b.conv("c3", x, 12, 3, 1, 1, 12, true);
        x = b.mul("silu3", c3, b.op("silu3/sigmoid", "Sigmoid", c3));
        x = b.op("tanh4", "Tanh", b.conv("c4", x, 16, 3, 2, 1, 1, true));
        x = b.op("hsig5", "HardSigmoid", Attributes.of("alpha", 1.0 / 6, "beta", 0.5),
                b.conv("c5", x, 16, 1, 1, 0, 1, true));
        x = b.op("gelu6", "Gelu", b.conv("c6", x, 16, 3, 1, 1, 1, true));
        String hs7 = b.op("hs7", "HardSwish", b.conv("c7", x, 16, 1, 1, 0, 1, true));
        x = b.op("relu6_7", "Clip", hs7, b.scalar("relu6_7", "min", 0), b.scalar("relu6_7", "max", 6));
        x = b.op("leaky8", "LeakyRelu", Attributes.of("alpha", 0.1), b.conv("c8", x, 16, 3, 1, 1, 1, true));
        b.output(b.linear("fc", b.flatten("flat", b.globalAvgPool("pool", x)), 10));
        return b.build();
    }

    public static Graph fakeQuant(int abit) {
        PtqConfig c = PtqConfig.defaults("minmax_channel", "minmax", 8, abit).withSamples(128, 64)
                .withReconstruction(PtqConfig.Reconstruction.NONE);
        return Ptq.run(model(), TRAIN, c, Ptq.Listener.NONE).model();
    }

    @Test
    void tableActivationsConvertBitExactAndAgreeWithFakeQuant() {
        Graph fq = fakeQuant(8);
        // each table op reads a quantizer; the pool reads the LeakyRelu's own output quantizer
        for (String op : List.of("hs1", "sig2", "silu3/sigmoid", "tanh4", "hsig5", "gelu6", "hs7", "leaky8")) {
            Node n = fq.nodes().stream().filter(m -> m.name().equals(op)).findFirst().orElseThrow();
            assertEquals(FakeQuantOp.NAME, fq.producer(n.input(0)).opType(), op + " reads codes");
        }
        Node pool = fq.nodes().stream().filter(m -> m.name().equals("pool")).findFirst().orElseThrow();
        assertEquals(FakeQuantOp.NAME, fq.producer(pool.input(0)).opType(), "the last table's output is quantized");

        Graph ig = LowerToInteger.run(fq, LowerToInteger.Options.defaults());
        List<Node> luts = ig.nodes().stream().filter(n -> n.opType().equals(IntegerOps.LUT)).toList();
        assertEquals(8, luts.size());
        assertEquals("Mul(x, Sigmoid(x))", luts.get(2).attributes().getString(IntegerOps.FUNCTION, ""));
        assertEquals("Clip(HardSwish(x))", luts.get(6).attributes().getString(IntegerOps.FUNCTION, ""));
        for (Node n : ig.nodes()) {
            assertTrue(ConvertCnnTest.INTEGER_OR_MOVEMENT.contains(n.opType()), "float op left: " + n.label());
            assertTrue(!n.opType().equals(IntegerOps.LUT) || ig.initializer(n.input(1)).size() <= 256);
        }

        BitExactChecker.Report r = new BitExactChecker(ig).check(List.of(TEST.batch(0, 8).images(),
                TEST.batch(100, 108).images()));
        assertEquals(r.ops(), r.exactOps(), r.mismatches().toString());

        Tensor images = TEST.batch(0, 300).images();
        float[] fake = new Executor(fq).run(Map.of("image", images)).values().iterator().next().floats();
        float[] integer = new Executor(ig).run(Map.of("image", images)).values().iterator().next().floats();
        int agree = 0;
        double signal = 0;
        double noise = 0;
        for (int i = 0; i < 300; i++) {
            agree += argmax(fake, i) == argmax(integer, i) ? 1 : 0;
        }
        for (int i = 0; i < fake.length; i++) {
            signal += (double) fake[i] * fake[i];
            noise += (double) (fake[i] - integer[i]) * (fake[i] - integer[i]);
        }
        double sqnr = 10 * Math.log10(signal / noise);
        System.out.printf("lut_cnn: bit-exact %d/%d ops, top-1 agreement int vs fake-quant %d/300, logit SQNR %.1f"
                + " dB%n", r.exactOps(), r.ops(), agree, sqnr);
        assertTrue(agree >= 297, "top-1 agreement " + agree + "/300");
        assertTrue(sqnr >= 30, "integer vs fake-quant logit SQNR " + sqnr + " dB");
    }

    @Test
    void tablesNeedAtMostEightBitCodes() {
        Graph fq = fakeQuant(10);
        T2cException e = org.junit.jupiter.api.Assertions.assertThrows(T2cException.class,
                () -> LowerToInteger.run(fq, LowerToInteger.Options.defaults()));
        assertTrue(e.getMessage().contains("hs1") && e.getMessage().contains("at most 8 bits"), e.getMessage());
    }

    private static int argmax(float[] logits, int row) {
        int best = 0;
        for (int j = 1; j < 10; j++) {
            if (logits[row * 10 + j] > logits[row * 10 + best]) {
                best = j;
            }
        }
        return best;
    }
}
