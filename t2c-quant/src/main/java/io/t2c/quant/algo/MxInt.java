package io.t2c.quant.algo;

import io.t2c.quant.Calibrator;
import io.t2c.quant.FakeQuant;
import io.t2c.quant.Granularity;
import io.t2c.quant.QuantContext;
import io.t2c.quant.QuantSpec;
import io.t2c.quant.Quantizer;
import io.t2c.quant.Role;
import io.t2c.quant.Rounding;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;

/**
 * MXINT (OCP Microscaling Formats v1.0): blocks of {@value #BLOCK} elements along the reduction dimension share one
 * power-of-two scale; each element is a signed integer. For INTn elements (n = the template's bits, 8 for MXINT8) the
 * element is two's complement with an implicit scale 2^−(n−2) (MXINT8: 2^−6, values in [−2, 2)), whose largest
 * power of two, emax, is 0; the shared exponent of a block is {@code e = floor(log2 max|x|) − emax}, clamped to the
 * E8M0 range [−127, 127]. In our terms the step of a block is {@code Δ = 2^(e − (n−2))}, stored as a power-of-two
 * {@link QuantSpec}, and the codes are {@code clamp(round(x/Δ), −(2^(n−1)−1), 2^(n−1)−1)}:
 *
 * <ul>
 * <li>symmetric (narrow) range ±127, as the OCP spec treats −2.0 as optional; Torch2Chip allows −128;
 * <li>ties away from zero, as Torch2Chip and Microsoft's microxcaling reference library round ({@code
 *     sign·floor(|v| + 0.5)}); the OCP text defines the scale, not this rounding;
 * <li>an all-zero block takes e = 0 (any step represents it; Torch2Chip's log2(0) gives NaN).
 * </ul>
 *
 * <p>Weights (rank ≥ 2) are blocked along the flattened input dimensions (group granularity from axis 1: I·kh·kw of a
 * convolution, in the im2col order; the input columns of a Gemm weight stored as (out, in)). Torch2Chip blocks along
 * the output channels instead, across the reduction. Activations are blocked along the last axis (the channels of
 * (B, C) and (B, T, C)), recomputed for every sample at run time: the scales calibration stores are those of the last
 * calibration batch, and {@link #simulate}, {@link #backward} and {@link #toInteger} use {@link #blockSpec} of the
 * tensor they are given. NCHW activations are rejected: their channel blocks are not contiguous, which a group
 * granularity cannot express.
 */
public final class MxInt implements Quantizer {
    public static final int BLOCK = 32;
    private static final int E8M0_MIN = -127;
    private static final int E8M0_MAX = 127;

    @Override
    public String name() {
        return "mxint";
    }

    @Override
    public String description() {
        return "OCP MX integer: a power-of-two scale per " + BLOCK + " elements of the reduction dimension";
    }

    @Override
    public Granularity granularity(Role role, int rank) {
        if (role == Role.WEIGHT) {
            return Granularity.perGroup(rank >= 2 ? 1 : 0, BLOCK);
        }
        if (rank == 4) {
            throw new T2cException("mxint blocks activations along their last axis; an NCHW activation's channels "
                    + "are not contiguous");
        }
        return Granularity.perGroup(rank - 1, BLOCK);
    }

    @Override
    public Calibrator calibrator(Role role, QuantSpec template) {
        if (!template.signed() || template.bits() < 2) {
            throw new T2cException("mxint elements are signed integers of at least 2 bits, got " + template);
        }
        return new Calibrator() {
            private Tensor last;

            @Override
            public void observe(Tensor x) {
                last = x;
            }

            @Override
            public Calibration finish() {
                if (last == null) {
                    throw new T2cException("nothing was observed during calibration");
                }
                return new Calibration(blockSpec(template, last));
            }
        };
    }

    /** The MX spec of x: the template's block granularity with one power-of-two step per block. */
    public static QuantSpec blockSpec(QuantSpec template, Tensor x) {
        QuantSpec mx = template.withNarrow(true).withRounding(Rounding.HALF_AWAY).withPowerOfTwo(true);
        Granularity.Indexer idx = mx.granularity().indexer(x.shape());
        float[] maxAbs = new float[mx.granularity().count(x.shape())];
        float[] v = x.floats();
        for (int i = 0; i < v.length; i++) {
            int g = idx.granule(i);
            maxAbs[g] = Math.max(maxAbs[g], Math.abs(v[i]));
        }
        int elementFractionBits = template.bits() - 2;
        float[] scale = new float[maxAbs.length];
        for (int g = 0; g < scale.length; g++) {
            if (!Float.isFinite(maxAbs[g])) {
                throw new T2cException("mxint cannot scale a block holding " + maxAbs[g]);
            }
            // Math.getExponent of the double is floor(log2) exactly, also for float subnormals.
            int e = maxAbs[g] == 0 ? 0 : Math.getExponent((double) maxAbs[g]);
            e = Math.max(E8M0_MIN, Math.min(E8M0_MAX, e));
            scale[g] = Math.scalb(1f, e - elementFractionBits);
        }
        return mx.withValues(scale, new int[scale.length]);
    }

    private static QuantSpec specFor(QuantContext c, Tensor x) {
        return c.role() == Role.WEIGHT ? c.spec() : blockSpec(c.spec(), x);
    }

    @Override
    public Tensor simulate(QuantContext c, Tensor x) {
        return FakeQuant.simulate(specFor(c, x), x);
    }

    @Override
    public Gradients backward(QuantContext c, Tensor x, Tensor gradY) {
        return new Gradients(FakeQuant.steGradient(specFor(c, x), x, gradY), java.util.Map.of());
    }

    @Override
    public Tensor toInteger(QuantContext c, Tensor x) {
        return FakeQuant.toInteger(specFor(c, x), x);
    }
}
