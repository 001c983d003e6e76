package io.t2c.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.graph.Attributes;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.Value;
import io.t2c.graph.op.OpRegistry;
import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TrainerTest {
    static final int DIM = 6;
    static final int CLASSES = 3;

    /** Three Gaussian blobs in 6-D: a problem a small MLP learns to near 100 %. */
    static Trainer.BatchSource blobs(int n, long seed) {
        Random r = new Random(seed);
        float[] centers = new float[CLASSES * DIM];
        for (int i = 0; i < centers.length; i++) {
            centers[i] = (float) r.nextGaussian() * 2;
        }
        float[] x = new float[n * DIM];
        long[] y = new long[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(CLASSES);
            for (int d = 0; d < DIM; d++) {
                x[i * DIM + d] = centers[(int) y[i] * DIM + d] + (float) r.nextGaussian() * 0.7f;
            }
        }
        return new Trainer.BatchSource() {
            @Override
            public int size() {
                return n;
            }

            @Override
            public Trainer.MiniBatch batch(int[] idx, SplittableRandom rng) {
                float[] b = new float[idx.length * DIM];
                long[] l = new long[idx.length];
                for (int i = 0; i < idx.length; i++) {
                    System.arraycopy(x, idx[i] * DIM, b, i * DIM, DIM);
                    l[i] = y[idx[i]];
                }
                return new Trainer.MiniBatch(Map.of("x", Tensor.of(b, idx.length, DIM)), Tensor.ofLongs(l, idx.length));
            }
        };
    }

    static Graph mlp(long seed) {
        Random r = new Random(seed);
        Map<String, Tensor> p = new LinkedHashMap<>();
        p.put("fc1.weight", GradientCheckTest.fill(new int[] {16, DIM}, () -> (float) (r.nextGaussian() * 0.4)));
        p.put("fc1.bias", Tensor.zeros(DType.FLOAT32, 16));
        p.put("fc2.weight", GradientCheckTest.fill(new int[] {CLASSES, 16}, () -> (float) (r.nextGaussian() * 0.25)));
        p.put("fc2.bias", Tensor.zeros(DType.FLOAT32, CLASSES));
        List<Node> nodes = List.of(
                new Node("fc1", "Gemm", List.of("x", "fc1.weight", "fc1.bias"), List.of("h"), Attributes.of("transB", 1)),
                new Node("act", "Relu", List.of("h"), List.of("a"), Attributes.EMPTY),
                new Node("fc2", "Gemm", List.of("a", "fc2.weight", "fc2.bias"), List.of("logits"), Attributes.of("transB", 1)));
        return new Graph("mlp", List.of(new Value("x", DType.FLOAT32, new int[] {-1, DIM})),
                List.of(new Value("logits", DType.FLOAT32, new int[] {-1, CLASSES})), nodes, p, Map.of());
    }

    static Trainer train(long seed, int epochs) {
        Graph g = mlp(7);
        Trainer t = new Trainer(g, Trainer.defaultTrainable(g), new Sgd(0.1, 0.9, true, 1e-4),
                LearningRateSchedule.cosine(0.1, 0.001, epochs * 8), 0.05, seed, OpRegistry.standard());
        Trainer.BatchSource data = blobs(240, 3);
        for (int e = 0; e < epochs; e++) {
            t.epoch(e, data, 32, null);
        }
        return t;
    }

    @Test
    void learnsASeparableProblem() {
        Graph g = mlp(7);
        Trainer t = new Trainer(g, Trainer.defaultTrainable(g), Adam.adam(0.01, 0.9, 0.999, 1e-8, 0),
                LearningRateSchedule.constant(0.01), 0, 1, OpRegistry.standard());
        Trainer.BatchSource data = blobs(240, 3);
        Trainer.EpochStats first = t.epoch(0, data, 32, null);
        Trainer.EpochStats last = first;
        for (int e = 1; e < 15; e++) {
            last = t.epoch(e, data, 32, null);
        }
        assertTrue(last.meanLoss() < first.meanLoss() / 3, first + " → " + last);
        assertTrue(last.accuracy() > 0.95, last.toString());
    }

    /** A conv → BatchNorm → Relu → pool → linear net, and 1×8×8 images whose class is the bright quadrant. */
    private record ConvNetProblem(Graph graph, Trainer.BatchSource data, long[] labels) {}

    private static ConvNetProblem convNetProblem() {
        Random r = new Random(5);
        Map<String, Tensor> p = new LinkedHashMap<>();
        p.put("conv.weight", GradientCheckTest.fill(new int[] {4, 1, 3, 3}, () -> (float) (r.nextGaussian() * 0.5)));
        p.put("bn.weight", GradientCheckTest.fill(new int[] {4}, () -> 1f));
        p.put("bn.bias", Tensor.zeros(DType.FLOAT32, 4));
        p.put("bn.running_mean", Tensor.zeros(DType.FLOAT32, 4));
        p.put("bn.running_var", GradientCheckTest.fill(new int[] {4}, () -> 1f));
        p.put("fc.weight", GradientCheckTest.fill(new int[] {4, 4 * 4 * 4}, () -> (float) (r.nextGaussian() * 0.1)));
        p.put("fc.bias", Tensor.zeros(DType.FLOAT32, 4));
        List<Node> nodes = List.of(
                new Node("conv", "Conv", List.of("x", "conv.weight"), List.of("c"), Attributes.of("pads", new long[] {1, 1, 1, 1})),
                new Node("bn", "BatchNormalization", List.of("c", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"),
                        List.of("b"), Attributes.of("epsilon", 1e-5, "momentum", 0.9)),
                new Node("relu", "Relu", List.of("b"), List.of("a"), Attributes.EMPTY),
                new Node("pool", "MaxPool", List.of("a"), List.of("m"), Attributes.of("kernel_shape", new long[] {2, 2}, "strides", new long[] {2, 2})),
                new Node("flat", "Flatten", List.of("m"), List.of("f"), Attributes.of("axis", 1)),
                new Node("fc", "Gemm", List.of("f", "fc.weight", "fc.bias"), List.of("logits"), Attributes.of("transB", 1)));
        Graph g = new Graph("cnn", List.of(new Value("x", DType.FLOAT32, new int[] {-1, 1, 8, 8})),
                List.of(new Value("logits", DType.FLOAT32, new int[] {-1, 4})), nodes, p, Map.of());
        int n = 160;
        float[] images = new float[n * 64];
        long[] labels = new long[n];
        for (int i = 0; i < n; i++) {
            labels[i] = r.nextInt(4);
            int qy = (int) labels[i] / 2 * 4;
            int qx = (int) labels[i] % 2 * 4;
            for (int k = 0; k < 64; k++) {
                int y = k / 8;
                int x = k % 8;
                boolean bright = y >= qy && y < qy + 4 && x >= qx && x < qx + 4;
                images[i * 64 + k] = (bright ? 1f : 0f) + (float) r.nextGaussian() * 0.3f;
            }
        }
        Trainer.BatchSource data = new Trainer.BatchSource() {
            public int size() {
                return n;
            }

            public Trainer.MiniBatch batch(int[] idx, SplittableRandom rng) {
                float[] b = new float[idx.length * 64];
                long[] l = new long[idx.length];
                for (int i = 0; i < idx.length; i++) {
                    System.arraycopy(images, idx[i] * 64, b, i * 64, 64);
                    l[i] = labels[idx[i]];
                }
                return new Trainer.MiniBatch(Map.of("x", Tensor.of(b, idx.length, 1, 8, 8)), Tensor.ofLongs(l, idx.length));
            }
        };
        return new ConvNetProblem(g, data, labels);
    }

    @Test
    void trainsAConvNetWithBatchNormAndUpdatesRunningStatistics() {
        ConvNetProblem problem = convNetProblem();
        Graph g = problem.graph();
        Trainer.BatchSource data = problem.data();
        long[] labels = problem.labels();
        int n = labels.length;
        List<String> trainable = Trainer.defaultTrainable(g);
        assertFalse(trainable.contains("bn.running_mean"), "running statistics are not trained by gradient");
        Trainer t = new Trainer(g, trainable, Adam.adam(0.02, 0.9, 0.999, 1e-8, 0), LearningRateSchedule.constant(0.02),
                0, 9, OpRegistry.standard());
        Trainer.EpochStats last = null;
        for (int e = 0; e < 12; e++) {
            last = t.epoch(e, data, 16, null);
        }
        assertTrue(last.accuracy() > 0.95, last.toString());
        Tensor mean = t.model().initializer("bn.running_mean");
        assertTrue(java.util.Arrays.stream(new int[] {0, 1, 2, 3}).anyMatch(c -> mean.floats()[c] != 0f),
                "running mean moved from its initial zeros");
        // The trained model in inference mode (running statistics) still classifies the training images.
        io.t2c.graph.Executor ex = new io.t2c.graph.Executor(t.model());
        Tensor logits = ex.run(data.batch(java.util.stream.IntStream.range(0, n).toArray(), null).inputs().get("x"));
        int correct = 0;
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int c = 1; c < 4; c++) {
                if (logits.floats()[i * 4 + c] > logits.floats()[i * 4 + best]) {
                    best = c;
                }
            }
            correct += best == labels[i] ? 1 : 0;
        }
        assertTrue(correct > 0.9 * n, "inference-mode accuracy " + correct + "/" + n);
    }

    /**
     * Conv, BatchNorm and Relu gradients reduce in a fixed order: two trainings give the same bits, the first partly
     * interpreted and the second compiled.
     */
    @Test
    void convNetTrainingIsReproducibleBitForBit() {
        Map<String, Tensor> first = null;
        for (int run = 0; run < 2; run++) {
            ConvNetProblem problem = convNetProblem();
            Trainer t = new Trainer(problem.graph(), Trainer.defaultTrainable(problem.graph()),
                    new Sgd(0.05, 0.9, false, 1e-4), LearningRateSchedule.constant(0.05), 0, 3, OpRegistry.standard());
            for (int e = 0; e < 2; e++) {
                t.epoch(e, problem.data(), 16, null);
            }
            Map<String, Tensor> weights = t.model().initializers();
            if (first == null) {
                first = weights;
                continue;
            }
            for (String k : first.keySet()) {
                assertArrayEquals(first.get(k).floats(), weights.get(k).floats(), k + " bit for bit");
            }
        }
    }

    @Test
    void sameSeedGivesIdenticalWeightsAndAnotherSeedDoesNot() {
        Map<String, Tensor> a = train(42, 3).model().initializers();
        Map<String, Tensor> b = train(42, 3).model().initializers();
        Map<String, Tensor> c = train(43, 3).model().initializers();
        boolean differs = false;
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k).floats(), b.get(k).floats(), k + " bit for bit");
            differs |= !java.util.Arrays.equals(a.get(k).floats(), c.get(k).floats());
        }
        assertTrue(differs, "another seed shuffles differently");
        assertFalse(a.isEmpty());
    }
}
