package io.t2c.convert;

import io.t2c.graph.Attributes;
import io.t2c.graph.Node;
import io.t2c.tensor.T2cException;

/** A 2-D pooling window over (N, C, H, W): kernel, strides, pads [top, left, bottom, right], dilations; global = whole plane. */
record PoolGeometry(int batch, int channels, int inH, int inW, int kernelH, int kernelW, int strideH, int strideW,
                    int padTop, int padLeft, int dilationH, int dilationW, int outH, int outW) {
    static PoolGeometry of(Node node, int[] x) {
        if (x.length != 4) {
            throw new T2cException("node " + node.label() + ": only 2-D pooling (rank-4 input) has an integer form");
        }
        Attributes a = node.attributes();
        if (a.getInt("global", 0) != 0) {
            return new PoolGeometry(x[0], x[1], x[2], x[3], x[2], x[3], 1, 1, 0, 0, 1, 1, 1, 1);
        }
        int[] k = a.getInts("kernel_shape", null);
        int[] s = a.getInts("strides", new int[] {1, 1});
        int[] p = a.getInts("pads", new int[4]);
        int[] d = a.getInts("dilations", new int[] {1, 1});
        int oh = (x[2] + p[0] + p[2] - d[0] * (k[0] - 1) - 1) / s[0] + 1;
        int ow = (x[3] + p[1] + p[3] - d[1] * (k[1] - 1) - 1) / s[1] + 1;
        return new PoolGeometry(x[0], x[1], x[2], x[3], k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1], oh, ow);
    }
}
