package io.t2c.tensor.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Plain float64 references and helpers for the kernel tests. Deliberately independent of every kernel: the
 * reference loops here are written from the ONNX definitions, not copied from the Scalar implementations.
 */
final class Ref {
    private Ref() {}

    /** Both kernel sets; the vector one must exist in the test JVM (surefire adds the incubator module). */
    static Stream<Kernels> both() {
        return Stream.of(Kernels.scalar(), Kernels.vector().orElseThrow(
                () -> new AssertionError("vector kernels unavailable: run tests with --add-modules jdk.incubator.vector")));
    }

    static List<Kernels> bothList() {
        return both().toList();
    }

    /** Lanes of the vector species, for choosing sizes around vector multiples. */
    static int lanes() {
        return VectorConstants.FLOAT_LANES;
    }

    static float[] randomFloats(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextGaussian());
        }
        return a;
    }

    static byte[] randomBytes(Random r, int n) {
        byte[] a = new byte[n];
        r.nextBytes(a);
        return a;
    }

    /** Dense float64 GEMM: returns {@code c0 (or 0) + op(A)·op(B)} and the magnitude {@code Σ|a·b|} per element. */
    static double[][] gemm(boolean ta, boolean tb, int m, int n, int k, float[] a, int aOff, int lda,
                           float[] b, int bOff, int ldb, float[] c0, int cOff, int ldc, boolean accumulate) {
        double[] val = new double[m * n];
        double[] mag = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = accumulate ? c0[cOff + i * ldc + j] : 0;
                double g = Math.abs(s);
                for (int p = 0; p < k; p++) {
                    double av = ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    double bv = tb ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    s += av * bv;
                    g += Math.abs(av * bv);
                }
                val[i * n + j] = s;
                mag[i * n + j] = g;
            }
        }
        return new double[][] {val, mag};
    }

    /**
     * Asserts {@code |got − want| ≤ 1e-5·sqrt(depth)·magnitude} element-wise (plus a tiny absolute floor), where
     * magnitude is the sum of absolute terms that made the element.
     */
    static void assertClose(String what, double[] want, double[] mag, int depth, FloatReader got) {
        double tol = 1e-5 * Math.sqrt(Math.max(1, depth));
        for (int i = 0; i < want.length; i++) {
            double g = got.get(i);
            double err = Math.abs(g - want[i]);
            if (!(err <= tol * mag[i] + 1e-30) || Double.isNaN(g)) {
                fail(what + ": element " + i + " is " + g + ", expected " + want[i] + " (error " + err
                        + ", allowed " + tol * mag[i] + ")");
            }
        }
    }

    @FunctionalInterface
    interface FloatReader {
        double get(int i);
    }

    /** Float64 Conv per the ONNX definition; returns {value, magnitude} over the output. */
    static double[][] conv2d(Conv2dParams p, float[] x, float[] w, float[] bias) {
        int oh = p.outH();
        int ow = p.outW();
        int cg = p.inChannels() / p.groups();
        int ocg = p.outChannels() / p.groups();
        int size = p.batch() * p.outChannels() * oh * ow;
        double[] val = new double[size];
        double[] mag = new double[size];
        int idx = 0;
        for (int n = 0; n < p.batch(); n++) {
            for (int o = 0; o < p.outChannels(); o++) {
                int g = o / ocg;
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++, idx++) {
                        double s = bias == null ? 0 : bias[o];
                        double mg = Math.abs(s);
                        for (int c = 0; c < cg; c++) {
                            for (int u = 0; u < p.kernelH(); u++) {
                                for (int v = 0; v < p.kernelW(); v++) {
                                    int yy = i * p.strideH() + u * p.dilationH() - p.padTop();
                                    int xx = j * p.strideW() + v * p.dilationW() - p.padLeft();
                                    if (yy < 0 || xx < 0 || yy >= p.inH() || xx >= p.inW()) {
                                        continue;
                                    }
                                    double t = (double) x[((n * p.inChannels() + g * cg + c) * p.inH() + yy) * p.inW() + xx]
                                            * w[((o * cg + c) * p.kernelH() + u) * p.kernelW() + v];
                                    s += t;
                                    mg += Math.abs(t);
                                }
                            }
                        }
                        val[idx] = s;
                        mag[idx] = mg;
                    }
                }
            }
        }
        return new double[][] {val, mag};
    }

    /**
     * Float64 Conv weight gradient, {@code Σ_{n, i < outH, j < outW} gy[n, o, i, j] · x[n, g·Cg + c, i·sH + u·dH −
     * padTop, j·sW + v·dW − padLeft]}, written as a scatter over the positions; returns {value, magnitude} over w.
     */
    static double[][] convWeightGradient(Conv2dParams p, float[] x, float[] gy, int outH, int outW) {
        int cg = p.inChannels() / p.groups();
        int ocg = p.outChannels() / p.groups();
        int size = p.outChannels() * cg * p.kernelH() * p.kernelW();
        double[] val = new double[size];
        double[] mag = new double[size];
        for (int n = 0; n < p.batch(); n++) {
            for (int o = 0; o < p.outChannels(); o++) {
                int g = o / ocg;
                for (int i = 0; i < outH; i++) {
                    for (int j = 0; j < outW; j++) {
                        double d = gy[((n * p.outChannels() + o) * outH + i) * outW + j];
                        for (int c = 0; c < cg; c++) {
                            for (int u = 0; u < p.kernelH(); u++) {
                                for (int v = 0; v < p.kernelW(); v++) {
                                    int yy = i * p.strideH() + u * p.dilationH() - p.padTop();
                                    int xx = j * p.strideW() + v * p.dilationW() - p.padLeft();
                                    if (yy < 0 || xx < 0 || yy >= p.inH() || xx >= p.inW()) {
                                        continue;
                                    }
                                    double t = d * x[((n * p.inChannels() + g * cg + c) * p.inH() + yy) * p.inW() + xx];
                                    int k = ((o * cg + c) * p.kernelH() + u) * p.kernelW() + v;
                                    val[k] += t;
                                    mag[k] += Math.abs(t);
                                }
                            }
                        }
                    }
                }
            }
        }
        return new double[][] {val, mag};
    }

    /**
     * Float64 Conv input gradient: every output position and tap adds {@code gy · w} to the input element it read;
     * returns {value, magnitude} over x.
     */
    static double[][] convInputGradient(Conv2dParams p, float[] gy, float[] w) {
        int cg = p.inChannels() / p.groups();
        int ocg = p.outChannels() / p.groups();
        int size = (int) p.inputSize();
        double[] val = new double[size];
        double[] mag = new double[size];
        for (int n = 0; n < p.batch(); n++) {
            for (int o = 0; o < p.outChannels(); o++) {
                int g = o / ocg;
                for (int i = 0; i < p.outH(); i++) {
                    for (int j = 0; j < p.outW(); j++) {
                        double d = gy[((n * p.outChannels() + o) * p.outH() + i) * p.outW() + j];
                        for (int c = 0; c < cg; c++) {
                            for (int u = 0; u < p.kernelH(); u++) {
                                for (int v = 0; v < p.kernelW(); v++) {
                                    int yy = i * p.strideH() + u * p.dilationH() - p.padTop();
                                    int xx = j * p.strideW() + v * p.dilationW() - p.padLeft();
                                    if (yy < 0 || xx < 0 || yy >= p.inH() || xx >= p.inW()) {
                                        continue;
                                    }
                                    double t = d * w[((o * cg + c) * p.kernelH() + u) * p.kernelW() + v];
                                    int k = ((n * p.inChannels() + g * cg + c) * p.inH() + yy) * p.inW() + xx;
                                    val[k] += t;
                                    mag[k] += Math.abs(t);
                                }
                            }
                        }
                    }
                }
            }
        }
        return new double[][] {val, mag};
    }

    /**
     * Float64 ConvTranspose per the ONNX definition, written as a gather (for each output, sum the inputs that
     * reach it) rather than the scatter the kernels use.
     */
    static double[][] convTranspose2d(ConvTranspose2dParams p, float[] x, float[] w, float[] bias) {
        int oh = p.outH();
        int ow = p.outW();
        int cg = p.inChannels() / p.groups();
        int ocg = p.outChannels() / p.groups();
        int size = p.batch() * p.outChannels() * oh * ow;
        double[] val = new double[size];
        double[] mag = new double[size];
        int idx = 0;
        for (int n = 0; n < p.batch(); n++) {
            for (int o = 0; o < p.outChannels(); o++) {
                int g = o / ocg;
                int ol = o % ocg;
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++, idx++) {
                        double s = bias == null ? 0 : bias[o];
                        double mg = Math.abs(s);
                        for (int u = 0; u < p.kernelH(); u++) {
                            int ty = oy + p.padTop() - u * p.dilationH();
                            if (ty < 0 || ty % p.strideH() != 0 || ty / p.strideH() >= p.inH()) {
                                continue;
                            }
                            int i = ty / p.strideH();
                            for (int v = 0; v < p.kernelW(); v++) {
                                int tx = ox + p.padLeft() - v * p.dilationW();
                                if (tx < 0 || tx % p.strideW() != 0 || tx / p.strideW() >= p.inW()) {
                                    continue;
                                }
                                int j = tx / p.strideW();
                                for (int c = 0; c < cg; c++) {
                                    int ci = g * cg + c;
                                    double t = (double) x[((n * p.inChannels() + ci) * p.inH() + i) * p.inW() + j]
                                            * w[((ci * ocg + ol) * p.kernelH() + u) * p.kernelW() + v];
                                    s += t;
                                    mg += Math.abs(t);
                                }
                            }
                        }
                        val[idx] = s;
                        mag[idx] = mg;
                    }
                }
            }
        }
        return new double[][] {val, mag};
    }

    /** Runs {@code body} with every GEMM above zero work split over threads, so small tests cover the split. */
    static void threaded(Runnable body) {
        long saved = PanelGemm.parallelMinWork;
        PanelGemm.parallelMinWork = 0;
        try {
            body.run();
        } finally {
            PanelGemm.parallelMinWork = saved;
        }
    }

    static void check(boolean cond, String msg) {
        assertTrue(cond, msg);
    }
}
