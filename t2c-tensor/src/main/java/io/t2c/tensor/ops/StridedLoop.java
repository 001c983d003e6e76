package io.t2c.tensor.ops;

import io.t2c.tensor.kernel.Parallel;

/**
 * The one loop behind broadcasting, transposes, slices and expands: it walks a row-major output while each operand
 * is read through its own strides, so an operand can be broadcast (stride 0), permuted or stepped.
 *
 * <p>Before walking, dimensions of size 1 are dropped and adjacent dimensions that every operand reads contiguously
 * are merged, so a same-shape op becomes one long row and a bias over channels becomes rows with a stride-0 operand.
 * The body then sees rows: {@code n} consecutive output elements, operand {@code k} starting at {@code pos[k]} and
 * advancing by {@code step[k]} (0 or any stride). Rows are split over threads in contiguous ranges; a single long row
 * is split into pieces.
 */
final class StridedLoop {
    /** Minimum number of output elements per parallel task for cheap (memory-bound) bodies. */
    static final int GRAIN = 1 << 15;

    /** Processes one row; must not modify {@code pos} or {@code step}. */
    @FunctionalInterface
    interface Rows {
        void run(int[] pos, int[] step, int outPos, int n);
    }

    private StridedLoop() {}

    /**
     * Strides that read {@code in} as if broadcast to {@code out} (numpy rules, right-aligned): 0 where {@code in}
     * has size 1 or lacks the dimension. Assumes the shapes are compatible.
     */
    static int[] broadcastStrides(int[] in, int[] out) {
        int[] s = new int[out.length];
        int off = out.length - in.length;
        int acc = 1;
        for (int d = in.length - 1; d >= 0; d--) {
            s[d + off] = in[d] == 1 ? 0 : acc;
            acc *= in[d];
        }
        return s;
    }

    static void run(int[] shape, int[] base, int[][] strides, Rows body) {
        run(shape, base, strides, GRAIN, body);
    }

    /**
     * Walks the row-major output of {@code shape}; operand {@code k}'s element for index {@code idx} is at
     * {@code base[k] + sum_d idx[d] * strides[k][d]}. {@code grain} is the minimum element count per task.
     */
    static void run(int[] shape, int[] base, int[][] strides, int grain, Rows body) {
        int k = strides.length;
        int rank = shape.length;
        long total = 1;
        for (int d : shape) {
            total *= d;
        }
        if (total == 0) {
            return;
        }
        // Merged dims, innermost first.
        int[] dims = new int[Math.max(rank, 1)];
        int[][] st = new int[k][Math.max(rank, 1)];
        int m = 0;
        for (int d = rank - 1; d >= 0; d--) {
            if (shape[d] == 1) {
                continue;
            }
            boolean merge = m > 0;
            for (int j = 0; j < k && merge; j++) {
                merge = strides[j][d] == (long) st[j][m - 1] * dims[m - 1];
            }
            if (merge) {
                dims[m - 1] *= shape[d];
            } else {
                dims[m] = shape[d];
                for (int j = 0; j < k; j++) {
                    st[j][m] = strides[j][d];
                }
                m++;
            }
        }
        int inner = m > 0 ? dims[0] : 1;
        int[] step = new int[k];
        for (int j = 0; j < k; j++) {
            step[j] = m > 0 ? st[j][0] : 0;
        }
        int rows = (int) (total / inner);
        int mm = m;
        if (rows == 1) {
            Parallel.forRange(inner, grain, (from, to) -> {
                int[] pos = new int[k];
                for (int j = 0; j < k; j++) {
                    pos[j] = base[j] + from * step[j];
                }
                body.run(pos, step, from, to - from);
            });
            return;
        }
        Parallel.forRange(rows, Math.max(1, grain / inner), (from, to) -> {
            int[] idx = new int[mm];
            int[] pos = base.clone();
            int r = from;
            for (int d = 1; d < mm; d++) {
                idx[d] = r % dims[d];
                r /= dims[d];
                for (int j = 0; j < k; j++) {
                    pos[j] += idx[d] * st[j][d];
                }
            }
            for (int row = from; row < to; row++) {
                body.run(pos, step, row * inner, inner);
                for (int d = 1; d < mm; d++) {
                    idx[d]++;
                    for (int j = 0; j < k; j++) {
                        pos[j] += st[j][d];
                    }
                    if (idx[d] < dims[d]) {
                        break;
                    }
                    idx[d] = 0;
                    for (int j = 0; j < k; j++) {
                        pos[j] -= st[j][d] * dims[d];
                    }
                }
            }
        });
    }
}
