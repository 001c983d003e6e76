package io.t2c.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.graph.op.OpRegistry;
import io.t2c.io.onnx.OnnxImporter;
import io.t2c.io.tensorfile.Npy;
import io.t2c.io.tensorfile.PthReader;
import io.t2c.tensor.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Zoo graphs against PyTorch: tiny models whose state dicts torch saved ({@code tools/make_zoo_fixtures.py}:
 * narrow torchvision ResNets, torchvision's BasicBlock in ResNet-20, VisionTransformer and SwinTransformer renamed to
 * timm keys, a transcription of HF's BERT), loaded with {@link ModelZoo#loadStateDict} and run on torch's inputs:
 * logits within 1e-4 (relative to the largest) of torch's, as built and after the ONNX importer's clean-up passes.
 */
class TorchFixtureTest {
    static final double TOLERANCE = 1e-4;

    private static void check(String fixture, Graph zoo, String... inputNames) {
        Map<String, Tensor> sd = PthReader.readStateDict(Fixtures.resource("fixtures/" + fixture + ".pth"));
        Graph g = ModelZoo.loadStateDict(zoo, sd);
        Map<String, Tensor> inputs = new java.util.LinkedHashMap<>();
        for (int i = 0; i < inputNames.length; i++) {
            inputs.put(inputNames[i], Npy.read(Fixtures.resource("fixtures/" + fixture + "_input" + i + ".npy")));
        }
        Tensor expected = Npy.read(Fixtures.resource("fixtures/" + fixture + "_logits.npy"));
        Tensor actual = new Executor(g).run(inputs).values().iterator().next();
        Fixtures.assertClose(actual, expected, TOLERANCE, fixture);
        // the graph as the ONNX-import path leaves a model (constants folded, BN folded into convs) computes the same
        Graph cleaned = OnnxImporter.cleanup(OpRegistry.standard()).run(g);
        assertTrue(cleaned.nodes().stream().noneMatch(n -> n.opType().equals("BatchNormalization")), fixture);
        Tensor folded = new Executor(cleaned).run(inputs).values().iterator().next();
        Fixtures.assertClose(folded, expected, TOLERANCE, fixture + " after import clean-up");
    }

    @Test
    void resnetBasicBlocksAndStemMatchTorchvision() {
        check("resnet_basic_w8", ResNets.imagenet("resnet_w8", ResNets.Block.BASIC, new int[] {2, 1, 1, 1}, 8,
                ModelConfig.small(10)), "input");
    }

    @Test
    void resnetBottlenecksMatchTorchvision() {
        check("resnet_bottleneck_w4", ResNets.imagenet("resnet_w4", ResNets.Block.BOTTLENECK, new int[] {2, 1, 1, 1},
                4, ModelConfig.small(10)), "input");
    }

    @Test
    void resnet20OnNative28x28GreyImagesMatchesTorch() {
        check("resnet20", ModelZoo.build("resnet20", new ModelConfig(10, 1, 28, 0)), "input");
    }

    @Test
    void mobilenetV1DepthwiseBlocksMatchTorch() {
        check("mobilenet_v1_x0_125", MobileNets.build("mobilenet_v1_x0_125", ModelConfig.small(10), 0.125, 1), "input");
    }

    @Test
    void vitWithTimmNamesMatchesTorchvision() {
        Graph g = VisionTransformers.build("vit_fixture", new VisionTransformers.Spec(8, 32, 2, 2, 64), ModelConfig.small(10));
        check("vit_tiny", g, "input");
    }

    @Test
    void swinWithShiftedWindowsAndMergingMatchesTorchvision() {
        SwinTransformers.Spec spec = new SwinTransformers.Spec(2, 4, 8, new int[] {2, 2, 2}, new int[] {2, 2, 4}, 4);
        check("swin_tiny", SwinTransformers.build("swin_fixture", spec, ModelConfig.small(10)), "input");
    }

    @Test
    void bertWithPaddingMaskMatchesHuggingFaceTranscription() {
        Graph g = Berts.build("bert_fixture", new Berts.Spec(50, 32, 2, 2, 64, 16, 2, true), 3, 0);
        check("bert_tiny", g, "input_ids", "attention_mask");
    }

    @Test
    void fixtureStateDictsHaveExactlyTheZooKeys() {
        // strict loading already proves it; this names the counts for the record
        Map<String, Tensor> sd = PthReader.readStateDict(Fixtures.resource("fixtures/resnet20.pth"));
        Graph g = ModelZoo.build("resnet20", new ModelConfig(10, 1, 28, 0));
        assertEquals(StateDicts.of(g).size(), sd.keySet().stream().filter(k -> !StateDicts.ignored(k)).count());
        assertEquals(272_186, StateDicts.parameterCount(g));
    }
}
