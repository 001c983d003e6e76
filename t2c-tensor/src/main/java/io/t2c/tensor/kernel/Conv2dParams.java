package io.t2c.tensor.kernel;

import io.t2c.tensor.T2cException;

/**
 * Shape and attributes of a 2-D convolution (ONNX Conv): input {@code x[batch, inChannels, inH, inW]}, weight
 * {@code w[outChannels, inChannels/groups, kernelH, kernelW]}, optional bias {@code [outChannels]}, output
 * {@code y[batch, outChannels, outH, outW]}, all NCHW row-major. Pads may be asymmetric (ONNX order: top, left,
 * bottom, right). A 1-D convolution is the case {@code inH = kernelH = 1} with zero vertical pads.
 *
 * <p>{@code outH = (inH + padTop + padBottom − ((kernelH − 1)·dilationH + 1)) / strideH + 1}, and likewise for W.
 * The constructor rejects inconsistent values with a {@link T2cException} naming them.
 */
public record Conv2dParams(int batch, int inChannels, int inH, int inW,
                           int outChannels, int kernelH, int kernelW,
                           int strideH, int strideW,
                           int padTop, int padLeft, int padBottom, int padRight,
                           int dilationH, int dilationW, int groups) {

    public Conv2dParams {
        if (batch < 0 || inChannels < 1 || inH < 1 || inW < 1 || outChannels < 1 || kernelH < 1 || kernelW < 1) {
            throw new T2cException("Conv: sizes must be positive (batch may be 0): " + describe(batch, inChannels,
                    inH, inW, outChannels, kernelH, kernelW));
        }
        if (strideH < 1 || strideW < 1 || dilationH < 1 || dilationW < 1) {
            throw new T2cException("Conv: strides and dilations must be >= 1, got strides [" + strideH + ", "
                    + strideW + "], dilations [" + dilationH + ", " + dilationW + "]");
        }
        if (padTop < 0 || padLeft < 0 || padBottom < 0 || padRight < 0) {
            throw new T2cException("Conv: pads must be >= 0, got [" + padTop + ", " + padLeft + ", " + padBottom
                    + ", " + padRight + "]");
        }
        if (groups < 1 || inChannels % groups != 0 || outChannels % groups != 0) {
            throw new T2cException("Conv: group " + groups + " must divide the " + inChannels
                    + " input channels and the " + outChannels + " output channels");
        }
        int oh = outSize(inH, padTop + padBottom, kernelH, dilationH, strideH);
        int ow = outSize(inW, padLeft + padRight, kernelW, dilationW, strideW);
        if (oh < 1 || ow < 1) {
            throw new T2cException("Conv: a " + kernelH + "x" + kernelW + " kernel with dilations [" + dilationH
                    + ", " + dilationW + "] does not fit the padded " + (inH + padTop + padBottom) + "x"
                    + (inW + padLeft + padRight) + " input");
        }
    }

    /** Square-free convenience: stride, symmetric pad and dilation equal in both directions. */
    public static Conv2dParams of(int batch, int inChannels, int inH, int inW, int outChannels, int kernel,
                                  int stride, int pad, int dilation, int groups) {
        return new Conv2dParams(batch, inChannels, inH, inW, outChannels, kernel, kernel, stride, stride,
                pad, pad, pad, pad, dilation, dilation, groups);
    }

    static int outSize(int in, int padSum, int k, int dilation, int stride) {
        long span = (long) (k - 1) * dilation + 1;
        long padded = (long) in + padSum;
        return padded < span ? 0 : (int) ((padded - span) / stride + 1);
    }

    private static String describe(int n, int c, int h, int w, int oc, int kh, int kw) {
        return "input [" + n + ", " + c + ", " + h + ", " + w + "], " + oc + " output channels, kernel " + kh + "x"
                + kw;
    }

    public int outH() {
        return outSize(inH, padTop + padBottom, kernelH, dilationH, strideH);
    }

    public int outW() {
        return outSize(inW, padLeft + padRight, kernelW, dilationW, strideW);
    }

    /** Input channels per group. */
    public int groupInChannels() {
        return inChannels / groups;
    }

    /** Output channels per group. */
    public int groupOutChannels() {
        return outChannels / groups;
    }

    /** True for depthwise (and channel-multiplier) convolutions: one group per input channel. */
    public boolean isDepthwise() {
        return groups == inChannels && groups > 1;
    }

    /** A 1×1 kernel without padding: every output reads one input element per channel (a GEMM on the input). */
    boolean isUnpadded1x1() {
        return kernelH == 1 && kernelW == 1 && padTop == 0 && padLeft == 0 && padBottom == 0 && padRight == 0;
    }

    /** Elements of x. */
    public long inputSize() {
        return (long) batch * inChannels * inH * inW;
    }

    /** Elements of w. */
    public long weightSize() {
        return (long) outChannels * groupInChannels() * kernelH * kernelW;
    }

    /** Elements of y. */
    public long outputSize() {
        return (long) batch * outChannels * outH() * outW();
    }

    /** Multiply-adds of the convolution. */
    public long macs() {
        return outputSize() * groupInChannels() * kernelH * kernelW;
    }

    /** Checks array lengths against this shape (programming errors, so IllegalArgumentException). */
    void checkArrays(float[] x, float[] w, float[] bias, float[] y) {
        check("x", x.length, inputSize());
        check("w", w.length, weightSize());
        if (bias != null) {
            check("bias", bias.length, outChannels);
        }
        check("y", y.length, outputSize());
    }

    /** Checks the arrays of {@link Conv2dF32#weightGradient} against this shape and the summed output size. */
    void checkWeightGradient(float[] x, float[] gy, int sumH, int sumW, float[] gw) {
        if (sumH < 0 || sumW < 0 || sumH > outH() || sumW > outW()) {
            throw new IllegalArgumentException("gradient positions " + sumH + "×" + sumW + " exceed the output "
                    + outH() + "×" + outW());
        }
        check("x", x.length, inputSize());
        check("gy", gy.length, (long) batch * outChannels * sumH * sumW);
        check("gw", gw.length, weightSize());
    }

    static void check(String name, int length, long expected) {
        if (length != expected) {
            throw new IllegalArgumentException(name + " has " + length + " elements, expected " + expected);
        }
    }
}
