package io.t2c.bench;

import io.t2c.tensor.kernel.Conv2dF32;
import io.t2c.tensor.kernel.Conv2dParams;
import io.t2c.tensor.kernel.Conv2dWeights;
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
 * {@link Conv2dF32} from {@link Kernels#get()} on typical layers, batch 1, with bias:
 * <ul>
 *   <li>{@code resnet18_3x3}: ResNet-18 layer1 conv, 64×56×56 → 64, 3×3 pad 1;
 *   <li>{@code resnet18_stem}: 3×224×224 → 64, 7×7 stride 2 pad 3;
 *   <li>{@code resnet18_s3}, {@code resnet18_s4}: stage-3/4 convs, 256×14×14 → 256 and 512×7×7 → 512, 3×3 pad 1;
 *   <li>{@code pointwise}: 64×56×56 → 256, 1×1 (a direct GEMM);
 *   <li>{@code depthwise}: MobileNetV2 32×112×112 depthwise 3×3; {@code depthwise_s2}: 144×56×56 stride 2.
 * </ul>
 * Weights are prepared (packed) once, as an executor does for a Conv node's initializer. Average time per call is
 * the primary metric; read the rate {@code gflops} (GFLOP/s) from the throughput rows only.
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.AverageTime, Mode.Throughput})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
public class ConvF32Bench {
    @Param({"resnet18_3x3", "resnet18_stem", "resnet18_s3", "resnet18_s4", "pointwise", "depthwise", "depthwise_s2"})
    public String layer;

    private Conv2dF32 conv;
    private Conv2dParams p;
    private float[] x;
    private Conv2dWeights w;
    private float[] bias;
    private float[] y;

    @Setup
    public void setup() {
        p = switch (layer) {
            case "resnet18_3x3" -> Conv2dParams.of(1, 64, 56, 56, 64, 3, 1, 1, 1, 1);
            case "resnet18_stem" -> Conv2dParams.of(1, 3, 224, 224, 64, 7, 2, 3, 1, 1);
            case "resnet18_s3" -> Conv2dParams.of(1, 256, 14, 14, 256, 3, 1, 1, 1, 1);
            case "resnet18_s4" -> Conv2dParams.of(1, 512, 7, 7, 512, 3, 1, 1, 1, 1);
            case "pointwise" -> Conv2dParams.of(1, 64, 56, 56, 256, 1, 1, 0, 1, 1);
            case "depthwise" -> Conv2dParams.of(1, 32, 112, 112, 32, 3, 1, 1, 1, 32);
            case "depthwise_s2" -> Conv2dParams.of(1, 144, 56, 56, 144, 3, 2, 1, 1, 144);
            default -> throw new IllegalArgumentException(layer);
        };
        conv = Kernels.get().conv2dF32();
        Random r = new Random(42);
        x = new float[(int) p.inputSize()];
        float[] raw = new float[(int) p.weightSize()];
        bias = new float[p.outChannels()];
        y = new float[(int) p.outputSize()];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextFloat();
        }
        for (int i = 0; i < raw.length; i++) {
            raw[i] = r.nextFloat() - 0.5f;
        }
        w = conv.prepare(p, raw);
    }

    private float[] run(Rate rate) {
        conv.conv2d(p, x, w, bias, y);
        rate.add(2.0 * p.macs());
        return y;
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
