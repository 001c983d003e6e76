package io.t2c.graph.op;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.graph.Attributes;
import io.t2c.graph.Node;
import io.t2c.graph.TensorInfo;
import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** BatchNormalization's training mode (opset 15) against a float64 reference; shape inference and refusals. */
class BatchNormalizationTest {
    static final OpDef BN = OpRegistry.standard().get("BatchNormalization");

    static Tensor random(Random r, double offset, double spread, int... shape) {
        float[] v = new float[java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (offset + spread * r.nextGaussian());
        }
        return Tensor.of(v, shape);
    }

    static Node node(Attributes attrs, int outputs) {
        List<String> outs = List.of("y", "running_mean", "running_var").subList(0, outputs);
        return new Node("bn1", "BatchNormalization", List.of("x", "scale", "B", "mean", "var"), outs, attrs);
    }

    @Test
    void trainingForwardUsesBatchStatisticsAndUpdatesRunningStatistics() {
        Random r = new Random(7);
        int n = 4;
        int c = 3;
        int plane = 6;
        Tensor x = random(r, 0.5, 2, n, c, 2, 3);
        Tensor scale = random(r, 1, 0.3, c);
        Tensor bias = random(r, 0, 0.5, c);
        Tensor mean0 = random(r, 0, 1, c);
        Tensor var0 = random(r, 2, 0.2, c);
        double eps = 1e-3;
        double momentum = 0.7;
        for (int unbiased = 0; unbiased < 2; unbiased++) {
            List<Tensor> out = BN.forward(node(Attributes.of("training_mode", 1, "momentum", momentum, "epsilon", eps,
                    "running_var_unbiased", unbiased), 3), List.of(x, scale, bias, mean0, var0));
            assertEquals(3, out.size());
            int m = n * plane;
            for (int ch = 0; ch < c; ch++) {
                double s = 0;
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < plane; j++) {
                        s += x.getDouble((i * c + ch) * plane + j);
                    }
                }
                double mu = s / m;
                double ss = 0;
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < plane; j++) {
                        double d = x.getDouble((i * c + ch) * plane + j) - mu;
                        ss += d * d;
                    }
                }
                double var = ss / m; // biased: what the batch is normalized with
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < plane; j++) {
                        int k = (i * c + ch) * plane + j;
                        double want = (x.getDouble(k) - mu) / Math.sqrt(var + eps) * scale.getDouble(ch) + bias.getDouble(ch);
                        assertEquals(want, out.get(0).getDouble(k), 1e-5 * (1 + Math.abs(want)), "y[" + k + "]");
                    }
                }
                double wantMean = momentum * mean0.getDouble(ch) + (1 - momentum) * mu;
                // ONNX: biased batch variance; running_var_unbiased=1: unbiased, as PyTorch
                double wantVar = momentum * var0.getDouble(ch) + (1 - momentum) * ss / (unbiased == 1 ? m - 1 : m);
                assertEquals(wantMean, out.get(1).getDouble(ch), 1e-6 * (1 + Math.abs(wantMean)), "running_mean[" + ch + "]");
                assertEquals(wantVar, out.get(2).getDouble(ch), 1e-6 * (1 + Math.abs(wantVar)), "running_var[" + ch + "]");
            }
        }
    }

    @Test
    void shapeInferenceGivesRunningStatisticsInTrainingMode() {
        List<TensorInfo> in = List.of(TensorInfo.of(DType.FLOAT32, 2, 5, 3, 3), TensorInfo.of(DType.FLOAT32, 5),
                TensorInfo.of(DType.FLOAT32, 5), TensorInfo.of(DType.FLOAT32, 5), TensorInfo.of(DType.FLOAT32, 5));
        List<TensorInfo> training = BN.inferShapes(node(Attributes.of("training_mode", 1), 3), in);
        assertEquals(3, training.size());
        assertArrayEquals(new int[] {2, 5, 3, 3}, training.get(0).shape());
        assertArrayEquals(new int[] {5}, training.get(1).shape());
        assertArrayEquals(new int[] {5}, training.get(2).shape());
        assertEquals(1, BN.inferShapes(node(Attributes.EMPTY, 1), in).size());
    }

    @Test
    void refusesRunningOutputsInInferenceModeAndSingleValueChannelsInTraining() {
        List<Tensor> ins = List.of(Tensor.of(new float[] {1, 2, 3}, 1, 3), Tensor.of(new float[] {1, 1, 1}, 3),
                Tensor.of(new float[3], 3), Tensor.of(new float[3], 3), Tensor.of(new float[] {1, 1, 1}, 3));
        T2cException e = assertThrows(T2cException.class, () -> BN.forward(node(Attributes.EMPTY, 3), ins));
        assertTrue(e.getMessage().contains("bn1") && e.getMessage().contains("training_mode=1"), e.getMessage());
        e = assertThrows(T2cException.class, () -> BN.forward(node(Attributes.of("training_mode", 1), 1), ins));
        assertTrue(e.getMessage().contains("bn1") && e.getMessage().contains("[1, 3]"), e.getMessage());
        List<Tensor> wrongScale = List.of(ins.get(0), Tensor.of(new float[2], 2), ins.get(2), ins.get(3), ins.get(4));
        e = assertThrows(T2cException.class, () -> BN.forward(node(Attributes.of("training_mode", 1), 1), wrongScale));
        assertTrue(e.getMessage().contains("scale has shape [2]"), e.getMessage());
    }
}
