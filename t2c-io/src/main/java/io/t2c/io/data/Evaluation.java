package io.t2c.io.data;

import io.t2c.graph.Executor;
import io.t2c.graph.Value;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.ops.Reductions;
import java.util.Arrays;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Top-1 accuracy of a classifier on a labelled dataset: the first {@code limit} samples in the dataset's order, in
 * batches; the prediction is the arg-max of the first output's last axis (first index on ties). Also returns the
 * predictions, so two models can be compared sample by sample (top-1 agreement).
 */
public final class Evaluation {
    private Evaluation() {}

    public record Result(int samples, int correct, int[] predictions, double seconds) {
        public double accuracy() {
            return samples == 0 ? 0 : (double) correct / samples;
        }

        /** Fraction of samples where both results predict the same class. */
        public double agreement(Result other) {
            int n = Math.min(predictions.length, other.predictions.length);
            int same = 0;
            for (int i = 0; i < n; i++) {
                same += predictions[i] == other.predictions[i] ? 1 : 0;
            }
            return n == 0 ? 0 : (double) same / n;
        }
    }

    /** Evaluates; {@code progress} receives the number of samples done after each batch (may be null). */
    public static Result top1(Executor model, Dataset data, int limit, int batchSize, IntConsumer progress) {
        if (data.numClasses() == 0) {
            throw new T2cException("dataset " + data.name() + " has no labels; accuracy needs a labelled dataset");
        }
        if (model.graph().inputs().size() != 1) {
            throw new T2cException("the model has " + model.graph().inputs().size() + " inputs; eval needs a"
                    + " single-input classifier");
        }
        Value input = model.graph().inputs().get(0);
        int[] want = input.shape();
        int[] sample = data.sampleShape();
        if (want != null && (want.length != sample.length + 1 || !fits(want, sample))) {
            throw new T2cException("the model's input '" + input.name() + "' has shape " + Value.describe(want)
                    + " but " + data.name() + " gives samples of shape " + Arrays.toString(sample));
        }
        int n = limit <= 0 ? data.size() : Math.min(limit, data.size());
        int[] predictions = new int[n];
        int correct = 0;
        long t0 = System.nanoTime();
        for (int from = 0; from < n; from += batchSize) {
            int to = Math.min(n, from + batchSize);
            Batch b = data.batch(from, to);
            Tensor logits = model.run(Map.of(input.name(), b.images())).values().iterator().next();
            int classes = logits.dim(-1);
            if (logits.size() != (to - from) * classes) {
                throw new T2cException("the model's output " + Arrays.toString(logits.shape()) + " is not one row of"
                        + " class scores per sample");
            }
            long[] best = Reductions.argMax(logits.cast(io.t2c.tensor.DType.FLOAT32), -1, false, false).longs();
            long[] labels = b.labels().longs();
            for (int i = 0; i < to - from; i++) {
                predictions[from + i] = (int) best[i];
                correct += best[i] == labels[i] ? 1 : 0;
            }
            if (progress != null) {
                progress.accept(to);
            }
        }
        return new Result(n, correct, predictions, (System.nanoTime() - t0) / 1e9);
    }

    private static boolean fits(int[] modelShape, int[] sample) {
        for (int i = 0; i < sample.length; i++) {
            if (modelShape[i + 1] >= 0 && modelShape[i + 1] != sample[i]) {
                return false;
            }
        }
        return true;
    }
}
