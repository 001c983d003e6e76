package io.t2c.tensor.kernel;

/**
 * Single-precision matrix multiply over row-major arrays: {@code C[m×n] (+)= op(A)[m×k] · op(B)[k×n]}.
 *
 * <p><b>Layout.</b> Every matrix is row-major inside a larger array: element {@code (i, j)} of a matrix stored at
 * offset {@code off} with leading dimension {@code ld} is {@code arr[off + i*ld + j]}. {@code op(X)} is {@code X} or,
 * when its transpose flag is set, {@code Xᵀ}: with {@code transA}, A is stored as a {@code k×m} matrix
 * ({@code lda ≥ m}) and {@code op(A)(i, p) = a[aOff + p*lda + i]}; with {@code transB}, B is stored {@code n×k}
 * ({@code ldb ≥ k}). C is never transposed ({@code ldc ≥ n}).
 *
 * <p><b>Accumulate.</b> {@code accumulate == false} overwrites C ({@code C = op(A)·op(B)}); {@code true} adds to it
 * ({@code C += op(A)·op(B)}). With {@code k == 0} the product is zero: C is zeroed or left alone.
 *
 * <p><b>Pre-packed operands.</b> A layer whose weights are reused across calls packs them once with
 * {@link #packA} (conv weights are the left operand: {@code Y[oc×hw] = W[oc×ckk]·col}) or {@link #packB} (linear
 * weights are the right operand: {@code Y = X·Wᵀ}, i.e. {@code packB(true, in, out, w, 0, in)}), keeps the returned
 * object, and calls the matching {@code gemm} overload. Packed operands are immutable, thread-safe and tied to the
 * implementation that made them: pass them only to the same {@code GemmF32} ({@link Kernels#gemmF32()} is a
 * singleton, so this holds when both come from there).
 *
 * <p><b>Threads and rounding.</b> Implementations may split work over {@link Parallel}; each output element is
 * computed by one thread in a fixed order, so results do not depend on the thread count. The summation order over
 * {@code k} is implementation defined: results agree with an exact dot product to float rounding (about
 * {@code 1e-6·sqrt(k)} relative to the magnitude of the terms), not bit for bit across implementations.
 *
 * <p>Dimensions must be ≥ 0 and leading dimensions at least the stored row length ({@link IllegalArgumentException}
 * otherwise); arrays must hold every described element ({@link IndexOutOfBoundsException} otherwise). Both are
 * checked before anything is written. The block sizes of the vector engine can be overridden for tuning with
 * {@code -Dt2c.gemm.kc}, {@code -Dt2c.gemm.mc} and {@code -Dt2c.gemm.nc}.
 */
public interface GemmF32 {

    /** {@code C[m×n] (+)= op(A)[m×k] · op(B)[k×n]}; see the class comment for layout and flags. */
    void gemm(boolean transA, boolean transB, int m, int n, int k,
              float[] a, int aOff, int lda,
              float[] b, int bOff, int ldb,
              float[] c, int cOff, int ldc, boolean accumulate);

    /** Plain dense {@code C[m×n] = A[m×k] · B[k×n]} with tight leading dimensions and zero offsets. */
    default void gemm(int m, int n, int k, float[] a, float[] b, float[] c) {
        gemm(false, false, m, n, k, a, 0, k, b, 0, n, c, 0, n, false);
    }

    /**
     * Strided batched GEMM: for {@code b} in {@code [0, batch)},
     * {@code C_b (+)= op(A_b)·op(B_b)} where matrix {@code b} of X starts at {@code xOff + b·strideX}. A stride of 0
     * broadcasts that operand (e.g. shared weights); {@code strideC} must be at least {@code m·ldc} when
     * {@code batch > 1}, so outputs do not overlap. Batches run in parallel when there are at least as many as
     * threads (each one single-threaded), otherwise one after another (each one multi-threaded). Broadcasting of
     * non-trivial batch shapes (e.g. [2,1,…] × [1,3,…]) is the caller's: call once per broadcast group.
     */
    default void gemmBatched(int batch, boolean transA, boolean transB, int m, int n, int k,
                             float[] a, int aOff, int lda, long strideA,
                             float[] b, int bOff, int ldb, long strideB,
                             float[] c, int cOff, int ldc, long strideC, boolean accumulate) {
        if (batch < 0 || strideA < 0 || strideB < 0 || (batch > 1 && strideC < (long) m * ldc)) {
            throw new IllegalArgumentException("batched GEMM: batch " + batch + ", strides A " + strideA + " B "
                    + strideB + " C " + strideC + " (C needs at least m*ldc = " + (long) m * ldc + ")");
        }
        if (batch > 0) {
            Checks.gemm(transA, transB, m, n, k, a.length, Math.toIntExact(aOff + strideA * (batch - 1)), lda,
                    b.length, Math.toIntExact(bOff + strideB * (batch - 1)), ldb,
                    c.length, Math.toIntExact(cOff + strideC * (batch - 1)), ldc);
        }
        Parallel.RangeBody body = (b0, b1) -> {
            for (int i = b0; i < b1; i++) {
                gemm(transA, transB, m, n, k, a, (int) (aOff + strideA * i), lda, b, (int) (bOff + strideB * i), ldb,
                        c, (int) (cOff + strideC * i), ldc, accumulate);
            }
        };
        if (batch >= Parallel.threads()) {
            Parallel.forRange(batch, 1, body);
        } else {
            body.run(0, batch);
        }
    }

    /** Packs {@code op(A)[m×k]} (same layout rules as {@link #gemm}) for reuse as the left operand. */
    PackedA packA(boolean transA, int m, int k, float[] a, int aOff, int lda);

    /** Packs {@code op(B)[k×n]} (same layout rules as {@link #gemm}) for reuse as the right operand. */
    PackedB packB(boolean transB, int k, int n, float[] b, int bOff, int ldb);

    /** {@code C[m×n] (+)= A · op(B)} with a pre-packed {@code A} ({@code m = a.rows()}, {@code k = a.depth()}). */
    void gemm(PackedA a, boolean transB, int n, float[] b, int bOff, int ldb,
              float[] c, int cOff, int ldc, boolean accumulate);

    /** {@code C[m×n] (+)= op(A) · B} with a pre-packed {@code B} ({@code k = b.depth()}, {@code n = b.cols()}). */
    void gemm(boolean transA, int m, float[] a, int aOff, int lda, PackedB b,
              float[] c, int cOff, int ldc, boolean accumulate);
}
