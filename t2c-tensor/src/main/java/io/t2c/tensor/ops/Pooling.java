package io.t2c.tensor.ops;

import io.t2c.tensor.ArrayPool;
import io.t2c.tensor.DType;
import io.t2c.tensor.Shapes;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.kernel.Parallel;
import java.util.Arrays;

/**
 * ONNX MaxPool, AveragePool, GlobalMaxPool and GlobalAveragePool over {@code [N, C, spatial...]} tensors.
 *
 * <p><b>Shared rules.</b> MaxPool/AveragePool take 1, 2 or 3 spatial dims (NCW, NCHW, NCDHW). {@code kernel} has
 * one entry per spatial dim; null {@code strides} / {@code dilations} mean 1 and null {@code pads} mean 0. Pads are in
 * ONNX order {@code [x1_begin, x2_begin, ..., x1_end, x2_end, ...]}; {@link #autoPads} turns an {@code auto_pad}
 * setting into explicit pads. The output length of a spatial dim is
 * {@code floor((in + pad_begin + pad_end - ((k - 1) * dilation + 1)) / stride) + 1}, or with {@code ceilMode} the
 * ceiling, minus one when the last window would start beyond the input and its begin padding (as ONNX Runtime and
 * PyTorch do). Work is split over the N*C planes.
 */
public final class Pooling {
    private Pooling() {}

    /** ONNX {@code auto_pad}. */
    public enum AutoPad {
        NOTSET, SAME_UPPER, SAME_LOWER, VALID;

        /** Parses the ONNX attribute value ("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"). */
        public static AutoPad of(String onnxName) {
            for (AutoPad m : values()) {
                if (m.name().equals(onnxName)) {
                    return m;
                }
            }
            throw new T2cException("unknown auto_pad '" + onnxName + "' (expected NOTSET, SAME_UPPER, SAME_LOWER or"
                    + " VALID)");
        }
    }

    /**
     * Explicit pads {@code [begins..., ends...]} for an {@code auto_pad} setting: NOTSET returns {@code pads} (zeros
     * if null), VALID returns zeros, SAME_* pad so that {@code out = ceil(in / stride)}, putting the odd extra pad at
     * the end (SAME_UPPER) or the beginning (SAME_LOWER). Also suits convolution.
     */
    public static int[] autoPads(AutoPad mode, int[] inputSpatial, int[] kernel, int[] strides, int[] dilations,
            int[] pads) {
        int k = kernel.length;
        int[] s = orOnes(strides, k);
        int[] d = orOnes(dilations, k);
        int[] out = new int[2 * k];
        switch (mode) {
            case NOTSET -> {
                return pads == null ? out : pads.clone();
            }
            case VALID -> {
                return out;
            }
            default -> {
                for (int i = 0; i < k; i++) {
                    int o = (inputSpatial[i] + s[i] - 1) / s[i];
                    int eff = (kernel[i] - 1) * d[i] + 1;
                    int total = Math.max(0, (o - 1) * s[i] + eff - inputSpatial[i]);
                    int small = total / 2;
                    out[i] = mode == AutoPad.SAME_UPPER ? small : total - small;
                    out[i + k] = total - out[i];
                }
                return out;
            }
        }
    }

    /** Output length of one spatial dim (see the class comment). */
    public static int outputSize(int in, int kernel, int stride, int padBegin, int padEnd, int dilation,
            boolean ceilMode) {
        int eff = (kernel - 1) * dilation + 1;
        int span = in + padBegin + padEnd - eff;
        if (span < 0) {
            throw new T2cException("pooling window of " + kernel + " (dilation " + dilation + ", effective " + eff
                    + ") is larger than the input length " + in + " plus pads " + padBegin + "+" + padEnd);
        }
        int out = ceilMode ? (span + stride - 1) / stride + 1 : span / stride + 1;
        if (ceilMode && (out - 1) * stride >= in + padBegin) {
            out--;
        }
        return out;
    }

    /** ONNX MaxPool for FLOAT32, INT8 and UINT8. A window that sees only padding yields -inf. */
    public static Tensor maxPool(Tensor x, int[] kernel, int[] strides, int[] pads, int[] dilations,
            boolean ceilMode) {
        if (x.dtype() == DType.INT8 || x.dtype() == DType.UINT8) {
            // 8-bit values are exact in float and max picks one of them, so the round trip is exact.
            return maxPool(x.cast(DType.FLOAT32), kernel, strides, pads, dilations, ceilMode).cast(x.dtype());
        }
        Elementwise.requireDType("MaxPool", x, DType.FLOAT32);
        return pool("MaxPool", x, kernel, strides, pads, dilations, ceilMode, true, false);
    }

    /**
     * ONNX AveragePool (FLOAT32). The divisor counts the window's taps inside the input, or with
     * {@code countIncludePad} the taps inside the input and its explicit padding (taps beyond the padding, which
     * {@code ceilMode} can create, never count).
     */
    public static Tensor averagePool(Tensor x, int[] kernel, int[] strides, int[] pads, int[] dilations,
            boolean ceilMode, boolean countIncludePad) {
        Elementwise.requireDType("AveragePool", x, DType.FLOAT32);
        return pool("AveragePool", x, kernel, strides, pads, dilations, ceilMode, false, countIncludePad);
    }

    /** ONNX GlobalAveragePool: mean over every spatial dim, kept as size 1; rank &ge; 3. */
    public static Tensor globalAveragePool(Tensor x) {
        return global("GlobalAveragePool", x, Reductions.Reduction.MEAN);
    }

    /** ONNX GlobalMaxPool: max over every spatial dim, kept as size 1; rank &ge; 3. */
    public static Tensor globalMaxPool(Tensor x) {
        return global("GlobalMaxPool", x, Reductions.Reduction.MAX);
    }

    private static Tensor global(String name, Tensor x, Reductions.Reduction kind) {
        if (x.rank() < 3) {
            throw new T2cException(name + " expects [N, C, spatial...] (rank >= 3), got " + Shapes.toString(x.shape()));
        }
        int[] axes = new int[x.rank() - 2];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = i + 2;
        }
        return Reductions.reduce(x, kind, axes, true, false);
    }

    private static Tensor pool(String name, Tensor x, int[] kernel, int[] strides, int[] pads, int[] dilations,
            boolean ceilMode, boolean isMax, boolean countIncludePad) {
        int[] shape = x.shape();
        int sp = shape.length - 2;
        if (sp < 1 || sp > 3) {
            throw new T2cException(name + " supports 1 to 3 spatial dims ([N, C, W] to [N, C, D, H, W]), got "
                    + Shapes.toString(shape));
        }
        if (kernel == null || kernel.length != sp) {
            throw new T2cException(name + ": kernel_shape " + Arrays.toString(kernel) + " must have " + sp
                    + " entries for input " + Shapes.toString(shape));
        }
        int[] s = orOnes(strides, sp);
        int[] d = orOnes(dilations, sp);
        int[] p = pads == null ? new int[2 * sp] : pads;
        if (s.length != sp || d.length != sp || p.length != 2 * sp) {
            throw new T2cException(name + ": strides " + Arrays.toString(strides) + ", dilations "
                    + Arrays.toString(dilations) + " and pads " + Arrays.toString(pads) + " do not match " + sp
                    + " spatial dims of " + Shapes.toString(shape));
        }
        for (int i = 0; i < sp; i++) {
            if (kernel[i] < 1 || s[i] < 1 || d[i] < 1 || p[i] < 0 || p[i + sp] < 0) {
                throw new T2cException(name + ": kernel " + Arrays.toString(kernel) + ", strides "
                        + Arrays.toString(s) + ", dilations " + Arrays.toString(d) + " must be >= 1 and pads "
                        + Arrays.toString(p) + " >= 0");
            }
        }
        // Normalize to 3 spatial dims [D, H, W] by prepending unit dims.
        int off = 3 - sp;
        int[] in = new int[3];
        int[] k = new int[3];
        int[] st = new int[3];
        int[] dil = new int[3];
        int[] pb = new int[3];
        int[] pe = new int[3];
        int[] out = new int[3];
        for (int i = 0; i < 3; i++) {
            boolean real = i >= off;
            int j = i - off;
            in[i] = real ? shape[2 + j] : 1;
            k[i] = real ? kernel[j] : 1;
            st[i] = real ? s[j] : 1;
            dil[i] = real ? d[j] : 1;
            pb[i] = real ? p[j] : 0;
            pe[i] = real ? p[j + sp] : 0;
            out[i] = outputSize(in[i], k[i], st[i], pb[i], pe[i], dil[i], ceilMode);
        }
        // Per dim and output index: the first and last+1 tap whose position lies inside the input, and the
        // divisor contribution (taps inside input, or inside input plus padding).
        int[][] tap0 = new int[3][];
        int[][] tap1 = new int[3][];
        int[][] count = new int[3][];
        for (int i = 0; i < 3; i++) {
            tap0[i] = new int[out[i]];
            tap1[i] = new int[out[i]];
            count[i] = new int[out[i]];
            for (int o = 0; o < out[i]; o++) {
                int start = o * st[i] - pb[i];
                int first = k[i];
                int last = 0;
                int padded = 0;
                for (int t = 0; t < k[i]; t++) {
                    int pos = start + t * dil[i];
                    if (pos >= 0 && pos < in[i]) {
                        first = Math.min(first, t);
                        last = t + 1;
                    }
                    if (pos >= -pb[i] && pos < in[i] + pe[i]) {
                        padded++;
                    }
                }
                tap0[i][o] = first;
                tap1[i][o] = Math.max(first, last);
                count[i][o] = countIncludePad ? padded : Math.max(0, tap1[i][o] - tap0[i][o]);
            }
        }
        int planes = shape[0] * shape[1];
        int[] outShape = shape.clone();
        for (int j = 0; j < sp; j++) {
            outShape[2 + j] = out[off + j];
        }
        float[] src = x.floats();
        float[] dst = ArrayPool.floats(Shapes.numel(outShape)); // every output position is written
        int inPlane = in[0] * in[1] * in[2];
        int outPlane = out[0] * out[1] * out[2];
        long work = (long) outPlane * k[0] * k[1] * k[2];
        Window g = new Window(in, out, k, st, dil, pb, tap0, tap1, count);
        Parallel.forRange(planes, (int) Math.max(1, StridedLoop.GRAIN / Math.max(1, work)), (from, to) -> {
            for (int pl = from; pl < to; pl++) {
                if (isMax) {
                    maxPlane(src, pl * inPlane, dst, pl * outPlane, g);
                } else {
                    averagePlane(src, pl * inPlane, dst, pl * outPlane, g);
                }
            }
        });
        return Tensor.of(dst, outShape);
    }

    /**
     * Pooling geometry over [D, H, W]: sizes, kernel, strides, dilations, begin pads, and per dim and output index the
     * valid tap range {@code [tap0, tap1)} and the average's divisor factor.
     */
    private record Window(int[] in, int[] out, int[] kernel, int[] stride, int[] dilation, int[] padBegin,
            int[][] tap0, int[][] tap1, int[][] count) {}

    // The plane kernels copy every array and scalar they touch into locals first, so the JIT keeps them in
    // registers; the innermost loop runs over the valid width taps only (no bounds tests).

    private static void maxPlane(float[] src, int ib, float[] dst, int ob, Window g) {
        if (g.out()[0] == 1 && g.in()[0] == 1 && g.dilation()[1] == 1 && g.dilation()[2] == 1) {
            maxPlane2d(src, ib, dst, ob, g);
            return;
        }
        int inH = g.in()[1];
        int inW = g.in()[2];
        int outD = g.out()[0];
        int outH = g.out()[1];
        int outW = g.out()[2];
        int sd = g.stride()[0];
        int sh = g.stride()[1];
        int sw = g.stride()[2];
        int dd = g.dilation()[0];
        int dh = g.dilation()[1];
        int dw = g.dilation()[2];
        int pd = g.padBegin()[0];
        int ph = g.padBegin()[1];
        int pw = g.padBegin()[2];
        int[] d0 = g.tap0()[0];
        int[] d1 = g.tap1()[0];
        int[] h0 = g.tap0()[1];
        int[] h1 = g.tap1()[1];
        int[] w0 = g.tap0()[2];
        int[] w1 = g.tap1()[2];
        int o = ob;
        for (int od = 0; od < outD; od++) {
            int ds = od * sd - pd;
            for (int oh = 0; oh < outH; oh++) {
                int hs = oh * sh - ph;
                int th0 = h0[oh];
                int th1 = h1[oh];
                for (int ow = 0; ow < outW; ow++) {
                    int ws = ow * sw - pw;
                    int tw0 = w0[ow];
                    int tw1 = w1[ow];
                    float m = Float.NEGATIVE_INFINITY;
                    for (int td = d0[od]; td < d1[od]; td++) {
                        int plane = (ds + td * dd) * inH;
                        for (int th = th0; th < th1; th++) {
                            int row = ib + (plane + hs + th * dh) * inW + ws;
                            for (int tw = tw0; tw < tw1; tw++) {
                                // A compare-select instead of Math.max (whose -0.0 handling costs branches);
                                // NaN still propagates.
                                float v = src[row + tw * dw];
                                m = v > m || v != v ? v : m;
                            }
                        }
                    }
                    dst[o++] = m;
                }
            }
        }
    }

    /**
     * 2-D max pooling without dilation, separably: per output row, the element-wise max of the window's input rows
     * into a row padded with −∞ on both sides, then the max over each window of that row (a few vector maxes per
     * vector of outputs, see {@link VectorKernels#maxWindows}). Windows that see only padding give −∞.
     */
    private static void maxPlane2d(float[] src, int ib, float[] dst, int ob, Window g) {
        int inW = g.in()[2];
        int outH = g.out()[1];
        int outW = g.out()[2];
        int sh = g.stride()[1];
        int sw = g.stride()[2];
        int ph = g.padBegin()[1];
        int pw = g.padBegin()[2];
        int kw = g.kernel()[2];
        int[] h0 = g.tap0()[1];
        int[] h1 = g.tap1()[1];
        // Long enough for every window of a row, plus slack for whole-vector reads past the last one.
        int slack = 2 * VectorKernels.lanes() * (sw + 1) + kw;
        float[] row = new float[Math.max(pw + inW, (outW - 1) * sw + kw) + slack];
        Arrays.fill(row, Float.NEGATIVE_INFINITY);
        float[] scratch = new float[row.length];
        boolean vector = Vectorization.enabled();
        int o = ob;
        for (int oh = 0; oh < outH; oh++) {
            int hs = oh * sh - ph;
            if (h0[oh] >= h1[oh]) { // the window sees only padding
                Arrays.fill(dst, o, o + outW, Float.NEGATIVE_INFINITY);
                o += outW;
                continue;
            }
            System.arraycopy(src, ib + (hs + h0[oh]) * inW, row, pw, inW);
            for (int th = h0[oh] + 1; th < h1[oh]; th++) {
                int r = ib + (hs + th) * inW;
                if (vector) {
                    VectorKernels.maxInto(row, pw, src, r, inW);
                } else {
                    for (int w = 0; w < inW; w++) {
                        row[pw + w] = Math.max(row[pw + w], src[r + w]);
                    }
                }
            }
            if (vector) {
                VectorKernels.maxWindows(row, outW, sw, kw, scratch, dst, o);
            } else {
                for (int ow = 0; ow < outW; ow++) {
                    float m = Float.NEGATIVE_INFINITY;
                    for (int t = 0; t < kw; t++) {
                        m = Math.max(m, row[ow * sw + t]);
                    }
                    dst[o + ow] = m;
                }
            }
            o += outW;
        }
    }

    private static void averagePlane(float[] src, int ib, float[] dst, int ob, Window g) {
        int inH = g.in()[1];
        int inW = g.in()[2];
        int outD = g.out()[0];
        int outH = g.out()[1];
        int outW = g.out()[2];
        int sd = g.stride()[0];
        int sh = g.stride()[1];
        int sw = g.stride()[2];
        int dd = g.dilation()[0];
        int dh = g.dilation()[1];
        int dw = g.dilation()[2];
        int pd = g.padBegin()[0];
        int ph = g.padBegin()[1];
        int pw = g.padBegin()[2];
        int[] d0 = g.tap0()[0];
        int[] d1 = g.tap1()[0];
        int[] h0 = g.tap0()[1];
        int[] h1 = g.tap1()[1];
        int[] w0 = g.tap0()[2];
        int[] w1 = g.tap1()[2];
        int[] cd = g.count()[0];
        int[] ch = g.count()[1];
        int[] cw = g.count()[2];
        int o = ob;
        for (int od = 0; od < outD; od++) {
            int ds = od * sd - pd;
            for (int oh = 0; oh < outH; oh++) {
                int hs = oh * sh - ph;
                int th0 = h0[oh];
                int th1 = h1[oh];
                int divDh = cd[od] * ch[oh];
                for (int ow = 0; ow < outW; ow++) {
                    int ws = ow * sw - pw;
                    int tw0 = w0[ow];
                    int tw1 = w1[ow];
                    double sum = 0;
                    for (int td = d0[od]; td < d1[od]; td++) {
                        int plane = (ds + td * dd) * inH;
                        for (int th = th0; th < th1; th++) {
                            int row = ib + (plane + hs + th * dh) * inW + ws;
                            for (int tw = tw0; tw < tw1; tw++) {
                                sum += src[row + tw * dw];
                            }
                        }
                    }
                    dst[o++] = (float) (sum / (divDh * cw[ow]));
                }
            }
        }
    }

    private static int[] orOnes(int[] v, int n) {
        if (v != null) {
            return v;
        }
        int[] r = new int[n];
        Arrays.fill(r, 1);
        return r;
    }
}
