package io.t2c.tensor.ops;

import io.t2c.tensor.DType;
import io.t2c.tensor.Shapes;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.kernel.Parallel;
import java.util.Arrays;

/**
 * ONNX Resize (the opset 11-19 common subset; no antialias, no {@code axes} / {@code keep_aspect_ratio_policy}:
 * callers pass full-rank scales or sizes).
 *
 * <p><b>Semantics</b>, as the spec and its reference implementation define them. With scales, the output length is
 * {@code floor(in * scale)} ({@code floor(in * (roi_end - roi_start) * scale)} for tf_crop_and_resize); with sizes,
 * {@code scale = out / in}. Each output coordinate {@code x} maps to an input coordinate by the
 * {@link CoordinateTransform}, where {@code length_resized} is {@code in * scale} (so a non-integer for some scales,
 * as in the reference). NEAREST rounds that coordinate by the {@link NearestMode} (an integer coordinate is taken as
 * is); LINEAR takes the two neighbours {@code floor(x), floor(x)+1} with weights {@code 1-r, r}; CUBIC takes four with
 * the Keys kernel of coefficient {@code cubicCoeffA}. Neighbours outside the input are clamped to the edge, or, with
 * {@code excludeOutside}, dropped and the remaining weights renormalized. With tf_crop_and_resize, an output whose
 * coordinate falls outside {@code [0, in - 1]} on any axis is {@code extrapolationValue}.
 *
 * <p>NEAREST works on any dtype and any axes. LINEAR and CUBIC need FLOAT32 and may scale only the last two axes
 * (other axes must keep scale 1); weights and sums are in double, rounded once.
 */
public final class Resize {
    private Resize() {}

    public enum Mode {
        NEAREST, LINEAR, CUBIC;

        /** Parses the ONNX {@code mode} attribute ("nearest", "linear", "cubic"). */
        public static Mode of(String onnxName) {
            return parse(Mode.class, onnxName, "mode");
        }
    }

    public enum CoordinateTransform {
        HALF_PIXEL, HALF_PIXEL_SYMMETRIC, PYTORCH_HALF_PIXEL, ALIGN_CORNERS, ASYMMETRIC, TF_HALF_PIXEL_FOR_NN,
        TF_CROP_AND_RESIZE;

        /** Parses the ONNX {@code coordinate_transformation_mode} attribute, e.g. "half_pixel". */
        public static CoordinateTransform of(String onnxName) {
            return parse(CoordinateTransform.class, onnxName, "coordinate_transformation_mode");
        }
    }

    public enum NearestMode {
        ROUND_PREFER_FLOOR, ROUND_PREFER_CEIL, FLOOR, CEIL;

        /** Parses the ONNX {@code nearest_mode} attribute, e.g. "round_prefer_floor". */
        public static NearestMode of(String onnxName) {
            return parse(NearestMode.class, onnxName, "nearest_mode");
        }
    }

    /** The attributes of ONNX Resize; {@link #of(Mode)} gives the ONNX defaults. */
    public record Options(Mode mode, CoordinateTransform coordinateTransform, NearestMode nearestMode,
            double cubicCoeffA, boolean excludeOutside, double extrapolationValue) {

        /** ONNX defaults: half_pixel, round_prefer_floor, cubic_coeff_a -0.75, no exclude_outside, 0 extrapolation. */
        public static Options of(Mode mode) {
            return new Options(mode, CoordinateTransform.HALF_PIXEL, NearestMode.ROUND_PREFER_FLOOR, -0.75, false, 0);
        }

        public Options with(CoordinateTransform c) {
            return new Options(mode, c, nearestMode, cubicCoeffA, excludeOutside, extrapolationValue);
        }

        public Options with(NearestMode n) {
            return new Options(mode, coordinateTransform, n, cubicCoeffA, excludeOutside, extrapolationValue);
        }

        public Options withCubic(double a, boolean exclude) {
            return new Options(mode, coordinateTransform, nearestMode, a, exclude, extrapolationValue);
        }

        public Options withExtrapolation(double value) {
            return new Options(mode, coordinateTransform, nearestMode, cubicCoeffA, excludeOutside, value);
        }
    }

    /** Resize by per-axis {@code scales} (one per axis of x). */
    public static Tensor resize(Tensor x, float[] scales, Options o) {
        return resize(x, null, scales, null, o);
    }

    /** Resize to per-axis output {@code sizes} (one per axis of x). */
    public static Tensor resizeToSizes(Tensor x, long[] sizes, Options o) {
        return resize(x, null, null, sizes, o);
    }

    /**
     * General form: exactly one of {@code scales} and {@code sizes} is non-null. {@code roi} ({@code [starts...,
     * ends...]}, normalized coordinates, one pair per axis) is only read for tf_crop_and_resize; null means the
     * whole input.
     */
    public static Tensor resize(Tensor x, float[] roi, float[] scales, long[] sizes, Options o) {
        int[] in = x.shape();
        int rank = in.length;
        if ((scales == null) == (sizes == null)) {
            throw new T2cException("Resize: give exactly one of scales and sizes for input " + Shapes.toString(in));
        }
        int given = scales != null ? scales.length : sizes.length;
        if (given != rank) {
            throw new T2cException("Resize: " + (scales != null ? "scales " + Arrays.toString(scales)
                    : "sizes " + Arrays.toString(sizes)) + " must have one entry per axis of input "
                    + Shapes.toString(in));
        }
        boolean crop = o.coordinateTransform() == CoordinateTransform.TF_CROP_AND_RESIZE;
        if (crop && roi != null && roi.length != 2 * rank) {
            throw new T2cException("Resize: roi " + Arrays.toString(roi) + " must have " + 2 * rank
                    + " entries for input " + Shapes.toString(in));
        }
        int[] out = new int[rank];
        double[] scale = new double[rank];
        double[] lengthResized = new double[rank];
        for (int d = 0; d < rank; d++) {
            double r0 = crop && roi != null ? roi[d] : 0;
            double r1 = crop && roi != null ? roi[d + rank] : 1;
            if (scales != null) {
                if (!(scales[d] > 0)) {
                    throw new T2cException("Resize: scales must be > 0, got " + Arrays.toString(scales));
                }
                scale[d] = scales[d];
                out[d] = (int) Math.floor(in[d] * (r1 - r0) * scale[d]);
                lengthResized[d] = scale[d] * in[d];
            } else {
                if (sizes[d] < 0 || sizes[d] > Integer.MAX_VALUE) {
                    throw new T2cException("Resize: invalid sizes " + Arrays.toString(sizes));
                }
                out[d] = (int) sizes[d];
                scale[d] = in[d] == 0 ? 1 : (double) out[d] / in[d];
                lengthResized[d] = out[d];
            }
        }
        Shapes.numel(out);
        Axis[] axes = new Axis[rank];
        for (int d = 0; d < rank; d++) {
            double r0 = roi != null && crop ? roi[d] : 0;
            double r1 = roi != null && crop ? roi[d + rank] : 1;
            axes[d] = taps(o, in[d], out[d], scale[d], lengthResized[d], r0, r1);
        }
        if (o.mode() == Mode.NEAREST) {
            int[][] maps = new int[rank][];
            for (int d = 0; d < rank; d++) {
                maps[d] = axes[d].index;
            }
            return Movement.gatherByMaps(x, maps, TypedArrays.scalarArray(x.dtype(), o.extrapolationValue()));
        }
        if (x.dtype() != DType.FLOAT32) {
            throw new T2cException("Resize: mode " + o.mode() + " needs a FLOAT32 input, got " + x
                    + " (nearest works for every type)");
        }
        for (int d = 0; d < rank - 2; d++) {
            if (!axes[d].isIdentity(in[d])) {
                throw new T2cException("Resize: mode " + o.mode() + " can only scale the last two axes; axis " + d
                        + " of input " + Shapes.toString(in) + " would become " + out[d] + " (scale " + scale[d] + ")");
            }
        }
        return interpolate2d(x, out, rank >= 2 ? axes[rank - 2] : Axis.identity(1), axes[rank - 1], o);
    }

    /**
     * One axis's taps: output {@code i} reads {@code index[i * k + t]} with {@code weight[i * k + t]}; an index of -1
     * (only for nearest) or an {@code outside[i]} flag means the extrapolation value.
     */
    private record Axis(int k, int[] index, double[] weight, boolean[] outside) {
        static Axis identity(int n) {
            int[] idx = new int[n];
            double[] w = new double[n];
            for (int i = 0; i < n; i++) {
                idx[i] = i;
                w[i] = 1;
            }
            return new Axis(1, idx, w, new boolean[n]);
        }

        /** True when every output reads exactly its own index with weight 1 (so the axis is not resized). */
        boolean isIdentity(int in) {
            int n = outside.length;
            if (n != in) {
                return false;
            }
            for (int i = 0; i < n; i++) {
                double self = 0;
                for (int t = 0; t < k; t++) {
                    int j = i * k + t;
                    if (index[j] == i) {
                        self += weight[j];
                    } else if (weight[j] != 0) {
                        return false;
                    }
                }
                if (outside[i] || self != 1) {
                    return false;
                }
            }
            return true;
        }
    }

    private static Axis taps(Options o, int in, int out, double scale, double lengthResized, double roiStart,
            double roiEnd) {
        int k = switch (o.mode()) {
            case NEAREST -> 1;
            case LINEAR -> 2;
            case CUBIC -> 4;
        };
        int[] index = new int[out * k];
        double[] weight = new double[out * k];
        boolean[] outside = new boolean[out];
        for (int i = 0; i < out; i++) {
            double xo = original(o.coordinateTransform(), i, scale, in, lengthResized, roiStart, roiEnd);
            if (o.coordinateTransform() == CoordinateTransform.TF_CROP_AND_RESIZE && (xo < 0 || xo > in - 1)) {
                outside[i] = true;
                Arrays.fill(index, i * k, i * k + k, o.mode() == Mode.NEAREST ? -1 : 0);
                continue;
            }
            double fl = Math.floor(xo);
            double r = xo - fl;
            int base = (int) fl;
            switch (o.mode()) {
                case NEAREST -> {
                    int pick;
                    if (r == 0) {
                        pick = base;
                    } else {
                        pick = switch (o.nearestMode()) {
                            case ROUND_PREFER_FLOOR -> r <= 0.5 ? base : base + 1;
                            case ROUND_PREFER_CEIL -> r < 0.5 ? base : base + 1;
                            case FLOOR -> base;
                            case CEIL -> base + 1;
                        };
                    }
                    index[i] = clampIndex(pick, in);
                    weight[i] = 1;
                }
                case LINEAR -> {
                    setTaps(index, weight, i, k, base, new double[] {1 - r, r}, in, o.excludeOutside());
                }
                case CUBIC -> {
                    double a = o.cubicCoeffA();
                    double[] c = {cubic(a, 1 + r), cubic(a, r), cubic(a, 1 - r), cubic(a, 2 - r)};
                    setTaps(index, weight, i, k, base - 1, c, in, o.excludeOutside());
                }
            }
        }
        return new Axis(k, index, weight, outside);
    }

    private static void setTaps(int[] index, double[] weight, int i, int k, int first, double[] c, int in,
            boolean exclude) {
        double sum = 0;
        for (int t = 0; t < k; t++) {
            int p = first + t;
            double w = c[t];
            if (exclude && (p < 0 || p >= in)) {
                w = 0;
            }
            index[i * k + t] = clampIndex(p, in);
            weight[i * k + t] = w;
            sum += w;
        }
        if (exclude && sum != 0) {
            for (int t = 0; t < k; t++) {
                weight[i * k + t] /= sum;
            }
        }
    }

    private static int clampIndex(int p, int in) {
        return Math.max(0, Math.min(in - 1, p));
    }

    /** Keys cubic convolution kernel at distance {@code s} (0..2) with coefficient {@code a}. */
    private static double cubic(double a, double s) {
        s = Math.abs(s);
        if (s <= 1) {
            return ((a + 2) * s - (a + 3)) * s * s + 1;
        }
        if (s < 2) {
            return ((a * s - 5 * a) * s + 8 * a) * s - 4 * a;
        }
        return 0;
    }

    /** Input coordinate of output coordinate {@code x} (ONNX coordinate_transformation_mode). */
    static double original(CoordinateTransform c, double x, double scale, int in, double lengthResized,
            double roiStart, double roiEnd) {
        return switch (c) {
            case HALF_PIXEL -> (x + 0.5) / scale - 0.5;
            case HALF_PIXEL_SYMMETRIC -> {
                double adjustment = Math.floor(lengthResized) / lengthResized;
                double offset = in / 2.0 * (1 - adjustment);
                yield offset + (x + 0.5) / scale - 0.5;
            }
            case PYTORCH_HALF_PIXEL -> lengthResized == 1 ? 0 : (x + 0.5) / scale - 0.5;
            case ALIGN_CORNERS -> lengthResized == 1 ? 0 : x * (in - 1) / (lengthResized - 1);
            case ASYMMETRIC -> x / scale;
            case TF_HALF_PIXEL_FOR_NN -> (x + 0.5) / scale;
            case TF_CROP_AND_RESIZE -> lengthResized == 1
                    ? (roiEnd - roiStart) * (in - 1) / 2 + roiStart * (in - 1)
                    : x * (roiEnd - roiStart) * (in - 1) / (lengthResized - 1) + roiStart * (in - 1);
        };
    }

    private static Tensor interpolate2d(Tensor x, int[] out, Axis ay, Axis ax, Options o) {
        int[] in = x.shape();
        int rank = in.length;
        int inH = rank >= 2 ? in[rank - 2] : 1;
        int inW = in[rank - 1];
        int outH = ay.outside.length;
        int outW = ax.outside.length;
        int planes = Shapes.product(in, 0, Math.max(0, rank - 2));
        float[] src = x.floats();
        float[] dst = new float[Shapes.numel(out)];
        float extra = (float) o.extrapolationValue();
        Parallel.forRange(planes * outH, Math.max(1, StridedLoop.GRAIN / 16 / Math.max(1, outW)), (from, to) -> {
            for (int row = from; row < to; row++) {
                int p = row / outH;
                int oy = row % outH;
                interpolateRow(src, p * inH * inW, inW, dst, row * outW, oy, ay, ax, extra);
            }
        });
        return Tensor.of(dst, out);
    }

    /** One output row: {@code sum_ty wy * sum_tx wx * x[iy, ix]} in double, or the extrapolation value. */
    private static void interpolateRow(float[] src, int ib, int inW, float[] dst, int ob, int oy, Axis ay, Axis ax,
            float extra) {
        int ky = ay.k();
        int kx = ax.k();
        int[] xIndex = ax.index();
        double[] xWeight = ax.weight();
        boolean[] xOutside = ax.outside();
        int outW = xOutside.length;
        if (ay.outside()[oy]) {
            java.util.Arrays.fill(dst, ob, ob + outW, extra);
            return;
        }
        if (ky == 2 && kx == 2) {
            // Bilinear, written out: two input rows, two taps each.
            double wy0 = ay.weight()[2 * oy];
            double wy1 = ay.weight()[2 * oy + 1];
            int r0 = ib + ay.index()[2 * oy] * inW;
            int r1 = ib + ay.index()[2 * oy + 1] * inW;
            for (int ox = 0; ox < outW; ox++) {
                int i0 = xIndex[2 * ox];
                int i1 = xIndex[2 * ox + 1];
                double w0 = xWeight[2 * ox];
                double w1 = xWeight[2 * ox + 1];
                double v = wy0 * (w0 * src[r0 + i0] + w1 * src[r0 + i1]) + wy1 * (w0 * src[r1 + i0] + w1 * src[r1 + i1]);
                dst[ob + ox] = xOutside[ox] ? extra : (float) v;
            }
            return;
        }
        for (int ox = 0; ox < outW; ox++) {
            if (xOutside[ox]) {
                dst[ob + ox] = extra;
                continue;
            }
            double acc = 0;
            int xb = ox * kx;
            for (int ty = 0; ty < ky; ty++) {
                double wy = ay.weight()[oy * ky + ty];
                if (wy == 0) {
                    continue;
                }
                int rowOff = ib + ay.index()[oy * ky + ty] * inW;
                double racc = 0;
                for (int tx = 0; tx < kx; tx++) {
                    racc += xWeight[xb + tx] * src[rowOff + xIndex[xb + tx]];
                }
                acc += wy * racc;
            }
            dst[ob + ox] = (float) acc;
        }
    }

    private static <E extends Enum<E>> E parse(Class<E> type, String onnxName, String attribute) {
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(onnxName)) {
                return e;
            }
        }
        throw new T2cException("Resize: unknown " + attribute + " '" + onnxName + "' (expected one of "
                + Arrays.toString(type.getEnumConstants()).toLowerCase(java.util.Locale.ROOT) + ")");
    }
}
