package io.t2c.tensor.ops;

import io.t2c.tensor.DType;
import io.t2c.tensor.Shapes;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.kernel.Parallel;

/**
 * Normalizations and softmax, FLOAT32 only: BatchNormalization (inference, and training via {@link #channelStats}),
 * LayerNormalization,
 * InstanceNormalization, Softmax and LogSoftmax (opset-13 semantics: along one axis).
 *
 * <p><b>Shared rules.</b> Means and variances are accumulated in double, two-pass for the variance
 * ({@code mean((x - mean)^2)}, as ONNX defines it); the per-element affine step runs in float. Softmax sums run in
 * float vector lanes, added in double per short block along a contiguous axis (and in float lanes across columns
 * when the axis is not the last). Channel parameters are 1-D of length C (axis 1). Work is split over rows or
 * planes.
 */
public final class Normalization {
    private Normalization() {}

    /**
     * BatchNormalization in inference mode over channel axis 1 of an {@code [N, C, ...]} tensor (rank &ge; 2):
     * {@code y = (x - mean) / sqrt(var + eps) * scale + bias}, evaluated as {@code x * a + b} with per-channel
     * {@code a = scale / sqrt(var + eps)} and {@code b = bias - mean * a} computed in double.
     */
    public static Tensor batchNormInference(Tensor x, Tensor scale, Tensor bias, Tensor mean, Tensor var,
            double eps) {
        Elementwise.requireDType("BatchNormalization", x, DType.FLOAT32);
        int[] shape = x.shape();
        if (shape.length < 2) {
            throw new T2cException("BatchNormalization expects [N, C, ...] (rank >= 2), got " + Shapes.toString(shape));
        }
        int c = shape[1];
        double[] m = channelParam("BatchNormalization", "input_mean", mean, c, shape);
        double[] v = channelParam("BatchNormalization", "input_var", var, c, shape);
        return batchNorm(x, scale, bias, m, v, eps);
    }

    /**
     * Per-channel statistics of an {@code [N, C, ...]} tensor over N and the spatial dims, as training-mode
     * BatchNormalization uses them: {@code mean}, the biased {@code variance} (divided by {@code count}), and
     * {@code count = N · spatial size}, the number of values per channel.
     */
    public record ChannelStats(double[] mean, double[] variance, int count) {}

    /** {@link ChannelStats} of x, accumulated in double, two-pass for the variance; work is split over channels. */
    public static ChannelStats channelStats(Tensor x) {
        Elementwise.requireDType("BatchNormalization", x, DType.FLOAT32);
        int[] shape = x.shape();
        if (shape.length < 2) {
            throw new T2cException("BatchNormalization expects [N, C, ...] (rank >= 2), got " + Shapes.toString(shape));
        }
        int n = shape[0];
        int c = shape[1];
        int plane = Shapes.product(shape, 2, shape.length);
        float[] src = x.floats();
        double[] mean = new double[c];
        double[] var = new double[c];
        int count = n * plane;
        boolean vector = Vectorization.enabled();
        Parallel.forRange(c, Math.max(1, StridedLoop.GRAIN / Math.max(1, count)), (from, to) -> {
            for (int ch = from; ch < to; ch++) {
                double s = 0;
                for (int i = 0; i < n; i++) {
                    int off = (i * c + ch) * plane;
                    if (vector) {
                        s += VectorKernels.sum(src, off, plane);
                        continue;
                    }
                    for (int j = 0; j < plane; j++) {
                        s += src[off + j];
                    }
                }
                double mu = s / count;
                double ss = 0;
                for (int i = 0; i < n; i++) {
                    int off = (i * c + ch) * plane;
                    if (vector) {
                        ss += VectorKernels.sumSquaredDeviations(src, off, plane, (float) mu);
                        continue;
                    }
                    for (int j = 0; j < plane; j++) {
                        double d = src[off + j] - mu;
                        ss += d * d;
                    }
                }
                mean[ch] = mu;
                var[ch] = ss / count;
            }
        });
        return new ChannelStats(mean, var, count);
    }

    /**
     * The two per-channel sums of a BatchNormalization gradient over same-shape {@code [N, C, ...]} tensors:
     * {@code {Σ g, Σ g·(x − mean[c])}}, in double (float vector lanes per short block, as {@link #channelStats}).
     */
    public static double[][] channelGradientSums(Tensor x, Tensor g, double[] mean) {
        int[] shape = sameShapeChannels("channelGradientSums", x, g);
        int n = shape[0];
        int c = shape[1];
        int plane = Shapes.product(shape, 2, shape.length);
        float[] xs = x.floats();
        float[] gs = g.floats();
        double[] sumG = new double[c];
        double[] sumGx = new double[c];
        boolean vector = Vectorization.enabled();
        Parallel.forRange(c, Math.max(1, StridedLoop.GRAIN / Math.max(1, n * plane)), (from, to) -> {
            double[] sums = new double[2];
            for (int ch = from; ch < to; ch++) {
                sums[0] = 0;
                sums[1] = 0;
                float mu = (float) mean[ch];
                for (int i = 0; i < n; i++) {
                    int off = (i * c + ch) * plane;
                    if (vector) {
                        VectorKernels.gradientSums(gs, xs, off, plane, mu, sums);
                        continue;
                    }
                    for (int j = off; j < off + plane; j++) {
                        sums[0] += gs[j];
                        sums[1] += gs[j] * (xs[j] - mu);
                    }
                }
                sumG[ch] = sums[0];
                sumGx[ch] = sums[1];
            }
        });
        return new double[][] {sumG, sumGx};
    }

    /** {@code out = a[c]·g + b[c]·x + d[c]} over same-shape {@code [N, C, ...]} tensors (a BatchNorm gradient). */
    public static Tensor channelLinearCombination(Tensor g, Tensor x, float[] a, float[] b, float[] d) {
        int[] shape = sameShapeChannels("channelLinearCombination", x, g);
        int c = shape[1];
        int plane = Shapes.product(shape, 2, shape.length);
        float[] xs = x.floats();
        float[] gs = g.floats();
        float[] out = new float[xs.length];
        boolean vector = Vectorization.enabled();
        Parallel.forRange(shape[0] * c, Math.max(1, StridedLoop.GRAIN / Math.max(1, plane)), (from, to) -> {
            for (int p = from; p < to; p++) {
                int ch = p % c;
                int off = p * plane;
                if (vector) {
                    VectorKernels.linearCombination(gs, xs, out, off, plane, a[ch], b[ch], d[ch]);
                    continue;
                }
                for (int j = off; j < off + plane; j++) {
                    out[j] = a[ch] * gs[j] + Math.fma(b[ch], xs[j], d[ch]);
                }
            }
        });
        return Tensor.of(out, shape);
    }

    private static int[] sameShapeChannels(String name, Tensor x, Tensor g) {
        Elementwise.requireDType(name, x, DType.FLOAT32);
        Elementwise.requireDType(name, g, DType.FLOAT32);
        if (x.rank() < 2 || !java.util.Arrays.equals(x.shape(), g.shape())) {
            throw new T2cException(name + " expects two [N, C, ...] tensors of one shape, got "
                    + Shapes.toString(x.shape()) + " and " + Shapes.toString(g.shape()));
        }
        return x.shape();
    }

    /**
     * BatchNormalization with the given per-channel statistics (double, length C): the inference form with
     * running statistics, and the training form with {@link #channelStats batch statistics}.
     */
    public static Tensor batchNorm(Tensor x, Tensor scale, Tensor bias, double[] m, double[] v, double eps) {
        Elementwise.requireDType("BatchNormalization", x, DType.FLOAT32);
        int[] shape = x.shape();
        if (shape.length < 2) {
            throw new T2cException("BatchNormalization expects [N, C, ...] (rank >= 2), got " + Shapes.toString(shape));
        }
        int c = shape[1];
        double[] s = channelParam("BatchNormalization", "scale", scale, c, shape);
        double[] b = channelParam("BatchNormalization", "B", bias, c, shape);
        if (m.length != c || v.length != c) {
            throw new T2cException("BatchNormalization: mean and variance must have " + c + " values (one per channel"
                    + " of " + Shapes.toString(shape) + "), got " + m.length + " and " + v.length);
        }
        float[] a = new float[c];
        float[] sh = new float[c];
        for (int i = 0; i < c; i++) {
            double ai = s[i] / Math.sqrt(v[i] + eps);
            a[i] = (float) ai;
            sh[i] = (float) (b[i] - m[i] * ai);
        }
        return perChannelAffine(x, a, sh);
    }

    /**
     * InstanceNormalization over {@code [N, C, spatial...]} (rank &ge; 3): each (n, c) plane is normalized with its
     * own mean and variance, then scaled by {@code scale[c]} and shifted by {@code bias[c]}.
     */
    public static Tensor instanceNorm(Tensor x, Tensor scale, Tensor bias, double eps) {
        Elementwise.requireDType("InstanceNormalization", x, DType.FLOAT32);
        int[] shape = x.shape();
        if (shape.length < 3) {
            throw new T2cException("InstanceNormalization expects [N, C, spatial...] (rank >= 3), got "
                    + Shapes.toString(shape));
        }
        int n = shape[0];
        int c = shape[1];
        int plane = Shapes.product(shape, 2, shape.length);
        double[] s = channelParam("InstanceNormalization", "scale", scale, c, shape);
        double[] b = channelParam("InstanceNormalization", "B", bias, c, shape);
        float[] src = x.floats();
        float[] dst = new float[src.length];
        boolean vector = Vectorization.enabled();
        Parallel.forRange(n * c, Math.max(1, StridedLoop.GRAIN / Math.max(1, plane)), (from, to) -> {
            for (int p = from; p < to; p++) {
                int off = p * plane;
                double mu = mean(src, off, plane, vector);
                double inv = 1 / Math.sqrt(variance(src, off, plane, mu) + eps);
                double a = inv * s[p % c];
                double sh = b[p % c] - mu * a;
                affine(src, off, dst, off, plane, (float) a, (float) sh, vector);
            }
        });
        return Tensor.of(dst, shape);
    }

    /** LayerNormalization's three outputs; {@code mean} and {@code invStdDev} have shape {@code x[:axis] + [1...]}. */
    public record LayerNormOutput(Tensor y, Tensor mean, Tensor invStdDev) {}

    /**
     * ONNX LayerNormalization: normalizes over the dims {@code axis..rank-1} (axis may be negative), then multiplies
     * by {@code scale} and adds {@code bias} (null for none); both must broadcast to {@code shape[axis:]}.
     * {@code y = (x - mean) * (1 / sqrt(var + eps)) * scale + bias}.
     */
    public static Tensor layerNorm(Tensor x, Tensor scale, Tensor bias, int axis, double eps) {
        return layerNormWithStats(x, scale, bias, axis, eps).y();
    }

    /** {@link #layerNorm}, also returning the per-row mean and {@code 1 / sqrt(var + eps)} (ONNX optional outputs). */
    public static LayerNormOutput layerNormWithStats(Tensor x, Tensor scale, Tensor bias, int axis, double eps) {
        Elementwise.requireDType("LayerNormalization", x, DType.FLOAT32);
        int[] shape = x.shape();
        int a = Shapes.axis(axis, shape.length);
        int outer = Shapes.product(shape, 0, a);
        int inner = Shapes.product(shape, a, shape.length);
        int[] normShape = java.util.Arrays.copyOfRange(shape, a, shape.length);
        float[] sc = innerParam("scale", scale, normShape, shape);
        float[] bi = bias == null ? null : innerParam("B", bias, normShape, shape);
        float[] src = x.floats();
        float[] dst = new float[src.length];
        float[] means = new float[outer];
        float[] invs = new float[outer];
        boolean vector = Vectorization.enabled();
        Parallel.forRange(outer, Math.max(1, StridedLoop.GRAIN / Math.max(1, inner)), (from, to) -> {
            for (int r = from; r < to; r++) {
                int off = r * inner;
                double mu = mean(src, off, inner, vector);
                float inv = (float) (1 / Math.sqrt(variance(src, off, inner, mu) + eps));
                float m = (float) mu;
                means[r] = m;
                invs[r] = inv;
                if (vector) {
                    VectorKernels.normalizeAffine(src, off, dst, off, inner, m, inv, sc, bi);
                } else {
                    for (int i = 0; i < inner; i++) {
                        float v = (src[off + i] - m) * inv * sc[i];
                        dst[off + i] = bi != null ? v + bi[i] : v;
                    }
                }
            }
        });
        int[] statShape = shape.clone();
        java.util.Arrays.fill(statShape, a, shape.length, 1);
        return new LayerNormOutput(Tensor.of(dst, shape), Tensor.of(means, statShape), Tensor.of(invs, statShape));
    }

    /** ONNX Softmax (opset 13+) along {@code axis}: {@code exp(x - max) / sum(exp(x - max))}. */
    public static Tensor softmax(Tensor x, int axis) {
        return softmax("Softmax", x, axis, false);
    }

    /** ONNX LogSoftmax (opset 13+) along {@code axis}: {@code (x - max) - log(sum(exp(x - max)))}. */
    public static Tensor logSoftmax(Tensor x, int axis) {
        return softmax("LogSoftmax", x, axis, true);
    }

    private static Tensor softmax(String name, Tensor x, int axis, boolean log) {
        Elementwise.requireDType(name, x, DType.FLOAT32);
        int[] shape = x.shape();
        if (shape.length == 0) {
            throw new T2cException(name + " needs a tensor of rank >= 1, got a scalar");
        }
        int a = Shapes.axis(axis, shape.length);
        int outer = Shapes.product(shape, 0, a);
        int d = shape[a];
        int inner = Shapes.product(shape, a + 1, shape.length);
        float[] src = x.floats();
        float[] dst = new float[src.length];
        boolean vector = Vectorization.enabled();
        if (inner == 1) {
            Parallel.forRange(outer, Math.max(1, StridedLoop.GRAIN / 8 / Math.max(1, d)), (from, to) -> {
                for (int r = from; r < to; r++) {
                    softmaxRow(src, dst, r * d, d, log, vector);
                }
            });
        } else {
            Parallel.forRange(outer, Math.max(1, StridedLoop.GRAIN / 8 / Math.max(1, d * inner)), (from, to) -> {
                float[] max = new float[inner];
                if (vector) {
                    float[] sum = new float[inner];
                    for (int o = from; o < to; o++) {
                        VectorKernels.softmaxColumns(src, dst, o * d * inner, d, inner, log, max, sum);
                    }
                } else {
                    double[] sum = new double[inner];
                    for (int o = from; o < to; o++) {
                        softmaxStrided(src, dst, o * d * inner, d, inner, log, max, sum);
                    }
                }
            });
        }
        return Tensor.of(dst, shape);
    }

    private static void softmaxRow(float[] x, float[] y, int off, int n, boolean log, boolean vector) {
        float m;
        double s;
        if (vector) {
            m = VectorKernels.max(x, off, n);
            s = VectorKernels.expShiftSum(x, off, y, off, n, m);
        } else {
            m = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                m = Math.max(m, x[off + i]);
            }
            s = 0;
            for (int i = 0; i < n; i++) {
                float e = (float) Math.exp(x[off + i] - m);
                y[off + i] = e;
                s += e;
            }
        }
        if (log) {
            float ls = (float) Math.log(s);
            for (int i = 0; i < n; i++) {
                y[off + i] = (x[off + i] - m) - ls;
            }
        } else {
            float inv = (float) (1 / s);
            for (int i = 0; i < n; i++) {
                y[off + i] *= inv;
            }
        }
    }

    private static void softmaxStrided(float[] x, float[] y, int off, int d, int inner, boolean log, float[] max,
            double[] sum) {
        java.util.Arrays.fill(max, Float.NEGATIVE_INFINITY);
        java.util.Arrays.fill(sum, 0);
        for (int j = 0; j < d; j++) {
            int row = off + j * inner;
            for (int i = 0; i < inner; i++) {
                max[i] = Math.max(max[i], x[row + i]);
            }
        }
        for (int j = 0; j < d; j++) {
            int row = off + j * inner;
            for (int i = 0; i < inner; i++) {
                float e = (float) Math.exp(x[row + i] - max[i]);
                y[row + i] = e;
                sum[i] += e;
            }
        }
        for (int j = 0; j < d; j++) {
            int row = off + j * inner;
            for (int i = 0; i < inner; i++) {
                y[row + i] = log ? (x[row + i] - max[i]) - (float) Math.log(sum[i]) : y[row + i] * (float) (1 / sum[i]);
            }
        }
    }

    // ---- shared pieces ----

    private static double mean(float[] x, int off, int n, boolean vector) {
        double s;
        if (vector) {
            s = VectorKernels.sum(x, off, n);
        } else {
            s = 0;
            for (int i = 0; i < n; i++) {
                s += x[off + i];
            }
        }
        return s / n;
    }

    private static double variance(float[] x, int off, int n, double mean) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            double v = x[off + i] - mean;
            s += v * v;
        }
        return s / n;
    }

    private static void affine(float[] x, int xo, float[] y, int yo, int n, float a, float b, boolean vector) {
        if (vector) {
            VectorKernels.scaleShift(x, xo, y, yo, n, a, b);
        } else {
            for (int i = 0; i < n; i++) {
                y[yo + i] = x[xo + i] * a + b;
            }
        }
    }

    /** {@code y = x * a[c] + b[c]} over each (n, c) plane of an {@code [N, C, ...]} tensor. */
    private static Tensor perChannelAffine(Tensor x, float[] a, float[] b) {
        int[] shape = x.shape();
        int c = shape[1];
        int plane = Shapes.product(shape, 2, shape.length);
        float[] src = x.floats();
        float[] dst = new float[src.length];
        boolean vector = Vectorization.enabled();
        Parallel.forRange(shape[0] * c, Math.max(1, StridedLoop.GRAIN / Math.max(1, plane)), (from, to) -> {
            for (int p = from; p < to; p++) {
                affine(src, p * plane, dst, p * plane, plane, a[p % c], b[p % c], vector);
            }
        });
        return Tensor.of(dst, shape);
    }

    private static double[] channelParam(String op, String name, Tensor p, int c, int[] xShape) {
        if (p == null || p.size() != c) {
            throw new T2cException(op + ": " + name + " must have " + c + " elements (one per channel of "
                    + Shapes.toString(xShape) + "), got " + (p == null ? "null" : Shapes.toString(p.shape())));
        }
        return p.toDoubleArray();
    }

    private static float[] innerParam(String name, Tensor p, int[] normShape, int[] xShape) {
        if (p == null) {
            throw new T2cException("LayerNormalization: " + name + " is required");
        }
        int[] b;
        try {
            b = Shapes.broadcast(p.shape(), normShape);
        } catch (T2cException e) {
            b = null;
        }
        if (b == null || !java.util.Arrays.equals(b, normShape)) {
            throw new T2cException("LayerNormalization: " + name + " of shape " + Shapes.toString(p.shape())
                    + " does not broadcast to the normalized shape " + Shapes.toString(normShape) + " of input "
                    + Shapes.toString(xShape));
        }
        Tensor f = p.cast(DType.FLOAT32);
        if (!java.util.Arrays.equals(p.shape(), normShape)) {
            long[] target = new long[normShape.length];
            for (int i = 0; i < normShape.length; i++) {
                target[i] = normShape[i];
            }
            f = Movement.expand(f, target);
        }
        return f.floats();
    }
}
