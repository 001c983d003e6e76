package io.t2c.autograd;

import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.op.OpRegistry;
import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.ops.Reductions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Mini-batch training of a classifier graph.
 *
 * <p>Call order: construct with the model, the names of its trainable parameters, the optimizer and schedule; then
 * {@link #epoch} once per epoch. Each step: the {@link BatchSource} gives inputs and labels for the step's shuffled
 * indices (augmented with the step's random generator), {@link Backprop} computes the loss gradient for every
 * trainable parameter, the schedule sets the learning rate, the optimizer updates the parameters in place, and
 * BatchNormalization running statistics are copied from the training graph's outputs. {@link #model()} returns the
 * inference graph with the current parameters.
 *
 * <p>Reproducible: the shuffling and augmentation randomness come from {@code seed} and the epoch number only, and
 * every kernel computes each output element in a fixed order, so the same seed and thread count give the same
 * weights bit for bit.
 */
public final class Trainer {
    /** A mini-batch: the model's input tensor(s) by name, and INT64 labels [B]. */
    public record MiniBatch(Map<String, Tensor> inputs, Tensor labels) {}

    /** Supplies the mini-batch of the given sample indices, augmented with {@code rng}. */
    public interface BatchSource {
        int size();

        MiniBatch batch(int[] indices, SplittableRandom rng);
    }

    /** What one epoch did. */
    public record EpochStats(int epoch, double meanLoss, double accuracy, int samples, double seconds) {}

    /** Notified after each step with the step's loss and the running accuracy of the epoch. */
    public interface Listener {
        void step(int done, int total, double loss, double accuracy);
    }

    private final Graph model;
    private final TrainingGraph training;
    private final Map<String, Tensor> params = new LinkedHashMap<>();
    private final List<String> trainable;
    private final Optimizer optimizer;
    private final LearningRateSchedule schedule;
    private final OpRegistry registry;
    private final long seed;
    private int step;

    public Trainer(Graph model, List<String> trainable, Optimizer optimizer, LearningRateSchedule schedule,
                   double labelSmoothing, long seed, OpRegistry registry) {
        this.model = model;
        this.training = TrainingGraph.of(model, labelSmoothing);
        this.trainable = List.copyOf(trainable);
        this.optimizer = optimizer;
        this.schedule = schedule;
        this.registry = registry;
        this.seed = seed;
        // The trainer owns copies of the parameters: the optimizer updates them in place.
        model.initializers().forEach((k, v) -> params.put(k, v.dtype() == DType.FLOAT32 ? v.copy() : v));
        for (String t : trainable) {
            if (!params.containsKey(t)) {
                throw new T2cException("trainable parameter '" + t + "' is not an initializer of " + model.name());
            }
        }
    }

    /** Runs one epoch over {@code data} in mini-batches of {@code batchSize} (the last partial batch is kept). */
    public EpochStats epoch(int epoch, BatchSource data, int batchSize, Listener listener) {
        long t0 = System.nanoTime();
        int n = data.size();
        int[] order = shuffled(n, new SplittableRandom(seed * 1_000_003L + epoch));
        SplittableRandom augmentation = new SplittableRandom(seed * 7_919L + epoch + 1);
        Graph g = training.graph().withNodes(training.graph().nodes(), params);
        double lossSum = 0;
        int correct = 0;
        int seen = 0;
        for (int from = 0; from < n; from += batchSize) {
            int[] idx = java.util.Arrays.copyOfRange(order, from, Math.min(n, from + batchSize));
            MiniBatch mb = data.batch(idx, augmentation.split());
            Map<String, Tensor> feed = new LinkedHashMap<>(mb.inputs());
            Tensor labels = mb.labels();
            feed.put(training.labels(), labels);
            Backprop.Result r = Backprop.run(seeded(g, step), registry, feed, training.loss(), trainable);
            optimizer.setLearningRate(schedule.at(step++));
            optimizer.step(params, r.gradients());
            for (Map.Entry<String, String> e : training.runningStats().entrySet()) {
                float[] next = r.outputs().get(e.getKey()).floats();
                System.arraycopy(next, 0, params.get(e.getValue()).floats(), 0, next.length);
            }
            double loss = r.outputs().get(training.loss()).getDouble(0);
            lossSum += loss * idx.length;
            correct += countCorrect(r.outputs().get(training.logits()), labels);
            seen += idx.length;
            if (listener != null) {
                listener.step(seen, n, loss, (double) correct / seen);
            }
        }
        return new EpochStats(epoch, lossSum / Math.max(1, seen), (double) correct / Math.max(1, seen), seen,
                (System.nanoTime() - t0) / 1e9);
    }

    /** The graph with every {@code seed} attribute set for this step, so random choices differ step by step. */
    private Graph seeded(Graph g, int stepIndex) {
        if (g.nodes().stream().noneMatch(n -> n.attributes().has(TrainingGraph.SEED))) {
            return g;
        }
        List<Node> nodes = new ArrayList<>();
        for (Node n : g.nodes()) {
            nodes.add(n.attributes().has(TrainingGraph.SEED)
                    ? n.withAttributes(n.attributes().with(TrainingGraph.SEED, seed * 1_000_003L + stepIndex)) : n);
        }
        return g.withNodes(nodes, g.initializers());
    }

    /** The inference graph with the current parameters (copies, safe to keep while training goes on). */
    public Graph model() {
        Map<String, Tensor> copy = new LinkedHashMap<>();
        params.forEach((k, v) -> copy.put(k, v.copy()));
        return model.withNodes(model.nodes(), copy);
    }

    public int steps() {
        return step;
    }

    private static int[] shuffled(int n, SplittableRandom rng) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }

    private static int countCorrect(Tensor logits, Tensor labels) {
        long[] predicted = Reductions.argMax(logits, -1, false, false).longs();
        long[] y = labels.longs();
        int correct = 0;
        for (int i = 0; i < y.length; i++) {
            correct += predicted[i] == y[i] ? 1 : 0;
        }
        return correct;
    }

    /**
     * Trainable parameters of a graph: float initializers except BatchNormalization running statistics. (Float
     * constants that are not parameters, such as a scale factor, would be included: builders that know better pass
     * their own list.)
     */
    public static List<String> defaultTrainable(Graph g) {
        java.util.Set<String> stats = new java.util.HashSet<>();
        for (var n : g.nodes()) {
            if (n.opType().equals("BatchNormalization")) {
                stats.add(n.input(3));
                stats.add(n.input(4));
            }
        }
        List<String> out = new ArrayList<>();
        g.initializers().forEach((k, v) -> {
            if (v.dtype() == DType.FLOAT32 && !stats.contains(k)) {
                out.add(k);
            }
        });
        return out;
    }
}
