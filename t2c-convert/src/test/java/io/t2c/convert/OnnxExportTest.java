package io.t2c.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.convert.export.ExportCheck;
import io.t2c.convert.export.FixedPointOnnx;
import io.t2c.convert.export.OnnxExport;
import io.t2c.convert.export.OnnxRunner;
import io.t2c.convert.export.OrtRunner;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.io.data.Dataset;
import io.t2c.io.data.Datasets;
import io.t2c.io.onnx.OnnxBuilder;
import io.t2c.quant.Rounding;
import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** ONNX export of integer graphs, run in ONNX Runtime (test scope) and compared with our executor. */
class OnnxExportTest {
    static final OnnxRunner ORT = new OrtRunner();
    static Graph w8a8;
    static Dataset test;

    @BeforeAll
    static void convert() {
        w8a8 = LowerToInteger.run(ConvertCnnTest.fakeQuant(8), LowerToInteger.Options.defaults());
        test = Datasets.open("fashion-mnist:test");
    }

    static Tensor images(int from, int count) {
        int[] idx = new int[count];
        for (int i = 0; i < count; i++) {
            idx[i] = from + i;
        }
        return test.batch(idx).images();
    }

    @Test
    void exactExportEqualsOurExecutorOnEveryIntegerValueOf64Samples() {
        OnnxExport.Result r = OnnxExport.export(w8a8, OnnxExport.Style.EXACT);
        ExportCheck.Report check = ExportCheck.run(w8a8, r, images(0, 64), ORT);
        assertNull(check.firstMismatch());
        assertEquals(64, check.exactSamples());
        assertTrue(check.values() >= 12, "logits plus every code and accumulator: " + check.values());
        for (String op : List.of("ConvInteger", "MatMulInteger", "Div", "Mod")) {
            assertTrue(r.ops().containsKey(op), op + " in " + r.ops());
        }
        for (String floatOp : List.of("QLinearConv", "QuantizeLinear", "DequantizeLinear", "Conv", "Gemm")) {
            assertTrue(!r.ops().containsKey(floatOp), floatOp + " in the exact export");
        }
    }

    @Test
    void exactExportStaysExactWithEveryRoundingAnd16BitMultipliers() {
        Graph fq = ConvertCnnTest.fakeQuant(8);
        for (Rounding mode : Rounding.values()) {
            Graph ig = LowerToInteger.run(fq, new LowerToInteger.Options(16, mode));
            ExportCheck.Report check = ExportCheck.run(ig, OnnxExport.export(ig, OnnxExport.Style.EXACT),
                    images(1000, 8), ORT);
            assertEquals(8, check.exactSamples(), mode + ": " + check.firstMismatch());
        }
    }

    @Test
    void qoperatorStyleRunsAndAgreesOnTop1() {
        OnnxExport.Result r = OnnxExport.export(w8a8, OnnxExport.Style.QOPERATOR);
        assertTrue(r.ops().containsKey("QLinearConv") && r.ops().containsKey("QuantizeLinear")
                && r.ops().containsKey("DequantizeLinear"), r.ops().toString());
        ExportCheck.Report check = ExportCheck.run(w8a8, r, images(0, 500), ORT);
        assertTrue(check.agreement() >= 0.99, "top-1 agreement " + check.agreement());
        assertTrue(check.exactSamples() < check.samples(), "float requantization is not bit-exact by construction;"
                + " if it ever is on all samples, this test no longer tells the styles apart");
    }

    @Test
    void lookupTablesExportAsGatherAndOrtEqualsOurExecutorBitForBit() {
        Graph ig = LowerToInteger.run(LutCnnTest.fakeQuant(8), LowerToInteger.Options.defaults());
        for (OnnxExport.Style style : OnnxExport.Style.values()) {
            OnnxExport.Result r = OnnxExport.export(ig, style);
            assertEquals(8, r.ops().get("Gather"), style + ": one Gather per table, " + r.ops());
            ExportCheck.Report check = ExportCheck.run(ig, r, images(0, 16), ORT);
            if (style == OnnxExport.Style.EXACT) {
                assertEquals(16, check.exactSamples(), String.valueOf(check.firstMismatch()));
            } else {
                assertTrue(check.agreement() >= 0.9, style + ": top-1 agreement " + check.agreement());
            }
        }
    }

    @Test
    void resnet20WithItsGlobalAveragePoolExportsExactly() {
        Graph fp = io.t2c.models.ModelZoo.build("resnet20", new io.t2c.models.ModelConfig(10, 1, 28, 3));
        io.t2c.quant.ptq.PtqConfig config = io.t2c.quant.ptq.PtqConfig.defaults("minmax_channel", "minmax", 8, 8)
                .withSamples(128, 64).withReconstruction(io.t2c.quant.ptq.PtqConfig.Reconstruction.NONE);
        Graph fq = io.t2c.quant.ptq.Ptq.run(fp, Datasets.open("fashion-mnist:train"), config,
                io.t2c.quant.ptq.Ptq.Listener.NONE).model();
        Graph ig = LowerToInteger.run(fq, LowerToInteger.Options.defaults());
        assertTrue(ig.nodes().stream().anyMatch(n -> n.opType().equals(IntegerOps.AVERAGE_POOL)));
        OnnxExport.Result r = OnnxExport.export(ig, OnnxExport.Style.EXACT);
        assertTrue(r.ops().containsKey("ReduceSum"), r.ops().toString());
        ExportCheck.Report check = ExportCheck.run(ig, r, images(0, 16), ORT);
        assertEquals(16, check.exactSamples(), String.valueOf(check.firstMismatch()));
    }

    /**
     * MobileNet's last conv keeps its accumulator with the fused ReLU as a clamp and no code type, and the global
     * average pool reads it with per-channel multipliers (per_channel = 1).
     */
    @Test
    void mobilenetWithItsPerChannelAveragePoolExportsExactly() {
        Graph ig = LowerToInteger.run(ConvertZooTest.fakeQuant("mobilenet_v1_x0_5", true),
                LowerToInteger.Options.defaults());
        assertTrue(ig.nodes().stream().anyMatch(n -> n.opType().equals(IntegerOps.AVERAGE_POOL)
                && n.attributes().getLong(IntegerOps.POOL_PER_CHANNEL, 0) == 1));
        assertEveryIntegerValueEqualsOurs("mobilenet_v1_x0_5", ig, images(0, 6));
    }

    /** vit_mini_patch4 W8A8, GELU as a table and as I-BERT's integer GELU: every op of the integer graph exported. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void vitExportsExactlyWithSoftmaxLayerNormAndGelu(boolean wideGelu) {
        Graph ig = LowerToInteger.run(ConvertZooTest.fakeQuant("vit_mini_patch4", false, wideGelu),
                LowerToInteger.Options.defaults());
        OnnxExport.Result r = assertEveryIntegerValueEqualsOurs("vit_mini_patch4" + (wideGelu ? " (wide GELU)" : ""),
                ig, images(0, 4));
        for (String op : List.of("MatMul", "ReduceMax", "Sqrt", "BitShift", "Expand", "Concat", "Gather")) {
            assertTrue(r.ops().containsKey(op), op + " in " + r.ops());
        }
        assertEquals(wideGelu, r.ops().containsKey("Sign"), r.ops().toString());
    }

    /** Exports (exact style) and checks that every integer value of our graph is compared, and equal in ORT. */
    private static OnnxExport.Result assertEveryIntegerValueEqualsOurs(String model, Graph ig, Tensor images) {
        OnnxExport.Result r = OnnxExport.export(ig, OnnxExport.Style.EXACT);
        ExportCheck.Report check = ExportCheck.run(ig, r, images, ORT);
        long integerOutputs = ig.nodes().stream().filter(n -> !n.opType().equals(IntegerOps.DEQUANTIZE)).count();
        System.out.printf("%s: ONNX export equals our executor on %d/%d samples, %d values each (%d integer node"
                + " outputs + the logits)%n", model, check.exactSamples(), check.samples(), check.values(),
                integerOutputs);
        assertNull(check.firstMismatch());
        assertEquals(images.dim(0), check.exactSamples());
        assertEquals(integerOutputs, r.integerValues().size(), "every integer node output is compared");
        return r;
    }

    @Test
    void anOpOnnxCannotExpressFailsNamingNodeAndOp() {
        List<Node> nodes = new ArrayList<>();
        for (Node n : w8a8.nodes()) {
            nodes.add(n.name().equals("/block1/conv1/Conv")
                    ? n.withAttributes(n.attributes().with(IntegerOps.ACC_BITS, 64L)) : n);
        }
        Graph wide = new Graph(w8a8.name(), w8a8.inputs(), w8a8.outputs(), nodes, w8a8.initializers(),
                w8a8.metadata());
        T2cException e = assertThrows(T2cException.class, () -> OnnxExport.export(wide, OnnxExport.Style.EXACT));
        assertTrue(e.getMessage().contains("/block1/conv1/Conv") && e.getMessage().contains("IntConv")
                && e.getMessage().contains("int64"), e.getMessage());
    }

    /**
     * The INT64 formulation of roundShift (FixedPointOnnx) against FixedPoint.roundShift, per rounding mode, on
     * seeded random accumulators, multipliers and shifts, plus constructed ties (M = 1, small shifts, acc = k·2^s ±
     * 2^(s−1)) and negative values.
     */
    @Test
    void requantizationFormulationEqualsFixedPointForEveryRoundingMode() {
        Random rnd = new Random(20261127);
        int channels = 16;
        int rows = 512;
        long[] multiplier = new long[channels];
        int[] shift = new int[channels];
        for (int c = 0; c < channels; c++) {
            boolean ties = c < 6;
            multiplier[c] = ties ? 1 : 1 + rnd.nextInt(Integer.MAX_VALUE);
            shift[c] = ties ? c : (c == channels - 1 ? FixedPoint.MAX_SHIFT : rnd.nextInt(FixedPoint.MAX_SHIFT + 1));
        }
        long[] acc = new long[rows * channels];
        for (int i = 0; i < acc.length; i++) {
            int c = i % channels;
            acc[i] = c < 6 && c > 0 ? (long) (rnd.nextInt(64) - 32) * (1L << shift[c]) + (1L << (shift[c] - 1))
                    * (rnd.nextBoolean() ? 1 : -1) + (rnd.nextInt(8) == 0 ? rnd.nextInt(3) - 1 : 0)
                    : rnd.nextInt();
        }
        long zeroPoint = 3;
        long min = -100_000;
        long max = 100_000;
        int ties = 0;
        for (Rounding mode : Rounding.values()) {
            OnnxBuilder b = new OnnxBuilder("requant", 13);
            b.input("unused", DType.FLOAT32, 1);
            String v = b.constant("acc", Tensor.ofLongs(acc, rows, channels));
            String y = FixedPointOnnx.requantize(b, v, multiplier, shift, mode, zeroPoint, min, max,
                    new int[] {channels});
            b.output(y, DType.INT64, rows, channels);
            Tensor got = ORT.run(b.build().toByteArray(), "unused", Tensor.of(new float[] {0}, 1), List.of(y)).get(y);
            for (int i = 0; i < acc.length; i++) {
                int c = i % channels;
                long product = acc[i] * multiplier[c];
                long want = Math.max(min, Math.min(max, zeroPoint + FixedPoint.roundShift(product, shift[c], mode)));
                assertEquals(want, got.longs()[i], mode + ": acc " + acc[i] + " · " + multiplier[c] + " >> "
                        + shift[c]);
                if (mode == Rounding.HALF_EVEN && shift[c] > 0 && Math.floorMod(product, 1L << shift[c])
                        == 1L << (shift[c] - 1)) {
                    ties++;
                }
            }
        }
        assertTrue(ties > 500, "the data must contain ties, found " + ties);
    }

    @Test
    void writeIsAtomicAndTheFileLoadsInOrt() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("export");
        java.nio.file.Path file = dir.resolve("model.onnx");
        OnnxExport.Result r = OnnxExport.export(w8a8, OnnxExport.Style.EXACT);
        OnnxExport.write(r.model(), file);
        try (var files = java.nio.file.Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temporary file left");
        }
        java.nio.file.Path plain = java.nio.file.Files.writeString(dir.resolve("plain.txt"), "x");
        assertEquals(java.nio.file.Files.getPosixFilePermissions(plain), java.nio.file.Files.getPosixFilePermissions(file),
                "the export gets the permissions of any file the user writes (the umask), not a temp file's 0600");
        java.nio.file.Files.delete(plain);
        Map<String, Tensor> out = ORT.run(java.nio.file.Files.readAllBytes(file), "image", images(0, 1),
                List.of("logits"));
        assertEquals(10, out.get("logits").size());
        assertEquals("exact", r.model().getMetadataPropsList().stream().filter(p -> p.getKey().equals(
                "t2c.export.style")).findFirst().orElseThrow().getValue());
    }
}
