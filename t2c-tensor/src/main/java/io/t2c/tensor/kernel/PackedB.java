package io.t2c.tensor.kernel;

/**
 * A right GEMM operand {@code B[depth×cols]} packed once by {@link GemmF32#packB} for reuse across calls, e.g. the
 * transposed weights of a linear layer.
 *
 * <p>Layout (an implementation detail, fixed per packer): columns are grouped into panels of {@link #width()}
 * columns, the last one zero-padded; panel {@code q} holds {@code depth × width} floats, k-major, starting at
 * {@code q·depth·width}. Immutable once built.
 */
public final class PackedB {
    final float[] data;
    final int depth;
    final int cols;
    final int width;
    final Object owner;

    PackedB(float[] data, int depth, int cols, int width, Object owner) {
        this.data = data;
        this.depth = depth;
        this.cols = cols;
        this.width = width;
        this.owner = owner;
    }

    /** Rows of B ({@code k}). */
    public int depth() {
        return depth;
    }

    /** Columns of B ({@code n}). */
    public int cols() {
        return cols;
    }

    /** Columns per panel. */
    public int width() {
        return width;
    }

    /** Value of element {@code (p, j)}. */
    public float get(int p, int j) {
        return data[(j / width) * depth * width + p * width + j % width];
    }

    void checkOwner(Object gemm) {
        if (owner != gemm) {
            throw new IllegalArgumentException("PackedB was packed by " + owner.getClass().getSimpleName()
                    + "; pass it only to the GemmF32 that packed it");
        }
    }
}
