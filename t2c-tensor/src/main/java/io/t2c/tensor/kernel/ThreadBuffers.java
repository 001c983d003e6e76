package io.t2c.tensor.kernel;

/**
 * Per-thread scratch arrays that grow and are reused across kernel calls, so convolutions do not allocate
 * megabytes per call. Each slot is owned by one use; a kernel must not hold a slot across a call that uses the
 * same slot on the same thread.
 */
final class ThreadBuffers {
    /** The conv input phase grid (read by GEMM workers). */
    static final int GRID = 0;
    /** Partial sums of a conv grid GEMM's column block (see {@link GridGemm}). */
    static final int GEMM_OUT = 1;
    /** The column matrix of a transposed convolution. */
    static final int COLUMNS = 2;
    /** A depthwise channel's phase grid. */
    static final int DEPTHWISE = 3;
    /** Padded column tail and C tile of the small-GEMM path. */
    static final int SMALL = 4;
    /** The ȳ grid of a conv weight gradient. */
    static final int WEIGHT_GRADIENT_OUTPUT = 5;
    /** The input phase grid of a conv weight gradient. */
    static final int WEIGHT_GRADIENT_INPUT = 6;

    private static final ThreadLocal<float[][]> SLOTS = ThreadLocal.withInitial(() -> new float[7][]);

    private ThreadBuffers() {}

    /** A float array of at least {@code length} elements for {@code slot} on this thread; contents undefined. */
    static float[] get(int slot, long length) {
        if (length > Integer.MAX_VALUE - 8) {
            throw new io.t2c.tensor.T2cException("a kernel needs a " + length
                    + "-element scratch buffer, more than a Java array can hold; use a smaller batch or input");
        }
        float[][] slots = SLOTS.get();
        float[] b = slots[slot];
        if (b == null || b.length < length) {
            b = new float[(int) Math.max(length, b == null ? 0 : Math.min(Integer.MAX_VALUE - 8, b.length * 3L / 2))];
            slots[slot] = b;
        }
        return b;
    }
}
