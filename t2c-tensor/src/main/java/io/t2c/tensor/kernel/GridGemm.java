package io.t2c.tensor.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The implicit GEMM of a convolution whose output is narrower than its {@link ConvGrid} ({@code Wq > outW}: every
 * padded conv): {@code Y = W · col}, where row {@code kk} of {@code col} restricted to the columns of register tile
 * {@code j} is the contiguous run {@code grid[taps[kk] + j ...]}. The micro-kernel reads those runs in place:
 * unlike {@link PanelGemm}, B is never packed (packing copied every B element once more per call and, at NC = 2048
 * columns, streamed a 2 MB block through L3 per thread), and the partial sums of a column block live in a
 * per-thread buffer of {@code rows × }{@link #BLOCK_COLUMNS}.
 *
 * <p>Loops, outermost first: column blocks of {@link #BLOCK_COLUMNS}, depth blocks of {@link PanelGemm#KC} (the
 * weights are packed in {@link PanelGemm.Blocked} order), register-tile columns (whose grid runs, kc × NR, stay in
 * L1), register-tile rows (streaming the weights' depth block past those runs). Every output element is
 * summed in the same order as by {@link PanelGemm} (each depth block from zero, added to the sum of the earlier
 * ones; bias after the last), so results do not depend on the path or on the thread split.
 */
final class GridGemm {
    private static final VectorSpecies<Float> S = PanelGemm.S;
    private static final int L = PanelGemm.L;
    private static final int MR = PanelGemm.MR;
    private static final int NR = PanelGemm.NR;
    private static final int KC = PanelGemm.KC;
    /** Columns of a block: its grid runs (kc × 256 floats, 256 KiB) sit in L2. Multiple of NR. */
    static final int BLOCK_COLUMNS = 8 * NR;

    private GridGemm() {}

    /**
     * {@code out = A·col} for the {@code m × k} weights {@code packedA} ({@link PanelGemm#packBlocked}) and the
     * grid {@code buf} (slack for full NR-wide reads past column {@code cols}), split over threads by rows or by
     * columns when the call is large enough.
     */
    static void run(int m, int cols, int k, float[] packedA, float[] buf, int[] taps, Output out) {
        int mp = Packing.panels(m, MR);
        int np = Packing.panels(cols, NR);
        // B is read in place, so a row split repeats nothing; a column split makes every thread stream all weights.
        switch (PanelGemm.split(m, cols, k, 0, 2L * m * k)) {
            case ROWS -> Parallel.forRange(mp, 1, (p0, p1) -> block(mp, k, packedA, buf, taps, out, p0, p1, 0, np));
            case COLUMNS -> Parallel.forRange(np, 1, (p0, p1) -> block(mp, k, packedA, buf, taps, out, 0, mp, p0, p1));
            case NONE -> block(mp, k, packedA, buf, taps, out, 0, mp, 0, np);
        }
    }

    /** Row panels {@code [i0, i1)} × column panels {@code [j0, j1)} on the calling thread. */
    private static void block(int mp, int k, float[] a, float[] buf, int[] taps, Output out,
                              int i0, int i1, int j0, int j1) {
        PanelGemm.Scratch s = PanelGemm.scratch();
        float[] tile = s.tile;
        int blockPanels = BLOCK_COLUMNS / NR;
        // Partial sums of the earlier depth blocks: one MR×NR tile per (row panel, column panel) of a column block.
        float[] part = k <= KC ? null
                : ThreadBuffers.get(ThreadBuffers.GEMM_OUT, (long) (i1 - i0) * blockPanels * MR * NR);
        for (int jc = j0; jc < j1; jc += blockPanels) {
            int jcEnd = Math.min(j1, jc + blockPanels);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                boolean last = pc + kc >= k;
                int aBlock = pc * mp * MR;
                for (int jp = jc; jp < jcEnd; jp++) {
                    int j = jp * NR;
                    for (int ip = i0; ip < i1; ip++) {
                        int ai = aBlock + ip * kc * MR;
                        int pi = ((ip - i0) * blockPanels + (jp - jc)) * MR * NR;
                        if (!last) {
                            kernel(a, ai, buf, taps, pc, kc, j, part, pi, pc > 0);
                            continue;
                        }
                        kernel(a, ai, buf, taps, pc, kc, j, tile, 0, false);
                        if (pc > 0) {
                            for (int q = 0; q < MR * NR; q += L) {
                                FloatVector.fromArray(S, tile, q).add(FloatVector.fromArray(S, part, pi + q))
                                        .intoArray(tile, q);
                            }
                        }
                        out.store(tile, ip * MR, j);
                    }
                }
            }
        }
    }

    /**
     * The 6×NR micro-kernel of {@link PanelGemm#kernelF32} with B rows read from the grid:
     * {@code C[ci..] (+)= Apanel[kc×6] · grid[taps[k0 + p] + j ...]} into a tile of row pitch NR.
     */
    static void kernel(float[] a, int ai, float[] buf, int[] taps, int k0, int kc, int j, float[] c, int ci,
                       boolean load) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
        for (int p = 0; p < kc; p++) {
            int bi = taps[k0 + p] + j;
            FloatVector b0 = FloatVector.fromArray(S, buf, bi);
            FloatVector b1 = FloatVector.fromArray(S, buf, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, a[ai + 0]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, a[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, a[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, a[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, a[ai + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, a[ai + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            ai += 6;
        }
        put(c00, c01, c, ci, load);
        put(c10, c11, c, ci + NR, load);
        put(c20, c21, c, ci + 2 * NR, load);
        put(c30, c31, c, ci + 3 * NR, load);
        put(c40, c41, c, ci + 4 * NR, load);
        put(c50, c51, c, ci + 5 * NR, load);
    }

    private static void put(FloatVector v0, FloatVector v1, float[] c, int r, boolean load) {
        if (load) {
            v0 = v0.add(FloatVector.fromArray(S, c, r));
            v1 = v1.add(FloatVector.fromArray(S, c, r + L));
        }
        v0.intoArray(c, r);
        v1.intoArray(c, r + L);
    }

    /**
     * Stores finished register tiles computed over grid columns into the output planes: grid column {@code q} is
     * output position {@code (q / wq, q % wq)}, kept when {@code q % wq < ow} and {@code q / wq < oh}; rows past
     * {@code rows} (panel padding) are dropped; {@code bias[biasOff + row]} is added and the clamp applied.
     */
    static final class Output {
        private final float[] y;
        private final int yOff;
        private final int rows;
        private final int oh;
        private final int ow;
        private final int wq;
        private final float[] bias;
        private final int biasOff;
        private final PanelGemm.Clamp clamp;

        Output(float[] y, int yOff, int rows, int oh, int ow, int wq, float[] bias, int biasOff,
               PanelGemm.Clamp clamp) {
            this.y = y;
            this.yOff = yOff;
            this.rows = rows;
            this.oh = oh;
            this.ow = ow;
            this.wq = wq;
            this.bias = bias;
            this.biasOff = biasOff;
            this.clamp = clamp;
        }

        /**
         * Stores the MR×NR tile {@code t} (row pitch NR, one vector of slack) of rows {@code i...}, grid columns
         * {@code j...}.
         */
        void store(float[] t, int i, int j) {
            int rr = Math.min(MR, rows - i);
            int n = oh * ow;
            int gy0 = j / wq;
            int gx0 = j - gy0 * wq;
            if (gx0 + NR <= ow && gy0 < oh) {
                // The whole tile lies in one output row: two vector stores per row.
                int d = yOff + i * n + gy0 * ow + gx0;
                for (int r = 0; r < rr; r++) {
                    FloatVector bv = FloatVector.broadcast(S, bias == null ? 0f : bias[biasOff + i + r]);
                    clamp.apply(FloatVector.fromArray(S, t, r * NR).add(bv)).intoArray(y, d);
                    clamp.apply(FloatVector.fromArray(S, t, r * NR + L).add(bv)).intoArray(y, d + L);
                    d += n;
                }
                return;
            }
            for (int r = 0; r < rr; r++) {
                FloatVector bv = FloatVector.broadcast(S, bias == null ? 0f : bias[biasOff + i + r]);
                int row = yOff + (i + r) * n;
                int tr = r * NR - j;
                int q = j;
                int end = j + NR;
                while (q < end) {
                    int gy = q / wq;
                    if (gy >= oh) {
                        break;
                    }
                    int rowStart = gy * wq;
                    int segEnd = Math.min(end, rowStart + wq);
                    int validEnd = Math.min(segEnd, rowStart + ow);
                    int d = row + gy * ow - rowStart;
                    // Vector copies; the tile's slack keeps the loads in bounds, a mask made here cuts the store.
                    int e = q;
                    for (; e + L <= validEnd; e += L) {
                        clamp.apply(FloatVector.fromArray(S, t, tr + e).add(bv)).intoArray(y, d + e);
                    }
                    if (e < validEnd) {
                        clamp.apply(FloatVector.fromArray(S, t, tr + e).add(bv)).intoArray(y, d + e,
                                S.indexInRange(0, validEnd - e));
                    }
                    q = segEnd;
                }
            }
        }
    }
}
