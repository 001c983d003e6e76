package io.t2c.tensor.kernel;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Splits loops over the machine's cores: {@code -Dt2c.threads=N} threads (default: the number of available
 * processors), that is the calling thread plus N − 1 helper daemon threads. Work is split into fixed contiguous
 * chunks, so results never depend on scheduling: each index is computed by exactly one chunk, in the same way,
 * whatever the thread count or which thread runs the chunk.
 *
 * <p>A helper that finishes a chunk spins for {@link #SPIN_NANOS} before it parks: a model runs one parallel loop
 * after another, microseconds apart, and waking a parked thread costs tens of microseconds, as long as a small conv.
 * (A ForkJoinPool parked its workers between loops; at batch 1 ResNet-18's threads waited 8 % of the time.)
 */
public final class Parallel {
    private static final int THREADS = Integer.getInteger("t2c.threads", Runtime.getRuntime().availableProcessors());
    /** How long an idle helper looks for work before parking. */
    private static final long SPIN_NANOS = 200_000;
    /** Set on a thread while it runs chunks: loops nested inside a chunk run inline (no oversubscription). */
    private static final ThreadLocal<boolean[]> IN_LOOP = ThreadLocal.withInitial(() -> new boolean[1]);
    /** Loops that may still have unclaimed chunks. */
    private static final ConcurrentLinkedQueue<Loop> PENDING = new ConcurrentLinkedQueue<>();
    private static final Helper[] HELPERS = startHelpers(THREADS - 1);

    /** Body of a parallel loop over {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private Parallel() {}

    public static int threads() {
        return THREADS;
    }

    /**
     * Runs {@code body} over {@code [0, n)} split into at most {@code threads()} contiguous chunks of at least
     * {@code minChunk} indices. Runs inline when the work is too small to be worth splitting or when already
     * inside a parallel loop. The caller claims and runs chunks too, so a loop never waits for a helper that has
     * not begun; it only waits for chunks already running elsewhere.
     */
    public static void forRange(int n, int minChunk, RangeBody body) {
        if (n <= 0) {
            return;
        }
        int chunks = Math.min(THREADS, Math.max(1, n / Math.max(1, minChunk)));
        boolean[] inLoop = IN_LOOP.get();
        if (chunks <= 1 || inLoop[0]) {
            body.run(0, n);
            return;
        }
        Loop loop = new Loop(n, chunks, body);
        PENDING.add(loop);
        for (Helper h : HELPERS) {
            h.wake();
        }
        inLoop[0] = true;
        try {
            loop.work();
        } finally {
            inLoop[0] = false;
            PENDING.remove(loop);
        }
        loop.awaitAll();
    }

    private static Helper[] startHelpers(int count) {
        Helper[] helpers = new Helper[Math.max(0, count)];
        for (int i = 0; i < helpers.length; i++) {
            helpers[i] = new Helper("t2c-parallel-" + (i + 1));
            helpers[i].start();
        }
        return helpers;
    }

    /** A helper thread: runs chunks of pending loops; spins a while when idle, then parks until woken. */
    private static final class Helper extends Thread {
        private volatile boolean parked;

        Helper(String name) {
            super(name);
            setDaemon(true);
        }

        void wake() {
            if (parked) {
                parked = false;
                LockSupport.unpark(this);
            }
        }

        @Override
        public void run() {
            IN_LOOP.get()[0] = true;
            long idleSince = System.nanoTime();
            while (true) {
                Loop loop = PENDING.peek();
                if (loop != null) {
                    if (!loop.work()) {
                        PENDING.remove(loop); // every chunk is claimed
                    }
                    idleSince = System.nanoTime();
                } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    parked = true;
                    // Re-check after announcing: a loop posted before the flag was seen gets no wake() call.
                    if (PENDING.isEmpty()) {
                        LockSupport.park(this);
                    }
                    parked = false;
                    idleSince = System.nanoTime();
                }
            }
        }
    }

    /** One parallel loop: chunks claimed in order by whichever thread comes first. */
    private static final class Loop {
        private final int n;
        private final int chunks;
        private final RangeBody body;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger done = new AtomicInteger();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        Loop(int n, int chunks, RangeBody body) {
            this.n = n;
            this.chunks = chunks;
            this.body = body;
        }

        /** Claims and runs chunks until none is left; returns whether this thread ran any. */
        boolean work() {
            boolean ran = false;
            int c;
            while ((c = next.getAndIncrement()) < chunks) {
                ran = true;
                try {
                    if (failure.get() == null) {
                        body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    done.incrementAndGet();
                }
            }
            return ran;
        }

        /** Waits for chunks that other threads are still running; rethrows the first failure. */
        void awaitAll() {
            for (int spins = 0; done.get() < chunks; spins++) {
                if (spins < 1 << 16) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
            Throwable t = failure.get();
            if (t instanceof RuntimeException e) {
                throw e;
            }
            if (t instanceof Error e) {
                throw e;
            }
            if (t != null) {
                throw new IllegalStateException(t);
            }
        }
    }
}
