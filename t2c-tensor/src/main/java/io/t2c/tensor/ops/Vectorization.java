package io.t2c.tensor.ops;

import java.lang.System.Logger.Level;

/**
 * Decides once whether the ops use the Vector API ({@link VectorKernels}) or plain scalar loops.
 *
 * <p>The Vector API is used when the {@code jdk.incubator.vector} module is in the boot layer (run with
 * {@code --add-modules jdk.incubator.vector}), {@code -Dt2c.kernels=scalar} is not set, and the preferred float
 * species has at least 4 lanes. Nothing here touches a Vector API class before the module check passes.
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

    private static boolean detect() {
        System.Logger log = System.getLogger("io.t2c.tensor.ops");
        if ("scalar".equalsIgnoreCase(System.getProperty("t2c.kernels"))) {
            log.log(Level.DEBUG, "t2c ops: scalar loops (-Dt2c.kernels=scalar)");
            return false;
        }
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            log.log(Level.INFO, "t2c ops: Vector API not available, using scalar loops; "
                    + "pass '--add-modules jdk.incubator.vector' to the JVM for the fast paths");
            return false;
        }
        try {
            int lanes = VectorKernels.floatLanes();
            if (lanes < 4) {
                log.log(Level.INFO, "t2c ops: preferred float vector has " + lanes + " lanes; using scalar loops");
                return false;
            }
            log.log(Level.DEBUG, "t2c ops: Vector API with " + lanes + " float lanes");
            return true;
        } catch (LinkageError e) {
            log.log(Level.INFO, "t2c ops: Vector API failed to load (" + e + "); using scalar loops");
            return false;
        }
    }
}
