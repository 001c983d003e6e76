package io.t2c.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Full-size models build and run one image (or sequence) in the test JVM's heap: finite logits of the right shape,
 * and no parameter held twice. VGG-16 (15.5 GMAC, ~8 s on two cores) is tagged slow.
 */
class LargeModelTest {
    static Tensor image(int... shape) {
        Random r = new Random(7);
        Tensor t = Tensor.zeros(DType.FLOAT32, shape);
        float[] v = t.floats();
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return t;
    }

    static void assertFiniteLogits(Tensor y, int batch, int classes) {
        assertArrayEquals(new int[] {batch, classes}, y.shape());
        for (float f : y.floats()) {
            assertTrue(Float.isFinite(f), "non-finite logit " + f);
        }
    }

    /** Everything the graph holds (parameters, buffers, internal constants) stays within 1% of the state dict. */
    static void assertNoDuplicateWeights(Graph g) {
        long all = 0;
        for (Tensor t : g.initializers().values()) {
            all += (long) t.size() * t.dtype().byteSize();
        }
        long stateDict = 0;
        for (Tensor t : StateDicts.of(g).values()) {
            stateDict += (long) t.size() * t.dtype().byteSize();
        }
        assertTrue(all <= stateDict * 1.01, g.name() + ": initializers take " + all + " bytes for a " + stateDict
                + "-byte state dict");
    }

    static Tensor timed(String what, Graph g, Map<String, Tensor> in) {
        long t0 = System.nanoTime();
        assertNoDuplicateWeights(g);
        Tensor y = new Executor(g).run(in).values().iterator().next();
        System.out.printf("%s: %.2f s%n", what, (System.nanoTime() - t0) / 1e9);
        return y;
    }

    @Test
    void resnet50RunsOneImage() {
        Graph g = ModelZoo.build("resnet50");
        assertFiniteLogits(timed("resnet50", g, Map.of("input", image(1, 3, 224, 224))), 1, 1000);
    }

    @Test
    void vitBase16RunsOneImage() {
        Graph g = ModelZoo.build("vit_base_patch16_224");
        assertFiniteLogits(timed("vit_b", g, Map.of("input", image(1, 3, 224, 224))), 1, 1000);
    }

    @Test
    void swinTinyRunsOneImage() {
        Graph g = ModelZoo.build("swin_tiny_patch4_window7_224");
        assertFiniteLogits(timed("swin_t", g, Map.of("input", image(1, 3, 224, 224))), 1, 1000);
    }

    @Test
    void bertBaseRunsOneSequence() {
        Graph g = ModelZoo.build("bert_base");
        long[] ids = new long[128];
        long[] mask = new long[128];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = 100 + 37L * i % 30000;
            mask[i] = i < 100 ? 1 : 0;
        }
        Tensor y = timed("bert_base", g, Map.of("input_ids", Tensor.ofLongs(ids, 1, 128),
                "attention_mask", Tensor.ofLongs(mask, 1, 128)));
        assertFiniteLogits(y, 1, 2);
    }

    @Test
    @Tag("slow")
    void vgg16bnRunsOneImage() {
        Graph g = ModelZoo.build("vgg16_bn");
        assertFiniteLogits(timed("vgg16", g, Map.of("input", image(1, 3, 224, 224))), 1, 1000);
    }
}
