package io.t2c.graph.pass;

import io.t2c.tensor.Tensor;

/**
 * The arithmetic of folding an inference-mode BatchNormalization into the convolution (or linear layer) before it:
 * with {@code a = gamma / sqrt(var + eps)}, output channel {@code o} gets {@code w'[o] = a[o]·w[o]} and
 * {@code b'[o] = a[o]·(b[o] − mean[o]) + beta[o]}. Computed in double, rounded once to float.
 */
public final class BatchNormFolding {
    private BatchNormFolding() {}

    /** Folded weight and bias. */
    public record Folded(Tensor weight, Tensor bias) {}

    /**
     * Folds BN into a weight whose first axis is the output channel ({@code [OC, ...]}, as Conv and Gemm with
     * transB=1 store it). {@code bias} may be null (treated as zeros).
     */
    public static Folded foldIntoConv(Tensor weight, Tensor bias, Tensor mean, Tensor var, double eps, Tensor gamma,
                                      Tensor beta) {
        int oc = weight.dim(0);
        int per = weight.size() / Math.max(1, oc);
        float[] w = weight.floats();
        float[] wOut = new float[w.length];
        float[] bOut = new float[oc];
        for (int o = 0; o < oc; o++) {
            double a = gamma.getDouble(o) / Math.sqrt(var.getDouble(o) + eps);
            for (int i = 0; i < per; i++) {
                wOut[o * per + i] = (float) (a * w[o * per + i]);
            }
            double b = bias == null ? 0 : bias.getDouble(o);
            bOut[o] = (float) (a * (b - mean.getDouble(o)) + beta.getDouble(o));
        }
        return new Folded(Tensor.of(wOut, weight.shape()), Tensor.of(bOut, oc));
    }
}
