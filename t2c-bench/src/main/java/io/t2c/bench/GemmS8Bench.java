package io.t2c.bench;

import io.t2c.tensor.kernel.GemmS8;
import io.t2c.tensor.kernel.Kernels;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link GemmS8} from {@link Kernels#get()}: int8 × int8 → int32, {@code C[m×n] = A[m×k]·B[k×n]}; {@code Z} in the
 * shape adds zero points (u8 activations minus 128-ish, per-column weight zero points), as QLinearMatMul does.
 * {@code gflops} counts 2 operations per multiply-add (GOP/s).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
public class GemmS8Bench {
    @Param({"512x512x512", "197x64x197", "512x512x512Z"})
    public String shape;

    private GemmS8 gemm;
    private int m;
    private int n;
    private int k;
    private boolean zeroPoints;
    private byte[] a;
    private byte[] b;
    private int[] zb;
    private int[] c;

    @Setup
    public void setup() {
        zeroPoints = shape.endsWith("Z");
        String[] d = shape.replaceAll("Z$", "").split("x");
        m = Integer.parseInt(d[0]);
        n = Integer.parseInt(d[1]);
        k = Integer.parseInt(d[2]);
        gemm = Kernels.get().gemmS8();
        Random r = new Random(42);
        a = new byte[m * k];
        b = new byte[k * n];
        r.nextBytes(a);
        r.nextBytes(b);
        zb = r.ints(n, -5, 6).toArray();
        c = new int[m * n];
    }

    private int[] run(Rate rate) {
        if (zeroPoints) {
            gemm.gemm(m, n, k, a, 0, k, true, 128, b, 0, n, false, zb, c, 0, n);
        } else {
            gemm.gemm(m, n, k, a, 0, k, b, 0, n, c, 0, n);
        }
        rate.add(2.0 * m * n * k);
        return c;
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Dt2c.threads=1"})
    public int[] singleThread(Rate rate) {
        return run(rate);
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
    public int[] allThreads(Rate rate) {
        return run(rate);
    }
}
