package io.t2c.tensor.kernel;

/**
 * Builds the vector kernels. Only {@link Kernels} calls this, after checking that the Vector API module is
 * readable; keeping it out of {@code Kernels} means no Vector API class is loaded before those checks.
 */
final class VectorKernels {
    private VectorKernels() {}

    static Kernels create() {
        VectorGemmF32 gemm = new VectorGemmF32();
        String description = "vector (FloatVector " + VectorConstants.FLOAT.vectorBitSize() + "-bit, "
                + VectorConstants.FLOAT_LANES + " lanes; GEMM register tile " + PanelGemm.MR + "x" + PanelGemm.NR
                + ", KC=" + PanelGemm.KC + " MC=" + PanelGemm.MC + " NC=" + PanelGemm.NC + "; "
                + Parallel.threads() + " threads)";
        return new Kernels("vector", description, gemm, new VectorGemmS8(), new VectorConv2dF32(gemm),
                new VectorConvTranspose2dF32(gemm));
    }

    static int preferredBits() {
        return VectorConstants.preferredBits();
    }
}
