package io.t2c.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.graph.Graph;
import io.t2c.graph.Value;
import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every architecture builds with its default config: the output is {@code [N, classes]}, the parameter count is the
 * published one (torch's {@code sum(p.numel() for p in model.parameters())}, BN running statistics excluded), and,
 * where a reference state dict exists offline, the keys and shapes are exactly the reference's.
 */
class ModelZooTest {
    /**
     * Published / reference parameter counts. ImageNet models: torchvision 0.14 and timm (ViT, Swin) model cards; the
     * others computed once with torch from tools/make_zoo_fixtures.py (BERT-base: 109,482,240 for BertModel, as
     * published for bert-base-uncased, plus a 768×2 + 2 classifier).
     */
    static final Map<String, Long> PARAMETERS = new LinkedHashMap<>();

    static {
        PARAMETERS.put("resnet18", 11_689_512L);
        PARAMETERS.put("resnet34", 21_797_672L);
        PARAMETERS.put("resnet50", 25_557_032L);
        PARAMETERS.put("vgg16_bn", 138_365_992L);
        PARAMETERS.put("mobilenet_v1", 4_231_976L);
        PARAMETERS.put("vit_tiny_patch16_224", 5_717_416L);
        PARAMETERS.put("vit_small_patch16_224", 22_050_664L);
        PARAMETERS.put("vit_base_patch16_224", 86_567_656L);
        PARAMETERS.put("swin_tiny_patch4_window7_224", 28_288_354L);
        PARAMETERS.put("swin_base_patch4_window7_224", 87_768_224L);
        PARAMETERS.put("bert_base", 109_483_778L);
        PARAMETERS.put("resnet20", 272_474L);
        PARAMETERS.put("vgg_small", 4_660_106L);
        PARAMETERS.put("mobilenet_v1_x0_5", 823_722L);
        PARAMETERS.put("vit_tiny_patch4_32", 5_362_762L);
        PARAMETERS.put("bert_mini", 11_171_074L);
        // ours, counted by hand: convs 286,560 + BN 896 + fc 128·4·4·10+10
        PARAMETERS.put("vgg_small_x0_25", 307_946L);
        // patch 4,704 + cls 96 + pos 65·96 + 6 blocks × 93,312 + norm 192 + head 970
        PARAMETERS.put("vit_mini_patch4", 572_074L);
    }

    /**
     * State-dict manifests written by tools/make_zoo_fixtures.py that list keys in the reference's order: torchvision's
     * own models, and the script's definitions of the models torchvision lacks (HF BERT transcribed).
     */
    static final List<String> ORDERED_MANIFESTS = List.of("resnet18", "resnet34", "resnet50", "vgg16_bn", "resnet20",
            "vgg_small", "mobilenet_v1", "mobilenet_v1_x0_5", "bert_base", "bert_mini");
    /** torchvision's ViT and Swin-T renamed to timm keys: same keys and shapes (torchvision orders them otherwise). */
    static final List<String> RENAMED_MANIFESTS = List.of("vit_base_patch16_224", "vit_tiny_patch4_32",
            "swin_tiny_patch4_window7_224");

    static List<String> architectures() {
        return new ArrayList<>(ModelZoo.architectures().keySet());
    }

    @Test
    void everyArchitectureHasAPublishedCount() {
        assertEquals(PARAMETERS.keySet(), ModelZoo.architectures().keySet());
    }

    @ParameterizedTest
    @MethodSource("architectures")
    void buildsWithPublishedParameterCountAndOutputShape(String arch) throws IOException {
        ModelZoo.Entry e = ModelZoo.entry(arch);
        Graph g = ModelZoo.build(arch);
        assertEquals(PARAMETERS.get(arch), StateDicts.parameterCount(g), arch + " parameters");
        assertEquals(1, g.outputs().size());
        Value out = g.outputs().get(0);
        assertEquals(DType.FLOAT32, out.dtype());
        assertArrayEquals(new int[] {-1, e.defaults().numClasses()}, out.shape(), arch + " output " + out);
        assertEquals(arch, g.name());
        assertEquals(arch, g.metadata().get("arch"));
        if (ORDERED_MANIFESTS.contains(arch) || RENAMED_MANIFESTS.contains(arch)) {
            assertMatchesManifest(arch, g, ORDERED_MANIFESTS.contains(arch));
        }
    }

    /** Keys (in order, if asked) and shapes equal the reference state dict's, ignored keys aside. */
    private static void assertMatchesManifest(String arch, Graph g, boolean ordered) throws IOException {
        Map<String, int[]> expected = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Fixtures.resource("manifests/" + arch + ".txt"))) {
            String[] kv = line.split(" ");
            if (!StateDicts.ignored(kv[0])) {
                int[] shape = kv.length < 2 || kv[1].isEmpty() ? new int[0]
                        : Arrays.stream(kv[1].split(",")).mapToInt(Integer::parseInt).toArray();
                expected.put(kv[0], shape);
            }
        }
        Map<String, Tensor> actual = StateDicts.of(g);
        if (ordered) {
            assertEquals(new ArrayList<>(expected.keySet()), new ArrayList<>(actual.keySet()), arch + " keys");
        } else {
            assertEquals(new TreeSet<>(expected.keySet()), new TreeSet<>(actual.keySet()), arch + " keys");
        }
        expected.forEach((k, s) -> assertArrayEquals(s, actual.get(k).shape(), arch + " " + k));
    }

    @Test
    void smallModelsTakeGreyImagesAndOtherClassCounts() {
        ModelConfig fashion = new ModelConfig(10, 1, 28, 0);
        for (String arch : List.of("resnet20", "vgg_small", "mobilenet_v1_x0_5", "vit_tiny_patch4_32")) {
            Graph g = ModelZoo.build(arch, fashion.withNumClasses(7));
            assertArrayEquals(new int[] {-1, 1, 28, 28}, g.inputs().get(0).shape(), arch);
            assertArrayEquals(new int[] {-1, 7}, g.outputs().get(0).shape(), arch);
        }
        // VGG-small's classifier is sized by the image: 512·4·4 at 32, 512·3·3 at 28
        assertArrayEquals(new int[] {10, 512 * 9},
                ModelZoo.build("vgg_small", fashion).initializer("classifier.weight").shape());
    }

    @Test
    void bertTakesIdsAndMaskWithDynamicBatchAndLength() {
        Graph g = ModelZoo.build("bert_mini");
        assertEquals(List.of("input_ids", "attention_mask"), g.inputs().stream().map(Value::name).toList());
        for (Value in : g.inputs()) {
            assertEquals(DType.INT64, in.dtype());
            assertArrayEquals(new int[] {-1, -1}, in.shape());
        }
        Graph noMask = Berts.build("bert_mini", Berts.MINI.withoutAttentionMask(), 2, 0);
        assertEquals(List.of("input_ids"), noMask.inputs().stream().map(Value::name).toList());
    }

    @Test
    void unknownArchitectureNamesTheKnownOnes() {
        T2cException e = assertThrows(T2cException.class, () -> ModelZoo.build("resnet19"));
        assertTrue(e.getMessage().contains("resnet18") && e.getMessage().contains("bert_base"), e.getMessage());
    }

    @Test
    void sameSeedSameWeightsOtherSeedOtherWeights() {
        Graph a = ModelZoo.build("resnet20");
        Graph b = ModelZoo.build("resnet20");
        Graph c = ModelZoo.build("resnet20", ModelConfig.small(10).withSeed(1));
        float[] wa = a.initializer("layer1.0.conv1.weight").floats();
        assertArrayEquals(wa, b.initializer("layer1.0.conv1.weight").floats());
        assertTrue(!Arrays.equals(wa, c.initializer("layer1.0.conv1.weight").floats()));
    }
}
