package io.t2c.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.io.tensorfile.PthReader;
import io.t2c.io.tensorfile.SafeTensors;
import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code load_state_dict} semantics: strict keys, exact shapes, ignored buffers, torch-like messages. */
class StateDictsTest {
    static Graph resnet20() {
        return ModelZoo.build("resnet20");
    }

    /** The graph's own state dict, with every tensor replaced by a constant fill. */
    static Map<String, Tensor> filled(Graph g, float value) {
        Map<String, Tensor> sd = new LinkedHashMap<>();
        StateDicts.of(g).forEach((k, t) -> {
            Tensor c = Tensor.zeros(DType.FLOAT32, t.shape());
            java.util.Arrays.fill(c.floats(), value);
            sd.put(k, c);
        });
        return sd;
    }

    @Test
    void stateDictIsTheTorchKeysInModuleOrderWithoutInternalConstants() {
        Graph g = ModelZoo.build("vit_tiny_patch4_32");
        Map<String, Tensor> sd = StateDicts.of(g);
        assertEquals(List.of("cls_token", "pos_embed", "patch_embed.proj.weight", "patch_embed.proj.bias",
                "blocks.0.norm1.weight"), sd.keySet().stream().limit(5).toList());
        assertTrue(sd.keySet().stream().noneMatch(k -> k.contains("/")));
        assertTrue(g.initializers().keySet().stream().anyMatch(k -> k.contains("/")), "internal constants exist");
        // buffers are state but not parameters
        Graph r = resnet20();
        assertTrue(StateDicts.of(r).containsKey("bn1.running_var"));
        long buffers = StateDicts.of(r).entrySet().stream().filter(e -> StateDicts.isBuffer(e.getKey()))
                .mapToLong(e -> e.getValue().size()).sum();
        long all = StateDicts.of(r).values().stream().mapToLong(Tensor::size).sum();
        assertEquals(all - buffers, StateDicts.parameterCount(r));
    }

    @Test
    void loadReplacesEveryParameterAndKeepsTheGraph() {
        Graph g = resnet20();
        Graph loaded = ModelZoo.loadStateDict(g, filled(g, 0.25f));
        assertEquals(g.nodes(), loaded.nodes());
        assertEquals(g.initializers().keySet(), loaded.initializers().keySet());
        StateDicts.of(loaded).values().forEach(t -> assertEquals(0.25f, t.floats()[0]));
        // the original is untouched
        assertFalse(StateDicts.of(g).values().stream().allMatch(t -> t.floats()[0] == 0.25f));
    }

    @Test
    void numBatchesTrackedAndDerivedBuffersAreIgnored() {
        Graph g = resnet20();
        Map<String, Tensor> sd = filled(g, 1f);
        sd.put("bn1.num_batches_tracked", Tensor.scalarLong(3).reshape());
        sd.put("layers.0.blocks.0.attn.relative_position_index", Tensor.vector(1, 2));
        sd.put("bert.embeddings.position_ids", Tensor.vector(0, 1));
        StateDicts.LoadResult r = StateDicts.load(g, sd, true);
        assertEquals(List.of(), r.unexpectedKeys());
    }

    @Test
    void strictLoadListsMissingUnexpectedAndMismatchedKeysAtOnce() {
        Graph g = resnet20();
        Map<String, Tensor> sd = filled(g, 1f);
        sd.remove("fc.bias");
        sd.remove("layer3.2.bn2.running_mean");
        sd.put("fc.weight", Tensor.zeros(DType.FLOAT32, 100, 64));
        sd.put("classifier.weight", Tensor.zeros(DType.FLOAT32, 10, 64));
        T2cException e = assertThrows(T2cException.class, () -> ModelZoo.loadStateDict(g, sd));
        String m = e.getMessage();
        assertTrue(m.startsWith("Error(s) in loading state_dict for resnet20: "), m);
        assertTrue(m.contains("Missing key(s) in state_dict: \"layer3.2.bn2.running_mean\", \"fc.bias\"."), m);
        assertTrue(m.contains("Unexpected key(s) in state_dict: \"classifier.weight\"."), m);
        assertTrue(m.contains("size mismatch for fc.weight: copying a param with shape [100, 64] from checkpoint,"
                + " the shape in current model is [10, 64]"), m);
    }

    @Test
    void nonStrictLoadReportsKeysButStillRefusesShapeMismatches() {
        Graph g = resnet20();
        Map<String, Tensor> sd = filled(g, 1f);
        sd.remove("fc.bias");
        sd.put("extra.weight", Tensor.zeros(DType.FLOAT32, 1));
        StateDicts.LoadResult r = StateDicts.load(g, sd, false);
        assertEquals(List.of("fc.bias"), r.missingKeys());
        assertEquals(List.of("extra.weight"), r.unexpectedKeys());
        assertSame(g.initializer("fc.bias"), r.graph().initializer("fc.bias"), "a missing key keeps its value");
        sd.put("conv1.weight", Tensor.zeros(DType.FLOAT32, 16, 3, 3, 1));
        assertThrows(T2cException.class, () -> StateDicts.load(g, sd, false));
    }

    @Test
    void integerTensorsForFloatParametersAreRefused() {
        Graph g = resnet20();
        Map<String, Tensor> sd = filled(g, 1f);
        sd.put("fc.bias", Tensor.zeros(DType.INT64, 10));
        T2cException e = assertThrows(T2cException.class, () -> ModelZoo.loadStateDict(g, sd));
        assertTrue(e.getMessage().contains("type mismatch for fc.bias"), e.getMessage());
    }

    @Test
    void aWrappedCheckpointGetsAHint() {
        Graph g = resnet20();
        Map<String, Tensor> sd = new LinkedHashMap<>();
        filled(g, 1f).forEach((k, t) -> sd.put("module." + k, t));
        T2cException e = assertThrows(T2cException.class, () -> ModelZoo.loadStateDict(g, sd));
        assertTrue(e.getMessage().contains("Every checkpoint key starts with 'module.'"), e.getMessage());
        assertTrue(e.getMessage().contains("(" + StateDicts.of(g).size() + " in all)"), "long lists are cut");
    }

    @Test
    void swinLegacyKeysMoveTheMergingToTheNextStageAndTheHeadToFc() {
        Map<String, Tensor> legacy = new LinkedHashMap<>();
        Tensor t = Tensor.scalar(1f);
        legacy.put("layers.0.blocks.1.attn.qkv.weight", t);
        legacy.put("layers.0.downsample.reduction.weight", t);
        legacy.put("layers.2.downsample.norm.bias", t);
        legacy.put("head.weight", t);
        legacy.put("norm.weight", t);
        Map<String, Tensor> timm = StateDicts.swinLegacyToTimm(legacy);
        assertEquals(List.of("layers.0.blocks.1.attn.qkv.weight", "layers.1.downsample.reduction.weight",
                "layers.3.downsample.norm.bias", "head.fc.weight", "norm.weight"), List.copyOf(timm.keySet()));
        assertSame(timm, StateDicts.swinLegacyToTimm(timm), "new layout passes through");
    }

    /** The round trip the ResNet-18 .pth check will take: state dict → file → reader → zoo graph → same outputs. */
    @Test
    void savedStateDictsLoadBackThroughTheFileReaders(@TempDir Path dir) {
        Graph g = ModelZoo.build("resnet20", ModelConfig.small(10).withSeed(5));
        Path file = dir.resolve("resnet20.safetensors");
        SafeTensors.write(file, StateDicts.of(g));
        Graph loaded = ModelZoo.loadStateDict(ModelZoo.build("resnet20"), SafeTensors.read(file));
        Tensor x = LargeModelTest.image(2, 3, 32, 32);
        assertArrayEquals(new Executor(g).run(x).floats(), new Executor(loaded).run(x).floats());
        // and a torch-written file (fixture) through PthReader
        Map<String, Tensor> sd = PthReader.readStateDict(Fixtures.resource("fixtures/resnet20.pth"));
        assertEquals(272_186, StateDicts.parameterCount(
                ModelZoo.loadStateDict(ModelZoo.build("resnet20", new ModelConfig(10, 1, 28, 0)), sd)));
    }
}
