package io.t2c.tensor.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link GemmS8} on the float GEMM engine: int8 values (minus zero points) are held exactly in float32 panels and
 * multiplied with the packed FMA micro-kernel, which on this JDK is 2–3× faster than any integer-typed Vector API
 * formulation (the Vector API cannot emit VNNI; see the kernel-performance notes).
 *
 * <p><b>Why the result is exact.</b> Every value is an integer of magnitude at most {@code amax} (A) and
 * {@code bmax} (B), computed from the signedness and the zero points ({@code ≤ 383} each). The engine accumulates at
 * most {@code kcMax = floor(2^24 / (amax·bmax))} products in float before converting the tile to int and adding it to
 * C in int arithmetic. Every partial float sum is then an integer of magnitude ≤ 2^24, and all such integers are
 * representable in float32, so each FMA rounds nothing; the conversion F2I is exact; int additions wrap exactly like
 * the scalar reference's final cast. For signed int8 without zero points {@code kcMax = 1024}.
 */
public final class VectorGemmS8 implements GemmS8 {
    private static final VectorSpecies<Float> S = PanelGemm.S;
    private static final int L = PanelGemm.L;
    /** L bytes: one vector of B2F-converted floats. */
    private static final VectorSpecies<Byte> BS = VectorConstants.BYTE_FOR_FLOAT;

    VectorGemmS8() {}

    /** Largest depth whose float partial sums stay exact (≤ 2^24) for the given magnitude bounds. */
    static int exactDepth(int amax, int bmax) {
        long prod = (long) Math.max(1, amax) * Math.max(1, bmax);
        return (int) Math.max(1, (1L << 24) / prod);
    }

    /** Largest |v − z| for v in the int8 or uint8 range. */
    static int maxAbs(boolean unsigned, int z) {
        int lo = unsigned ? 0 : -128;
        int hi = unsigned ? 255 : 127;
        return Math.max(Math.abs(lo - z), Math.abs(hi - z));
    }

    @Override
    public void gemm(int m, int n, int k, byte[] a, int aOff, int lda, boolean aUnsigned, int za,
                     byte[] b, int bOff, int ldb, boolean bUnsigned, int[] zb, int[] c, int cOff, int ldc) {
        Checks.dims(m, n, k);
        Checks.matrix("A", a.length, aOff, lda, m, k);
        Checks.matrix("B", b.length, bOff, ldb, k, n);
        Checks.matrix("C", c.length, cOff, ldc, m, n);
        GemmS8.checkZeroPoints(n, za, zb);
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            for (int i = 0; i < m; i++) {
                java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0);
            }
            return;
        }
        int bmax = 0;
        if (zb == null) {
            bmax = maxAbs(bUnsigned, 0);
        } else {
            for (int z : zb) {
                bmax = Math.max(bmax, maxAbs(bUnsigned, z));
            }
        }
        int kcMax = exactDepth(maxAbs(aUnsigned, za), bmax);
        PanelGemm.run(m, n, k, kcMax, new BytesA(a, aOff, lda, aUnsigned, za),
                new BytesB(b, bOff, ldb, bUnsigned, zb, n), new PanelGemm.S8Sink(c, cOff, ldc), false);
    }

    /** Rows of A as floats {@code a − za}, panels of MR. */
    static final class BytesA extends PanelGemm.Source {
        private final byte[] a;
        private final int off;
        private final int ld;
        private final boolean unsigned;
        private final float za;

        BytesA(byte[] a, int off, int ld, boolean unsigned, int za) {
            this.a = a;
            this.off = off;
            this.ld = ld;
            this.unsigned = unsigned;
            this.za = za;
        }

        @Override
        void pack(int from, int len, int k0, int kc, float[] dst) {
            int mr = PanelGemm.MR;
            int mask = unsigned ? 0xFF : -1;
            for (int p0 = 0; p0 < len; p0 += mr) {
                int rr = Math.min(mr, len - p0);
                int o = (p0 / mr) * kc * mr;
                for (int r = 0; r < mr; r++) {
                    if (r >= rr) {
                        for (int kk = 0; kk < kc; kk++) {
                            dst[o + kk * mr + r] = 0f;
                        }
                        continue;
                    }
                    int src = off + (from + p0 + r) * ld + k0;
                    for (int kk = 0; kk < kc; kk++) {
                        dst[o + kk * mr + r] = (a[src + kk] & mask) - za;
                    }
                }
            }
        }
    }

    /** Columns of B as floats {@code b − zb[j]}, panels of NR; full panels are widened a vector at a time. */
    static final class BytesB extends PanelGemm.Source {
        private final byte[] b;
        private final int off;
        private final int ld;
        private final boolean unsigned;
        /** Zero point per column as floats (length n), or null for a single one. */
        private final float[] zcol;
        private final float z;

        BytesB(byte[] b, int off, int ld, boolean unsigned, int[] zb, int n) {
            this.b = b;
            this.off = off;
            this.ld = ld;
            this.unsigned = unsigned;
            if (zb != null && zb.length > 1) {
                float[] zc = new float[n];
                for (int j = 0; j < n; j++) {
                    zc[j] = zb[j];
                }
                this.zcol = zc;
                this.z = 0f;
            } else {
                this.zcol = null;
                this.z = zb == null ? 0f : zb[0];
            }
        }

        @Override
        void pack(int from, int len, int k0, int kc, float[] dst) {
            int nr = PanelGemm.NR;
            int mask = unsigned ? 0xFF : -1;
            for (int q0 = 0; q0 < len; q0 += nr) {
                int cc = Math.min(nr, len - q0);
                int o = (q0 / nr) * kc * nr;
                int j0 = from + q0;
                if (cc == nr && BS.length() == L) {
                    FloatVector z0 = zcol == null ? FloatVector.broadcast(S, z) : FloatVector.fromArray(S, zcol, j0);
                    FloatVector z1 = zcol == null ? z0 : FloatVector.fromArray(S, zcol, j0 + L);
                    int src = off + k0 * ld + j0;
                    // Widen bytes to floats. Each branch uses constant conversions (C2 intrinsifies only
                    // constant operators), and no vector crosses a method boundary.
                    for (int kk = 0; kk < kc; kk++) {
                        int d = o + kk * nr;
                        ByteVector v0 = ByteVector.fromArray(BS, b, src);
                        ByteVector v1 = ByteVector.fromArray(BS, b, src + L);
                        FloatVector f0;
                        FloatVector f1;
                        if (unsigned) {
                            f0 = (FloatVector) v0.convertShape(VectorOperators.ZERO_EXTEND_B2I, PanelGemm.IS, 0)
                                    .convert(VectorOperators.I2F, 0);
                            f1 = (FloatVector) v1.convertShape(VectorOperators.ZERO_EXTEND_B2I, PanelGemm.IS, 0)
                                    .convert(VectorOperators.I2F, 0);
                        } else {
                            f0 = (FloatVector) v0.convertShape(VectorOperators.B2I, PanelGemm.IS, 0)
                                    .convert(VectorOperators.I2F, 0);
                            f1 = (FloatVector) v1.convertShape(VectorOperators.B2I, PanelGemm.IS, 0)
                                    .convert(VectorOperators.I2F, 0);
                        }
                        f0.sub(z0).intoArray(dst, d);
                        f1.sub(z1).intoArray(dst, d + L);
                        src += ld;
                    }
                } else {
                    for (int kk = 0; kk < kc; kk++) {
                        int d = o + kk * nr;
                        int src = off + (k0 + kk) * ld + j0;
                        for (int c = 0; c < cc; c++) {
                            dst[d + c] = (b[src + c] & mask) - (zcol == null ? z : zcol[j0 + c]);
                        }
                        for (int c = cc; c < nr; c++) {
                            dst[d + c] = 0f;
                        }
                    }
                }
            }
        }
    }
}
