package io.t2c.tensor.ops;

import static io.t2c.tensor.ops.OpsTesting.assertFloats;
import static io.t2c.tensor.ops.OpsTesting.assertLongs;
import static io.t2c.tensor.ops.OpsTesting.assertT2c;
import static io.t2c.tensor.ops.OpsTesting.randomFloats;
import static io.t2c.tensor.ops.OpsTesting.randomInts;
import static io.t2c.tensor.ops.OpsTesting.ravel;
import static io.t2c.tensor.ops.OpsTesting.unravel;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.ops.Movement.PadMode;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MovementTest {
    private static final DType[] ALL = DType.values();

    private static Tensor random(Random r, DType t, int... shape) {
        return t == DType.FLOAT32 ? randomFloats(r, -10, 10, shape) : randomInts(r, t, -100, 100, shape);
    }

    private static int[] randomPerm(Random r, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    @Test
    void transposeMatchesIndexReferenceForEveryType() {
        Random r = new Random(21);
        int[][] shapes = {{5}, {3, 7}, {2, 3, 5}, {4, 1, 3, 5}, {2, 3, 1, 4, 3}, {64, 257, 33}, {37, 41},
            {2, 19, 23, 17}, {30, 5, 4, 33}};
        // the last three get fixed perms that take the tiled path (NCHW -> NHWC style); the others random ones
        int[][] fixed = {{1, 0}, {0, 2, 3, 1}, {3, 1, 2, 0}};
        for (DType t : ALL) {
            for (int si = 0; si < shapes.length; si++) {
                int[] shape = shapes[si];
                Tensor x = random(r, t, shape);
                int[] perm = si >= shapes.length - 3 ? fixed[si - (shapes.length - 3)] : randomPerm(r, shape.length);
                Tensor y = Movement.transpose(x, perm);
                int[] out = new int[shape.length];
                for (int i = 0; i < out.length; i++) {
                    out[i] = shape[perm[i]];
                }
                assertArrayEquals(out, y.shape());
                assertEquals(t, y.dtype());
                for (int i = 0; i < y.size(); i++) {
                    int[] oi = unravel(i, out);
                    int[] ii = new int[shape.length];
                    for (int d = 0; d < out.length; d++) {
                        ii[perm[d]] = oi[d];
                    }
                    if (y.getLong(i) != x.getLong(ravel(ii, shape)) || y.getDouble(i) != x.getDouble(ravel(ii,
                            shape))) {
                        throw new AssertionError(t + " " + Arrays.toString(shape) + " perm " + Arrays.toString(perm));
                    }
                }
            }
        }
        Tensor m = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertFloats(new float[] {1, 4, 2, 5, 3, 6}, Movement.transpose(m), 3, 2);
        assertT2c(() -> Movement.transpose(m, 0, 0), "twice");
        assertT2c(() -> Movement.transpose(m, 0), "perm", "[2, 3]");
    }

    @Test
    void concatAndSplitRoundTrip() {
        Random r = new Random(22);
        for (DType t : ALL) {
            Tensor a = random(r, t, 2, 3, 4);
            Tensor b = random(r, t, 2, 5, 4);
            Tensor c = random(r, t, 2, 0, 4);
            Tensor cat = Movement.concat(1, a, b, c);
            assertArrayEquals(new int[] {2, 8, 4}, cat.shape());
            for (int i = 0; i < cat.size(); i++) {
                int[] idx = unravel(i, cat.shape());
                double want = idx[1] < 3 ? a.getDouble(ravel(idx, a.shape()))
                        : b.getDouble(ravel(new int[] {idx[0], idx[1] - 3, idx[2]}, b.shape()));
                assertEquals(want, cat.getDouble(i));
            }
            Tensor[] parts = Movement.split(cat, -2, 3, 5, 0);
            assertArrayEquals(a.toDoubleArray(), parts[0].toDoubleArray());
            assertArrayEquals(b.toDoubleArray(), parts[1].toDoubleArray());
            assertArrayEquals(new int[] {2, 0, 4}, parts[2].shape());
        }
        Tensor v = Tensor.vector(1, 2, 3, 4, 5, 6, 7);
        Tensor[] eq = Movement.splitEqual(v, 0, 3);
        assertLongs(new long[] {1, 2, 3}, eq[0], 3);
        assertLongs(new long[] {4, 5, 6}, eq[1], 3);
        assertLongs(new long[] {7}, eq[2], 1);
        assertT2c(() -> Movement.concat(0, Tensor.zeros(DType.FLOAT32, 2, 3), Tensor.zeros(DType.FLOAT32, 2, 4)),
                "Concat", "[2, 4]", "[2, 3]");
        assertT2c(() -> Movement.split(v, 0, 3, 3), "sum to 6", "length 7");
    }

    /**
     * Reference for ONNX Slice on one axis, written as the spec states it: negative start/end add the dimension,
     * then start is clamped to [0, dim] (step > 0) or [0, dim-1] (step < 0) and end to [0, dim] or [-1, dim-1];
     * the elements are start, start+step, ... while before end. (Unlike Python, a start still negative after
     * adding dim is clamped to 0 for a negative step, so it selects element 0: ONNX spec and ONNX Runtime.)
     */
    private static int[] sliceIndices(long start, long end, long step, int dim) {
        long s = start < 0 ? start + dim : start;
        long e = end < 0 ? end + dim : end;
        s = step > 0 ? Math.clamp(s, 0, dim) : Math.clamp(s, 0, dim - 1);
        e = step > 0 ? Math.clamp(e, 0, dim) : Math.clamp(e, -1, dim - 1);
        int[] buf = new int[dim + 1];
        int n = 0;
        for (long i = s; step > 0 ? i < e : i > e; i += step) {
            buf[n++] = (int) i;
        }
        return Arrays.copyOf(buf, n);
    }

    @Test
    void sliceMatchesPythonSlicingIncludingNegativeStepsAndClamping() {
        Random r = new Random(23);
        long[] edges = {Long.MIN_VALUE, -1000, -7, -3, -1, 0, 1, 2, 4, 6, 1000, Long.MAX_VALUE};
        long[] steps = {1, 2, 3, -1, -2, -4};
        int[] shape = {6, 5};
        Tensor x = random(r, DType.INT32, shape);
        for (int trial = 0; trial < 400; trial++) {
            long s0 = edges[r.nextInt(edges.length)];
            long e0 = edges[r.nextInt(edges.length)];
            long st0 = steps[r.nextInt(steps.length)];
            long s1 = edges[r.nextInt(edges.length)];
            long e1 = edges[r.nextInt(edges.length)];
            long st1 = steps[r.nextInt(steps.length)];
            Tensor y = Movement.slice(x, new long[] {s1, s0}, new long[] {e1, e0}, new int[] {-1, 0},
                    new long[] {st1, st0});
            int[] i0 = sliceIndices(s0, e0, st0, 6);
            int[] i1 = sliceIndices(s1, e1, st1, 5);
            String what = "slice [" + s0 + ":" + e0 + ":" + st0 + ", " + s1 + ":" + e1 + ":" + st1 + "]";
            assertArrayEquals(new int[] {i0.length, i1.length}, y.shape(), what);
            for (int a = 0; a < i0.length; a++) {
                for (int b = 0; b < i1.length; b++) {
                    assertEquals(x.ints()[i0[a] * 5 + i1[b]], y.ints()[a * i1.length + b], what);
                }
            }
        }
        // ONNX spec examples
        Tensor d = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 2, 4);
        assertFloats(new float[] {5, 7}, Movement.slice(d, new long[] {1, 0}, new long[] {2, 3}, new int[] {0, 1},
                new long[] {1, 2}), 1, 2);
        assertFloats(new float[] {2, 3, 4}, Movement.slice(d, new long[] {0, 1}, new long[] {-1, 1000}, null,
                null), 1, 3);
        assertFloats(new float[] {8, 7, 6, 5, 4, 3, 2, 1}, Movement.slice(d, new long[] {-1, -1},
                new long[] {Long.MIN_VALUE, Long.MIN_VALUE}, null, new long[] {-1, -1}), 2, 4);
        assertT2c(() -> Movement.slice(d, new long[] {0}, new long[] {1}, null, new long[] {0}), "step 0");
        assertT2c(() -> Movement.slice(d, new long[] {0}, new long[] {1, 2}, null, null), "same length");
        assertT2c(() -> Movement.slice(d, new long[] {0}, new long[] {1}, new int[] {2}, null), "axis 2");
    }

    @Test
    void gatherWithNegativeIndicesAndAnyIndexRank() {
        Random r = new Random(24);
        for (DType t : ALL) {
            Tensor data = random(r, t, 3, 4, 2);
            Tensor idx = Tensor.ofLongs(new long[] {0, -1, 2, 1, -4, 3}, 2, 3);
            Tensor g = Movement.gather(data, idx, 1);
            assertArrayEquals(new int[] {3, 2, 3, 2}, g.shape());
            for (int i = 0; i < g.size(); i++) {
                int[] o = unravel(i, g.shape());
                long k = idx.longs()[o[1] * 3 + o[2]];
                int kk = (int) (k < 0 ? k + 4 : k);
                assertEquals(data.getDouble(ravel(new int[] {o[0], kk, o[3]}, data.shape())), g.getDouble(i));
            }
        }
        Tensor data = Tensor.of(new float[] {1, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f}, 3, 2);
        // ONNX example: axis 0, indices [[0, 1], [1, 2]]
        assertFloats(new float[] {1, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f, 4.5f, 5.7f},
                Movement.gather(data, Tensor.ofInts(new int[] {0, 1, 1, 2}, 2, 2), 0), 2, 2, 2);
        // scalar index drops the axis
        assertFloats(new float[] {1.2f, 3.4f, 5.7f}, Movement.gather(data, Tensor.ofInts(new int[] {-1}), -1), 3);
        assertT2c(() -> Movement.gather(data, Tensor.vector(3), 0), "index 3", "size 3");
        assertT2c(() -> Movement.gather(data, Tensor.of(new float[] {0}, 1), 0), "INT32 or INT64");
        Tensor ge = Movement.gatherElements(Tensor.of(new float[] {1, 2, 3, 4}, 2, 2),
                Tensor.vector(0, 0, 1, 0).reshape(2, 2), 1);
        assertFloats(new float[] {1, 1, 4, 3}, ge, 2, 2);
    }

    @Test
    void padModesFollowTheSpecAndNumpy() {
        Tensor d = Tensor.of(new float[] {1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f}, 3, 2);
        long[] pads = {0, 2, 0, 0};
        assertFloats(new float[] {0, 0, 1.0f, 1.2f, 0, 0, 2.3f, 3.4f, 0, 0, 4.5f, 5.7f},
                Movement.pad(d, pads, PadMode.CONSTANT, 0, null), 3, 4);
        assertFloats(new float[] {1.0f, 1.2f, 1.0f, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f, 4.5f, 5.7f, 4.5f, 5.7f},
                Movement.pad(d, pads, PadMode.REFLECT, 0, null), 3, 4);
        assertFloats(new float[] {1.0f, 1.0f, 1.0f, 1.2f, 2.3f, 2.3f, 2.3f, 3.4f, 4.5f, 4.5f, 4.5f, 5.7f},
                Movement.pad(d, pads, PadMode.EDGE, 0, null), 3, 4);
        Tensor v = Tensor.vector(1, 2, 3);
        // numpy 2.x: np.pad([1,2,3], (5,5), 'reflect') and np.pad([1,2,3], (4,2), 'wrap') (numpy 1.x wraps oddly
        // when the pad exceeds the length; the period is what ONNX wrap means)
        assertLongs(new long[] {2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 2}, Movement.pad(v, new long[] {5, 5},
                PadMode.REFLECT, 0, null), 13);
        assertLongs(new long[] {3, 1, 2, 3, 1, 2, 3, 1, 2}, Movement.pad(v, new long[] {4, 2}, PadMode.WRAP, 0,
                null), 9);
        // negative pads crop; axes select which axes the pads apply to; the value is cast to the type
        assertLongs(new long[] {2, 3, 9, 9}, Movement.pad(v, new long[] {-1, 2}, PadMode.CONSTANT, 9.7, null), 4);
        assertFloats(new float[] {1.2f, -1, 3.4f, -1, 5.7f, -1},
                Movement.pad(d, new long[] {-1, 1}, PadMode.CONSTANT, -1, new int[] {-1}), 3, 2);
        Tensor b = Tensor.ofBytes(DType.BOOL, new byte[] {1}, 1, 1);
        assertLongs(new long[] {0, 0, 0, 0, 1, 0}, Movement.pad(b, new long[] {1, 1, 0, 1}, PadMode.CONSTANT, 0,
                null), 2, 3);
        // random cross-check against an explicit per-element reference for every mode
        Random r = new Random(25);
        for (PadMode mode : PadMode.values()) {
            Tensor x = random(r, DType.FLOAT32, 2, 3, 4);
            long[] p = {1, -1, 3, 0, 2, 5};
            Tensor y = Movement.pad(x, p, mode, 7.5, null);
            assertArrayEquals(new int[] {3, 4, 12}, y.shape());
            for (int i = 0; i < y.size(); i++) {
                int[] o = unravel(i, y.shape());
                int[] src = new int[3];
                boolean constant = false;
                for (int a = 0; a < 3; a++) {
                    int n = x.shape()[a];
                    long j = o[a] - p[a];
                    if (j < 0 || j >= n) {
                        switch (mode) {
                            case CONSTANT -> constant = true;
                            case EDGE -> j = j < 0 ? 0 : n - 1;
                            case WRAP -> j = ((j % n) + n) % n;
                            case REFLECT -> {
                                while (j < 0 || j >= n) {
                                    j = j < 0 ? -j : 2L * (n - 1) - j;
                                }
                            }
                        }
                    }
                    src[a] = (int) j;
                }
                float want = constant ? 7.5f : x.floats()[ravel(src, x.shape())];
                assertEquals(want, y.floats()[i], mode + " at " + Arrays.toString(o));
            }
        }
        assertT2c(() -> Movement.pad(v, new long[] {1}, PadMode.CONSTANT, 0, null), "2 per axis");
        assertT2c(() -> Movement.pad(v, new long[] {-2, -2}, PadMode.CONSTANT, 0, null), "below zero");
        assertT2c(() -> PadMode.of("mirror"), "mirror");
    }

    @Test
    void expandAndTile() {
        Tensor x = Tensor.of(new float[] {1, 2, 3}, 3, 1);
        Tensor e = Movement.expand(x, new long[] {2, 1, 6});
        assertArrayEquals(new int[] {2, 3, 6}, e.shape());
        for (int i = 0; i < e.size(); i++) {
            assertEquals(x.floats()[unravel(i, e.shape())[1]], e.floats()[i]);
        }
        // bidirectional: a smaller target keeps the input's dims
        assertFloats(new float[] {1, 2, 3}, Movement.expand(x, new long[] {1}), 3, 1);
        assertLongs(new long[] {5, 5, 5, 5}, Movement.expand(Tensor.scalarLong(5), new long[] {2, 2}), 2, 2);
        assertT2c(() -> Movement.expand(x, new long[] {4, 1}), "Expand", "[3, 1]", "[4, 1]");
        assertArrayEquals(new int[] {3, 4}, Movement.expand(x, new long[] {4}).shape());
        Tensor t = Movement.tile(Tensor.of(new float[] {0, 1, 2, 3}, 2, 2), new long[] {2, 2});
        assertFloats(new float[] {0, 1, 0, 1, 2, 3, 2, 3, 0, 1, 0, 1, 2, 3, 2, 3}, t, 4, 4);
        assertArrayEquals(new int[] {0, 2}, Movement.tile(Tensor.zeros(DType.INT8, 1, 2), new long[] {0, 1}).shape());
        assertT2c(() -> Movement.tile(x, new long[] {2}), "Tile", "[3, 1]");
    }

    @Test
    void shapeOnlyOps() {
        Tensor x = Tensor.zeros(DType.FLOAT32, 2, 3, 4);
        assertArrayEquals(new int[] {2, 12}, Movement.reshape(x, new long[] {0, -1}, false).shape());
        assertArrayEquals(new int[] {4, 2, 3}, Movement.reshape(x, new long[] {4, 2, -1}, false).shape());
        assertArrayEquals(new int[] {0, 4}, Movement.reshape(Tensor.zeros(DType.FLOAT32, 0, 4), new long[] {0, 4},
                true).shape());
        assertT2c(() -> Movement.reshape(x, new long[] {-1, -1}, false), "more than one -1");
        assertT2c(() -> Movement.reshape(x, new long[] {5, -1}, false), "cannot infer");
        assertT2c(() -> Movement.reshape(x, new long[] {5, 5}, false), "[2, 3, 4]", "[5, 5]");
        assertArrayEquals(new int[] {6, 4}, Movement.flatten(x, 2).shape());
        assertArrayEquals(new int[] {1, 24}, Movement.flatten(x, 0).shape());
        assertArrayEquals(new int[] {24, 1}, Movement.flatten(x, 3).shape());
        Tensor s = Tensor.zeros(DType.INT64, 1, 3, 1, 2);
        assertArrayEquals(new int[] {3, 2}, Movement.squeeze(s).shape());
        assertArrayEquals(new int[] {3, 1, 2}, Movement.squeeze(s, 0).shape());
        assertArrayEquals(new int[] {1, 3, 2}, Movement.squeeze(s, -2).shape());
        assertT2c(() -> Movement.squeeze(s, 1), "axis 1", "size 3");
        assertArrayEquals(new int[] {1, 2, 1, 3, 4, 1}, Movement.unsqueeze(x, 0, 2, -1).shape());
        assertArrayEquals(new int[] {1, 1, 2, 3, 4}, Movement.unsqueeze(x, 1, 0).shape());
        assertT2c(() -> Movement.unsqueeze(x, 0, 0), "twice");
        assertSame(x.data(), Movement.unsqueeze(x, 0).data());
    }
}
