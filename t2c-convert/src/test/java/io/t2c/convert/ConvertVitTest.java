package io.t2c.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.io.data.Dataset;
import io.t2c.io.data.Datasets;
import io.t2c.tensor.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * vit_mini_patch4 (random seeded weights, W8A8 minmax_channel + minmax, 128 calibration images) converts to an
 * integer-only graph (integer Softmax and LayerNorm; GELU as a 256-entry table by default, as I-BERT's i-GELU with
 * {@code wideGelu}), every op is bit-exact against the reference, and the integer logits stay close to the fake-quant
 * model's.
 */
class ConvertVitTest {
    /** Ops allowed between the input quantizer and the output dequantization: integer ops and shape movement. */
    static final Set<String> INTEGER_GRAPH_OPS = Set.of(IntegerOps.QUANTIZE, IntegerOps.CONV, IntegerOps.GEMM,
            IntegerOps.ADD, IntegerOps.REQUANTIZE, IntegerOps.CONCAT, IntegerOps.MATMUL, IntegerOps.SOFTMAX,
            IntegerOps.LAYER_NORM, IntegerOps.GELU, IntegerOps.LUT, IntegerOps.DEQUANTIZE, "Reshape", "Transpose", "Gather", "Shape",
            "Concat", "Expand");

    @Test
    void vitMiniConvertsIntegerOnlyAndBitExactWithTableGelu() {
        convertAndCheck(false);
    }

    @Test
    void vitMiniConvertsIntegerOnlyAndBitExactWithWideGelu() {
        convertAndCheck(true);
    }

    private static void convertAndCheck(boolean wideGelu) {
        Graph fq = ConvertZooTest.fakeQuant("vit_mini_patch4", false, wideGelu);
        Graph ig = LowerToInteger.run(fq, LowerToInteger.Options.defaults());
        for (Node n : ig.nodes()) {
            assertTrue(INTEGER_GRAPH_OPS.contains(n.opType()), "float op left: " + n.label());
        }
        assertEquals(1, ig.nodes().stream().filter(n -> n.opType().equals(IntegerOps.QUANTIZE)).count());
        assertEquals(6 * 2 + 1, ig.nodes().stream().filter(n -> n.opType().equals(IntegerOps.LAYER_NORM)).count());
        assertEquals(6, ig.nodes().stream().filter(n -> n.opType().equals(IntegerOps.SOFTMAX)).count());
        assertEquals(wideGelu ? 6 : 0, ig.nodes().stream().filter(n -> n.opType().equals(IntegerOps.GELU)).count());
        assertEquals(wideGelu ? 0 : 6, ig.nodes().stream().filter(n -> n.opType().equals(IntegerOps.LUT)).count());

        Dataset test = Datasets.open("fashion-mnist:test");
        BitExactChecker.Report r = new BitExactChecker(ig).check(List.of(test.batch(0, 4).images(),
                test.batch(500, 504).images()));
        assertEquals(r.ops(), r.exactOps(), r.mismatches().toString());

        Tensor images = test.batch(0, 100).images();
        String input = fq.inputs().get(0).name();
        float[] fake = new Executor(fq).run(Map.of(input, images)).values().iterator().next().floats();
        float[] integer = new Executor(ig).run(Map.of(input, images)).values().iterator().next().floats();
        double signal = 0;
        double noise = 0;
        for (int i = 0; i < fake.length; i++) {
            signal += (double) fake[i] * fake[i];
            noise += (double) (fake[i] - integer[i]) * (fake[i] - integer[i]);
        }
        double sqnr = 10 * Math.log10(signal / noise);
        System.out.printf("vit_mini_patch4 (%s GELU): bit-exact %d/%d ops, integer vs fake-quant logit SQNR %.1f dB%n",
                wideGelu ? "wide" : "table", r.exactOps(), r.ops(), sqnr);
        assertTrue(sqnr >= 20, "integer vs fake-quant logit SQNR " + sqnr + " dB");
    }
}
