package io.t2c.tensor.kernel;

import io.t2c.tensor.ArrayPool;
import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;

import java.util.Arrays;

/**
 * Tensor-level convolutions on the kernels chosen by {@link Kernels#get()}, with ONNX attribute conventions.
 *
 * <p>Rank 4 tensors are 2-D convolutions: {@code x[N, C, H, W]}, {@code strides = [sH, sW]},
 * {@code pads = [top, left, bottom, right]}, {@code dilations = [dH, dW]}. Rank 3 tensors are 1-D convolutions
 * ({@code x[N, C, L]}, {@code strides = [s]}, {@code pads = [begin, end]}, {@code dilations = [d]}), run as 2-D with
 * H = 1. A null array means the ONNX default (strides and dilations 1, pads 0). Shape mistakes throw
 * {@link T2cException} naming both shapes.
 */
public final class Convolutions {
    private Convolutions() {}

    /** ONNX Conv: {@code y = conv(x, w) + bias}; {@code w[OC, C/groups, kH, kW]} (or {@code [OC, C/groups, k]}). */
    public static Tensor conv2d(Tensor x, Tensor w, Tensor biasOrNull, int[] strides, int[] pads, int[] dilations,
                                int groups) {
        return conv2d(x, w, null, biasOrNull, strides, pads, dilations, groups);
    }

    /**
     * Packs constant Conv weights {@code w[OC, C/groups, kH, kW]} (or 1-D {@code [OC, C/groups, k]}) once for
     * repeated {@link #conv2d(Tensor, Tensor, Conv2dWeights, Tensor, int[], int[], int[], int)} calls. The caller
     * promises not to modify {@code w}'s array while the result is in use.
     */
    public static Conv2dWeights prepare(Tensor w, int groups) {
        int[] ws = w.shape();
        int[] xs = ws.length == 3 ? new int[] {1, ws[1] * groups, ws[2]} : new int[] {1, ws[1] * groups, ws[2], ws[3]};
        Conv2dParams p = conv2dParams(xs, ws, null, null, null, null, groups);
        requireFloat("Conv", w, w, null);
        return Kernels.get().conv2dF32().prepare(p, w.floats());
    }

    /** As {@link #conv2d(Tensor, Tensor, Tensor, int[], int[], int[], int)}, with weights prepared (null: not). */
    public static Tensor conv2d(Tensor x, Tensor w, Conv2dWeights prepared, Tensor biasOrNull, int[] strides,
                                int[] pads, int[] dilations, int groups) {
        return conv2d(x, w, prepared, biasOrNull, strides, pads, dilations, groups, Float.NEGATIVE_INFINITY,
                Float.POSITIVE_INFINITY);
    }

    /**
     * As {@link #conv2d(Tensor, Tensor, Conv2dWeights, Tensor, int[], int[], int[], int)}, each output clamped to
     * {@code [lo, hi]} as it is stored (a fused Relu or Clip).
     */
    public static Tensor conv2d(Tensor x, Tensor w, Conv2dWeights prepared, Tensor biasOrNull, int[] strides,
                                int[] pads, int[] dilations, int groups, float lo, float hi) {
        Conv2dParams p = conv2dParams(x.shape(), w.shape(), biasOrNull == null ? null : biasOrNull.shape(), strides,
                pads, dilations, groups);
        requireFloat("Conv", x, w, biasOrNull);
        float[] y = ArrayPool.floats(Math.toIntExact(p.outputSize())); // the kernel overwrites all of y
        float[] bias = biasOrNull == null ? null : biasOrNull.floats();
        Conv2dF32 conv = Kernels.get().conv2dF32();
        conv.conv2d(p, x.floats(), prepared != null ? prepared : conv.prepare(p, w.floats()), bias, lo, hi, y);
        return x.rank() == 3 ? Tensor.of(y, p.batch(), p.outChannels(), p.outW())
                : Tensor.of(y, p.batch(), p.outChannels(), p.outH(), p.outW());
    }

    /**
     * ONNX ConvTranspose: {@code w[C, OC/groups, kH, kW]} (or {@code [C, OC/groups, k]}), {@code outputPadding =
     * [oH, oW]} (or {@code [o]}), null for zeros.
     */
    public static Tensor convTranspose2d(Tensor x, Tensor w, Tensor biasOrNull, int[] strides, int[] pads,
                                         int[] outputPadding, int[] dilations, int groups) {
        ConvTranspose2dParams p = convTranspose2dParams(x.shape(), w.shape(),
                biasOrNull == null ? null : biasOrNull.shape(), strides, pads, outputPadding, dilations, groups);
        requireFloat("ConvTranspose", x, w, biasOrNull);
        float[] y = new float[Math.toIntExact(p.outputSize())];
        Kernels.get().convTranspose2dF32().convTranspose2d(p, x.floats(), w.floats(),
                biasOrNull == null ? null : biasOrNull.floats(), y);
        return x.rank() == 3 ? Tensor.of(y, p.batch(), p.outChannels(), p.outW())
                : Tensor.of(y, p.batch(), p.outChannels(), p.outH(), p.outW());
    }

    /**
     * The input gradient of ONNX Conv: {@code x̄[n, g·Cg + c, ·, ·] = Σ ȳ[n, o, i, j] · w[o, c, u, v]} over every
     * output and tap that read that input element; {@code xShape} is the conv input's shape. With stride 1 this is a
     * plain convolution of ȳ with the weights flipped in space and transposed per group (the fast forward kernel);
     * otherwise it is the transposed convolution, with the output padding that makes it exactly x's size (a strided
     * window grid can stop short of the input's end).
     */
    public static Tensor conv2dInputGradient(Tensor gy, Tensor w, int[] xShape, int[] strides, int[] pads,
                                             int[] dilations, int groups) {
        Conv2dParams p = conv2dParams(xShape, w.shape(), null, strides, pads, dilations, groups);
        requireFloat("Conv", gy, w, null);
        int reachH = (p.kernelH() - 1) * p.dilationH();
        int reachW = (p.kernelW() - 1) * p.dilationW();
        boolean oneD = xShape.length == 3;
        if (p.strideH() == 1 && p.strideW() == 1 && p.padTop() <= reachH && p.padBottom() <= reachH
                && p.padLeft() <= reachW && p.padRight() <= reachW) {
            // Output (i, j) read input (i − padTop + u·dH, …); so input (y, x) gathers ȳ at y + padTop − u·dH, i.e.
            // a conv of ȳ with tap u' = kH−1−u and padding reach − pad on each side.
            int[] flippedPads = oneD ? new int[] {reachW - p.padLeft(), reachW - p.padRight()}
                    : new int[] {reachH - p.padTop(), reachW - p.padLeft(), reachH - p.padBottom(),
                    reachW - p.padRight()};
            return conv2d(gy, flippedTransposed(w, p), null, strides, flippedPads, dilations, groups);
        }
        int outputPadH = p.inH() - ((p.outH() - 1) * p.strideH() + reachH + 1 - p.padTop() - p.padBottom());
        int outputPadW = p.inW() - ((p.outW() - 1) * p.strideW() + reachW + 1 - p.padLeft() - p.padRight());
        int[] outputPadding = oneD ? new int[] {outputPadW} : new int[] {outputPadH, outputPadW};
        return convTranspose2d(gy, w, null, strides, pads, outputPadding, dilations, groups);
    }

    /** Weights {@code [OC, Cg, kH, kW]} as {@code wf[g·Cg + c, o, kH−1−u, kW−1−v] = w[g·OCg + o, c, u, v]}. */
    private static Tensor flippedTransposed(Tensor w, Conv2dParams p) {
        float[] src = w.floats();
        int cg = p.groupInChannels();
        int ocg = p.groupOutChannels();
        int kh = p.kernelH();
        int kw = p.kernelW();
        int kk = kh * kw;
        float[] dst = new float[src.length];
        for (int g = 0; g < p.groups(); g++) {
            for (int o = 0; o < ocg; o++) {
                for (int c = 0; c < cg; c++) {
                    int from = ((g * ocg + o) * cg + c) * kk;
                    int to = ((g * cg + c) * ocg + o) * kk;
                    for (int t = 0; t < kk; t++) {
                        dst[to + kk - 1 - t] = src[from + t];
                    }
                }
            }
        }
        int[] shape = w.shape().clone();
        shape[0] = p.inChannels();
        shape[1] = ocg;
        return Tensor.of(dst, shape);
    }

    /**
     * Validates Conv shapes and attributes and returns the kernel parameters; {@code biasShape} may be null. Usable
     * for shape inference: the output is {@code [batch, outChannels, outH, outW]} (rank 3: without outH).
     */
    public static Conv2dParams conv2dParams(int[] xShape, int[] wShape, int[] biasShape, int[] strides, int[] pads,
                                            int[] dilations, int groups) {
        int rank = checkRanks("Conv", xShape, wShape);
        int[] s = spatial("Conv", "strides", strides, rank, 1);
        int[] d = spatial("Conv", "dilations", dilations, rank, 1);
        int[] pd = pads4("Conv", pads, rank);
        int[] x = to4(xShape);
        int[] w = to4(wShape);
        if (groups < 1 || x[1] % groups != 0) {
            throw new T2cException("Conv: group " + groups + " must divide the " + x[1] + " channels of input "
                    + Arrays.toString(xShape));
        }
        if (w[1] * groups != x[1]) {
            throw new T2cException("Conv: input " + Arrays.toString(xShape) + " has " + x[1] + " channels, weight "
                    + Arrays.toString(wShape) + " expects " + w[1] + " x group " + groups + " = " + (w[1] * groups));
        }
        if (w[0] % groups != 0) {
            throw new T2cException("Conv: weight " + Arrays.toString(wShape) + " has " + w[0]
                    + " output channels, not a multiple of group " + groups);
        }
        checkBias("Conv", biasShape, w[0], wShape);
        return new Conv2dParams(x[0], x[1], x[2], x[3], w[0], w[2], w[3], s[0], s[1], pd[0], pd[1], pd[2], pd[3],
                d[0], d[1], groups);
    }

    /** Validates ConvTranspose shapes and attributes and returns the kernel parameters. */
    public static ConvTranspose2dParams convTranspose2dParams(int[] xShape, int[] wShape, int[] biasShape,
                                                              int[] strides, int[] pads, int[] outputPadding,
                                                              int[] dilations, int groups) {
        int rank = checkRanks("ConvTranspose", xShape, wShape);
        int[] s = spatial("ConvTranspose", "strides", strides, rank, 1);
        int[] d = spatial("ConvTranspose", "dilations", dilations, rank, 1);
        int[] op = spatial("ConvTranspose", "output_padding", outputPadding, rank, 0);
        int[] pd = pads4("ConvTranspose", pads, rank);
        int[] x = to4(xShape);
        int[] w = to4(wShape);
        if (w[0] != x[1]) {
            throw new T2cException("ConvTranspose: input " + Arrays.toString(xShape) + " has " + x[1]
                    + " channels, weight " + Arrays.toString(wShape) + " expects " + w[0]
                    + " (ConvTranspose weights are [C, OC/group, kH, kW])");
        }
        if (groups < 1 || x[1] % groups != 0) {
            throw new T2cException("ConvTranspose: group " + groups + " must divide the " + x[1]
                    + " channels of input " + Arrays.toString(xShape));
        }
        checkBias("ConvTranspose", biasShape, w[1] * groups, wShape);
        return new ConvTranspose2dParams(x[0], x[1], x[2], x[3], w[1] * groups, w[2], w[3], s[0], s[1],
                pd[0], pd[1], pd[2], pd[3], op[0], op[1], d[0], d[1], groups);
    }

    private static int checkRanks(String op, int[] x, int[] w) {
        if ((x.length != 3 && x.length != 4) || w.length != x.length) {
            throw new T2cException(op + ": expects input and weight of rank 4 (2-D) or rank 3 (1-D), got input "
                    + Arrays.toString(x) + " and weight " + Arrays.toString(w));
        }
        return x.length;
    }

    private static void checkBias(String op, int[] bias, int oc, int[] wShape) {
        if (bias != null && (bias.length != 1 || bias[0] != oc)) {
            throw new T2cException(op + ": bias " + Arrays.toString(bias) + " must be [" + oc
                    + "], one value per output channel of weight " + Arrays.toString(wShape));
        }
    }

    private static void requireFloat(String op, Tensor x, Tensor w, Tensor b) {
        if (x.dtype() != DType.FLOAT32 || w.dtype() != DType.FLOAT32 || (b != null && b.dtype() != DType.FLOAT32)) {
            throw new T2cException(op + ": expects FLOAT32 tensors, got input " + x.dtype() + ", weight " + w.dtype()
                    + (b == null ? "" : ", bias " + b.dtype()));
        }
    }

    /** [N, C, L] → [N, C, 1, L]. */
    private static int[] to4(int[] shape) {
        return shape.length == 4 ? shape : new int[] {shape[0], shape[1], 1, shape[2]};
    }

    /** Per-axis attribute as [h, w]; 1-D attributes get h = {@code dflt}... except strides/dilations h = 1. */
    private static int[] spatial(String op, String name, int[] v, int rank, int dflt) {
        int axes = rank - 2;
        if (v == null) {
            return new int[] {dflt, dflt};
        }
        if (v.length != axes) {
            throw new T2cException(op + ": " + name + " " + Arrays.toString(v) + " must have " + axes
                    + " value(s) for a rank-" + rank + " input");
        }
        return axes == 2 ? v.clone() : new int[] {dflt, v[0]};
    }

    /** ONNX pads as [top, left, bottom, right]. */
    private static int[] pads4(String op, int[] pads, int rank) {
        int axes = rank - 2;
        if (pads == null) {
            return new int[4];
        }
        if (pads.length != 2 * axes) {
            throw new T2cException(op + ": pads " + Arrays.toString(pads) + " must have " + (2 * axes)
                    + " values (begins, then ends) for a rank-" + rank + " input");
        }
        return axes == 2 ? pads.clone() : new int[] {0, pads[0], 0, pads[1]};
    }
}
