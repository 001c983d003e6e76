package io.t2c.tensor.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class GemmF32Test {

    /**
     * Runs one GEMM call on {@code gemm} with padded leading dimensions and offsets and checks every element of C
     * against the float64 reference, and that nothing outside the m×n window of C changed.
     */
    static void checkOne(GemmF32 gemm, Random r, boolean ta, boolean tb, int m, int n, int k, boolean accumulate,
                         int prepack) {
        int padA = r.nextInt(3);
        int padB = r.nextInt(3);
        int padC = r.nextInt(3);
        int aOff = r.nextInt(4);
        int bOff = r.nextInt(4);
        int cOff = r.nextInt(4);
        int lda = (ta ? m : k) + padA;
        int ldb = (tb ? k : n) + padB;
        int ldc = n + padC;
        float[] a = Ref.randomFloats(r, aOff + (ta ? k : m) * Math.max(lda, 1) + 3);
        float[] b = Ref.randomFloats(r, bOff + (tb ? n : k) * Math.max(ldb, 1) + 3);
        float[] c = Ref.randomFloats(r, cOff + m * ldc + 3);
        float[] c0 = c.clone();
        double[][] want = Ref.gemm(ta, tb, m, n, k, a, aOff, lda, b, bOff, ldb, c0, cOff, ldc, accumulate);
        String what = gemm.getClass().getSimpleName() + (ta ? " Aᵀ" : " A") + (tb ? "·Bᵀ " : "·B ") + m + "x" + n
                + "x" + k + (accumulate ? " +=" : " =") + (prepack == 1 ? " packedA" : prepack == 2 ? " packedB" : "");
        switch (prepack) {
            case 1 -> gemm.gemm(gemm.packA(ta, m, k, a, aOff, lda), tb, n, b, bOff, ldb, c, cOff, ldc, accumulate);
            case 2 -> gemm.gemm(ta, m, a, aOff, lda, gemm.packB(tb, k, n, b, bOff, ldb), c, cOff, ldc, accumulate);
            default -> gemm.gemm(ta, tb, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
        }
        Ref.assertClose(what, want[0], want[1], k, i -> c[cOff + (i / Math.max(n, 1)) * ldc + i % Math.max(n, 1)]);
        for (int i = 0; i < c.length; i++) {
            int rel = i - cOff;
            boolean inside = ldc > 0 && rel >= 0 && rel / ldc < m && rel % ldc < n;
            if (!inside) {
                assertEquals(c0[i], c[i], what + ": element " + i + " outside C was written");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("io.t2c.tensor.kernel.Ref#both")
    void edgeSizesAllTransposes(Kernels kernels) {
        GemmF32 gemm = kernels.gemmF32();
        int lanes = Ref.lanes();
        int[] ms = {0, 1, 5, 6, 7, 13};
        int[] ns = {0, 1, lanes - 1, lanes, lanes + 1, 2 * lanes - 1, 2 * lanes + 1, 3 * lanes + 3};
        int[] ks = {0, 1, 3, lanes + 1};
        Random r = new Random(1);
        for (int m : ms) {
            for (int n : ns) {
                for (int k : ks) {
                    for (int t = 0; t < 4; t++) {
                        checkOne(gemm, r, (t & 1) != 0, (t & 2) != 0, m, n, k, r.nextBoolean(), 0);
                    }
                }
            }
        }
    }

    /**
     * The vector GEMM has two paths, chosen by size: the unpacked small-GEMM loops and the packed engine. Force each
     * in turn over the edge sizes and a few larger shapes, so both see every tail.
     */
    @org.junit.jupiter.api.Test
    void vectorSmallAndPackedPathsBothCovered() {
        GemmF32 gemm = Kernels.vector().orElseThrow().gemmF32();
        long work = VectorGemmF32.smallWork;
        int rows = VectorGemmF32.smallRows;
        try {
            for (int mode = 0; mode < 2; mode++) {
                VectorGemmF32.smallWork = mode == 0 ? 0 : Long.MAX_VALUE;
                VectorGemmF32.smallRows = mode == 0 ? 0 : Integer.MAX_VALUE;
                Random r = new Random(5 + mode);
                int lanes = Ref.lanes();
                for (int m : new int[] {1, 3, 4, 5, 9}) {
                    for (int n : new int[] {1, lanes - 1, 2 * lanes, 2 * lanes + 1, 5 * lanes + 3}) {
                        for (int k : new int[] {1, 2, 5, 130, 300}) {
                            for (int t = 0; t < 4; t++) {
                                checkOne(gemm, r, (t & 1) != 0, (t & 2) != 0, m, n, k, r.nextBoolean(), r.nextInt(3));
                            }
                        }
                    }
                }
            }
        } finally {
            VectorGemmF32.smallWork = work;
            VectorGemmF32.smallRows = rows;
        }
    }

    @ParameterizedTest
    @MethodSource("io.t2c.tensor.kernel.Ref#both")
    void randomShapes(Kernels kernels) {
        Random r = new Random(2);
        for (int it = 0; it < 40; it++) {
            int m = 1 + r.nextInt(it < 30 ? 40 : 140);
            int n = 1 + r.nextInt(it < 30 ? 70 : 200);
            int k = 1 + r.nextInt(it < 30 ? 70 : 300);
            checkOne(kernels.gemmF32(), r, r.nextBoolean(), r.nextBoolean(), m, n, k, r.nextBoolean(), r.nextInt(3));
        }
    }

    /** Shapes that cross the K, M and N block sizes and are large enough to be split over threads. */
    @ParameterizedTest
    @MethodSource("io.t2c.tensor.kernel.Ref#both")
    void blockAndThreadBoundaries(Kernels kernels) {
        GemmF32 gemm = kernels.gemmF32();
        Random r = new Random(3);
        Ref.threaded(() -> {
            checkOne(gemm, r, false, false, PanelGemm.MC + 7, 70, PanelGemm.KC + 45, true, 0);
            checkOne(gemm, r, true, true, PanelGemm.MC + 7, 70, PanelGemm.KC + 45, false, 0);
            checkOne(gemm, r, false, true, 7, PanelGemm.NC + 40, 5, false, 0);
            checkOne(gemm, r, false, false, 130, 260, 64, false, 0);   // split over row panels
            checkOne(gemm, r, true, false, 300, 40, 100, true, 0);     // split over row panels
            checkOne(gemm, r, false, false, 130, 260, 64, true, 1);    // pre-packed A: split over column panels
            checkOne(gemm, r, false, true, 300, 40, 100, false, 2);    // pre-packed B: split over row panels
            checkOne(gemm, r, true, true, 9, 300, 400, false, 0);      // small A, cheap to pack twice: split over columns
        });
    }

    @ParameterizedTest
    @MethodSource("io.t2c.tensor.kernel.Ref#both")
    void packedOperandsAreReusable(Kernels kernels) {
        GemmF32 gemm = kernels.gemmF32();
        Random r = new Random(4);
        int m = 19;
        int n = 45;
        int k = 33;
        float[] w = Ref.randomFloats(r, m * k);
        PackedA pa = gemm.packA(false, m, k, w, 0, k);
        assertEquals(m, pa.rows());
        assertEquals(k, pa.depth());
        assertEquals(w[5 * k + 7], pa.get(5, 7));
        for (int call = 0; call < 2; call++) {
            float[] b = Ref.randomFloats(r, k * n);
            float[] c = new float[m * n];
            gemm.gemm(pa, false, n, b, 0, n, c, 0, n, false);
            double[][] want = Ref.gemm(false, false, m, n, k, w, 0, k, b, 0, n, c, 0, n, false);
            Ref.assertClose("packed A call " + call, want[0], want[1], k, i -> c[i]);
        }
        // Linear layer: Y[m×out] = X · Wᵀ with W[out×in] packed once as a transposed B.
        float[] wl = Ref.randomFloats(r, n * k);
        PackedB pb = gemm.packB(true, k, n, wl, 0, k);
        assertEquals(wl[3 * k + 2], pb.get(2, 3));
        for (int call = 0; call < 2; call++) {
            float[] x = Ref.randomFloats(r, m * k);
            float[] c = new float[m * n];
            gemm.gemm(false, m, x, 0, k, pb, c, 0, n, false);
            double[][] want = Ref.gemm(false, true, m, n, k, x, 0, k, wl, 0, k, c, 0, n, false);
            Ref.assertClose("packed B call " + call, want[0], want[1], k, i -> c[i]);
        }
    }

    /** Attention-like heads, with A per batch and B broadcast (stride 0), and with both per batch. */
    @ParameterizedTest
    @MethodSource("io.t2c.tensor.kernel.Ref#both")
    void batchedMatchesOneCallPerBatch(Kernels kernels) {
        GemmF32 gemm = kernels.gemmF32();
        Random r = new Random(6);
        for (int batch : new int[] {0, 1, 3, 8}) {
            for (boolean broadcastB : new boolean[] {false, true}) {
                int m = 1 + r.nextInt(20);
                int n = 1 + r.nextInt(40);
                int k = 1 + r.nextInt(40);
                boolean tb = r.nextBoolean();
                float[] a = Ref.randomFloats(r, Math.max(1, batch) * m * k);
                float[] b = Ref.randomFloats(r, (broadcastB ? 1 : Math.max(1, batch)) * k * n);
                float[] c = Ref.randomFloats(r, Math.max(1, batch) * m * n);
                float[] c0 = c.clone();
                boolean acc = r.nextBoolean();
                gemm.gemmBatched(batch, false, tb, m, n, k, a, 0, k, (long) m * k, b, 0, tb ? k : n,
                        broadcastB ? 0 : (long) k * n, c, 0, n, (long) m * n, acc);
                for (int i = 0; i < batch; i++) {
                    int ci = i * m * n;
                    double[][] want = Ref.gemm(false, tb, m, n, k, a, i * m * k, k, b, broadcastB ? 0 : i * k * n,
                            tb ? k : n, c0, ci, n, acc);
                    Ref.assertClose("batch " + i + " of " + batch, want[0], want[1], k, j -> c[ci + j]);
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> gemm.gemmBatched(2, false, false, 2, 2, 2, new float[8], 0,
                2, 4, new float[8], 0, 2, 4, new float[8], 0, 2, 0, false));
    }

    @ParameterizedTest
    @MethodSource("io.t2c.tensor.kernel.Ref#both")
    void zeroDepthZeroesOrKeepsC(Kernels kernels) {
        GemmF32 gemm = kernels.gemmF32();
        float[] c = {1, 2, 3, 4};
        gemm.gemm(false, false, 2, 2, 0, new float[0], 0, 0, new float[0], 0, 2, c, 0, 2, true);
        assertEquals(4f, c[3]);
        gemm.gemm(false, false, 2, 2, 0, new float[0], 0, 0, new float[0], 0, 2, c, 0, 2, false);
        assertEquals(0f, c[0] + c[1] + c[2] + c[3]);
    }

    @ParameterizedTest
    @MethodSource("io.t2c.tensor.kernel.Ref#both")
    void badArgumentsAreRejectedBeforeWriting(Kernels kernels) {
        GemmF32 gemm = kernels.gemmF32();
        float[] c = new float[4];
        assertThrows(IllegalArgumentException.class,
                () -> gemm.gemm(false, false, -1, 2, 2, new float[4], 0, 2, new float[4], 0, 2, c, 0, 2, false));
        assertThrows(IndexOutOfBoundsException.class,
                () -> gemm.gemm(false, false, 2, 2, 2, new float[3], 0, 2, new float[4], 0, 2, c, 0, 2, false));
        assertThrows(IllegalArgumentException.class,
                () -> gemm.gemm(false, false, 2, 2, 2, new float[4], 0, 1, new float[4], 0, 2, c, 0, 2, false));
        PackedB other = (kernels.isVector() ? Kernels.scalar() : Ref.bothList().get(1)).gemmF32()
                .packB(false, 2, 2, new float[4], 0, 2);
        assertThrows(IllegalArgumentException.class,
                () -> gemm.gemm(false, 2, new float[4], 0, 2, other, c, 0, 2, false));
    }
}
