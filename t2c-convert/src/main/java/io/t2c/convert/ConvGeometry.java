package io.t2c.convert;

import io.t2c.graph.Attributes;
import io.t2c.graph.Node;
import io.t2c.tensor.T2cException;

/**
 * The shapes of one 2-D convolution: input (N, C, H, W), weight (O, C/group, kh, kw), explicit pads
 * [top, left, bottom, right], strides, dilations and the output size; the reduction length per output is
 * K = C/group·kh·kw.
 */
record ConvGeometry(int batch, int inChannels, int inH, int inW, int outChannels, int group, int kernelH, int kernelW,
                    int strideH, int strideW, int padTop, int padLeft, int dilationH, int dilationW, int outH,
                    int outW) {
    static ConvGeometry of(Node node, int[] x, int[] w) {
        if (x.length != 4 || w.length != 4) {
            throw new T2cException("node " + node.label() + ": only 2-D convolutions (rank-4 input and weight) have an"
                    + " integer form, got input rank " + x.length);
        }
        Attributes a = node.attributes();
        int group = a.getInt("group", 1);
        if (x[1] != w[1] * group) {
            throw new T2cException("node " + node.label() + ": input has " + x[1] + " channels, weight expects "
                    + w[1] + " × group " + group);
        }
        int[] s = a.getInts("strides", new int[] {1, 1});
        int[] p = a.getInts("pads", new int[4]);
        int[] d = a.getInts("dilations", new int[] {1, 1});
        int oh = (x[2] + p[0] + p[2] - d[0] * (w[2] - 1) - 1) / s[0] + 1;
        int ow = (x[3] + p[1] + p[3] - d[1] * (w[3] - 1) - 1) / s[1] + 1;
        return new ConvGeometry(x[0], x[1], x[2], x[3], w[0], group, w[2], w[3], s[0], s[1], p[0], p[1], d[0], d[1],
                oh, ow);
    }

    int inPerGroup() {
        return inChannels / group;
    }

    int outPerGroup() {
        return outChannels / group;
    }

    /** Reduction length of one output: C/group·kh·kw. */
    int reduction() {
        return inPerGroup() * kernelH * kernelW;
    }

    int outPlane() {
        return outH * outW;
    }
}
