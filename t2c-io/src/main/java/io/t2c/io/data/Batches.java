package io.t2c.io.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * Mini-batch index lists for an epoch, to pass to {@link Dataset#batch(int[])}: in order (evaluation) or shuffled
 * from a seed (training; the same seed and epoch always give the same order, on any machine).
 */
public final class Batches {
    private Batches() {}

    /** {@code 0 .. size-1} in order, in batches of {@code batchSize}; the last batch may be smaller. */
    public static List<int[]> sequential(int size, int batchSize) {
        return chunk(identity(size), batchSize, false);
    }

    /**
     * A random permutation of {@code 0 .. size-1} (Fisher–Yates driven by {@code SplittableRandom} seeded from
     * {@code seed} and {@code epoch}), cut into batches of {@code batchSize}; with {@code dropLast} a final partial
     * batch is left out, else kept.
     */
    public static List<int[]> shuffled(int size, int batchSize, long seed, int epoch, boolean dropLast) {
        return shuffled(size, batchSize, new SplittableRandom(epochSeed(seed, epoch)), dropLast);
    }

    /** As above, drawing {@code size - 1} values {@code nextInt(i + 1)}, {@code i = size-1 .. 1}, from {@code rng}. */
    public static List<int[]> shuffled(int size, int batchSize, RandomGenerator rng, boolean dropLast) {
        int[] order = identity(size);
        for (int i = size - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return chunk(order, batchSize, dropLast);
    }

    /** A seed for epoch {@code epoch} of a run seeded with {@code seed} (distinct epochs, distinct orders). */
    public static long epochSeed(long seed, int epoch) {
        return seed + 0x9E3779B97F4A7C15L * (epoch + 1L);
    }

    private static int[] identity(int size) {
        if (size < 0) {
            throw new IllegalArgumentException("size must be >= 0, got " + size);
        }
        int[] a = new int[size];
        for (int i = 0; i < size; i++) {
            a[i] = i;
        }
        return a;
    }

    private static List<int[]> chunk(int[] order, int batchSize, boolean dropLast) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be > 0, got " + batchSize);
        }
        List<int[]> out = new ArrayList<>();
        for (int from = 0, to; from < order.length; from = to) {
            to = (int) Math.min(order.length, (long) from + batchSize);
            if (to - from < batchSize && dropLast) {
                break;
            }
            int[] b = new int[to - from];
            System.arraycopy(order, from, b, 0, b.length);
            out.add(b);
        }
        return out;
    }
}
