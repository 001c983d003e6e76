package io.t2c.tensor.ops;

import io.t2c.tensor.kernel.Kernels;

/**
 * Decides once whether the ops use the Vector API ({@link VectorKernels}) or plain scalar loops.
 *
 * <p>The choice is the kernels' ({@link Kernels#get()}: module readable, C2 present, preferred species wide enough,
 * {@code -Dt2c.kernels=scalar|vector} honoured), so the whole process either vectorizes or not and logs why once.
 * Tests may force the scalar paths to check that both agree.
 */
final class Vectorization {
    private static final boolean AVAILABLE = detect();
    private static volatile boolean forceScalar;

    private Vectorization() {}

    /** True when the vector loops should run. Read once per op call, never per element. */
    static boolean enabled() {
        return AVAILABLE && !forceScalar;
    }

    /** For tests: run the scalar loops even when the Vector API is available. */
    static void forceScalar(boolean scalar) {
        forceScalar = scalar;
    }

    /** One decision for the whole module: the ops vectorize exactly when the kernels do ({@link Kernels#get()}). */
    private static boolean detect() {
        return Kernels.get().isVector();
    }
}
