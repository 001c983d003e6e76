package io.t2c.tensor.kernel;

/**
 * 8-bit integer matrix multiply with 32-bit results over row-major arrays:
 * {@code C[m×n] = (A[m×k] − za) · (B[k×n] − zb)}, the core of ONNX MatMulInteger / QLinearMatMul / QLinearConv.
 *
 * <p><b>Values.</b> A and B are {@code byte[]}; each is read as signed int8 ({@code -128..127}) or, with its
 * {@code unsigned} flag, as uint8 ({@code b & 0xFF}, {@code 0..255}). Zero points are ints in {@code [-128, 255]}:
 * {@code za} per tensor; {@code zb} is {@code null} (zero), of length 1 (per tensor) or of length {@code n} (per
 * output column, i.e. per output channel of a linear layer whose weights are B).
 *
 * <p><b>Exactness.</b> Results are exact integers. Sums that do not fit in 32 bits (only possible for
 * {@code k > 2^31 / 383² ≈ 14 600}, or {@code k > 2^17} without zero points) wrap modulo 2^32 like Java int
 * arithmetic; every implementation gives the same bits, so the scalar kernel is the reference.
 *
 * <p>Layout as in {@link GemmF32} (no transposes): element {@code (i, j)} of a matrix at offset {@code off} with
 * leading dimension {@code ld} is {@code arr[off + i*ld + j]}. C is overwritten.
 */
public interface GemmS8 {
    /** Smallest allowed zero point. */
    int MIN_ZERO_POINT = -128;
    /** Largest allowed zero point. */
    int MAX_ZERO_POINT = 255;

    /** {@code C[m×n] = A[m×k] · B[k×n]}, both signed int8, no zero points. */
    default void gemm(int m, int n, int k, byte[] a, int aOff, int lda, byte[] b, int bOff, int ldb,
                      int[] c, int cOff, int ldc) {
        gemm(m, n, k, a, aOff, lda, false, 0, b, bOff, ldb, false, null, c, cOff, ldc);
    }

    /**
     * {@code C[m×n] = (A − za) · (B − zb)} with A and B read as int8 or uint8 (see the class comment).
     *
     * @param zb null, one zero point for all of B, or one per column ({@code n} values)
     */
    void gemm(int m, int n, int k, byte[] a, int aOff, int lda, boolean aUnsigned, int za,
              byte[] b, int bOff, int ldb, boolean bUnsigned, int[] zb, int[] c, int cOff, int ldc);

    /** Checks the zero points of a call; shared by the implementations. */
    static void checkZeroPoints(int n, int za, int[] zb) {
        if (za < MIN_ZERO_POINT || za > MAX_ZERO_POINT) {
            throw new IllegalArgumentException("zero point of A is " + za + ", outside [-128, 255]");
        }
        if (zb != null) {
            if (zb.length != 1 && zb.length != n) {
                throw new IllegalArgumentException("B has " + zb.length + " zero points; expected 1 or n = " + n);
            }
            for (int z : zb) {
                if (z < MIN_ZERO_POINT || z > MAX_ZERO_POINT) {
                    throw new IllegalArgumentException("a zero point of B is " + z + ", outside [-128, 255]");
                }
            }
        }
    }
}
