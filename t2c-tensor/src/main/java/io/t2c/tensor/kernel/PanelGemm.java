package io.t2c.tensor.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The BLIS/GotoBLAS-style blocked GEMM engine behind the vector kernels. Operands arrive as {@link Source}s of
 * panels — pre-packed, or packed block by block from a matrix or straight from an image (implicit im2col) — and
 * finished register tiles go to a {@link Sink} (float C, or int C for int8 GEMM).
 *
 * <p>Loops, outermost first: {@code jc} over NC columns (a B block of kc×NC, lives in L2/L3), {@code pc} over KC of
 * depth, {@code ic} over MC rows (an A block of MC×kc, lives in L2), {@code jr} over NR-wide B micro-panels (kc×NR,
 * lives in L1 while the {@code ir} loop streams A micro-panels past it), {@code ir} over MR rows, then the MR×NR
 * micro-kernel. MR = 6 and NR = two vectors: 12 accumulators + 2 B vectors + 1 broadcast fit in the 16 registers of
 * AVX2 and leave room on AVX-512; on this machine (Zen 5, 512-bit) it runs at ~170 GFLOP/s on one core. Wider tiles
 * (8×2 or 4×3 vectors) were not tried.
 *
 * <p>Threads: a call is split into contiguous ranges of row panels or of column panels, one per thread, whichever
 * repeats less packing; each range packs its own blocks, so no synchronisation is needed besides the final join.
 */
final class PanelGemm {
    static final VectorSpecies<Float> S = VectorConstants.FLOAT;
    static final VectorSpecies<Integer> IS = VectorConstants.INT;
    /** Floats per vector. */
    static final int L = VectorConstants.FLOAT_LANES;
    /** Rows of a register tile. */
    static final int MR = 6;
    /** Columns of a register tile: two vectors. */
    static final int NR = 2 * L;
    /** Depth of a block: a kc×NR B micro-panel (32 KiB at NR = 32) stays in a 48 KiB L1 (Zen 5). */
    static final int KC = Math.max(1, Integer.getInteger("t2c.gemm.kc", 256));
    /** Rows of an A block: MC×KC floats (120 KiB) sit comfortably in L2. Multiple of MR. */
    static final int MC = Math.max(MR, Integer.getInteger("t2c.gemm.mc", 120) / MR * MR);
    /** Columns of a B block. Multiple of NR. */
    static final int NC = Math.max(NR, Integer.getInteger("t2c.gemm.nc", 2048) / NR * NR);
    /**
     * Below this many multiply-adds (256 K, a few microseconds on one core) a call runs on one thread. The pool's
     * helpers spin between the loops of a model, so even small calls gain from a second thread: JMH, two threads,
     * against the earlier threshold of 8 M: 128×784×64 (a ResNet-18 strided 1×1 conv) 77 → 57 µs, the batch-1
     * classifier 1×512×1000 (memory-bound) 39 → 23 µs, 64×64×64 and 128×64×64 unchanged; in ResNet-18 at batch 1
     * the three 1×1 downsampling convs took 30–50 µs less each and the classifier 66 µs less. Not final so tests can
     * force the threaded paths.
     */
    static long parallelMinWork = 1L << 18;
    /** Experiments only: {@code -Dt2c.gemm.split=rows|cols} forces the thread split where both are possible. */
    private static final int SPLIT = switch (System.getProperty("t2c.gemm.split", "auto")) {
        case "rows" -> 1;
        case "cols" -> 2;
        default -> 0;
    };

    private PanelGemm() {}

    /** One operand: rows of A (panels of MR) or columns of B (panels of NR), either pre-packed or packed on demand. */
    abstract static class Source {
        /** Pre-packed panels (panel {@code p}, depth {@code k0} at {@code p·panelStride() + k0·width}), or null. */
        float[] packed() {
            return null;
        }

        /** Floats per pre-packed panel (for {@link Blocked}: per unit of depth across all panels). */
        int panelStride() {
            return 0;
        }

        /** Whether the pre-packed panels are in {@link Blocked} order. */
        boolean blocked() {
            return false;
        }

        /**
         * Packs rows (A) or columns (B) {@code [from, from+len)} at depth {@code [k0, k0+kc)} into
         * {@code ceil(len/width)} zero-padded panels of {@code kc×width} floats at {@code dst[0...]}.
         */
        abstract void pack(int from, int len, int k0, int kc, float[] dst);
    }

    /** Panels packed ahead of time, e.g. by {@link GemmF32#packA}. */
    static final class Prepacked extends Source {
        private final float[] data;
        private final int stride;

        Prepacked(float[] data, int stride) {
            this.data = data;
            this.stride = stride;
        }

        @Override
        float[] packed() {
            return data;
        }

        @Override
        int panelStride() {
            return stride;
        }

        @Override
        void pack(int from, int len, int k0, int kc, float[] dst) {
            throw new UnsupportedOperationException("pre-packed");
        }
    }

    /**
     * A left operand packed ahead of time in depth-block-major order ({@link #packBlocked}): for the depth block at
     * {@code pc} (a multiple of {@link #KC}, depth {@code kc = min(KC, k - pc)}), all row panels follow each other,
     * panel {@code p} at {@code pc·mp·MR + p·kc·MR}. The blocked loop then reads it as one sequential stream; with
     * panel-major order (each panel's whole depth contiguous) it jumps by {@code k·MR} floats every 6·KC, which
     * defeats the hardware prefetcher when weights come from DRAM (a 512×4608 conv's 9 MB ran at half speed).
     * Only for calls whose depth blocks are {@link #KC} deep (no {@code kcMax} cap).
     */
    static final class Blocked extends Source {
        private final float[] data;
        private final int mp;

        Blocked(float[] data, int mp) {
            this.data = data;
            this.mp = mp;
        }

        @Override
        float[] packed() {
            return data;
        }

        @Override
        int panelStride() {
            return mp * MR;
        }

        @Override
        boolean blocked() {
            return true;
        }

        @Override
        void pack(int from, int len, int k0, int kc, float[] dst) {
            throw new UnsupportedOperationException("pre-packed");
        }
    }

    /** Packs all of {@code A[m×k]} (row-major, leading dimension {@code lda}) in {@link Blocked} order. */
    static float[] packBlocked(float[] a, int aOff, int lda, int m, int k) {
        int mp = Packing.panels(m, MR);
        float[] dst = new float[mp * MR * k];
        for (int pc = 0; pc < k; pc += KC) {
            int kc = Math.min(KC, k - pc);
            packA(false, a, aOff, lda, 0, m, pc, kc, dst, pc * mp * MR);
        }
        return dst;
    }

    /** Rows of {@code op(A)} from a row-major float matrix. */
    static final class MatrixA extends Source {
        private final boolean trans;
        private final float[] a;
        private final int off;
        private final int ld;

        MatrixA(boolean trans, float[] a, int off, int ld) {
            this.trans = trans;
            this.a = a;
            this.off = off;
            this.ld = ld;
        }

        @Override
        void pack(int from, int len, int k0, int kc, float[] dst) {
            packA(trans, a, off, ld, from, len, k0, kc, dst, 0);
        }
    }

    /** Columns of {@code op(B)} from a row-major float matrix. */
    static final class MatrixB extends Source {
        private final boolean trans;
        private final float[] b;
        private final int off;
        private final int ld;

        MatrixB(boolean trans, float[] b, int off, int ld) {
            this.trans = trans;
            this.b = b;
            this.off = off;
            this.ld = ld;
        }

        @Override
        void pack(int from, int len, int k0, int kc, float[] dst) {
            packB(trans, b, off, ld, k0, kc, from, len, dst, 0);
        }
    }

    /** Receives register tiles; knows where C is. */
    abstract static class Sink {
        /**
         * Computes the tile at rows {@code [i, i+mr)}, columns {@code [j, j+nr)} from an A micro-panel at
         * {@code a[ai...]} and a B micro-panel at {@code b[bi...]} of depth {@code kc}; stores it, or adds it to C
         * when {@code load}.
         */
        abstract void tile(float[] a, int ai, float[] b, int bi, int kc, int i, int j, int mr, int nr, boolean load,
                           Scratch s);
    }

    /** The output bounds of a fused Relu/Clip, applied as finished elements are stored: {@code min(max(v, lo), hi)}. */
    record Clamp(float lo, float hi) {
        static final Clamp NONE = new Clamp(Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);

        boolean none() {
            return lo == Float.NEGATIVE_INFINITY && hi == Float.POSITIVE_INFINITY;
        }

        FloatVector apply(FloatVector v) {
            return v.max(lo).min(hi);
        }

        float apply(float v) {
            return Math.min(Math.max(v, lo), hi);
        }
    }

    /**
     * Float C, optionally initialised with a per-row bias (the first depth block stores {@code A·B + bias}) and
     * clamped once the last depth block is in.
     */
    static final class F32Sink extends Sink {
        private final float[] c;
        private final int off;
        private final int ld;
        private final float[] bias;
        private final int biasOff;
        private final Clamp clamp;

        F32Sink(float[] c, int off, int ld) {
            this(c, off, ld, null, 0, Clamp.NONE);
        }

        /**
         * With {@code bias != null}, row {@code i} of C gets {@code bias[biasOff + i]} added (unless accumulating);
         * finished elements are clamped.
         */
        F32Sink(float[] c, int off, int ld, float[] bias, int biasOff, Clamp clamp) {
            this.c = c;
            this.off = off;
            this.ld = ld;
            this.bias = bias;
            this.biasOff = biasOff;
            this.clamp = clamp;
        }

        @Override
        void tile(float[] a, int ai, float[] b, int bi, int kc, int i, int j, int mr, int nr, boolean load,
                  Scratch s) {
            int ci = off + i * ld + j;
            if (mr == MR && nr == NR) {
                kernelF32(a, ai, b, bi, kc, c, ci, ld, load, bias, biasOff + i);
                if (!clamp.none() && s.lastDepth) {
                    // The tile was just stored: clamping it now reads it back from L1.
                    for (int r = 0; r < MR; r++) {
                        int cr = ci + r * ld;
                        clamp.apply(FloatVector.fromArray(S, c, cr)).intoArray(c, cr);
                        clamp.apply(FloatVector.fromArray(S, c, cr + L)).intoArray(c, cr + L);
                    }
                }
                return;
            }
            // Edge tile: compute the full tile into scratch, then copy the valid part.
            float[] t = s.tile;
            kernelF32(a, ai, b, bi, kc, t, 0, NR, false, null, 0);
            for (int r = 0; r < mr; r++) {
                int cr = ci + r * ld;
                int tr = r * NR;
                if (load) {
                    for (int q = 0; q < nr; q++) {
                        c[cr + q] += t[tr + q];
                    }
                } else if (bias != null) {
                    float br = bias[biasOff + i + r];
                    for (int q = 0; q < nr; q++) {
                        c[cr + q] = t[tr + q] + br;
                    }
                } else {
                    System.arraycopy(t, tr, c, cr, nr);
                }
                if (!clamp.none() && s.lastDepth) {
                    for (int q = 0; q < nr; q++) {
                        c[cr + q] = clamp.apply(c[cr + q]);
                    }
                }
            }
        }
    }

    /** Int C for int8 GEMM: A and B panels hold integer values as floats. */
    static final class S8Sink extends Sink {
        private final int[] c;
        private final int off;
        private final int ld;

        S8Sink(int[] c, int off, int ld) {
            this.c = c;
            this.off = off;
            this.ld = ld;
        }

        @Override
        void tile(float[] a, int ai, float[] b, int bi, int kc, int i, int j, int mr, int nr, boolean load,
                  Scratch s) {
            int ci = off + i * ld + j;
            if (mr == MR && nr == NR) {
                kernelS8(a, ai, b, bi, kc, c, ci, ld, load);
                return;
            }
            int[] t = s.itile;
            kernelS8(a, ai, b, bi, kc, t, 0, NR, false);
            for (int r = 0; r < mr; r++) {
                int cr = ci + r * ld;
                int tr = r * NR;
                if (load) {
                    for (int q = 0; q < nr; q++) {
                        c[cr + q] += t[tr + q];
                    }
                } else {
                    System.arraycopy(t, tr, c, cr, nr);
                }
            }
        }
    }

    /** Per-thread packing buffers, allocated once per thread at their maximum size. */
    static final class Scratch {
        final float[] a = new float[MC * KC];
        final float[] b = new float[KC * NC];
        /** An MR×NR tile, plus one vector of slack for unmasked loads that start inside its last row. */
        final float[] tile = new float[MR * NR + L];
        final int[] itile = new int[MR * NR];
        /** Set by {@link #block} for the tiles of each depth block: whether it is the last one. */
        boolean lastDepth;
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** This thread's packing buffers and tile. */
    static Scratch scratch() {
        return SCRATCH.get();
    }

    /**
     * Runs {@code C[m×n] (+)= A·B} from the two sources into {@code sink}, splitting over threads when the call is
     * large enough. {@code kcMax} caps the depth of one block (the int8 path uses it to keep float sums exact).
     * With {@code k == 0} nothing is written.
     */
    static void run(int m, int n, int k, int kcMax, Source a, Source b, Sink sink, boolean accumulate) {
        if (m == 0 || n == 0 || k == 0) {
            return;
        }
        if (a.blocked() && kcMax < KC) {
            throw new IllegalArgumentException("blocked A needs depth blocks of " + KC);
        }
        int mp = Packing.panels(m, MR);
        int np = Packing.panels(n, NR);
        // Each thread packs what it reads: splitting rows repeats the B packing in every thread (about 2
        // multiply-adds per B element copied), splitting columns repeats the A packing (16 per A element) or, for
        // pre-packed A, still the streaming of A from memory by every thread (2 per element: conv weights of
        // 512×4608 are 9 MB, and with few output columns, as in 7×7 layers, a column split would make both threads
        // stream all of them for 32 columns each).
        switch (split(m, n, k, b.packed() != null ? 0 : 2L * k * n, (a.packed() != null ? 2L : 16L) * m * k)) {
            case ROWS -> Parallel.forRange(mp, 1, (p0, p1) ->
                    block(k, kcMax, a, b, sink, accumulate, p0 * MR, Math.min(m, p1 * MR), 0, n));
            case COLUMNS -> Parallel.forRange(np, 1, (p0, p1) ->
                    block(k, kcMax, a, b, sink, accumulate, 0, m, p0 * NR, Math.min(n, p1 * NR)));
            case NONE -> block(k, kcMax, a, b, sink, accumulate, 0, m, 0, n);
        }
    }

    /** How a GEMM call is split over threads. */
    enum Split { NONE, ROWS, COLUMNS }

    /**
     * The thread split of an {@code m×n×k} call: none below {@link #parallelMinWork}; otherwise rows or columns,
     * whichever gives the smaller estimated time on the busiest thread, in multiply-adds: whole register tiles (so
     * uneven panel counts show) plus the work each split repeats in every thread ({@code rowsExtra},
     * {@code colsExtra}). {@code -Dt2c.gemm.split} can force one where both are possible.
     */
    static Split split(int m, int n, int k, long rowsExtra, long colsExtra) {
        int threads = (long) m * n * k < parallelMinWork ? 1 : Parallel.threads();
        int mp = Packing.panels(m, MR);
        int np = Packing.panels(n, NR);
        boolean rowsOk = threads > 1 && mp >= threads && SPLIT != 2;
        boolean colsOk = threads > 1 && np >= threads && SPLIT != 1;
        long rowsCost = (long) ((mp + threads - 1) / threads) * MR * np * NR * k + rowsExtra;
        long colsCost = (long) ((np + threads - 1) / threads) * NR * mp * MR * k + colsExtra;
        if (rowsOk && (!colsOk || rowsCost <= colsCost)) {
            return Split.ROWS;
        }
        return colsOk ? Split.COLUMNS : Split.NONE;
    }

    /** Rows {@code [r0, r1)} × columns {@code [c0, c1)} of C on the calling thread; r0, c0 are panel-aligned. */
    static void block(int k, int kcMax, Source a, Source b, Sink sink, boolean accumulate,
                      int r0, int r1, int c0, int c1) {
        Scratch s = scratch();
        float[] pa = a.packed();
        float[] pb = b.packed();
        int kcb = Math.min(KC, kcMax);
        for (int jc = c0; jc < c1; jc += NC) {
            int nc = Math.min(NC, c1 - jc);
            for (int pc = 0; pc < k; pc += kcb) {
                int kc = Math.min(kcb, k - pc);
                float[] bArr;
                int bBase;
                int bStride;
                if (pb != null) {
                    bArr = pb;
                    bStride = b.panelStride();
                    bBase = (jc / NR) * bStride + pc * NR;
                } else {
                    b.pack(jc, nc, pc, kc, s.b);
                    bArr = s.b;
                    bStride = kc * NR;
                    bBase = 0;
                }
                boolean load = accumulate || pc > 0;
                s.lastDepth = pc + kc >= k;
                for (int ic = r0; ic < r1; ic += MC) {
                    int mc = Math.min(MC, r1 - ic);
                    float[] aArr;
                    int aBase;
                    int aStride;
                    if (pa != null && a.blocked()) {
                        aArr = pa;
                        aStride = kc * MR;
                        aBase = pc * a.panelStride() + (ic / MR) * aStride;
                    } else if (pa != null) {
                        aArr = pa;
                        aStride = a.panelStride();
                        aBase = (ic / MR) * aStride + pc * MR;
                    } else {
                        a.pack(ic, mc, pc, kc, s.a);
                        aArr = s.a;
                        aStride = kc * MR;
                        aBase = 0;
                    }
                    for (int jr = 0; jr < nc; jr += NR) {
                        int nr = Math.min(NR, nc - jr);
                        int bi = bBase + (jr / NR) * bStride;
                        for (int ir = 0; ir < mc; ir += MR) {
                            sink.tile(aArr, aBase + (ir / MR) * aStride, bArr, bi, kc, ic + ir, jc + jr,
                                    Math.min(MR, mc - ir), nr, load, s);
                        }
                    }
                }
            }
        }
    }

    // ---- packing ----

    /** {@link Packing#packA} with panel width MR. */
    static void packA(boolean trans, float[] a, int off, int ld, int i0, int rows, int k0, int kc,
                      float[] dst, int dstOff) {
        Packing.packA(trans, a, off, ld, i0, rows, k0, kc, MR, dst, dstOff);
    }

    /** {@link Packing#packB} with panel width NR; full non-transposed panels are copied two vectors per row. */
    static void packB(boolean trans, float[] b, int off, int ld, int k0, int kc, int j0, int cols,
                      float[] dst, int dstOff) {
        if (trans) {
            Packing.packB(true, b, off, ld, k0, kc, j0, cols, NR, dst, dstOff);
            return;
        }
        int full = cols / NR * NR;
        for (int q0 = 0; q0 < full; q0 += NR) {
            int d = dstOff + (q0 / NR) * kc * NR;
            int src = off + k0 * ld + j0 + q0;
            for (int kk = 0; kk < kc; kk++) {
                FloatVector.fromArray(S, b, src).intoArray(dst, d);
                FloatVector.fromArray(S, b, src + L).intoArray(dst, d + L);
                src += ld;
                d += NR;
            }
        }
        if (full < cols) {
            Packing.packB(false, b, off, ld, k0, kc, j0 + full, cols - full, NR, dst,
                    dstOff + (full / NR) * kc * NR);
        }
    }

    // ---- micro-kernels (hand-unrolled; keep the accumulators in named locals) ----

    /**
     * The 6×NR micro-kernel: {@code C[ci..] (+)= Apanel[kc×6] · Bpanel[kc×NR]}, or, when not {@code load}ing C and
     * {@code bias} is given, {@code C = A·B + bias[bo + row]}. Twelve accumulators in
     * named locals so C2 keeps them in registers (an array of vectors would be boxed); per k: two B loads,
     * 6 broadcasts, 12 FMAs.
     */
    static void kernelF32(float[] a, int ai, float[] b, int bi, int kc, float[] c, int ci, int ldc, boolean load,
                          float[] bias, int bo) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + L);
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
            bi += NR;
        }
        int r = ci;
        if (load) {
            c00 = c00.add(FloatVector.fromArray(S, c, r));
            c01 = c01.add(FloatVector.fromArray(S, c, r + L));
        } else if (bias != null) {
            FloatVector bv = FloatVector.broadcast(S, bias[bo + 0]);
            c00 = c00.add(bv);
            c01 = c01.add(bv);
        }
        c00.intoArray(c, r);
        c01.intoArray(c, r + L);
        r += ldc;
        if (load) {
            c10 = c10.add(FloatVector.fromArray(S, c, r));
            c11 = c11.add(FloatVector.fromArray(S, c, r + L));
        } else if (bias != null) {
            FloatVector bv = FloatVector.broadcast(S, bias[bo + 1]);
            c10 = c10.add(bv);
            c11 = c11.add(bv);
        }
        c10.intoArray(c, r);
        c11.intoArray(c, r + L);
        r += ldc;
        if (load) {
            c20 = c20.add(FloatVector.fromArray(S, c, r));
            c21 = c21.add(FloatVector.fromArray(S, c, r + L));
        } else if (bias != null) {
            FloatVector bv = FloatVector.broadcast(S, bias[bo + 2]);
            c20 = c20.add(bv);
            c21 = c21.add(bv);
        }
        c20.intoArray(c, r);
        c21.intoArray(c, r + L);
        r += ldc;
        if (load) {
            c30 = c30.add(FloatVector.fromArray(S, c, r));
            c31 = c31.add(FloatVector.fromArray(S, c, r + L));
        } else if (bias != null) {
            FloatVector bv = FloatVector.broadcast(S, bias[bo + 3]);
            c30 = c30.add(bv);
            c31 = c31.add(bv);
        }
        c30.intoArray(c, r);
        c31.intoArray(c, r + L);
        r += ldc;
        if (load) {
            c40 = c40.add(FloatVector.fromArray(S, c, r));
            c41 = c41.add(FloatVector.fromArray(S, c, r + L));
        } else if (bias != null) {
            FloatVector bv = FloatVector.broadcast(S, bias[bo + 4]);
            c40 = c40.add(bv);
            c41 = c41.add(bv);
        }
        c40.intoArray(c, r);
        c41.intoArray(c, r + L);
        r += ldc;
        if (load) {
            c50 = c50.add(FloatVector.fromArray(S, c, r));
            c51 = c51.add(FloatVector.fromArray(S, c, r + L));
        } else if (bias != null) {
            FloatVector bv = FloatVector.broadcast(S, bias[bo + 5]);
            c50 = c50.add(bv);
            c51 = c51.add(bv);
        }
        c50.intoArray(c, r);
        c51.intoArray(c, r + L);
    }

    /**
     * The 6×NR micro-kernel for integer-valued float panels: accumulates {@code kc} rank-1 updates in float
     * (exact while every partial sum stays within ±2^24, which the caller guarantees by bounding kc),
     * converts to int and stores into (or, with {@code load}, adds to) int C.
     */
    static void kernelS8(float[] a, int ai, float[] b, int bi, int kc, int[] c, int ci, int ldc, boolean load) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + L);
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
            bi += NR;
        }
        int r = ci;
        IntVector i00 = (IntVector) c00.convert(VectorOperators.F2I, 0);
        IntVector i01 = (IntVector) c01.convert(VectorOperators.F2I, 0);
        if (load) {
            i00 = i00.add(IntVector.fromArray(IS, c, r));
            i01 = i01.add(IntVector.fromArray(IS, c, r + L));
        }
        i00.intoArray(c, r);
        i01.intoArray(c, r + L);
        r += ldc;
        IntVector i10 = (IntVector) c10.convert(VectorOperators.F2I, 0);
        IntVector i11 = (IntVector) c11.convert(VectorOperators.F2I, 0);
        if (load) {
            i10 = i10.add(IntVector.fromArray(IS, c, r));
            i11 = i11.add(IntVector.fromArray(IS, c, r + L));
        }
        i10.intoArray(c, r);
        i11.intoArray(c, r + L);
        r += ldc;
        IntVector i20 = (IntVector) c20.convert(VectorOperators.F2I, 0);
        IntVector i21 = (IntVector) c21.convert(VectorOperators.F2I, 0);
        if (load) {
            i20 = i20.add(IntVector.fromArray(IS, c, r));
            i21 = i21.add(IntVector.fromArray(IS, c, r + L));
        }
        i20.intoArray(c, r);
        i21.intoArray(c, r + L);
        r += ldc;
        IntVector i30 = (IntVector) c30.convert(VectorOperators.F2I, 0);
        IntVector i31 = (IntVector) c31.convert(VectorOperators.F2I, 0);
        if (load) {
            i30 = i30.add(IntVector.fromArray(IS, c, r));
            i31 = i31.add(IntVector.fromArray(IS, c, r + L));
        }
        i30.intoArray(c, r);
        i31.intoArray(c, r + L);
        r += ldc;
        IntVector i40 = (IntVector) c40.convert(VectorOperators.F2I, 0);
        IntVector i41 = (IntVector) c41.convert(VectorOperators.F2I, 0);
        if (load) {
            i40 = i40.add(IntVector.fromArray(IS, c, r));
            i41 = i41.add(IntVector.fromArray(IS, c, r + L));
        }
        i40.intoArray(c, r);
        i41.intoArray(c, r + L);
        r += ldc;
        IntVector i50 = (IntVector) c50.convert(VectorOperators.F2I, 0);
        IntVector i51 = (IntVector) c51.convert(VectorOperators.F2I, 0);
        if (load) {
            i50 = i50.add(IntVector.fromArray(IS, c, r));
            i51 = i51.add(IntVector.fromArray(IS, c, r + L));
        }
        i50.intoArray(c, r);
        i51.intoArray(c, r + L);
    }
}
