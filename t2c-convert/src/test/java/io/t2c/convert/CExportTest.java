package io.t2c.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.convert.export.CCheck;
import io.t2c.convert.export.CExport;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.io.data.Dataset;
import io.t2c.io.data.Datasets;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The C reference (t2c export --to c) compiled with gcc and compared bit for bit with our integer executor. */
class CExportTest {
    static Dataset test;

    @TempDir
    Path tmp;

    @BeforeAll
    static void data() {
        test = Datasets.open("fashion-mnist:test");
    }

    static Path gcc() {
        var gcc = CCheck.gcc();
        Assumptions.assumeTrue(gcc.isPresent(), "gcc is not on the PATH");
        return gcc.get();
    }

    /** Writes the C reference, compiles it at -O1 and runs it on the images; returns the report. */
    CCheck.Report check(Graph ig, Tensor images, String name) throws IOException {
        Path gcc = gcc();
        CExport.Result r = CExport.write(ig, tmp.resolve(name));
        assertTrue(r.written());
        CCheck.Report report = CCheck.run(gcc, r.dir(), ig, images, 1);
        System.out.printf("%s: C reference %d/%d samples bit-exact (compiled in %.1f s), ops %s%n", name,
                report.exactSamples(), report.samples(), report.compileSeconds(), r.ops());
        assertNull(report.firstMismatch(), name);
        assertEquals(report.samples(), report.exactSamples());
        return report;
    }

    @Test
    void exampleCnnIsBitExact() throws IOException {
        Graph ig = LowerToInteger.run(ConvertCnnTest.fakeQuant(8), LowerToInteger.Options.defaults());
        check(ig, test.batch(0, 8).images(), "fashion_cnn");
    }

    /** Seeded random inputs of the model's input shape: N(0, 1.5²), so some fall outside the quantizer's range. */
    static Tensor random(long seed, int n, int... sampleShape) {
        Random rnd = new Random(seed);
        int per = 1;
        for (int d : sampleShape) {
            per *= d;
        }
        float[] v = new float[n * per];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (1.5 * rnd.nextGaussian());
        }
        int[] shape = new int[sampleShape.length + 1];
        shape[0] = n;
        System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
        return Tensor.of(v, shape);
    }

    /** Real test images followed by seeded random ones, one batch. */
    static Tensor samples(int real, int randomCount, long seed) {
        Tensor images = test.batch(0, real).images();
        Tensor noise = random(seed, randomCount, 1, 28, 28);
        float[] all = new float[images.size() + noise.size()];
        System.arraycopy(images.floats(), 0, all, 0, images.size());
        System.arraycopy(noise.floats(), 0, all, images.size(), noise.size());
        return Tensor.of(all, real + randomCount, 1, 28, 28);
    }

    @Test
    void resnet20WithResidualAddsAndGlobalAveragePoolIsBitExact() throws IOException {
        Graph ig = LowerToInteger.run(ConvertZooTest.fakeQuant("resnet20", false), LowerToInteger.Options.defaults());
        assertTrue(ig.nodes().stream().anyMatch(n -> n.opType().equals(IntegerOps.AVERAGE_POOL)));
        assertTrue(ig.nodes().stream().anyMatch(n -> n.opType().equals(IntegerOps.ADD)));
        check(ig, samples(4, 4, 20), "resnet20");
    }

    @Test
    void mobileNetWithDepthwiseConvolutionsIsBitExact() throws IOException {
        Graph ig = LowerToInteger.run(ConvertZooTest.fakeQuant("mobilenet_v1_x0_5", true),
                LowerToInteger.Options.defaults());
        assertTrue(ig.nodes().stream().anyMatch(n -> n.opType().equals(IntegerOps.CONV)
                && n.attributes().getInt("group", 1) > 1), "depthwise layers");
        check(ig, samples(4, 4, 21), "mobilenet_v1_x0_5");
    }

    @Test
    void vitWithSoftmaxLayerNormGeluAndMatMulIsBitExact() throws IOException {
        for (boolean wideGelu : new boolean[] {true, false}) {
            Graph ig = LowerToInteger.run(ConvertZooTest.fakeQuant("vit_mini_patch4", false, wideGelu),
                    LowerToInteger.Options.defaults());
            String gelu = wideGelu ? IntegerOps.GELU : IntegerOps.LUT;
            for (String op : List.of(IntegerOps.SOFTMAX, IntegerOps.LAYER_NORM, gelu, IntegerOps.MATMUL)) {
                assertTrue(ig.nodes().stream().anyMatch(n -> n.opType().equals(op)), op);
            }
            check(ig, samples(3, 3, 22), "vit_mini_patch4");
        }
    }

    @Test
    void lookupTableActivationsAreBitExact() throws IOException {
        Graph ig = LowerToInteger.run(LutCnnTest.fakeQuant(8), LowerToInteger.Options.defaults());
        assertTrue(ig.nodes().stream().filter(n -> n.opType().equals(IntegerOps.LUT)).count() >= 5, "table ops");
        check(ig, samples(3, 3, 23), "lut_cnn");
    }

    /**
     * Every rounding mode, in the requantizations (16-bit multipliers) and in the input quantizer, with one raw
     * conv accumulator declared 64-bit (so an INT64 value flows into the residual add).
     */
    @Test
    void everyRoundingModeAndA64BitAccumulatorAreBitExact() throws IOException {
        Graph fq = ConvertCnnTest.fakeQuant(8);
        for (io.t2c.quant.Rounding mode : io.t2c.quant.Rounding.values()) {
            Graph ig = LowerToInteger.run(fq, new LowerToInteger.Options(16, mode));
            List<Node> nodes = new ArrayList<>();
            boolean widened = false;
            for (Node n : ig.nodes()) {
                if (n.opType().equals(IntegerOps.QUANTIZE)) {
                    nodes.add(n.withAttributes(n.attributes().with(IntegerOps.ROUNDING, mode.id())));
                } else if (!widened && n.opType().equals(IntegerOps.CONV) && !n.attributes().has(IntegerOps.MULTIPLIER)) {
                    nodes.add(n.withAttributes(n.attributes().with(IntegerOps.ACC_BITS, 64L)));
                    widened = true;
                } else {
                    nodes.add(n);
                }
            }
            assertTrue(widened, "a conv keeping its raw accumulator");
            Graph g = new Graph(ig.name(), ig.inputs(), ig.outputs(), nodes, ig.initializers(), ig.metadata());
            check(g, samples(2, 4, 23 + mode.ordinal()), "fashion_cnn_" + mode.id());
        }
    }

    /** A 16-bit linear layer whose sums need 64 bits: exact in int64; declared int32, the C names the node. */
    @Test
    void a64BitLayerIsExactAndA32BitOverflowNamesTheNode() throws IOException {
        int k = 8;
        int[] w = new int[2 * k];
        java.util.Arrays.fill(w, 32767);
        w[k] = -32768;
        float[] x = new float[k];
        java.util.Arrays.fill(x, 32767);
        Tensor in = Tensor.of(x, 1, k);
        check(withDequantize(OverflowTest.layer(64, w, k, 2)), in, "wide_fc");

        Graph narrow = withDequantize(OverflowTest.layer(32, w, k, 2));
        CExport.Result r = CExport.write(narrow, tmp.resolve("narrow_fc"));
        CCheck.Report report = CCheck.run(gcc(), r.dir(), narrow, in, 1);
        assertEquals(0, report.exactSamples());
        assertTrue(report.firstMismatch().contains("big_fc") && report.firstMismatch().contains("overflow"),
                report.firstMismatch());
    }

    /** The overflow test's layer with its accumulator dequantized to float (the C output is a float). */
    static Graph withDequantize(Graph g) {
        List<Node> nodes = new ArrayList<>(g.nodes());
        nodes.add(new Node("out", IntegerOps.DEQUANTIZE, List.of("acc"), List.of("y"), io.t2c.graph.Attributes.of(
                IntegerOps.SCALE, new double[] {0.001, 0.25}, IntegerOps.Y_AXIS, 1L)));
        return new Graph(g.name(), g.inputs(), List.of(new io.t2c.graph.Value("y", io.t2c.tensor.DType.FLOAT32, null)),
                nodes, g.initializers(), g.metadata());
    }

    @Test
    void anUnsupportedOpFailsNamingOpAndNodeAndWritesNothing() {
        Graph ig = LowerToInteger.run(ConvertCnnTest.fakeQuant(8), LowerToInteger.Options.defaults());
        List<Node> nodes = new ArrayList<>();
        for (Node n : ig.nodes()) {
            nodes.add(n.opType().equals(IntegerOps.MAX_POOL) ? new Node(n.name(), "IntMystery", n.inputs(), n.outputs(),
                    n.attributes()) : n);
        }
        Graph g = new Graph(ig.name(), ig.inputs(), ig.outputs(), nodes, ig.initializers(), ig.metadata());
        String pool = ig.nodes().stream().filter(n -> n.opType().equals(IntegerOps.MAX_POOL)).findFirst().orElseThrow()
                .name();
        T2cException e = assertThrows(T2cException.class, () -> CExport.write(g, tmp.resolve("c")));
        assertTrue(e.getMessage().contains("IntMystery") && e.getMessage().contains(pool), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("c")));
    }

    @Test
    void aRefusedCheckLeavesNoFolderAndAnAcceptedOneReplacesThePrevious() throws IOException {
        Graph ig = withDequantize(OverflowTest.layer(64, new int[] {1, 2, 3, 4}, 2, 2));
        Path dir = tmp.resolve("ref");
        CExport.Result refused = CExport.write(ig, dir, folder -> false);
        assertFalse(refused.written());
        try (var files = Files.list(tmp)) {
            assertEquals(List.of(), files.toList(), "nothing left behind");
        }
        assertTrue(CExport.write(ig, dir).written());
        assertTrue(CExport.write(ig, dir).written());
        try (var files = Files.list(dir)) {
            assertEquals(CExport.FILES.size(), files.count());
        }
        String c = Files.readString(dir.resolve("model.c"));
        assertTrue(c.contains("static int big_fc(const int32_t *x, int64_t *y)"), "one function per node: " + c);
        assertTrue(c.contains("static const int8_t c_w[4]"), "weights in the narrowest type");
    }
}
