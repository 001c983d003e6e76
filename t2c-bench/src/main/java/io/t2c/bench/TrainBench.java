package io.t2c.bench;

import io.t2c.autograd.LearningRateSchedule;
import io.t2c.autograd.Sgd;
import io.t2c.autograd.Trainer;
import io.t2c.graph.Graph;
import io.t2c.graph.op.OpRegistry;
import io.t2c.models.ModelConfig;
import io.t2c.models.ModelZoo;
import io.t2c.models.StateDicts;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.kernel.Parallel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * Training throughput of ResNet-20 (1×28×28 input, 10 classes): SGD (lr 0.1, momentum 0.9, weight decay 5e-4),
 * batch 128, cross-entropy, random data of Fashion-MNIST's shape; 3 warm-up steps, then the median of 10 steps.
 * The same recipe in PyTorch is {@code bench/train_resnet20_torch.py}; run both on the same machine for the ratio.
 */
public final class TrainBench {
    public static void main(String[] args) {
        int batch = 128;
        Graph model = ModelZoo.build("resnet20", new ModelConfig(10, 1, 28, 0));
        List<String> trainable = new ArrayList<>();
        StateDicts.of(model).keySet().forEach(k -> {
            if (!StateDicts.isBuffer(k)) {
                trainable.add(k);
            }
        });
        Random r = new Random(1);
        float[] x = new float[batch * 28 * 28];
        long[] y = new long[batch];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < batch; i++) {
            y[i] = r.nextInt(10);
        }
        String input = model.inputs().get(0).name();
        Trainer.BatchSource one = new Trainer.BatchSource() {
            public int size() {
                return batch;
            }

            public Trainer.MiniBatch batch(int[] idx, SplittableRandom rng) {
                return new Trainer.MiniBatch(Map.of(input, Tensor.of(x, batch, 1, 28, 28)), Tensor.ofLongs(y, batch));
            }
        };
        Trainer t = new Trainer(model, trainable, new Sgd(0.1, 0.9, false, 5e-4), LearningRateSchedule.constant(0.1), 0,
                0, OpRegistry.standard());
        double[] ms = new double[13];
        for (int step = 0; step < ms.length; step++) {
            long t0 = System.nanoTime();
            t.epoch(step, one, batch, null);
            ms[step] = (System.nanoTime() - t0) / 1e6;
        }
        double[] timed = Arrays.copyOfRange(ms, 3, ms.length);
        Arrays.sort(timed);
        double median = timed[timed.length / 2];
        System.out.printf("t2c, %d threads: %.1f ms per step of %d images, %.0f images/s (%s)%n", Parallel.threads(),
                median, batch, batch / median * 1000, EndToEndBench.cpuName());
    }
}
