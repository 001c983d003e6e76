package io.t2c.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Counts floating-point (or integer) operations so JMH reports a rate: in throughput mode the secondary metric
 * {@code gflops} reads directly as GFLOP/s (or GOP/s) — 1 per 10^9 operations, per second.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Rate {
    /** Billions of operations done in this iteration. */
    public double gflops;

    @Setup(Level.Iteration)
    public void reset() {
        gflops = 0;
    }

    void add(double ops) {
        gflops += ops * 1e-9;
    }
}
