package io.t2c.tensor.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Unpacked GEMM loops for calls too small to repay packing (a few rows, or a tiny product): GEMV-like layers at
 * batch 1, per-head attention pieces, tiny convs. Each output row is produced in registers and stored once.
 * <ul>
 *   <li>{@link #rows}: {@code op(B)} not transposed: a 4-row × 2-vector register tile reading B in place;
 *       leftover rows one at a time with four interleaved p chains; a partial last column block goes through a
 *       zero-padded copy.
 *   <li>{@link #dots}: B transposed, A not ({@code Y = X·Wᵀ} with W row-major): each C element is a dot product of
 *       two contiguous rows; four columns at a time share the A loads, then a lane reduction.
 * </ul>
 */
final class SmallGemm {
    private static final VectorSpecies<Float> S = PanelGemm.S;
    private static final int L = PanelGemm.L;

    private SmallGemm() {}

    /** Depth of one pass over the columns: keeps the B rows of a pass within the TLB and L2 for GEMV shapes. */
    private static final int KB = 128;

    /** {@code C (+)= op(A)·B} with B row-major {@code k×n}, in passes of {@link #KB} rows of B. */
    static void rows(boolean transA, int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     float[] c, int cOff, int ldc, boolean accumulate) {
        int sa = transA ? lda : 1;
        for (int p0 = 0; p0 < k; p0 += KB) {
            rowsPass(sa, transA ? 1 : lda, m, n, Math.min(KB, k - p0), a, aOff + p0 * sa, b, bOff + p0 * ldb, ldb,
                    c, cOff, ldc, accumulate || p0 > 0);
        }
    }

    private static void rowsPass(int sa, int ra, int m, int n, int k, float[] a, int aOff, float[] b, int bOff,
                                 int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        int full = n / W * W;
        for (int j = 0; j < full; j += W) {
            pair(m, k, a, aOff, ra, sa, b, bOff + j, ldb, c, cOff + j, ldc, accumulate);
        }
        if (full < n) {
            // Column tail: copy it into a zero-padded k×W panel so the kernels need no masks (masked loads in hot
            // loops have been seen to lose their C2 intrinsics), and compute into a C tile.
            int cols = n - full;
            float[] pb = ThreadBuffers.get(ThreadBuffers.SMALL, (long) k * W + (long) m * W);
            for (int p = 0; p < k; p++) {
                System.arraycopy(b, bOff + p * ldb + full, pb, p * W, cols);
                java.util.Arrays.fill(pb, p * W + cols, (p + 1) * W, 0f);
            }
            tail(m, k, a, aOff, ra, sa, pb, 0, W, cols, c, cOff + full, ldc, accumulate, pb, k * W);
        }
    }

    /** Columns per kernel call: two vectors. */
    private static final int W = 2 * L;

    /** All rows for one W-wide column block: four rows at a time, then one at a time. */
    private static void pair(int m, int k, float[] a, int aOff, int ra, int sa, float[] b, int bi, int ldb,
                             float[] c, int ci, int ldc, boolean accumulate) {
        int i = 0;
        for (; i + 4 <= m; i += 4) {
            rows4(a, aOff + i * ra, ra, sa, k, b, bi, ldb, c, ci + i * ldc, ldc, accumulate);
        }
        for (; i < m; i++) {
            rows1(a, aOff + i * ra, sa, k, b, bi, ldb, c, ci + i * ldc, accumulate);
        }
    }

    /** A partial column block ({@code cols < W}) via a C tile {@code t[tOff...]} of m×W floats. */
    private static void tail(int m, int k, float[] a, int aOff, int ra, int sa, float[] b, int bi, int ldb, int cols,
                             float[] c, int ci, int ldc, boolean accumulate, float[] t, int tOff) {
        pair(m, k, a, aOff, ra, sa, b, bi, ldb, t, tOff, W, false);
        for (int i = 0; i < m; i++) {
            int cr = ci + i * ldc;
            int tr = tOff + i * W;
            for (int q = 0; q < cols; q++) {
                c[cr + q] = accumulate ? c[cr + q] + t[tr + q] : t[tr + q];
            }
        }
    }

    /**
     * A 4-row × 2-vector tile: per p, two B loads, four broadcasts, eight FMAs into named accumulators. Row r of A
     * starts at {@code ai + r·ra} with element stride {@code sa}; B row p starts at {@code bi + p·ldb}.
     */
    private static void rows4(float[] a, int ai, int ra, int sa, int k, float[] b, int bi, int ldb,
                              float[] c, int ci, int ldc, boolean accumulate) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        int a0 = ai;
        int a1 = ai + ra;
        int a2 = ai + 2 * ra;
        int a3 = ai + 3 * ra;
        for (int p = 0; p < k; p++) {
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + L);
            FloatVector x = FloatVector.broadcast(S, a[a0]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[a1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[a2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[a3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            a0 += sa;
            a1 += sa;
            a2 += sa;
            a3 += sa;
            bi += ldb;
        }
        if (accumulate) {
            c00 = c00.add(FloatVector.fromArray(S, c, ci));
            c01 = c01.add(FloatVector.fromArray(S, c, ci + L));
            c10 = c10.add(FloatVector.fromArray(S, c, ci + ldc));
            c11 = c11.add(FloatVector.fromArray(S, c, ci + ldc + L));
            c20 = c20.add(FloatVector.fromArray(S, c, ci + 2 * ldc));
            c21 = c21.add(FloatVector.fromArray(S, c, ci + 2 * ldc + L));
            c30 = c30.add(FloatVector.fromArray(S, c, ci + 3 * ldc));
            c31 = c31.add(FloatVector.fromArray(S, c, ci + 3 * ldc + L));
        }
        c00.intoArray(c, ci);
        c01.intoArray(c, ci + L);
        c10.intoArray(c, ci + ldc);
        c11.intoArray(c, ci + ldc + L);
        c20.intoArray(c, ci + 2 * ldc);
        c21.intoArray(c, ci + 2 * ldc + L);
        c30.intoArray(c, ci + 3 * ldc);
        c31.intoArray(c, ci + 3 * ldc + L);
    }

    /** One row × 2 vectors, p unrolled by 4 into separate accumulators (eight independent FMA chains). */
    private static void rows1(float[] a, int ai, int sa, int k, float[] b, int bi, int ldb, float[] c, int ci,
                              boolean accumulate) {
        FloatVector z = FloatVector.zero(S);
        FloatVector e0 = z, e1 = z, o0 = z, o1 = z, f0 = z, f1 = z, g0 = z, g1 = z;
        int p = 0;
        for (; p + 3 < k; p += 4, bi += 4 * ldb, ai += 4 * sa) {
            FloatVector x0 = FloatVector.broadcast(S, a[ai]);
            FloatVector x1 = FloatVector.broadcast(S, a[ai + sa]);
            FloatVector x2 = FloatVector.broadcast(S, a[ai + 2 * sa]);
            FloatVector x3 = FloatVector.broadcast(S, a[ai + 3 * sa]);
            e0 = x0.fma(FloatVector.fromArray(S, b, bi), e0);
            e1 = x0.fma(FloatVector.fromArray(S, b, bi + L), e1);
            o0 = x1.fma(FloatVector.fromArray(S, b, bi + ldb), o0);
            o1 = x1.fma(FloatVector.fromArray(S, b, bi + ldb + L), o1);
            f0 = x2.fma(FloatVector.fromArray(S, b, bi + 2 * ldb), f0);
            f1 = x2.fma(FloatVector.fromArray(S, b, bi + 2 * ldb + L), f1);
            g0 = x3.fma(FloatVector.fromArray(S, b, bi + 3 * ldb), g0);
            g1 = x3.fma(FloatVector.fromArray(S, b, bi + 3 * ldb + L), g1);
        }
        for (; p < k; p++, bi += ldb, ai += sa) {
            FloatVector x0 = FloatVector.broadcast(S, a[ai]);
            e0 = x0.fma(FloatVector.fromArray(S, b, bi), e0);
            e1 = x0.fma(FloatVector.fromArray(S, b, bi + L), e1);
        }
        e0 = e0.add(o0).add(f0.add(g0));
        e1 = e1.add(o1).add(f1.add(g1));
        if (accumulate) {
            e0 = e0.add(FloatVector.fromArray(S, c, ci));
            e1 = e1.add(FloatVector.fromArray(S, c, ci + L));
        }
        e0.intoArray(c, ci);
        e1.intoArray(c, ci + L);
    }

    /** {@code C (+)= A·Bᵀ} with A row-major {@code m×k} and B stored {@code n×k}: row-by-row dot products. */
    static void dots(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     float[] c, int cOff, int ldc, boolean accumulate) {
        int kb = S.loopBound(k);
        for (int i = 0; i < m; i++) {
            int ai = aOff + i * lda;
            int ci = cOff + i * ldc;
            int j = 0;
            for (; j + 4 <= n; j += 4) {
                int b0 = bOff + j * ldb;
                int b1 = b0 + ldb;
                int b2 = b1 + ldb;
                int b3 = b2 + ldb;
                FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
                int p = 0;
                for (; p < kb; p += L) {
                    FloatVector x = FloatVector.fromArray(S, a, ai + p);
                    s0 = x.fma(FloatVector.fromArray(S, b, b0 + p), s0);
                    s1 = x.fma(FloatVector.fromArray(S, b, b1 + p), s1);
                    s2 = x.fma(FloatVector.fromArray(S, b, b2 + p), s2);
                    s3 = x.fma(FloatVector.fromArray(S, b, b3 + p), s3);
                }
                float t0 = s0.reduceLanes(VectorOperators.ADD);
                float t1 = s1.reduceLanes(VectorOperators.ADD);
                float t2 = s2.reduceLanes(VectorOperators.ADD);
                float t3 = s3.reduceLanes(VectorOperators.ADD);
                for (; p < k; p++) {
                    float x = a[ai + p];
                    t0 += x * b[b0 + p];
                    t1 += x * b[b1 + p];
                    t2 += x * b[b2 + p];
                    t3 += x * b[b3 + p];
                }
                if (accumulate) {
                    t0 += c[ci + j];
                    t1 += c[ci + j + 1];
                    t2 += c[ci + j + 2];
                    t3 += c[ci + j + 3];
                }
                c[ci + j] = t0;
                c[ci + j + 1] = t1;
                c[ci + j + 2] = t2;
                c[ci + j + 3] = t3;
            }
            for (; j < n; j++) {
                int b0 = bOff + j * ldb;
                FloatVector s0 = FloatVector.zero(S);
                int p = 0;
                for (; p < kb; p += L) {
                    s0 = FloatVector.fromArray(S, a, ai + p).fma(FloatVector.fromArray(S, b, b0 + p), s0);
                }
                float t0 = s0.reduceLanes(VectorOperators.ADD);
                for (; p < k; p++) {
                    t0 += a[ai + p] * b[b0 + p];
                }
                c[ci + j] = accumulate ? c[ci + j] + t0 : t0;
            }
        }
    }

}
