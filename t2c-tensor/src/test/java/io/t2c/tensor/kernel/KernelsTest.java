package io.t2c.tensor.kernel;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KernelsTest {
    @Test
    void chosenOnceAndVectorInTheTestJvm() {
        // The test JVM runs C2 with --add-modules jdk.incubator.vector on an AVX2/AVX-512 machine.
        assertNull(Kernels.moduleRefusal());
        assertSame(Kernels.get(), Kernels.get());
        if (System.getProperty("t2c.kernels") == null && Kernels.jitRefusal() == null
                && VectorKernels.preferredBits() >= 256) {
            assertTrue(Kernels.get().isVector(), Kernels.get().description());
            assertSame(Kernels.vector().orElseThrow(), Kernels.get());
        }
    }

    @Test
    void scalarAndVectorAreWhatTheySay() {
        Kernels s = Kernels.scalar();
        assertFalse(s.isVector());
        assertTrue(s.gemmF32() instanceof ScalarGemmF32);
        assertTrue(s.gemmS8() instanceof ScalarGemmS8);
        assertTrue(s.conv2dF32() instanceof ScalarConv2dF32);
        assertTrue(s.convTranspose2dF32() instanceof ScalarConvTranspose2dF32);
        Kernels v = Kernels.vector().orElseThrow();
        assertTrue(v.isVector());
        assertTrue(v.gemmF32() instanceof VectorGemmF32);
        assertTrue(v.description().contains(VectorConstants.FLOAT.vectorBitSize() + "-bit"), v.description());
    }
}
