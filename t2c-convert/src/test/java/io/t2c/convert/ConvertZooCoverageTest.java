package io.t2c.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.Value;
import io.t2c.models.ModelConfig;
import io.t2c.models.ModelZoo;
import io.t2c.quant.ptq.Ptq;
import io.t2c.quant.ptq.PtqConfig;
import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every architecture of the zoo (read from {@link ModelZoo#architectures()}, so a new one is covered without a
 * change here), with random seeded weights, through W8A8 PTQ (minmax per channel / minmax, no reconstruction, a few
 * seeded Gaussian calibration images, or token ids for the language models) and {@link LowerToInteger}: the integer
 * graph holds only integer ops and movement between the input quantizer and the output dequantization, and every op
 * is bit-exact between the fast executor and the {@link ReferenceExecutor}.
 */
class ConvertZooCoverageTest {
    private static final int CALIBRATION_SAMPLES = 4;
    /** Tokens per sequence of the language models. */
    private static final int SEQUENCE_LENGTH = 16;

    /**
     * Image sizes smaller than the default where the builder allows it, to keep the scalar reference cheap; the
     * layers are the same (ViT-*16 at 32×32 has 4 patches, ResNets and MobileNet pool globally). VGG16-BN needs a
     * multiple of 7 after five pools (224) and Swin a map that splits into 7×7 windows at every stage (224).
     */
    private static final Map<String, Integer> IMAGE_SIZE = Map.of("resnet18", 64, "resnet34", 64, "resnet50", 64,
            "mobilenet_v1", 64, "vit_tiny_patch16_224", 32, "vit_small_patch16_224", 32, "vit_base_patch16_224", 32);

    /** Every architecture, or the comma-separated names of {@code -Dt2c.zoo} when iterating on a few. */
    static Stream<String> architectures() {
        String only = System.getProperty("t2c.zoo", "");
        return ModelZoo.architectures().keySet().stream()
                .filter(a -> only.isEmpty() || List.of(only.split(",")).contains(a));
    }

    @ParameterizedTest
    @MethodSource("architectures")
    void convertsIntegerOnlyAndBitExact(String arch) {
        long t0 = System.nanoTime();
        Graph ig = convert(arch);
        long t1 = System.nanoTime();
        assertIntegerOnly(ig);
        int samples = isLarge(arch) ? 1 : 2;
        BitExactChecker.Report r = new BitExactChecker(ig).checkInputs(List.of(inputs(ig, samples, 2, true)));
        long t2 = System.nanoTime();
        int[] sample = ig.inputs().get(0).shape();
        String input = Arrays.stream(sample, 1, sample.length).mapToObj(Integer::toString)
                .collect(java.util.stream.Collectors.joining("×"));
        System.out.printf("%-30s input %-9s %4d integer ops  bit-exact: %d/%d ops  %5.1f s (ptq + convert %.1f s,"
                + " check %.1f s)%n", arch, input, ig.nodes().size(), r.exactOps(), r.ops(),
                (t2 - t0) / 1e9, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
        assertEquals(r.ops(), r.exactOps(), arch + ": " + r.mismatches());
    }

    /**
     * Bit-exactness does not show that BERT's additive mask works: here every attention probability of a padded key
     * (the last quarter of each sequence) is exactly zero, the softmax's zero code, while the other keys share the
     * probability mass.
     */
    @Test
    void bertMaskedKeysGetZeroAttention() {
        Graph ig = convert("bert_mini");
        Map<String, Tensor> values = new BitExactChecker(ig).runFast(inputs(ig, 2, 2, true));
        List<Node> softmaxes = ig.nodes().stream().filter(n -> n.opType().equals(IntegerOps.SOFTMAX)).toList();
        assertEquals(4, softmaxes.size());
        for (Node n : softmaxes) {
            int[] p = values.get(n.output(0)).ints();
            long zero = n.attributes().getLong(IntegerOps.Y_ZERO_POINT, 0);
            long attendedMass = 0;
            for (int i = 0; i < p.length; i++) {
                if (i % SEQUENCE_LENGTH >= SEQUENCE_LENGTH * 3 / 4) {
                    assertEquals(zero, p[i], n.label() + ": probability of a padded key");
                } else {
                    attendedMass += p[i] - zero;
                }
            }
            assertTrue(attendedMass > 0, n.label());
        }
    }

    private static Graph convert(String arch) {
        ModelConfig defaults = ModelZoo.entry(arch).defaults();
        Graph fp = withFixedSequenceLength(ModelZoo.build(arch, defaults.withImageSize(imageSize(arch))
                .withSeed(7)));
        PtqConfig c = PtqConfig.defaults("minmax_channel", "minmax", 8, 8)
                .withReconstruction(PtqConfig.Reconstruction.NONE);
        List<Map<String, Tensor>> batches = List.of(inputs(fp, CALIBRATION_SAMPLES / 2, 0, false),
                inputs(fp, CALIBRATION_SAMPLES / 2, 1, false));
        Graph fq = Ptq.run(fp, batches, c, Ptq.Listener.NONE).model();
        return LowerToInteger.run(fq, LowerToInteger.Options.defaults());
    }

    /**
     * The graph with every dynamic input dimension but the batch fixed to {@link #SEQUENCE_LENGTH}, as a chip runs
     * it: the converter bounds accumulators by static reduction lengths (BERT's P·V sums over the sequence).
     */
    private static Graph withFixedSequenceLength(Graph g) {
        List<Value> inputs = g.inputs().stream().map(v -> {
            int[] shape = v.shape().clone();
            for (int d = 1; d < shape.length; d++) {
                shape[d] = shape[d] < 0 ? SEQUENCE_LENGTH : shape[d];
            }
            return new Value(v.name(), v.dtype(), shape);
        }).toList();
        return new Graph(g.name(), inputs, g.outputs(), g.nodes(), g.initializers(), g.metadata());
    }

    private static int imageSize(String arch) {
        return IMAGE_SIZE.getOrDefault(arch, ModelZoo.entry(arch).defaults().imageSize());
    }

    /** Default-size ImageNet models: the scalar reference checks one sample. */
    private static boolean isLarge(String arch) {
        return ModelZoo.entry(arch).defaults().imageSize() >= 224;
    }

    /** Every node is an integer op or moves codes; one quantizer per float input, one dequantization per output. */
    private static void assertIntegerOnly(Graph ig) {
        for (Node n : ig.nodes()) {
            assertTrue(ConvertVitTest.INTEGER_GRAPH_OPS.contains(n.opType()), "float op left: " + n.label());
        }
        long floatInputs = ig.inputs().stream().filter(v -> v.dtype() == DType.FLOAT32).count();
        assertEquals(floatInputs, count(ig, IntegerOps.QUANTIZE), "input quantizers");
        assertEquals(ig.outputs().size(), count(ig, IntegerOps.DEQUANTIZE), "output dequantizations");
    }

    private static long count(Graph g, String opType) {
        return g.nodes().stream().filter(n -> n.opType().equals(opType)).count();
    }

    /**
     * Seeded values of every graph input for {@code samples} samples: standard normal images for float inputs;
     * for integer inputs, token ids below the size of the table they index, or else (an attention mask) ones,
     * with the last quarter of each sequence 0 when {@code padded}.
     */
    private static Map<String, Tensor> inputs(Graph g, int samples, long seed, boolean padded) {
        Random random = new Random(seed);
        Map<String, Tensor> values = new LinkedHashMap<>();
        for (Value input : g.inputs()) {
            int[] shape = input.shape().clone();
            shape[0] = samples;
            int size = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
            if (input.dtype() == DType.FLOAT32) {
                float[] v = new float[size];
                for (int i = 0; i < size; i++) {
                    v[i] = (float) random.nextGaussian();
                }
                values.put(input.name(), Tensor.of(v, shape));
                continue;
            }
            int table = indexedTableSize(g, input.name());
            int row = shape[shape.length - 1];
            long[] v = new long[size];
            for (int i = 0; i < size; i++) {
                v[i] = table > 0 ? random.nextInt(table) : padded && i % row >= row * 3 / 4 ? 0 : 1;
            }
            values.put(input.name(), Tensor.ofLongs(v, shape));
        }
        return values;
    }

    /** The size of axis 0 of the constant table a Gather indexes with {@code input}, or 0 when none does. */
    private static int indexedTableSize(Graph g, String input) {
        for (Node n : g.consumers(input)) {
            if (n.opType().equals("Gather") && n.inputs().size() > 1 && n.input(1).equals(input)
                    && g.initializer(n.input(0)) != null) {
                return g.initializer(n.input(0)).dim(0);
            }
        }
        return 0;
    }
}
