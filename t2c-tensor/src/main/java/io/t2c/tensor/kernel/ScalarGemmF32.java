package io.t2c.tensor.kernel;

/**
 * Reference {@link GemmF32}: plain loops, one thread, float accumulation in {@code p} order starting from C (or 0).
 * Packed operands use a panel width of {@value #WIDTH}.
 */
public final class ScalarGemmF32 implements GemmF32 {
    static final int WIDTH = 8;

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, int lda,
                     float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        Checks.gemm(transA, transB, m, n, k, a.length, aOff, lda, b.length, bOff, ldb, c.length, cOff, ldc);
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * ldc;
            if (!accumulate) {
                for (int j = 0; j < n; j++) {
                    c[ci + j] = 0f;
                }
            }
            for (int p = 0; p < k; p++) {
                float aip = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                if (transB) {
                    for (int j = 0; j < n; j++) {
                        c[ci + j] += aip * b[bOff + j * ldb + p];
                    }
                } else {
                    int bp = bOff + p * ldb;
                    for (int j = 0; j < n; j++) {
                        c[ci + j] += aip * b[bp + j];
                    }
                }
            }
        }
    }

    @Override
    public PackedA packA(boolean transA, int m, int k, float[] a, int aOff, int lda) {
        Checks.dims(m, 0, k);
        Checks.matrix(transA ? "A (transposed)" : "A", a.length, aOff, lda, transA ? k : m, transA ? m : k);
        float[] data = new float[Packing.panels(m, WIDTH) * k * WIDTH];
        Packing.packA(transA, a, aOff, lda, 0, m, 0, k, WIDTH, data, 0);
        return new PackedA(data, m, k, WIDTH, this);
    }

    @Override
    public PackedB packB(boolean transB, int k, int n, float[] b, int bOff, int ldb) {
        Checks.dims(0, n, k);
        Checks.matrix(transB ? "B (transposed)" : "B", b.length, bOff, ldb, transB ? n : k, transB ? k : n);
        float[] data = new float[Packing.panels(n, WIDTH) * k * WIDTH];
        Packing.packB(transB, b, bOff, ldb, 0, k, 0, n, WIDTH, data, 0);
        return new PackedB(data, k, n, WIDTH, this);
    }

    @Override
    public void gemm(PackedA a, boolean transB, int n, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc,
                     boolean accumulate) {
        a.checkOwner(this);
        int m = a.rows;
        int k = a.depth;
        Checks.dims(m, n, k);
        Checks.matrix(transB ? "B (transposed)" : "B", b.length, bOff, ldb, transB ? n : k, transB ? k : n);
        Checks.matrix("C", c.length, cOff, ldc, m, n);
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * ldc;
            if (!accumulate) {
                for (int j = 0; j < n; j++) {
                    c[ci + j] = 0f;
                }
            }
            int ap = (i / WIDTH) * k * WIDTH + i % WIDTH;
            for (int p = 0; p < k; p++) {
                float aip = a.data[ap + p * WIDTH];
                for (int j = 0; j < n; j++) {
                    c[ci + j] += aip * (transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j]);
                }
            }
        }
    }

    @Override
    public void gemm(boolean transA, int m, float[] a, int aOff, int lda, PackedB b, float[] c, int cOff, int ldc,
                     boolean accumulate) {
        b.checkOwner(this);
        int n = b.cols;
        int k = b.depth;
        Checks.dims(m, n, k);
        Checks.matrix(transA ? "A (transposed)" : "A", a.length, aOff, lda, transA ? k : m, transA ? m : k);
        Checks.matrix("C", c.length, cOff, ldc, m, n);
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * ldc;
            if (!accumulate) {
                for (int j = 0; j < n; j++) {
                    c[ci + j] = 0f;
                }
            }
            for (int p = 0; p < k; p++) {
                float aip = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                for (int j = 0; j < n; j++) {
                    c[ci + j] += aip * b.data[(j / WIDTH) * k * WIDTH + p * WIDTH + j % WIDTH];
                }
            }
        }
    }
}
