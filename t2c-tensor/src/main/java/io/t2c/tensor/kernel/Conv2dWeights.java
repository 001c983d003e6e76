package io.t2c.tensor.kernel;

import java.util.Arrays;

/**
 * Convolution weights prepared once by {@link Conv2dF32#prepare} for repeated calls, e.g. a Conv node's initializer
 * across inferences: the vector kernels keep them packed into GEMM panels (packing costs about as much as a
 * 512-channel 7×7 conv layer's arithmetic divided by five, so it matters for repeated calls).
 *
 * <p>Holds a reference to the original array as well (not a copy): it must not be modified while this object is in
 * use. Usable with any {@link Conv2dParams} whose weight shape ({@code outChannels}, {@code inChannels/groups},
 * kernel) and group count match; only with the {@code Conv2dF32} that prepared it.
 */
public final class Conv2dWeights {
    final float[] raw;
    /**
     * Per group: the weights as a pre-packed GEMM left operand in {@code PanelGemm.Blocked} order, or null where
     * the kernel reads {@link #raw}.
     */
    final float[][] packed;
    /** The weights in {@link BlockedConv}'s order, or null where that kernel cannot run them. */
    final float[] blocked;
    final int outChannels;
    final int groupInChannels;
    final int kernelH;
    final int kernelW;
    final int groups;
    final Object owner;

    Conv2dWeights(Conv2dParams p, float[] raw, float[][] packed, Object owner) {
        this(p, raw, packed, null, owner);
    }

    Conv2dWeights(Conv2dParams p, float[] raw, float[][] packed, float[] blocked, Object owner) {
        Conv2dParams.check("w", raw.length, p.weightSize());
        this.raw = raw;
        this.packed = packed;
        this.blocked = blocked;
        this.outChannels = p.outChannels();
        this.groupInChannels = p.groupInChannels();
        this.kernelH = p.kernelH();
        this.kernelW = p.kernelW();
        this.groups = p.groups();
        this.owner = owner;
    }

    /** The weight shape {@code [outChannels, inChannels/groups, kernelH, kernelW]}. */
    public int[] shape() {
        return new int[] {outChannels, groupInChannels, kernelH, kernelW};
    }

    public int groups() {
        return groups;
    }

    void check(Conv2dParams p, Object conv) {
        if (owner != conv) {
            throw new IllegalArgumentException("Conv2dWeights were prepared by " + owner.getClass().getSimpleName()
                    + "; pass them only to the Conv2dF32 that prepared them");
        }
        if (p.outChannels() != outChannels || p.groupInChannels() != groupInChannels || p.kernelH() != kernelH
                || p.kernelW() != kernelW || p.groups() != groups) {
            throw new IllegalArgumentException("weights prepared for shape " + Arrays.toString(shape()) + " group "
                    + groups + " do not match " + p);
        }
    }
}
