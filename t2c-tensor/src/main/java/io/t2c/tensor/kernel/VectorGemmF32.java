package io.t2c.tensor.kernel;

/**
 * {@link GemmF32} on the Vector API. Two paths, chosen per call:
 * <ul>
 *   <li>the packed engine ({@link PanelGemm}): BLIS-style panels, a 6×(2 vectors) register-tiled micro-kernel,
 *       blocking over K, M and N, split over threads with {@link Parallel};
 *   <li>for calls with at most {@value #SMALL_ROWS} rows (GEMV-like layers at batch 1) or at most 16 K
 *       multiply-adds, unpacked loops ({@link SmallGemm}) that skip the packing cost, unless B is pre-packed.
 * </ul>
 * Packed operands use panels of {@link PanelGemm#MR} rows (A) and {@link PanelGemm#NR} columns (B). Obtain it from
 * {@link Kernels#get()} (or {@link Kernels#vector()}).
 */
public final class VectorGemmF32 implements GemmF32 {
    /** Calls with at most this many rows skip packing ({@link SmallGemm}); so do all calls below {@link #smallWork}. */
    static final int SMALL_ROWS = 4;
    /**
     * Multiply-adds below which a call skips packing. Not final so tests can send every shape through the packed
     * engine (0) or the small path (Long.MAX_VALUE).
     */
    static long smallWork = 16 * 1024;
    /** Row limit for the small path; tests may set it like {@link #smallWork}. */
    static int smallRows = SMALL_ROWS;

    VectorGemmF32() {}

    private static boolean small(int m, long work) {
        return m <= smallRows || work <= smallWork;
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, int lda,
                     float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        Checks.gemm(transA, transB, m, n, k, a.length, aOff, lda, b.length, bOff, ldb, c.length, cOff, ldc);
        if (k == 0) {
            zeroUnlessAccumulate(m, n, c, cOff, ldc, accumulate);
            return;
        }
        if (small(m, (long) m * n * k) && !(transA && transB)) {
            if (transB) {
                SmallGemm.dots(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
            } else {
                SmallGemm.rows(transA, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
            }
            return;
        }
        PanelGemm.run(m, n, k, Integer.MAX_VALUE, new PanelGemm.MatrixA(transA, a, aOff, lda),
                new PanelGemm.MatrixB(transB, b, bOff, ldb), new PanelGemm.F32Sink(c, cOff, ldc), accumulate);
    }

    @Override
    public PackedA packA(boolean transA, int m, int k, float[] a, int aOff, int lda) {
        Checks.dims(m, 0, k);
        Checks.matrix(transA ? "A (transposed)" : "A", a.length, aOff, lda, transA ? k : m, transA ? m : k);
        float[] data = new float[Packing.panels(m, PanelGemm.MR) * k * PanelGemm.MR];
        PanelGemm.packA(transA, a, aOff, lda, 0, m, 0, k, data, 0);
        return new PackedA(data, m, k, PanelGemm.MR, this);
    }

    @Override
    public PackedB packB(boolean transB, int k, int n, float[] b, int bOff, int ldb) {
        Checks.dims(0, n, k);
        Checks.matrix(transB ? "B (transposed)" : "B", b.length, bOff, ldb, transB ? n : k, transB ? k : n);
        float[] data = new float[Packing.panels(n, PanelGemm.NR) * k * PanelGemm.NR];
        PanelGemm.packB(transB, b, bOff, ldb, 0, k, 0, n, data, 0);
        return new PackedB(data, k, n, PanelGemm.NR, this);
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
        if (k == 0) {
            zeroUnlessAccumulate(m, n, c, cOff, ldc, accumulate);
            return;
        }
        PanelGemm.run(m, n, k, Integer.MAX_VALUE, new PanelGemm.Prepacked(a.data, k * PanelGemm.MR),
                new PanelGemm.MatrixB(transB, b, bOff, ldb), new PanelGemm.F32Sink(c, cOff, ldc), accumulate);
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
        if (k == 0) {
            zeroUnlessAccumulate(m, n, c, cOff, ldc, accumulate);
            return;
        }
        // Every row count goes through the packed engine, even one row (5/6 of its tile wasted): a layer called once
        // per inference, like a CNN's classifier, would otherwise run in a loop of its own that the JIT leaves
        // interpreted-and-profiled for hundreds of calls, while the engine's kernel is hot from the convs.
        PanelGemm.run(m, n, k, Integer.MAX_VALUE, new PanelGemm.MatrixA(transA, a, aOff, lda),
                new PanelGemm.Prepacked(b.data, k * PanelGemm.NR), new PanelGemm.F32Sink(c, cOff, ldc), accumulate);
    }

    static void zeroUnlessAccumulate(int m, int n, float[] c, int cOff, int ldc, boolean accumulate) {
        if (!accumulate) {
            for (int i = 0; i < m; i++) {
                java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
            }
        }
    }
}
