package io.t2c.bench;

import java.util.Arrays;

/**
 * Times our engine and ONNX Runtime in the same process, each at its steady state, the way a long-running service
 * sees them: an engine first runs for a warm-up time (the JIT compiles our kernels during the first seconds and
 * re-compiles some once it has seen every branch taken), then its timed runs. The two engines take turns in blocks,
 * never run by run: both keep their threads spinning for a while after a run, and alternating single runs made
 * each start on cores the other's idle threads still held (ours measured 60 % slower that way).
 */
final class SameRun {
    private SameRun() {}

    /**
     * Median wall times in ms, {@code {ours, ort}}: two rounds, each warming up and then timing {@code n / 2} runs of
     * ours and then of ORT; the median is over all {@code n} timed runs of an engine.
     */
    static double[] medians(int n, double warmupSeconds, Runnable ours, Runnable ort) {
        int half = Math.max(1, n / 2);
        double[] a = new double[2 * half];
        double[] b = new double[2 * half];
        for (int round = 0; round < 2; round++) {
            timeBlock(ours, round == 0 ? warmupSeconds : 1, a, round * half, half);
            timeBlock(ort, round == 0 ? warmupSeconds : 1, b, round * half, half);
        }
        Arrays.sort(a);
        Arrays.sort(b);
        return new double[] {a[a.length / 2], b[b.length / 2]};
    }

    /**
     * Runs {@code body} for {@code warmupSeconds} (at least 3 times), then times {@code count} runs into {@code ms}.
     */
    private static void timeBlock(Runnable body, double warmupSeconds, double[] ms, int from, int count) {
        long warmupNanos = (long) (warmupSeconds * 1e9);
        long spent = 0;
        for (int i = 0; i < 3 || spent < warmupNanos; i++) {
            spent += time(body);
        }
        for (int i = 0; i < count; i++) {
            ms[from + i] = time(body) / 1e6;
        }
    }

    private static long time(Runnable body) {
        long t0 = System.nanoTime();
        body.run();
        return System.nanoTime() - t0;
    }
}
