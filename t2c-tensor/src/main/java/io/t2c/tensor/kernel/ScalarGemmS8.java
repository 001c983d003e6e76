package io.t2c.tensor.kernel;

/**
 * Reference {@link GemmS8}: plain loops with {@code long} accumulation, then a cast to int.
 *
 * <p>Overflow bound: each term {@code (a − za)(b − zb)} has magnitude at most {@code 383² = 146 689 < 2^18}
 * (values in [-128, 255], zero points in [-128, 255]), so a long sum cannot overflow for any {@code k < 2^45}.
 * The final cast keeps the low 32 bits, which is exactly what wrapping int arithmetic gives, so implementations that
 * add int partial sums agree with this one bit for bit.
 */
public final class ScalarGemmS8 implements GemmS8 {
    @Override
    public void gemm(int m, int n, int k, byte[] a, int aOff, int lda, boolean aUnsigned, int za,
                     byte[] b, int bOff, int ldb, boolean bUnsigned, int[] zb, int[] c, int cOff, int ldc) {
        Checks.dims(m, n, k);
        Checks.matrix("A", a.length, aOff, lda, m, k);
        Checks.matrix("B", b.length, bOff, ldb, k, n);
        Checks.matrix("C", c.length, cOff, ldc, m, n);
        GemmS8.checkZeroPoints(n, za, zb);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                int zbj = zb == null ? 0 : zb.length == 1 ? zb[0] : zb[j];
                long s = 0;
                for (int p = 0; p < k; p++) {
                    int av = aUnsigned ? a[aOff + i * lda + p] & 0xFF : a[aOff + i * lda + p];
                    int bv = bUnsigned ? b[bOff + p * ldb + j] & 0xFF : b[bOff + p * ldb + j];
                    s += (long) (av - za) * (bv - zbj);
                }
                c[cOff + i * ldc + j] = (int) s;
            }
        }
    }
}
