package io.t2c.tensor.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link ConvTranspose2dF32} as GEMM + col2im: per (image, group),
 * {@code col[ocg·kh·kw × inH·inW] = Wgᵀ · Xg} on the vector GEMM (weights packed once per call), then each column
 * row is added into the output at its (u, v) offset — contiguous vector adds when the horizontal stride is 1.
 * Threads: inside the GEMM, then over output channels for col2im (or over (image, group) pairs when plentiful).
 */
final class VectorConvTranspose2dF32 implements ConvTranspose2dF32 {
    private static final VectorSpecies<Float> S = PanelGemm.S;
    private static final int L = PanelGemm.L;

    private final VectorGemmF32 gemm;

    VectorConvTranspose2dF32(VectorGemmF32 gemm) {
        this.gemm = gemm;
    }

    @Override
    public void convTranspose2d(ConvTranspose2dParams p, float[] x, float[] w, float[] bias, float[] y) {
        p.checkArrays(x, w, bias, y);
        if (p.batch() == 0) {
            return;
        }
        int groups = p.groups();
        int cg = p.groupInChannels();
        int ocg = p.groupOutChannels();
        int kk = p.kernelH() * p.kernelW();
        int m = ocg * kk;
        int hw = p.inH() * p.inW();
        int ohw = p.outH() * p.outW();
        PackedA[] packed = new PackedA[groups];
        for (int g = 0; g < groups; g++) {
            // w[g·cg + c, o, u, v] is a cg × (ocg·kk) matrix; its transpose is the left operand.
            packed[g] = gemm.packA(true, m, cg, w, g * cg * m, m);
        }
        int tasks = p.batch() * groups;
        boolean outer = VectorConv2dF32.splitOuter(tasks, (long) m * hw * cg);
        Parallel.RangeBody body = (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                int img = t / groups;
                int g = t % groups;
                float[] col = ThreadBuffers.get(ThreadBuffers.COLUMNS, (long) m * hw);
                gemm.gemm(packed[g], false, hw, x, (img * p.inChannels() + g * cg) * hw, hw, col, 0, hw, false);
                int yBase = (img * p.outChannels() + g * ocg) * ohw;
                Parallel.forRange(ocg, outer ? ocg : 1, (o0, o1) -> {
                    for (int o = o0; o < o1; o++) {
                        float b = bias == null ? 0f : bias[g * ocg + o];
                        java.util.Arrays.fill(y, yBase + o * ohw, yBase + (o + 1) * ohw, b);
                        col2im(p, col, o * kk * hw, y, yBase + o * ohw);
                    }
                });
            }
        };
        if (outer) {
            Parallel.forRange(tasks, 1, body);
        } else {
            body.run(0, tasks);
        }
    }

    /** Adds the kh·kw column rows of one output channel (at {@code col[c0...]}) into its output plane. */
    private static void col2im(ConvTranspose2dParams p, float[] col, int c0, float[] y, int yOff) {
        int h = p.inH();
        int w = p.inW();
        int oh = p.outH();
        int ow = p.outW();
        int sw = p.strideW();
        int r = c0;
        for (int u = 0; u < p.kernelH(); u++) {
            for (int v = 0; v < p.kernelW(); v++, r += h * w) {
                int ox0 = v * p.dilationW() - p.padLeft();
                // Input columns j with 0 <= j·sw + ox0 < ow.
                int jLo = ox0 >= 0 ? 0 : (-ox0 + sw - 1) / sw;
                int jHi = ow - ox0 <= 0 ? 0 : Math.min(w, (ow - ox0 + sw - 1) / sw);
                if (jLo >= jHi) {
                    continue;
                }
                for (int i = 0; i < h; i++) {
                    int oy = i * p.strideH() - p.padTop() + u * p.dilationH();
                    if (oy < 0 || oy >= oh) {
                        continue;
                    }
                    int src = r + i * w;
                    int dst = yOff + oy * ow + ox0;
                    if (sw == 1) {
                        int j = jLo;
                        for (int bound = jLo + S.loopBound(jHi - jLo); j < bound; j += L) {
                            FloatVector.fromArray(S, y, dst + j).add(FloatVector.fromArray(S, col, src + j))
                                    .intoArray(y, dst + j);
                        }
                        for (; j < jHi; j++) {
                            y[dst + j] += col[src + j];
                        }
                    } else {
                        for (int j = jLo; j < jHi; j++) {
                            y[dst + j * sw] += col[src + j];
                        }
                    }
                }
            }
        }
    }
}
