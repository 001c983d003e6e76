package io.t2c.tensor.kernel;

/**
 * Float 2-D transposed convolution, NCHW (ONNX ConvTranspose, shapes in {@link ConvTranspose2dParams}): every input
 * element scatters {@code x[n, c, i, j] · w[c, o − g·OCg, u, v]} to
 * {@code y[n, o, i·sH − padTop + u·dH, j·sW − padLeft + v·dW]} when that lands inside the output, for the output
 * channels {@code o} of the input channel's group {@code g}; {@code y} starts at the bias (or 0) and is overwritten.
 */
public interface ConvTranspose2dF32 {
    /**
     * Computes the transposed convolution into {@code y}.
     *
     * @param bias {@code p.outChannels()} floats, or null
     */
    void convTranspose2d(ConvTranspose2dParams p, float[] x, float[] w, float[] bias, float[] y);
}
