package io.t2c.tensor.kernel;

/** Argument checks shared by the kernels: they fail before any output is written, with the offending numbers. */
final class Checks {
    private Checks() {}

    static void dims(int m, int n, int k) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("GEMM dimensions must be >= 0, got m=" + m + " n=" + n + " k=" + k);
        }
    }

    /**
     * Checks that a row-major {@code rows×cols} matrix at {@code off} with leading dimension {@code ld} fits in an
     * array of {@code length} elements.
     */
    static void matrix(String name, int length, int off, int ld, int rows, int cols) {
        if (ld < cols) {
            throw new IllegalArgumentException("leading dimension of " + name + " is " + ld + ", less than its "
                    + cols + " stored columns");
        }
        if (rows == 0 || cols == 0) {
            return;
        }
        long last = (long) off + (long) (rows - 1) * ld + cols - 1;
        if (off < 0 || last >= length) {
            throw new IndexOutOfBoundsException(name + ": a " + rows + "x" + cols + " matrix at offset " + off
                    + " with leading dimension " + ld + " needs " + (last + 1) + " elements, array has " + length);
        }
    }

    /** Checks op(A), op(B) and C of a GEMM call. */
    static void gemm(boolean transA, boolean transB, int m, int n, int k, int aLen, int aOff, int lda,
                     int bLen, int bOff, int ldb, int cLen, int cOff, int ldc) {
        dims(m, n, k);
        if (transA) {
            matrix("A (transposed)", aLen, aOff, lda, k, m);
        } else {
            matrix("A", aLen, aOff, lda, m, k);
        }
        if (transB) {
            matrix("B (transposed)", bLen, bOff, ldb, n, k);
        } else {
            matrix("B", bLen, bOff, ldb, k, n);
        }
        matrix("C", cLen, cOff, ldc, m, n);
    }
}
