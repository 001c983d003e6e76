package io.t2c.tensor.kernel;

/**
 * A left GEMM operand {@code A[rows×depth]} packed once by {@link GemmF32#packA} for reuse across calls, e.g. conv
 * weights {@code [oc × c·kh·kw]}.
 *
 * <p>Layout (an implementation detail, fixed per packer): rows are grouped into panels of {@link #width()} rows,
 * the last one zero-padded; panel {@code p} holds {@code depth × width} floats, k-major, starting at
 * {@code p·depth·width}. Immutable once built.
 */
public final class PackedA {
    final float[] data;
    final int rows;
    final int depth;
    final int width;
    final Object owner;

    PackedA(float[] data, int rows, int depth, int width, Object owner) {
        this.data = data;
        this.rows = rows;
        this.depth = depth;
        this.width = width;
        this.owner = owner;
    }

    /** Rows of A ({@code m}). */
    public int rows() {
        return rows;
    }

    /** Columns of A ({@code k}). */
    public int depth() {
        return depth;
    }

    /** Rows per panel. */
    public int width() {
        return width;
    }

    /** Value of element {@code (i, p)}. */
    public float get(int i, int p) {
        return data[(i / width) * depth * width + p * width + i % width];
    }

    void checkOwner(Object gemm) {
        if (owner != gemm) {
            throw new IllegalArgumentException("PackedA was packed by " + owner.getClass().getSimpleName()
                    + "; pass it only to the GemmF32 that packed it");
        }
    }
}
