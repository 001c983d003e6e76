package io.t2c.tensor.ops;

import static io.t2c.tensor.ops.OpsTesting.assertClose;
import static io.t2c.tensor.ops.OpsTesting.assertFloats;
import static io.t2c.tensor.ops.OpsTesting.assertLongs;
import static io.t2c.tensor.ops.OpsTesting.assertT2c;
import static io.t2c.tensor.ops.OpsTesting.randomFloats;
import static io.t2c.tensor.ops.OpsTesting.randomInts;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.ops.Pooling.AutoPad;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PoolingTest {
    /**
     * Float64 reference over 1 or 2 spatial dims, straight from the definition: output size from the formula with
     * the ceil-mode rule, then every window tap checked against the input and padded ranges.
     */
    private static Tensor reference(Tensor x, int[] k, int[] s, int[] p, int[] d, boolean ceil, boolean max,
            boolean includePad) {
        int[] shape = x.shape();
        int sp = shape.length - 2;
        int h = sp == 2 ? shape[2] : 1;
        int w = shape[shape.length - 1];
        int kh = sp == 2 ? k[0] : 1;
        int kw = k[sp - 1];
        int sh = sp == 2 ? s[0] : 1;
        int sw = s[sp - 1];
        int dh = sp == 2 ? d[0] : 1;
        int dw = d[sp - 1];
        int ph0 = sp == 2 ? p[0] : 0;
        int ph1 = sp == 2 ? p[2] : 0;
        int pw0 = p[sp - 1];
        int pw1 = p[2 * sp - 1];
        int oh = outLen(h, kh, sh, ph0, ph1, dh, ceil);
        int ow = outLen(w, kw, sw, pw0, pw1, dw, ceil);
        int[] outShape = shape.clone();
        if (sp == 2) {
            outShape[2] = oh;
        }
        outShape[shape.length - 1] = ow;
        Tensor y = Tensor.zeros(DType.FLOAT32, outShape);
        int planes = shape[0] * shape[1];
        for (int pl = 0; pl < planes; pl++) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    double acc = max ? Double.NEGATIVE_INFINITY : 0;
                    int valid = 0;
                    int padded = 0;
                    for (int a = 0; a < kh; a++) {
                        for (int b = 0; b < kw; b++) {
                            int yy = i * sh - ph0 + a * dh;
                            int xx = j * sw - pw0 + b * dw;
                            if (yy >= -ph0 && yy < h + ph1 && xx >= -pw0 && xx < w + pw1) {
                                padded++;
                            }
                            if (yy >= 0 && yy < h && xx >= 0 && xx < w) {
                                double v = x.floats()[(pl * h + yy) * w + xx];
                                acc = max ? Math.max(acc, v) : acc + v;
                                valid++;
                            }
                        }
                    }
                    y.floats()[(pl * oh + i) * ow + j] = (float) (max ? acc : acc / (includePad ? padded : valid));
                }
            }
        }
        return y;
    }

    private static int outLen(int in, int k, int s, int p0, int p1, int d, boolean ceil) {
        double span = in + p0 + p1 - ((k - 1) * d + 1);
        int out = (int) (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
        if (ceil && (out - 1) * s >= in + p0) {
            out--;
        }
        return out;
    }

    @Test
    void randomConfigurationsMatchReference() {
        Random r = new Random(31);
        for (int trial = 0; trial < 300; trial++) {
            int sp = 1 + r.nextInt(2);
            int[] k = new int[sp];
            int[] s = new int[sp];
            int[] d = new int[sp];
            int[] p = new int[2 * sp];
            int[] shape = new int[2 + sp];
            shape[0] = 1 + r.nextInt(2);
            shape[1] = 1 + r.nextInt(3);
            for (int i = 0; i < sp; i++) {
                k[i] = 1 + r.nextInt(4);
                s[i] = 1 + r.nextInt(3);
                d[i] = 1 + r.nextInt(2);
                p[i] = r.nextInt(k[i]);
                p[i + sp] = r.nextInt(k[i]);
                shape[2 + i] = (k[i] - 1) * d[i] + 1 + r.nextInt(9);
            }
            boolean ceil = r.nextBoolean();
            boolean includePad = r.nextBoolean();
            Tensor x = randomFloats(r, -5, 5, shape);
            String what = "shape " + Arrays.toString(shape) + " k " + Arrays.toString(k) + " s " + Arrays.toString(s)
                    + " d " + Arrays.toString(d) + " p " + Arrays.toString(p) + " ceil " + ceil;
            Tensor mp = Pooling.maxPool(x, k, s, p, d, ceil);
            Tensor mref = reference(x, k, s, p, d, ceil, true, false);
            assertArrayEquals(mref.shape(), mp.shape(), what);
            assertClose(i -> mref.floats()[i], mp, 0, 0, "maxPool " + what);
            Tensor ap = Pooling.averagePool(x, k, s, p, d, ceil, includePad);
            Tensor aref = reference(x, k, s, p, d, ceil, false, includePad);
            assertArrayEquals(aref.shape(), ap.shape(), what);
            assertClose(i -> aref.floats()[i], ap, 1e-6, 1e-6, "averagePool " + what + " includePad " + includePad);
        }
    }

    /** Planes wide enough for the vector window maxes (strides 1 and 2), with partial last vectors. */
    @Test
    void widePlanesMatchReference() {
        Random r = new Random(32);
        for (int trial = 0; trial < 60; trial++) {
            int kh = 1 + r.nextInt(4);
            int kw = 1 + r.nextInt(4);
            int[] k = {kh, kw};
            int[] s = {1 + r.nextInt(2), 1 + r.nextInt(3)};
            int[] d = {1, 1};
            int[] p = {r.nextInt(kh), r.nextInt(kw), r.nextInt(kh), r.nextInt(kw)};
            int[] shape = {1, 2, kh + r.nextInt(12), 17 + r.nextInt(90)};
            boolean ceil = r.nextBoolean();
            Tensor x = randomFloats(r, -5, 5, shape);
            String what = "shape " + Arrays.toString(shape) + " k " + Arrays.toString(k) + " s " + Arrays.toString(s)
                    + " p " + Arrays.toString(p) + " ceil " + ceil;
            Tensor mp = Pooling.maxPool(x, k, s, p, d, ceil);
            Tensor mref = reference(x, k, s, p, d, ceil, true, false);
            assertArrayEquals(mref.shape(), mp.shape(), what);
            assertClose(i -> mref.floats()[i], mp, 0, 0, "maxPool " + what);
        }
    }

    @Test
    void specExamples() {
        float[] v = new float[16];
        for (int i = 0; i < 16; i++) {
            v[i] = i + 1;
        }
        Tensor x = Tensor.of(v, 1, 1, 4, 4);
        // maxpool_2d_ceil: k 3, s 2, ceil
        assertFloats(new float[] {11, 12, 15, 16}, Pooling.maxPool(x, new int[] {3, 3}, new int[] {2, 2}, null, null,
                true), 1, 1, 2, 2);
        // maxpool_2d_dilations: k 2, d 2
        assertFloats(new float[] {11, 12, 15, 16}, Pooling.maxPool(x, new int[] {2, 2}, null, null,
                new int[] {2, 2}, false), 1, 1, 2, 2);
        // averagepool_2d_ceil
        assertFloats(new float[] {6, 7.5f, 12, 13.5f}, Pooling.averagePool(x, new int[] {3, 3}, new int[] {2, 2},
                null, null, true, false), 1, 1, 2, 2);
        // 1-D
        assertFloats(new float[] {2, 3, 4}, Pooling.maxPool(Tensor.of(new float[] {1, 2, 3, 4}, 1, 1, 4),
                new int[] {2}, null, null, null, false), 1, 1, 3);
    }

    @Test
    void autoPadsAndOutputSizes() {
        // in 5, k 3, s 2 -> out 3, total pad 2
        assertArrayEquals(new int[] {1, 1}, Pooling.autoPads(AutoPad.SAME_UPPER, new int[] {5}, new int[] {3},
                new int[] {2}, null, null));
        // in 4, k 2, s 1 -> out 4, total pad 1: the odd pad goes last (upper) or first (lower)
        assertArrayEquals(new int[] {0, 1}, Pooling.autoPads(AutoPad.SAME_UPPER, new int[] {4}, new int[] {2}, null,
                null, null));
        assertArrayEquals(new int[] {1, 0}, Pooling.autoPads(AutoPad.SAME_LOWER, new int[] {4}, new int[] {2}, null,
                null, null));
        assertArrayEquals(new int[] {0, 0, 0, 0}, Pooling.autoPads(AutoPad.VALID, new int[] {4, 4},
                new int[] {3, 3}, null, null, new int[] {1, 1, 1, 1}));
        assertArrayEquals(new int[] {1, 2, 1, 2}, Pooling.autoPads(AutoPad.NOTSET, new int[] {4, 4},
                new int[] {3, 3}, null, null, new int[] {1, 2, 1, 2}));
        // with dilation the effective kernel counts: in 7, k 3, d 2 (effective 5), s 1 -> total 4
        assertArrayEquals(new int[] {2, 2}, Pooling.autoPads(AutoPad.SAME_UPPER, new int[] {7}, new int[] {3}, null,
                new int[] {2}, null));
        Random r = new Random(32);
        Tensor x = randomFloats(r, -1, 1, 1, 2, 7, 9);
        int[] pads = Pooling.autoPads(AutoPad.SAME_LOWER, new int[] {7, 9}, new int[] {3, 2}, new int[] {2, 3}, null,
                null);
        assertArrayEquals(new int[] {1, 2, 4, 3}, Pooling.maxPool(x, new int[] {3, 2}, new int[] {2, 3}, pads, null,
                false).shape());
        assertArrayEquals(new int[] {3}, new int[] {Pooling.outputSize(5, 3, 2, 1, 1, 1, false)});
        assertArrayEquals(new int[] {3}, new int[] {Pooling.outputSize(6, 3, 2, 0, 0, 1, true)});
    }

    @Test
    void globalPoolsOverAnySpatialRank() {
        Random r = new Random(33);
        for (int[] shape : new int[][] {{2, 3, 5}, {2, 3, 4, 5}, {1, 2, 3, 4, 5}, {1, 1, 1, 1}}) {
            Tensor x = randomFloats(r, -1, 1, shape);
            int spatial = x.size() / (shape[0] * shape[1]);
            Tensor avg = Pooling.globalAveragePool(x);
            Tensor max = Pooling.globalMaxPool(x);
            int[] out = shape.clone();
            Arrays.fill(out, 2, out.length, 1);
            assertArrayEquals(out, avg.shape());
            assertArrayEquals(out, max.shape());
            for (int pl = 0; pl < shape[0] * shape[1]; pl++) {
                double s = 0;
                float m = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < spatial; i++) {
                    s += x.floats()[pl * spatial + i];
                    m = Math.max(m, x.floats()[pl * spatial + i]);
                }
                double mean = s / spatial;
                assertClose(i -> mean, Tensor.scalar(avg.floats()[pl]), 1e-6, 1e-6, "global average");
                float mm = m;
                assertClose(i -> mm, Tensor.scalar(max.floats()[pl]), 0, 0, "global max");
            }
        }
        assertT2c(() -> Pooling.globalAveragePool(Tensor.zeros(DType.FLOAT32, 2, 3)), "rank >= 3", "[2, 3]");
    }

    @Test
    void eightBitMaxPoolIsExact() {
        Random r = new Random(34);
        for (DType t : new DType[] {DType.INT8, DType.UINT8}) {
            Tensor x = randomInts(r, t, t == DType.INT8 ? -128 : 0, t == DType.INT8 ? 127 : 255, 1, 2, 5, 5);
            Tensor y = Pooling.maxPool(x, new int[] {2, 2}, new int[] {2, 2}, null, null, true);
            Tensor ref = Pooling.maxPool(x.cast(DType.FLOAT32), new int[] {2, 2}, new int[] {2, 2}, null, null, true);
            assertArrayEquals(ref.toLongArray(), y.toLongArray());
            assertArrayEquals(new int[] {1, 2, 3, 3}, y.shape());
            org.junit.jupiter.api.Assertions.assertEquals(t, y.dtype());
        }
        assertLongs(new long[] {255}, Pooling.maxPool(Tensor.ofBytes(DType.UINT8, new byte[] {(byte) 255, 1}, 1, 1,
                2), new int[] {2}, null, null, null, false), 1, 1, 1);
        assertT2c(() -> Pooling.maxPool(Tensor.zeros(DType.INT32, 1, 1, 2), new int[] {2}, null, null, null, false),
                "MaxPool", "FLOAT32");
    }

    @Test
    void invalidArgumentsAreReported() {
        Tensor x = Tensor.zeros(DType.FLOAT32, 1, 1, 4, 4);
        assertT2c(() -> Pooling.maxPool(x, new int[] {2}, null, null, null, false), "kernel_shape", "[1, 1, 4, 4]");
        assertT2c(() -> Pooling.maxPool(x, new int[] {5, 5}, null, null, null, false), "larger than the input");
        assertT2c(() -> Pooling.averagePool(x, new int[] {2, 2}, new int[] {0, 1}, null, null, false, false),
                ">= 1");
        assertT2c(() -> Pooling.maxPool(Tensor.zeros(DType.FLOAT32, 4, 4), new int[] {2}, null, null, null, false),
                "spatial");
        assertT2c(() -> AutoPad.of("SAME"), "SAME");
    }
}
