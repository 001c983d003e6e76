package io.t2c.tensor.kernel;

/**
 * Float 2-D convolution, NCHW (ONNX Conv semantics, see {@link Conv2dParams} for shapes):
 * {@code y[n, o, i, j] = bias[o] + Σ_{c, u, v} x[n, g·Cg + c, i·sH − padTop + u·dH, j·sW − padLeft + v·dW]
 * · w[o, c, u, v]} with {@code g = o / (outChannels/groups)}, {@code Cg = inChannels/groups}, and x read as 0 outside
 * the input. {@code y} is overwritten. Summation order is implementation defined (float rounding differs, see
 * {@link GemmF32}); the output does not depend on the thread count.
 */
public interface Conv2dF32 {
    /**
     * Computes the convolution into {@code y}.
     *
     * @param x    input, {@code p.inputSize()} floats
     * @param w    weights, {@code p.weightSize()} floats
     * @param bias {@code p.outChannels()} floats, or null for none
     * @param y    output, {@code p.outputSize()} floats, overwritten
     */
    default void conv2d(Conv2dParams p, float[] x, float[] w, float[] bias, float[] y) {
        conv2d(p, x, prepare(p, w), bias, y);
    }

    /**
     * Prepares weights {@code w[outChannels, inChannels/groups, kernelH, kernelW]} for repeated calls (packed
     * once); see {@link Conv2dWeights}. Only the weight shape and groups of {@code p} matter.
     */
    Conv2dWeights prepare(Conv2dParams p, float[] w);

    /** Computes the convolution into {@code y} with prepared weights. */
    default void conv2d(Conv2dParams p, float[] x, Conv2dWeights w, float[] bias, float[] y) {
        conv2d(p, x, w, bias, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, y);
    }

    /**
     * Computes the convolution into {@code y} with prepared weights, each output clamped to {@code [lo, hi]} as it
     * is stored ({@code min(max(v, lo), hi)}: a fused Relu or Clip without a second pass over y; NaN stays NaN).
     */
    void conv2d(Conv2dParams p, float[] x, Conv2dWeights w, float[] bias, float lo, float hi, float[] y);

    /**
     * The weight gradient of the convolution {@code p}, overwriting {@code gw[outChannels, inChannels/groups, kernelH,
     * kernelW]}: {@code gw[o, c, u, v] = Σ_{n, i < outH, j < outW} gy[n, o, i, j] · x[n, g·Cg + c, i·sH − padTop +
     * u·dH, j·sW − padLeft + v·dW]}, x read as 0 outside the input. {@code gy} is {@code [N, OC, outH, outW]} with
     * {@code outH ≤ p.outH()} and {@code outW ≤ p.outW()} (a ConvTranspose's weight gradient sums over the positions
     * of its smaller input). Summation order is implementation defined; the result does not depend on the thread
     * count.
     */
    void weightGradient(Conv2dParams p, float[] x, float[] gy, int outH, int outW, float[] gw);
}
