package io.t2c.autograd;

import io.t2c.tensor.Tensor;
import java.util.HashMap;
import java.util.Map;

/**
 * SGD as {@code torch.optim.SGD}: g ← g + wd·p; with momentum μ, b ← μ·b + g (b = g at the first step) and
 * g ← g + μ·b (Nesterov) or g ← b; then p ← p − lr·g. Arithmetic in float, as torch does on float32 tensors.
 */
public final class Sgd implements Optimizer {
    private double lr;
    private final float momentum;
    private final boolean nesterov;
    private final float weightDecay;
    private final Map<String, float[]> buffers = new HashMap<>();

    public Sgd(double lr, double momentum, boolean nesterov, double weightDecay) {
        if (nesterov && momentum <= 0) {
            throw new IllegalArgumentException("Nesterov momentum needs momentum > 0");
        }
        this.lr = lr;
        this.momentum = (float) momentum;
        this.nesterov = nesterov;
        this.weightDecay = (float) weightDecay;
    }

    @Override
    public void step(Map<String, Tensor> params, Map<String, Tensor> grads) {
        float rate = (float) lr;
        for (Map.Entry<String, Tensor> e : grads.entrySet()) {
            float[] p = params.get(e.getKey()).floats();
            float[] g = e.getValue().floats();
            float[] b = momentum == 0 ? null : buffers.get(e.getKey());
            boolean first = momentum != 0 && b == null;
            if (first) {
                b = new float[p.length];
                buffers.put(e.getKey(), b);
            }
            for (int i = 0; i < p.length; i++) {
                float d = g[i] + weightDecay * p[i];
                if (momentum != 0) {
                    b[i] = first ? d : momentum * b[i] + d;
                    d = nesterov ? d + momentum * b[i] : b[i];
                }
                p[i] -= rate * d;
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
