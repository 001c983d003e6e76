package io.t2c.bench;

import io.t2c.tensor.kernel.GemmF32;
import io.t2c.tensor.kernel.Kernels;
import io.t2c.tensor.kernel.PackedB;
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
 * {@link GemmF32} from {@link Kernels#get()}: {@code C[m×n] = A[m×k]·op(B)}. Shapes {@code MxNxK}, a trailing
 * {@code T} means B transposed (attention's Q·Kᵀ), {@code P} means B pre-packed (a linear layer).
 * {@code singleThread} forks with {@code -Dt2c.threads=1}; {@code allThreads} uses every core.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
public class GemmF32Bench {
    @Param({"512x512x512", "197x64x197", "197x197x64T", "1x768x768P"})
    public String shape;

    private GemmF32 gemm;
    private int m;
    private int n;
    private int k;
    private boolean transB;
    private float[] a;
    private float[] b;
    private float[] c;
    private PackedB packed;

    @Setup
    public void setup() {
        transB = shape.endsWith("T");
        boolean prepack = shape.endsWith("P");
        String[] d = shape.replaceAll("[TP]$", "").split("x");
        m = Integer.parseInt(d[0]);
        n = Integer.parseInt(d[1]);
        k = Integer.parseInt(d[2]);
        gemm = Kernels.get().gemmF32();
        Random r = new Random(42);
        a = new float[m * k];
        b = new float[k * n];
        c = new float[m * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextFloat() - 0.5f;
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = r.nextFloat() - 0.5f;
        }
        packed = prepack ? gemm.packB(true, k, n, b, 0, k) : null;
    }

    private float[] run(Rate rate) {
        if (packed != null) {
            gemm.gemm(false, m, a, 0, k, packed, c, 0, n, false);
        } else {
            gemm.gemm(false, transB, m, n, k, a, 0, k, b, 0, transB ? k : n, c, 0, n, false);
        }
        rate.add(2.0 * m * n * k);
        return c;
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Dt2c.threads=1"})
    public float[] singleThread(Rate rate) {
        return run(rate);
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
    public float[] allThreads(Rate rate) {
        return run(rate);
    }
}
