package io.t2c.tensor.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector species every {@code Vector*} kernel uses, computed once. This is the only class whose static
 * initializer touches the Vector API, and it is loaded only after {@link Kernels} has checked that the
 * {@code jdk.incubator.vector} module is readable (Lucene's {@code PanamaVectorConstants} pattern).
 *
 * <p>{@code -Dt2c.vectorBits=256} (or 128, 512) forces a narrower or wider shape than the CPU's preferred one, so the
 * kernels' 256-bit paths can be tested on an AVX-512 machine.
 */
final class VectorConstants {
    /** Float species of the kernels: the CPU's preferred shape unless {@code -Dt2c.vectorBits} says otherwise. */
    static final VectorSpecies<Float> FLOAT = floatSpecies();
    /** Int species of the same bit size as {@link #FLOAT}, so F2I conversions keep the lane count. */
    static final VectorSpecies<Integer> INT = VectorSpecies.of(int.class, FLOAT.vectorShape());
    /** Floats per vector. */
    static final int FLOAT_LANES = FLOAT.length();
    /** Bytes that widen to one float vector (at least 64 bits, the smallest byte shape). */
    static final VectorSpecies<Byte> BYTE_FOR_FLOAT =
            VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, FLOAT_LANES * 8)));
    /**
     * Even lanes of two concatenated float vectors ({@code a.rearrange(EVEN, b)} = a0 a2 … b0 b2 …); indexes past
     * the first vector are exceptional and select from the second (one two-source permute on AVX-512).
     */
    static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(FLOAT, i -> 2 * i);
    /** Odd lanes of two concatenated float vectors. */
    static final VectorShuffle<Float> ODD = VectorShuffle.fromOp(FLOAT, i -> 2 * i + 1);

    private VectorConstants() {}

    private static VectorSpecies<Float> floatSpecies() {
        Integer bits = Integer.getInteger("t2c.vectorBits");
        if (bits == null) {
            return FloatVector.SPECIES_PREFERRED;
        }
        return VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
    }

    /** Bit size of the preferred shape on this CPU, before any override. */
    static int preferredBits() {
        return VectorShape.preferredShape().vectorBitSize();
    }
}
