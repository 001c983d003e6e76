package io.t2c.tensor;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Float arrays handed back by a graph executor when the values they held died, reused for later op outputs of the
 * same length. Without it every activation is a fresh array: at 224×224 the large ones are bigger than half a G1
 * region, so each is a humongous allocation, zeroed, and the collector's pauses land inside the run (ResNet-18 at
 * batch 1 spent a quarter of its time there).
 *
 * <p>Ops ask with {@link #floats(int)}, and only those that overwrite every element of their output may: a reused
 * array holds stale values. Outside {@link #use} (training, tests, any direct kernel call) it simply allocates. A
 * pool is used by one thread at a time (the executor's); kernel threads never call it.
 */
public final class ArrayPool {
    private static final ScopedValue<ArrayPool> CURRENT = ScopedValue.newInstance();

    private final Map<Integer, ArrayDeque<float[]>> free = new HashMap<>();
    private final long capacity;
    private long held;

    /** A pool that keeps at most {@code capacityFloats} floats in free arrays; arrays beyond it are dropped. */
    public ArrayPool(long capacityFloats) {
        this.capacity = capacityFloats;
    }

    /**
     * A float array of exactly {@code n} elements with unspecified contents: a reused one when the current pool has
     * one, else a new (zeroed) one.
     */
    public static float[] floats(int n) {
        ArrayPool pool = CURRENT.isBound() ? CURRENT.get() : null;
        if (pool != null) {
            ArrayDeque<float[]> q = pool.free.get(n);
            if (q != null && !q.isEmpty()) {
                pool.held -= n;
                return q.pop();
            }
        }
        return new float[n];
    }

    /** Takes back an array that nothing references any more. */
    public void give(float[] a) {
        if (a.length == 0 || held + a.length > capacity) {
            return;
        }
        free.computeIfAbsent(a.length, k -> new ArrayDeque<>()).push(a);
        held += a.length;
    }

    /** Runs {@code body} with this pool serving {@link #floats(int)} on the calling thread. */
    public void use(Runnable body) {
        ScopedValue.where(CURRENT, this).run(body);
    }
}
