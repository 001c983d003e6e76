package io.t2c.quant.qat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.autograd.Adam;
import io.t2c.autograd.LearningRateSchedule;
import io.t2c.autograd.Trainer;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.op.OpRegistry;
import io.t2c.io.data.Batch;
import io.t2c.io.data.Dataset;
import io.t2c.io.data.Datasets;
import io.t2c.io.onnx.OnnxImporter;
import io.t2c.quant.FakeQuantOp;
import io.t2c.quant.ptq.PtqConfig;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** QAT on the example CNN: which parameters train, that quantizer steps learn, and that a seed fixes the result. */
class QatTest {
    static final int SAMPLES = 1024;

    static Graph train(Qat.Prepared p, Dataset data, long seed) {
        Trainer t = new Trainer(p.model(), p.trainable(), Adam.adam(1e-4, 0.9, 0.999, 1e-8, 0),
                LearningRateSchedule.constant(1e-4), 0, seed, OpRegistry.standard());
        String input = p.model().inputs().get(0).name();
        t.epoch(0, new Trainer.BatchSource() {
            public int size() {
                return SAMPLES;
            }

            public Trainer.MiniBatch batch(int[] idx, SplittableRandom rng) {
                Batch b = data.batch(idx);
                return new Trainer.MiniBatch(Map.of(input, b.images()), b.labels());
            }
        }, 128, null);
        return t.model();
    }

    @Test
    void learnedStepsTrainFixedOnesDoNotAndASeedFixesTheWeightsEvenWithRandomDrops() {
        Dataset data = Datasets.open("fashion-mnist:train");
        Graph fp = OnnxImporter.load(Datasets.repoRoot().resolve("examples/fashion_cnn.onnx"));
        PtqConfig config = PtqConfig.defaults("minmax_channel", "qdrop", 4, 4).withSamples(256, 64);
        Qat.Prepared p = Qat.prepare(fp, data, config);
        for (Node n : p.model().nodes()) {
            if (n.opType().equals(FakeQuantOp.NAME)) {
                boolean learns = FakeQuantOp.quantizer(n).learnsScale();
                assertTrue(p.trainable().contains(n.input(1)) == learns, n.name() + " scale trainable iff learned");
            }
        }
        Graph a = train(p, data, 5);
        Graph b = train(p, data, 5);
        Graph c = train(p, data, 6);
        boolean stepMoved = false;
        for (String k : p.trainable()) {
            assertArrayEquals(a.initializer(k).floats(), b.initializer(k).floats(), k + ": same seed, same weights");
            if (k.endsWith(".q.scale")) {
                stepMoved |= !Arrays.equals(a.initializer(k).floats(), p.model().initializer(k).floats());
            }
        }
        assertTrue(stepMoved, "LSQ steps learned");
        assertFalse(p.trainable().stream().allMatch(k -> Arrays.equals(a.initializer(k).floats(),
                c.initializer(k).floats())), "another seed draws other QDrop masks");
    }
}
