package io.t2c.bench;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.graph.op.OpRegistry;
import io.t2c.io.onnx.OnnxImporter;
import io.t2c.io.onnx.OnnxLayers;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.kernel.Parallel;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;

/**
 * End-to-end float latency of a ResNet-18-shaped ONNX model (224×224) in our executor and in ONNX Runtime, in the
 * same process and run, at batch 1 and 8. ORT gets the same number of intra-op threads as our pool. Prints the
 * median latency of each (steady state, see {@link SameRun}) and the ratio ours / ORT.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp t2c-bench/target/benchmarks.jar io.t2c.bench.EndToEndBench
 * [iterations [warm-up seconds, default 5]]}
 */
public final class EndToEndBench {
    public static void main(String[] args) throws OrtException {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        double warmupSeconds = args.length > 1 ? Double.parseDouble(args[1]) : 5;
        ModelProto model = OnnxLayers.resnet18(17);
        Graph g = new OnnxImporter(OpRegistry.standard()).convert(model, "resnet18-shaped");
        Executor ours = new Executor(g);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        System.out.printf("ResNet-18-shaped float model, 224x224, threads=%d, %s, JDK %s%n", Parallel.threads(),
                cpuName(), System.getProperty("java.version"));
        System.out.printf("%-6s %12s %12s %8s%n", "batch", "t2c ms", "ORT ms", "ratio");
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(Parallel.threads());
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            try (OrtSession ort = env.createSession(model.toByteArray(), opts)) {
                for (int batch : new int[] {1, 8}) {
                    int[] shape = {batch, 3, 224, 224};
                    float[] data = new float[batch * 3 * 224 * 224];
                    Random r = new Random(batch);
                    for (int i = 0; i < data.length; i++) {
                        data[i] = (float) r.nextGaussian();
                    }
                    Tensor x = Tensor.of(data, shape);
                    long[] lshape = Arrays.stream(shape).asLongStream().toArray();
                    try (OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(data), lshape)) {
                        int iters = batch == 1 ? iterations : Math.max(5, iterations / 2);
                        double[] ms = SameRun.medians(iters, warmupSeconds, () -> ours.run(x), () -> {
                            try (OrtSession.Result res = ort.run(Map.of("x", in))) {
                                res.get(0);
                            } catch (OrtException e) {
                                throw new IllegalStateException(e);
                            }
                        });
                        System.out.printf("%-6d %12.1f %12.1f %7.2fx%n", batch, ms[0], ms[1], ms[0] / ms[1]);
                    }
                }
            }
        }
    }

    static String cpuName() {
        try {
            return java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name")).findFirst().map(l -> l.substring(l.indexOf(':') + 2))
                    .orElse("unknown CPU");
        } catch (java.io.IOException e) {
            return "unknown CPU";
        }
    }
}
