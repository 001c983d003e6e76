package io.t2c.tensor.kernel;

import io.t2c.tensor.T2cException;

/**
 * Shape and attributes of a 2-D transposed convolution (ONNX ConvTranspose): input
 * {@code x[batch, inChannels, inH, inW]}, weight {@code w[inChannels, outChannels/groups, kernelH, kernelW]} (note:
 * input channels first, as in ONNX and PyTorch), optional bias {@code [outChannels]}, output
 * {@code y[batch, outChannels, outH, outW]}, NCHW row-major.
 *
 * <p>Per ONNX: {@code outH = strideH·(inH − 1) + outputPadH + ((kernelH − 1)·dilationH + 1) − padTop − padBottom},
 * and likewise for W. Pads are in ONNX order (top, left, bottom, right) and may be asymmetric; they crop the full
 * output. Output padding only adds rows/columns at the bottom/right (receiving bias only where no input reaches).
 */
public record ConvTranspose2dParams(int batch, int inChannels, int inH, int inW,
                                    int outChannels, int kernelH, int kernelW,
                                    int strideH, int strideW,
                                    int padTop, int padLeft, int padBottom, int padRight,
                                    int outputPadH, int outputPadW,
                                    int dilationH, int dilationW, int groups) {

    public ConvTranspose2dParams {
        if (batch < 0 || inChannels < 1 || inH < 1 || inW < 1 || outChannels < 1 || kernelH < 1 || kernelW < 1) {
            throw new T2cException("ConvTranspose: sizes must be positive (batch may be 0): input [" + batch + ", "
                    + inChannels + ", " + inH + ", " + inW + "], " + outChannels + " output channels, kernel "
                    + kernelH + "x" + kernelW);
        }
        if (strideH < 1 || strideW < 1 || dilationH < 1 || dilationW < 1) {
            throw new T2cException("ConvTranspose: strides and dilations must be >= 1, got strides [" + strideH
                    + ", " + strideW + "], dilations [" + dilationH + ", " + dilationW + "]");
        }
        if (padTop < 0 || padLeft < 0 || padBottom < 0 || padRight < 0 || outputPadH < 0 || outputPadW < 0) {
            throw new T2cException("ConvTranspose: pads and output_padding must be >= 0, got pads [" + padTop + ", "
                    + padLeft + ", " + padBottom + ", " + padRight + "], output_padding [" + outputPadH + ", "
                    + outputPadW + "]");
        }
        if (groups < 1 || inChannels % groups != 0 || outChannels % groups != 0) {
            throw new T2cException("ConvTranspose: group " + groups + " must divide the " + inChannels
                    + " input channels and the " + outChannels + " output channels");
        }
        long oh = outSize(inH, kernelH, strideH, dilationH, outputPadH, padTop + padBottom);
        long ow = outSize(inW, kernelW, strideW, dilationW, outputPadW, padLeft + padRight);
        if (oh < 1 || ow < 1 || oh > Integer.MAX_VALUE || ow > Integer.MAX_VALUE) {
            throw new T2cException("ConvTranspose: output would be " + oh + "x" + ow + " (pads [" + padTop + ", "
                    + padLeft + ", " + padBottom + ", " + padRight + "] crop more than the full output)");
        }
    }

    static long outSize(int in, int k, int stride, int dilation, int outputPad, int padSum) {
        return (long) stride * (in - 1) + outputPad + ((long) (k - 1) * dilation + 1) - padSum;
    }

    public int outH() {
        return (int) outSize(inH, kernelH, strideH, dilationH, outputPadH, padTop + padBottom);
    }

    public int outW() {
        return (int) outSize(inW, kernelW, strideW, dilationW, outputPadW, padLeft + padRight);
    }

    public int groupInChannels() {
        return inChannels / groups;
    }

    public int groupOutChannels() {
        return outChannels / groups;
    }

    public long inputSize() {
        return (long) batch * inChannels * inH * inW;
    }

    public long weightSize() {
        return (long) inChannels * groupOutChannels() * kernelH * kernelW;
    }

    public long outputSize() {
        return (long) batch * outChannels * outH() * outW();
    }

    void checkArrays(float[] x, float[] w, float[] bias, float[] y) {
        Conv2dParams.check("x", x.length, inputSize());
        Conv2dParams.check("w", w.length, weightSize());
        if (bias != null) {
            Conv2dParams.check("bias", bias.length, outChannels);
        }
        Conv2dParams.check("y", y.length, outputSize());
    }
}
