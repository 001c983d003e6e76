package io.t2c.tensor.ops;

import static io.t2c.tensor.ops.OpsTesting.assertClose;
import static io.t2c.tensor.ops.OpsTesting.assertFloats;
import static io.t2c.tensor.ops.OpsTesting.assertLongs;
import static io.t2c.tensor.ops.OpsTesting.assertT2c;
import static io.t2c.tensor.ops.OpsTesting.randomFloats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.ops.Resize.CoordinateTransform;
import io.t2c.tensor.ops.Resize.Mode;
import io.t2c.tensor.ops.Resize.NearestMode;
import io.t2c.tensor.ops.Resize.Options;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ResizeTest {
    private static final Tensor TWO_BY_TWO = Tensor.of(new float[] {1, 2, 3, 4}, 1, 1, 2, 2);
    private static final Tensor TWO_BY_FOUR = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 1, 1, 2, 4);

    @Test
    void specExamples() {
        assertFloats(new float[] {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4},
                Resize.resize(TWO_BY_TWO, new float[] {1, 1, 2, 3}, Options.of(Mode.NEAREST)), 1, 1, 4, 6);
        assertFloats(new float[] {1, 3}, Resize.resize(TWO_BY_FOUR, new float[] {1, 1, 0.6f, 0.6f},
                Options.of(Mode.NEAREST)), 1, 1, 1, 2);
        assertFloats(new float[] {1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f,
            3.75f, 4}, Resize.resize(TWO_BY_TWO, new float[] {1, 1, 2, 2}, Options.of(Mode.LINEAR)), 1, 1, 4, 4);
        float t = 1f / 3;
        assertFloats(new float[] {1, 1 + t, 2 - t, 2, 2 - t, 2, 2 + t, 3 - t, 2 + t, 3 - t, 3, 3 + t, 3, 3 + t, 4 - t,
            4}, Resize.resize(TWO_BY_TWO, new float[] {1, 1, 2, 2}, Options.of(Mode.LINEAR)
                    .with(CoordinateTransform.ALIGN_CORNERS)), 1, 1, 4, 4);
        assertFloats(new float[] {2.6666665f, 4.3333335f}, Resize.resize(TWO_BY_FOUR, new float[] {1, 1, 0.6f, 0.6f},
                Options.of(Mode.LINEAR)), 1, 1, 1, 2);
        // align_corners uses length_resized = in * scale = 2.4 here, as the ONNX reference does
        assertFloats(new float[] {1, 3.142857f}, Resize.resize(TWO_BY_FOUR, new float[] {1, 1, 0.6f, 0.6f},
                Options.of(Mode.LINEAR).with(CoordinateTransform.ALIGN_CORNERS)), 1, 1, 1, 2);
        // sizes: nearest to 1x3 (test_resize_downsample_sizes_nearest)
        assertFloats(new float[] {1, 2, 4}, Resize.resizeToSizes(TWO_BY_FOUR, new long[] {1, 1, 1, 3},
                Options.of(Mode.NEAREST)), 1, 1, 1, 3);
    }

    /** Input coordinate for output {@code i} (test-side copy of the spec's formulas, without roi). */
    private static double original(CoordinateTransform c, int i, double scale, int in, int out) {
        double lengthResized = in * scale;
        return switch (c) {
            case HALF_PIXEL -> (i + 0.5) / scale - 0.5;
            case PYTORCH_HALF_PIXEL -> out > 1 ? (i + 0.5) / scale - 0.5 : 0;
            case ALIGN_CORNERS -> lengthResized == 1 ? 0 : i * (in - 1.0) / (lengthResized - 1);
            case ASYMMETRIC -> i / scale;
            case TF_HALF_PIXEL_FOR_NN -> (i + 0.5) / scale;
            default -> throw new IllegalArgumentException(c.toString());
        };
    }

    @Test
    void linearAndCubicReproduceAffineRampsInTheInterior() {
        // Linear interpolation and the Keys cubic kernel (any a) reproduce affine functions exactly, so away from
        // the borders the output must equal the ramp evaluated at the mapped input coordinates.
        CoordinateTransform[] modes = {CoordinateTransform.HALF_PIXEL, CoordinateTransform.PYTORCH_HALF_PIXEL,
            CoordinateTransform.ALIGN_CORNERS, CoordinateTransform.ASYMMETRIC};
        int h = 9;
        int w = 13;
        Tensor ramp = Tensor.zeros(DType.FLOAT32, 2, 3, h, w);
        for (int i = 0; i < ramp.size(); i++) {
            int y = (i / w) % h;
            int x = i % w;
            int plane = i / (h * w);
            ramp.floats()[i] = 0.75f * y - 0.5f * x + plane;
        }
        float[][] scaleSets = {{1, 1, 2, 3}, {1, 1, 0.5f, 0.7f}, {1, 1, 1.6f, 1.25f}, {1, 1, 3, 0.4f}};
        for (Mode mode : new Mode[] {Mode.LINEAR, Mode.CUBIC}) {
            for (CoordinateTransform c : modes) {
                for (float[] scales : scaleSets) {
                    Options o = Options.of(mode).with(c).withCubic(-0.5, false);
                    Tensor y = Resize.resize(ramp, scales, o);
                    int oh = (int) Math.floor(h * (double) scales[2]);
                    int ow = (int) Math.floor(w * (double) scales[3]);
                    assertArrayEquals(new int[] {2, 3, oh, ow}, y.shape());
                    for (int i = 0; i < y.size(); i++) {
                        int oy = (i / ow) % oh;
                        int ox = i % ow;
                        int plane = i / (oh * ow);
                        double sy = original(c, oy, scales[2], h, oh);
                        double sx = original(c, ox, scales[3], w, ow);
                        if (!inInterior(mode, sy, h) || !inInterior(mode, sx, w)) {
                            continue;
                        }
                        assertEquals(0.75 * sy - 0.5 * sx + plane, y.floats()[i], 2e-5,
                                mode + " " + c + " scales " + java.util.Arrays.toString(scales) + " at " + oy + ","
                                        + ox);
                    }
                }
            }
        }
    }

    /** True when every neighbour the mode reads around {@code v} lies inside [0, n - 1] (no edge clamping). */
    private static boolean inInterior(Mode mode, double v, int n) {
        return mode == Mode.LINEAR ? v >= 0 && v <= n - 1 : v >= 1 && v < n - 2;
    }

    @Test
    void linearClampsAtTheBorders() {
        // Outside the input the neighbours clamp to the edge: a 1x2 input upsampled 4x stays within [1, 2] and
        // the outermost outputs equal the edge values.
        Tensor x = Tensor.of(new float[] {1, 2}, 1, 2);
        Tensor y = Resize.resize(x, new float[] {1, 4}, Options.of(Mode.LINEAR));
        assertFloats(new float[] {1, 1, 1.125f, 1.375f, 1.625f, 1.875f, 2, 2}, y, 1, 8);
    }

    @Test
    void nearestModesAndAnyAxisAndType() {
        Random r = new Random(51);
        Tensor x = randomFloats(r, -1, 1, 1, 5, 7);
        NearestMode[] nms = NearestMode.values();
        CoordinateTransform[] cts = {CoordinateTransform.HALF_PIXEL, CoordinateTransform.ASYMMETRIC,
            CoordinateTransform.ALIGN_CORNERS, CoordinateTransform.TF_HALF_PIXEL_FOR_NN,
            CoordinateTransform.PYTORCH_HALF_PIXEL};
        long[] sizes = {1, 8, 3};
        for (NearestMode nm : nms) {
            for (CoordinateTransform c : cts) {
                Tensor y = Resize.resizeToSizes(x, sizes, Options.of(Mode.NEAREST).with(c).with(nm));
                assertArrayEquals(new int[] {1, 8, 3}, y.shape());
                for (int i = 0; i < y.size(); i++) {
                    int oy = i / 3;
                    int ox = i % 3;
                    int sy = pick(nm, original(c, oy, 8.0 / 5, 5, 8), 5);
                    int sx = pick(nm, original(c, ox, 3.0 / 7, 7, 3), 7);
                    assertEquals(x.floats()[sy * 7 + sx], y.floats()[i], nm + " " + c + " at " + oy + "," + ox);
                }
            }
        }
        Tensor u = Tensor.ofBytes(DType.UINT8, new byte[] {(byte) 200, 7}, 2, 1);
        Tensor uy = Resize.resize(u, new float[] {2, 2}, Options.of(Mode.NEAREST));
        assertEquals(DType.UINT8, uy.dtype());
        assertLongs(new long[] {200, 200, 200, 200, 7, 7, 7, 7}, uy, 4, 2);
    }

    private static int pick(NearestMode nm, double v, int in) {
        double f = Math.floor(v);
        double frac = v - f;
        int p = frac == 0 ? (int) f : switch (nm) {
            case ROUND_PREFER_FLOOR -> frac <= 0.5 ? (int) f : (int) f + 1;
            case ROUND_PREFER_CEIL -> frac < 0.5 ? (int) f : (int) f + 1;
            case FLOOR -> (int) f;
            case CEIL -> (int) f + 1;
        };
        return Math.max(0, Math.min(in - 1, p));
    }

    @Test
    void cropAndResizeExtrapolates() {
        Tensor x = Tensor.zeros(DType.FLOAT32, 1, 1, 4, 4);
        for (int i = 0; i < 16; i++) {
            x.floats()[i] = i + 1;
        }
        Options o = Options.of(Mode.LINEAR).with(CoordinateTransform.TF_CROP_AND_RESIZE).withExtrapolation(10);
        float[] roi = {0, 0, 0.4f, 0.6f, 1, 1, 1.2f, 1.7f};
        Tensor y = Resize.resize(x, roi, null, new long[] {1, 1, 3, 3}, o);
        assertClose(i -> new double[] {7.6000004, 10, 10, 12.400001, 10, 10, 10, 10, 10}[i], y, 1e-5, 1e-6,
                "tf_crop_and_resize");
        Tensor n = Resize.resize(x, roi, null, new long[] {1, 1, 3, 3}, Options.of(Mode.NEAREST)
                .with(CoordinateTransform.TF_CROP_AND_RESIZE).withExtrapolation(-1));
        assertEquals(-1f, n.floats()[1]);
    }

    @Test
    void invalidRequestsAreReported() {
        assertT2c(() -> Resize.resize(TWO_BY_TWO, new float[] {1, 2, 1, 1}, Options.of(Mode.LINEAR)),
                "last two axes", "axis 1");
        assertT2c(() -> Resize.resize(TWO_BY_TWO, null, new float[] {1, 1, 2, 2}, new long[] {1, 1, 4, 4},
                Options.of(Mode.NEAREST)), "exactly one");
        assertT2c(() -> Resize.resize(TWO_BY_TWO, new float[] {2, 2}, Options.of(Mode.NEAREST)), "one entry per axis",
                "[1, 1, 2, 2]");
        assertT2c(() -> Resize.resize(Tensor.zeros(DType.INT32, 2, 2), new float[] {2, 2}, Options.of(Mode.LINEAR)),
                "FLOAT32");
        assertT2c(() -> Mode.of("bilinear"), "bilinear");
        assertT2c(() -> CoordinateTransform.of("corners"), "coordinate_transformation_mode");
    }
}
