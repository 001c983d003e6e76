package io.t2c.quant;

import io.t2c.tensor.T2cException;
import java.util.Arrays;

/**
 * Which elements of a tensor share one scale and zero point (a granule).
 *
 * <ul>
 * <li>{@code tensor}: one granule.
 * <li>{@code channel(axis)}: one per index along {@code axis} (weights: the output channel, axis 0).
 * <li>{@code token(axis)}: one per token position along {@code axis} (e.g. axis 1 of a (B, T, C) activation). The
 *     granule of token t holds token t of every sample, each sample's own values: statistics are per sample, and
 *     never mix the tokens of different samples.
 * <li>{@code group(axis, size)}: blocks of {@code size} consecutive elements of the flattened dimensions from
 *     {@code axis} on (the reduction dimension of a weight with axis 1), one granule per block and outer index.
 * </ul>
 *
 * Parameters are stored in a shape that broadcasts against the tensor ({@link #paramShape}): ones except the
 * channel/token axis; for groups, the outer dimensions followed by the number of blocks.
 */
public record Granularity(Kind kind, int axis, int groupSize) {
    public enum Kind { TENSOR, CHANNEL, TOKEN, GROUP }

    public Granularity {
        if (kind == Kind.GROUP && groupSize < 1) {
            throw new T2cException("group size must be positive, got " + groupSize);
        }
    }

    public static Granularity perTensor() {
        return new Granularity(Kind.TENSOR, 0, 0);
    }

    public static Granularity perChannel(int axis) {
        return new Granularity(Kind.CHANNEL, axis, 0);
    }

    public static Granularity perToken(int axis) {
        return new Granularity(Kind.TOKEN, axis, 0);
    }

    public static Granularity perGroup(int axis, int size) {
        return new Granularity(Kind.GROUP, axis, size);
    }

    /** The attribute spelling: tensor, channel, token, group. */
    public String id() {
        return kind.name().toLowerCase(java.util.Locale.ROOT);
    }

    public static Granularity parse(String id, int axis, int groupSize) {
        for (Kind k : Kind.values()) {
            if (k.name().equalsIgnoreCase(id)) {
                return new Granularity(k, axis, groupSize);
            }
        }
        throw new T2cException("unknown granularity '" + id + "'; use tensor, channel, token or group");
    }

    /** The axis in a tensor of the given rank (negative axes count from the end). */
    public int axisIn(int rank) {
        int a = axis < 0 ? axis + rank : axis;
        if (kind != Kind.TENSOR && (a < 0 || a >= rank)) {
            throw new T2cException(id() + " axis " + axis + " is outside a rank-" + rank + " tensor");
        }
        return a;
    }

    /** The shape of the scale and zero-point tensors for a tensor of shape {@code x}. */
    public int[] paramShape(int[] x) {
        int[] s = new int[x.length];
        Arrays.fill(s, 1);
        switch (kind) {
            case TENSOR -> { }
            case CHANNEL, TOKEN -> s[axisIn(x.length)] = x[axisIn(x.length)];
            case GROUP -> {
                int a = axisIn(x.length);
                s = Arrays.copyOf(x, a + 1);
                s[a] = Math.ceilDiv(flatFrom(x, a), groupSize);
            }
        }
        return s;
    }

    /** Maps a flat (row-major) element index of a tensor of shape {@code x} to its granule's index. */
    public Indexer indexer(int[] x) {
        return switch (kind) {
            case TENSOR -> i -> 0;
            case CHANNEL, TOKEN -> {
                int a = axisIn(x.length);
                int inner = flatFrom(x, a + 1);
                int n = x[a];
                yield i -> (i / inner) % n;
            }
            case GROUP -> {
                int a = axisIn(x.length);
                int row = flatFrom(x, a);
                int blocks = Math.ceilDiv(row, groupSize);
                int size = groupSize;
                yield i -> (i / row) * blocks + (i % row) / size;
            }
        };
    }

    /**
     * Visits the elements of a tensor of shape {@code x} as runs of consecutive (row-major) elements that share a
     * granule — a channel's spatial map, a token's features, a group — on all cores. Runs are disjoint, so a body
     * that writes only its own elements gives the same result for any thread count.
     */
    public void forEachRun(int[] x, RunBody body) {
        int n = 1;
        for (int d : x) {
            n *= d;
        }
        final int total = n;
        switch (kind) {
            case TENSOR -> io.t2c.tensor.kernel.Parallel.forRange(total, 1 << 14, (from, to) -> body.run(0, from, to));
            case CHANNEL, TOKEN -> {
                int a = axisIn(x.length);
                int inner = flatFrom(x, a + 1);
                int count = x[a];
                int runs = inner == 0 ? 0 : total / inner;
                io.t2c.tensor.kernel.Parallel.forRange(runs, Math.max(1, (1 << 14) / Math.max(1, inner)), (from, to) -> {
                    for (int r = from; r < to; r++) {
                        body.run(r % count, r * inner, (r + 1) * inner);
                    }
                });
            }
            case GROUP -> {
                int a = axisIn(x.length);
                int row = flatFrom(x, a);
                int blocks = Math.ceilDiv(row, groupSize);
                int runs = row == 0 ? 0 : total / row * blocks;
                io.t2c.tensor.kernel.Parallel.forRange(runs, Math.max(1, (1 << 14) / groupSize), (from, to) -> {
                    for (int r = from; r < to; r++) {
                        int start = (r / blocks) * row + (r % blocks) * groupSize;
                        body.run(r, start, Math.min(start + groupSize, (r / blocks + 1) * row));
                    }
                });
            }
        }
    }

    /** One run of elements [from, to) of one granule. */
    @FunctionalInterface
    public interface RunBody {
        void run(int granule, int from, int to);
    }

    /** Number of granules for a tensor of shape {@code x}. */
    public int count(int[] x) {
        int n = 1;
        for (int d : paramShape(x)) {
            n *= d;
        }
        return n;
    }

    private static int flatFrom(int[] x, int from) {
        int n = 1;
        for (int i = from; i < x.length; i++) {
            n *= x[i];
        }
        return n;
    }

    /** Flat element index → granule index. */
    @FunctionalInterface
    public interface Indexer {
        int granule(int flatIndex);
    }
}
