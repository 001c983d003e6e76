package io.t2c.autograd;

import io.t2c.tensor.Tensor;
import java.util.HashMap;
import java.util.Map;

/**
 * Adam and AdamW as {@code torch.optim.Adam} / {@code AdamW}. Adam adds weight decay to the gradient (L2); AdamW
 * decays the weights directly (p ← p·(1 − lr·wd)) before the Adam step. Moments m, v with bias correction:
 * p ← p − lr·m̂ / (√v̂ + ε).
 */
public final class Adam implements Optimizer {
    private double lr;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final boolean decoupled;
    private final Map<String, float[][]> moments = new HashMap<>();
    private final Map<String, Integer> steps = new HashMap<>();

    private Adam(double lr, double beta1, double beta2, double eps, double weightDecay, boolean decoupled) {
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.decoupled = decoupled;
    }

    public static Adam adam(double lr, double beta1, double beta2, double eps, double weightDecay) {
        return new Adam(lr, beta1, beta2, eps, weightDecay, false);
    }

    public static Adam adamW(double lr, double beta1, double beta2, double eps, double weightDecay) {
        return new Adam(lr, beta1, beta2, eps, weightDecay, true);
    }

    @Override
    public void step(Map<String, Tensor> params, Map<String, Tensor> grads) {
        for (Map.Entry<String, Tensor> e : grads.entrySet()) {
            float[] p = params.get(e.getKey()).floats();
            float[] g = e.getValue().floats();
            float[][] mv = moments.computeIfAbsent(e.getKey(), k -> new float[][] {new float[p.length], new float[p.length]});
            int t = steps.merge(e.getKey(), 1, Integer::sum);
            float[] m = mv[0];
            float[] v = mv[1];
            double c1 = 1 - Math.pow(beta1, t);
            double c2 = Math.sqrt(1 - Math.pow(beta2, t));
            float b1 = (float) beta1;
            float b2 = (float) beta2;
            float stepSize = (float) (lr / c1);
            float decay = (float) (1 - lr * weightDecay);
            for (int i = 0; i < p.length; i++) {
                float gi = g[i];
                if (decoupled) {
                    p[i] *= decay;
                } else {
                    gi += (float) weightDecay * p[i];
                }
                m[i] = b1 * m[i] + (1 - b1) * gi;
                v[i] = b2 * v[i] + (1 - b2) * gi * gi;
                float denom = (float) (Math.sqrt(v[i]) / c2 + eps);
                p[i] -= stepSize * m[i] / denom;
            }
        }
    }

    @Override
    public double learningRate() {
        return lr;
    }

    @Override
    public void setLearningRate(double lr) {
        this.lr = lr;
    }
}
