package io.t2c.tensor.ops;

import static io.t2c.tensor.ops.OpsTesting.assertFloats;
import static io.t2c.tensor.ops.OpsTesting.assertLongs;
import static io.t2c.tensor.ops.OpsTesting.assertT2c;
import static io.t2c.tensor.ops.OpsTesting.bothPaths;
import static io.t2c.tensor.ops.OpsTesting.randomFloats;
import static io.t2c.tensor.ops.OpsTesting.randomInts;
import static io.t2c.tensor.ops.OpsTesting.unravel;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.ops.Reductions.Reduction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReductionsTest {
    /** Float64 reference: output index = input index with reduced axes zeroed; returns [values, abs-sums]. */
    private static double[][] reference(Tensor x, Reduction kind, boolean[] reduced) {
        int[] s = x.shape();
        int[] outFull = s.clone();
        for (int d = 0; d < s.length; d++) {
            if (reduced[d]) {
                outFull[d] = 1;
            }
        }
        int n = OpsTesting.numel(outFull);
        double[] acc = new double[n];
        double[] mag = new double[n];
        int[] count = new int[n];
        Arrays.fill(acc, switch (kind) {
            case MAX -> Double.NEGATIVE_INFINITY;
            case MIN -> Double.POSITIVE_INFINITY;
            case PROD -> 1;
            default -> 0;
        });
        for (int i = 0; i < x.size(); i++) {
            int[] idx = unravel(i, s);
            for (int d = 0; d < s.length; d++) {
                if (reduced[d]) {
                    idx[d] = 0;
                }
            }
            int o = OpsTesting.ravel(idx, outFull);
            double v = x.getDouble(i);
            count[o]++;
            mag[o] += Math.abs(v) + v * v;
            acc[o] = switch (kind) {
                case SUM, MEAN, LOG_SUM -> acc[o] + v;
                case MAX -> Math.max(acc[o], v);
                case MIN -> Math.min(acc[o], v);
                case PROD -> acc[o] * v;
                case SUM_SQUARE, L2 -> acc[o] + v * v;
                case L1 -> acc[o] + Math.abs(v);
                case LOG_SUM_EXP -> acc[o] + Math.exp(v);
            };
        }
        for (int o = 0; o < n; o++) {
            acc[o] = switch (kind) {
                case MEAN -> acc[o] / count[o];
                case L2 -> Math.sqrt(acc[o]);
                case LOG_SUM, LOG_SUM_EXP -> Math.log(acc[o]);
                default -> acc[o];
            };
            if (kind == Reduction.MEAN) {
                mag[o] /= count[o];
            }
        }
        return new double[][] {acc, mag};
    }

    @Test
    void everyAxisSubsetMatchesFloat64ReferenceOnBothPaths() {
        Random r = new Random(11);
        int[][] shapes = {{3, 4, 5, 6}, {2, 1, 37, 3}, {5, 19}, {7}, {1, 1, 1}, {2, 3, 0}};
        bothPaths(() -> {
            for (int[] shape : shapes) {
                int rank = shape.length;
                for (Reduction kind : Reduction.values()) {
                    Tensor x = kind == Reduction.LOG_SUM || kind == Reduction.PROD
                            ? randomFloats(r, 0.5, 1.5, shape) : randomFloats(r, -2, 2, shape);
                    for (int mask = 0; mask < 1 << rank; mask++) {
                        boolean[] reduced = new boolean[rank];
                        List<Integer> axes = new ArrayList<>();
                        for (int d = 0; d < rank; d++) {
                            if ((mask >> d & 1) != 0) {
                                reduced[d] = true;
                                // alternate positive and negative spellings of the axis
                                axes.add(axes.size() % 2 == 0 ? d : d - rank);
                            }
                        }
                        if (axes.isEmpty()) {
                            Arrays.fill(reduced, true);
                        }
                        int[] ax = axes.stream().mapToInt(Integer::intValue).toArray();
                        double[][] ref = reference(x, kind, reduced);
                        for (boolean keep : new boolean[] {true, false}) {
                            Tensor got = Reductions.reduce(x, kind, ax, keep, false);
                            int[] expectShape = Reductions.reducedShape(shape, reduced, keep);
                            assertArrayEquals(expectShape, got.shape(), kind + " " + Arrays.toString(ax));
                            for (int i = 0; i < got.size(); i++) {
                                double want = ref[0][i];
                                double tol = 1e-6 * (1 + ref[1][i]);
                                double have = got.getDouble(i);
                                boolean ok = Double.isNaN(want) ? Double.isNaN(have)
                                        : want == have || Math.abs(want - have) <= tol + 1e-6 * Math.abs(want);
                                if (!ok) {
                                    fail(kind + " axes " + Arrays.toString(ax) + " of " + Arrays.toString(shape)
                                            + " element " + i + ": expected " + want + ", got " + have);
                                }
                            }
                        }
                    }
                }
            }
        });
    }

    @Test
    void longRowsStayAccurate() {
        Random r = new Random(12);
        bothPaths(() -> {
            Tensor x = randomFloats(r, 0, 1, 3, 200_003);
            Tensor sum = Reductions.reduceSum(x, new int[] {1}, false);
            Tensor mean = Reductions.reduceMean(x, new int[] {-1}, true);
            assertArrayEquals(new int[] {3, 1}, mean.shape());
            for (int row = 0; row < 3; row++) {
                double s = 0;
                for (int i = 0; i < 200_003; i++) {
                    s += x.floats()[row * 200_003 + i];
                }
                assertEquals(s, sum.floats()[row], 1e-6 * s);
                assertEquals(s / 200_003, mean.floats()[row], 1e-6 * s / 200_003);
            }
            // reduce over the outer axis with a wide inner axis (parallel over blocks)
            Tensor y = randomFloats(r, -1, 1, 50, 3001);
            Tensor cols = Reductions.reduceMax(y, new int[] {0}, false);
            for (int j = 0; j < 3001; j++) {
                float m = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < 50; i++) {
                    m = Math.max(m, y.floats()[i * 3001 + j]);
                }
                assertEquals(m, cols.floats()[j]);
            }
        });
    }

    @Test
    void emptyAxesAndNoop() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertFloats(new float[] {21}, Reductions.reduceSum(x, null, true), 1, 1);
        assertFloats(new float[] {21}, Reductions.reduceSum(x, new int[0], false));
        assertSame(x, Reductions.reduce(x, Reduction.SUM, new int[0], true, true));
        assertFloats(new float[] {5, 7, 9}, Reductions.reduce(x, Reduction.SUM, new int[] {0}, false, true), 3);
        assertFloats(new float[] {6, 120}, Reductions.reduceProd(x, new int[] {1}, false), 2);
        assertFloats(new float[] {1, 4}, Reductions.reduceMin(x, new int[] {-1}, false), 2);
        // scalar input
        assertFloats(new float[] {7}, Reductions.reduceMax(Tensor.scalar(7f), null, true));
    }

    @Test
    void reducingAnEmptySetGivesTheIdentity() {
        Tensor x = Tensor.zeros(DType.FLOAT32, 2, 0, 3);
        assertFloats(new float[6], Reductions.reduceSum(x, new int[] {1}, false), 2, 3);
        Tensor p = Reductions.reduceProd(x, new int[] {1}, true);
        assertArrayEquals(new int[] {2, 1, 3}, p.shape());
        assertTrue(Arrays.equals(new float[] {1, 1, 1, 1, 1, 1}, p.floats()));
        assertEquals(Float.NEGATIVE_INFINITY, Reductions.reduceMax(x, new int[] {1}, false).floats()[0]);
        assertTrue(Float.isNaN(Reductions.reduceMean(x, new int[] {1}, false).floats()[0]));
        assertLongs(new long[] {-128, -128}, Reductions.reduceMax(Tensor.zeros(DType.INT8, 2, 0), new int[] {1},
                false), 2);
        assertArrayEquals(new int[] {0}, Reductions.reduceSum(Tensor.zeros(DType.FLOAT32, 0, 4), new int[] {1},
                false).shape());
    }

    @Test
    void integerReductions() {
        Random r = new Random(13);
        Tensor x = randomInts(r, DType.INT32, -1000, 1000, 4, 5, 6);
        Tensor sum = Reductions.reduceSum(x, new int[] {0, 2}, false);
        assertEquals(DType.INT32, sum.dtype());
        for (int j = 0; j < 5; j++) {
            long s = 0;
            for (int i = 0; i < 4; i++) {
                for (int k = 0; k < 6; k++) {
                    s += x.ints()[(i * 5 + j) * 6 + k];
                }
            }
            assertEquals(s, sum.ints()[j]);
        }
        Tensor t = Tensor.ofInts(new int[] {-7, 2, 7, 2}, 2, 2);
        assertLongs(new long[] {-2, 4}, Reductions.reduceMean(t, new int[] {1}, false), 2); // truncates
        Tensor u = Tensor.ofBytes(DType.UINT8, new byte[] {(byte) 200, 100, 3, (byte) 255}, 2, 2);
        assertLongs(new long[] {200, 255}, Reductions.reduceMax(u, new int[] {1}, false), 2);
        assertLongs(new long[] {44, 2}, Reductions.reduceSum(u, new int[] {1}, false), 2); // wraps to uint8
        assertLongs(new long[] {Long.MAX_VALUE - 1}, Reductions.reduceSum(Tensor.vector(Long.MAX_VALUE, -1), null,
                false));
        assertT2c(() -> Reductions.reduce(t, Reduction.LOG_SUM_EXP, null, true, false), "FLOAT32");
    }

    @Test
    void argMaxAndArgMin() {
        Tensor x = Tensor.of(new float[] {2, 1, 2, 5, 5, 0}, 2, 3);
        assertLongs(new long[] {0, 0}, Reductions.argMax(x, 1, false, false), 2);
        assertLongs(new long[] {2, 1}, Reductions.argMax(x, -1, false, true), 2);
        assertLongs(new long[] {1, 2}, Reductions.argMin(x, 1, false, false), 2);
        assertLongs(new long[] {1, 1, 0}, Reductions.argMax(x, 0, true, false), 1, 3);
        assertEquals(DType.INT64, Reductions.argMax(x, 0, true, false).dtype());
        Random r = new Random(14);
        Tensor y = randomFloats(r, -1, 1, 3, 7, 4);
        Tensor am = Reductions.argMax(y, 1, true, false);
        assertArrayEquals(new int[] {3, 1, 4}, am.shape());
        for (int i = 0; i < 3; i++) {
            for (int k = 0; k < 4; k++) {
                int best = 0;
                for (int j = 1; j < 7; j++) {
                    if (y.floats()[(i * 7 + j) * 4 + k] > y.floats()[(i * 7 + best) * 4 + k]) {
                        best = j;
                    }
                }
                assertEquals(best, am.longs()[i * 4 + k]);
            }
        }
        assertLongs(new long[] {1}, Reductions.argMax(Tensor.ofBytes(DType.INT8, new byte[] {-5, 3, -128}, 3), 0,
                false, false));
        assertT2c(() -> Reductions.argMax(Tensor.zeros(DType.FLOAT32, 2, 0), 1, true, false), "empty");
    }

    @Test
    void badAxesAreReported() {
        Tensor x = Tensor.zeros(DType.FLOAT32, 2, 3);
        assertT2c(() -> Reductions.reduceSum(x, new int[] {2}, true), "axis 2", "rank 2");
        assertT2c(() -> Reductions.reduceSum(x, new int[] {0, -2}, true), "twice");
        assertT2c(() -> Reductions.argMax(x, -3, true, false), "axis -3");
    }
}
