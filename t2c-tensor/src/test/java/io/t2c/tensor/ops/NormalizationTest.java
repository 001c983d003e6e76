package io.t2c.tensor.ops;

import static io.t2c.tensor.ops.OpsTesting.assertClose;
import static io.t2c.tensor.ops.OpsTesting.assertT2c;
import static io.t2c.tensor.ops.OpsTesting.bothPaths;
import static io.t2c.tensor.ops.OpsTesting.randomFloats;
import static io.t2c.tensor.ops.OpsTesting.unravel;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NormalizationTest {
    /** The BatchNorm-gradient pieces against float64 loops, on odd planes (vector tails) and a parallel-sized one. */
    @Test
    void batchNormGradientPiecesMatchFloat64OnBothPaths() {
        Random r = new Random(11);
        bothPaths(() -> {
            for (int[] shape : new int[][] {{2, 3, 5, 7}, {3, 2, 17}, {4, 5, 33, 33}, {1, 1, 1}}) {
                Tensor x = randomFloats(r, -3, 5, shape);
                Tensor g = randomFloats(r, -2, 2, shape);
                int n = shape[0];
                int c = shape[1];
                int plane = x.size() / (n * c);
                double[] mean = new double[c];
                float[] a = new float[c];
                float[] b = new float[c];
                float[] d = new float[c];
                for (int ch = 0; ch < c; ch++) {
                    mean[ch] = r.nextGaussian();
                    a[ch] = (float) r.nextGaussian();
                    b[ch] = (float) r.nextGaussian();
                    d[ch] = (float) r.nextGaussian();
                }
                double[][] sums = Normalization.channelGradientSums(x, g, mean);
                Tensor out = Normalization.channelLinearCombination(g, x, a, b, d);
                for (int ch = 0; ch < c; ch++) {
                    double sg = 0;
                    double sgx = 0;
                    double mag = 0;
                    for (int i = 0; i < n; i++) {
                        for (int j = 0; j < plane; j++) {
                            int k = (i * c + ch) * plane + j;
                            double gv = g.floats()[k];
                            sg += gv;
                            sgx += gv * (x.floats()[k] - (float) mean[ch]);
                            mag += Math.abs(gv) * (1 + Math.abs(x.floats()[k] - mean[ch]));
                            double want = a[ch] * gv + b[ch] * (double) x.floats()[k] + d[ch];
                            double tol = 1e-6 * (Math.abs(a[ch] * gv) + Math.abs(b[ch] * x.floats()[k]) + Math.abs(d[ch]));
                            assertEquals(want, out.floats()[k], tol, "linear combination at " + k);
                        }
                    }
                    assertEquals(sg, sums[0][ch], 1e-5 * mag, "sum of g, channel " + ch);
                    assertEquals(sgx, sums[1][ch], 1e-5 * mag, "sum of g·(x − mean), channel " + ch);
                }
            }
        });
    }

    @Test
    void batchNormMatchesDefinition() {
        Random r = new Random(41);
        bothPaths(() -> {
            for (int[] shape : new int[][] {{4, 3}, {2, 3, 5, 7}, {1, 3, 2, 3, 37}}) {
                int c = shape[1];
                Tensor x = randomFloats(r, -3, 3, shape);
                Tensor scale = randomFloats(r, 0.5, 2, c);
                Tensor bias = randomFloats(r, -1, 1, c);
                Tensor mean = randomFloats(r, -1, 1, c);
                Tensor var = randomFloats(r, 0.1, 3, c);
                Tensor y = Normalization.batchNormInference(x, scale, bias, mean, var, 1e-3);
                int plane = x.size() / (shape[0] * c);
                assertClose(i -> {
                    int ch = (i / plane) % c;
                    return (x.floats()[i] - mean.floats()[ch]) / Math.sqrt(var.floats()[ch] + 1e-3)
                            * scale.floats()[ch] + bias.floats()[ch];
                }, y, 1e-6, 1e-6, "batchNorm");
            }
        });
        assertT2c(() -> Normalization.batchNormInference(Tensor.zeros(DType.FLOAT32, 2, 3, 4),
                Tensor.zeros(DType.FLOAT32, 4), Tensor.zeros(DType.FLOAT32, 3), Tensor.zeros(DType.FLOAT32, 3),
                Tensor.zeros(DType.FLOAT32, 3), 1e-5), "scale", "3 elements", "[2, 3, 4]", "[4]");
    }

    /** Float64 normalization of {@code x} over each row of {@code inner} elements. */
    private static double[] normalizeRows(float[] x, int inner, double eps) {
        double[] out = new double[x.length];
        for (int off = 0; off < x.length; off += inner) {
            double m = 0;
            for (int i = 0; i < inner; i++) {
                m += x[off + i];
            }
            m /= inner;
            double v = 0;
            for (int i = 0; i < inner; i++) {
                v += (x[off + i] - m) * (x[off + i] - m);
            }
            v /= inner;
            for (int i = 0; i < inner; i++) {
                out[off + i] = (x[off + i] - m) / Math.sqrt(v + eps);
            }
        }
        return out;
    }

    @Test
    void layerNormOverTrailingDims() {
        Random r = new Random(42);
        bothPaths(() -> {
            int[] shape = {3, 4, 37};
            Tensor x = randomFloats(r, -4, 6, shape);
            for (int axis : new int[] {-1, 1, 0, -2}) {
                int a = axis < 0 ? axis + 3 : axis;
                int[] norm = java.util.Arrays.copyOfRange(shape, a, 3);
                int inner = OpsTesting.numel(norm);
                Tensor scale = randomFloats(r, 0.5, 2, norm);
                Tensor bias = randomFloats(r, -1, 1, norm);
                double[] n = normalizeRows(x.floats(), inner, 1e-5);
                Normalization.LayerNormOutput o = Normalization.layerNormWithStats(x, scale, bias, axis, 1e-5);
                assertClose(i -> n[i] * scale.floats()[i % inner] + bias.floats()[i % inner], o.y(), 1e-5, 1e-5,
                        "layerNorm axis " + axis);
                Tensor noBias = Normalization.layerNorm(x, scale, null, axis, 1e-5);
                assertClose(i -> n[i] * scale.floats()[i % inner], noBias, 1e-5, 1e-5, "layerNorm no bias");
                int[] stat = shape.clone();
                java.util.Arrays.fill(stat, a, 3, 1);
                assertArrayEquals(stat, o.mean().shape());
                assertArrayEquals(stat, o.invStdDev().shape());
            }
            // scale broadcast over the normalized shape [4, 37] from [37]
            Tensor s37 = randomFloats(r, 0.5, 2, 37);
            double[] n = normalizeRows(x.floats(), 4 * 37, 1e-5);
            assertClose(i -> n[i] * s37.floats()[i % 37], Normalization.layerNorm(x, s37, null, 1, 1e-5), 1e-5, 1e-5,
                    "layerNorm broadcast scale");
        });
        Tensor x = Tensor.zeros(DType.FLOAT32, 2, 5);
        assertT2c(() -> Normalization.layerNorm(x, Tensor.zeros(DType.FLOAT32, 4), null, -1, 1e-5), "scale", "[4]",
                "[5]");
        assertT2c(() -> Normalization.layerNorm(x, Tensor.zeros(DType.FLOAT32, 5), null, 2, 1e-5), "axis 2");
    }

    @Test
    void instanceNormPerPlane() {
        Random r = new Random(43);
        bothPaths(() -> {
            Tensor x = randomFloats(r, -2, 5, 2, 3, 5, 7);
            Tensor scale = randomFloats(r, 0.5, 2, 3);
            Tensor bias = randomFloats(r, -1, 1, 3);
            double[] n = normalizeRows(x.floats(), 35, 1e-5);
            assertClose(i -> n[i] * scale.floats()[(i / 35) % 3] + bias.floats()[(i / 35) % 3],
                    Normalization.instanceNorm(x, scale, bias, 1e-5), 1e-5, 1e-5, "instanceNorm");
        });
        assertT2c(() -> Normalization.instanceNorm(Tensor.zeros(DType.FLOAT32, 2, 3), Tensor.zeros(DType.FLOAT32, 3),
                Tensor.zeros(DType.FLOAT32, 3), 1e-5), "rank >= 3");
    }

    @Test
    void softmaxAndLogSoftmaxAlongAnyAxis() {
        Random r = new Random(44);
        bothPaths(() -> {
            int[] shape = {3, 5, 67};
            Tensor x = randomFloats(r, -20, 20, shape);
            for (int axis : new int[] {-1, 1, 0}) {
                int a = axis < 0 ? axis + 3 : axis;
                Tensor sm = Normalization.softmax(x, axis);
                Tensor lsm = Normalization.logSoftmax(x, axis);
                double[] lse = new double[x.size()];
                for (int i = 0; i < x.size(); i++) {
                    int[] idx = unravel(i, shape);
                    double m = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < shape[a]; j++) {
                        idx[a] = j;
                        m = Math.max(m, x.floats()[OpsTesting.ravel(idx, shape)]);
                    }
                    double s = 0;
                    for (int j = 0; j < shape[a]; j++) {
                        idx[a] = j;
                        s += Math.exp(x.floats()[OpsTesting.ravel(idx, shape)] - m);
                    }
                    lse[i] = m + Math.log(s);
                }
                assertClose(i -> Math.exp(x.floats()[i] - lse[i]), sm, 1e-7, 1e-5, "softmax axis " + axis);
                assertClose(i -> x.floats()[i] - lse[i], lsm, 1e-5, 1e-6, "logSoftmax axis " + axis);
            }
            // stable for huge values, and a row of -inf except one
            Tensor big = Tensor.of(new float[] {10000, 10001, 10002, 10003, Float.NEGATIVE_INFINITY, 0}, 2, 3);
            Tensor s = Normalization.softmax(big, 1);
            assertClose(i -> new double[] {0.09003057, 0.24472847, 0.66524096, 1, 0, 0}[i], s, 1e-7, 1e-6, "big");
            assertEquals(-0.40760596f, Normalization.logSoftmax(big, 1).floats()[2], 1e-6f);
        });
        assertT2c(() -> Normalization.softmax(Tensor.zeros(DType.FLOAT32, 2, 3), 2), "axis 2");
        assertT2c(() -> Normalization.softmax(Tensor.zeros(DType.INT32, 2, 3), 1), "Softmax", "FLOAT32");
    }
}
