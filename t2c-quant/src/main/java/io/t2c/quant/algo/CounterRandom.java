package io.t2c.quant.algo;

/**
 * Random numbers addressed by a counter instead of drawn from a stream: the value for (key, index) is SplitMix64's
 * output number {@code index} of the stream keyed by {@code key}. Any element's draw can be recomputed alone, in any
 * order and on any number of threads (QDrop recomputes its mask in backward), and the same key gives the same draws.
 */
final class CounterRandom {
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private CounterRandom() {}

    /** A stream key from a seed and a name (a node's), so two nodes in one step draw independently. */
    static long key(long seed, String name) {
        return mix(seed ^ mix(name.hashCode() * GOLDEN_GAMMA + GOLDEN_GAMMA));
    }

    /** A uniform double in [0, 1) with 53 random bits. */
    static double uniform(long key, long index) {
        return (mix(key + (index + 1) * GOLDEN_GAMMA) >>> 11) * 0x1.0p-53;
    }

    /** A uniform integer in [0, bound] (inclusive), bound < 2^53. */
    static long uniformAtMost(long key, long index, long bound) {
        return (long) (uniform(key, index) * (bound + 1));
    }

    /** SplitMix64's finaliser (Steele, Lea and Flood, 2014). */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
