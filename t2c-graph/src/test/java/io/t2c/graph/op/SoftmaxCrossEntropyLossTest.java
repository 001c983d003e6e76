package io.t2c.graph.op;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.t2c.graph.Attributes;
import io.t2c.graph.Node;
import io.t2c.tensor.Tensor;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SoftmaxCrossEntropyLossTest {
    /** Float64 reference: mean over samples of −Σ_c q_c·log softmax(x)_c, q = (1−ε)·onehot + ε/C. */
    static double reference(float[] x, long[] y, int classes, double eps) {
        double total = 0;
        int n = y.length;
        for (int i = 0; i < n; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                max = Math.max(max, x[i * classes + c]);
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                sum += Math.exp(x[i * classes + c] - max);
            }
            double logZ = max + Math.log(sum);
            for (int c = 0; c < classes; c++) {
                double q = (c == y[i] ? 1 - eps : 0) + eps / classes;
                total -= q * (x[i * classes + c] - logZ);
            }
        }
        return total / n;
    }

    @Test
    void meanLossMatchesFloat64WithAndWithoutSmoothing() {
        Random r = new Random(11);
        int n = 13;
        int classes = 10;
        float[] x = new float[n * classes];
        long[] y = new long[n];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * 4);
        }
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(classes);
        }
        OpDef op = OpRegistry.standard().get("SoftmaxCrossEntropyLoss");
        for (double eps : new double[] {0, 0.1}) {
            Node node = new Node("ce", "SoftmaxCrossEntropyLoss", List.of("x", "y"), List.of("l"),
                    Attributes.of("label_smoothing", eps));
            Tensor loss = op.forward(node, List.of(Tensor.of(x, n, classes), Tensor.ofLongs(y, n))).get(0);
            assertEquals(reference(x, y, classes, eps), loss.getDouble(0), 1e-5);
        }
    }
}
