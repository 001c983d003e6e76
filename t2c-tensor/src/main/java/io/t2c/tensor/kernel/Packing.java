package io.t2c.tensor.kernel;

/**
 * Plain-loop packing of GEMM operands into panels (see {@link PackedA} / {@link PackedB} for the layout). Used by the
 * scalar kernels and as the generic path of the vector ones; it only moves data, so it is exact.
 */
final class Packing {
    private Packing() {}

    /**
     * Packs rows {@code [i0, i0+rows)} and depth {@code [k0, k0+kc)} of {@code op(A)} into {@code ceil(rows/width)}
     * panels of {@code kc×width} floats at {@code dst[dstOff...]}, zero-padding the last panel.
     */
    static void packA(boolean transA, float[] a, int aOff, int lda, int i0, int rows, int k0, int kc, int width,
                      float[] dst, int dstOff) {
        for (int p0 = 0; p0 < rows; p0 += width) {
            int rr = Math.min(width, rows - p0);
            int o = dstOff + (p0 / width) * kc * width;
            if (transA) {
                for (int kk = 0; kk < kc; kk++) {
                    int src = aOff + (k0 + kk) * lda + i0 + p0;
                    int d = o + kk * width;
                    for (int r = 0; r < rr; r++) {
                        dst[d + r] = a[src + r];
                    }
                    for (int r = rr; r < width; r++) {
                        dst[d + r] = 0f;
                    }
                }
            } else {
                for (int r = 0; r < rr; r++) {
                    int src = aOff + (i0 + p0 + r) * lda + k0;
                    for (int kk = 0; kk < kc; kk++) {
                        dst[o + kk * width + r] = a[src + kk];
                    }
                }
                for (int r = rr; r < width; r++) {
                    for (int kk = 0; kk < kc; kk++) {
                        dst[o + kk * width + r] = 0f;
                    }
                }
            }
        }
    }

    /**
     * Packs depth {@code [k0, k0+kc)} and columns {@code [j0, j0+cols)} of {@code op(B)} into {@code ceil(cols/width)}
     * panels of {@code kc×width} floats at {@code dst[dstOff...]}, zero-padding the last panel.
     */
    static void packB(boolean transB, float[] b, int bOff, int ldb, int k0, int kc, int j0, int cols, int width,
                      float[] dst, int dstOff) {
        for (int q0 = 0; q0 < cols; q0 += width) {
            int cc = Math.min(width, cols - q0);
            int o = dstOff + (q0 / width) * kc * width;
            if (transB) {
                for (int c = 0; c < cc; c++) {
                    int src = bOff + (j0 + q0 + c) * ldb + k0;
                    for (int kk = 0; kk < kc; kk++) {
                        dst[o + kk * width + c] = b[src + kk];
                    }
                }
                for (int c = cc; c < width; c++) {
                    for (int kk = 0; kk < kc; kk++) {
                        dst[o + kk * width + c] = 0f;
                    }
                }
            } else {
                for (int kk = 0; kk < kc; kk++) {
                    int src = bOff + (k0 + kk) * ldb + j0 + q0;
                    int d = o + kk * width;
                    System.arraycopy(b, src, dst, d, cc);
                    for (int c = cc; c < width; c++) {
                        dst[d + c] = 0f;
                    }
                }
            }
        }
    }

    /** Number of panels of {@code width} needed for {@code n} rows or columns. */
    static int panels(int n, int width) {
        return (n + width - 1) / width;
    }
}
