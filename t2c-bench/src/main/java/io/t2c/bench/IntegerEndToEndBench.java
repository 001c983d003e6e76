package io.t2c.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.t2c.convert.LowerToInteger;
import io.t2c.convert.export.OnnxExport;
import io.t2c.convert.extract.Extraction;
import io.t2c.convert.extract.SelfCheck;
import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.io.bundle.ModelBundle;
import io.t2c.io.data.InMemoryDataset;
import io.t2c.io.data.Normalization;
import io.t2c.models.ModelConfig;
import io.t2c.models.ModelZoo;
import io.t2c.quant.ptq.Ptq;
import io.t2c.quant.ptq.PtqConfig;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.kernel.Parallel;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

/**
 * Integer inference of the zoo's ResNet-18 (224×224, random seeded weights, W8A8 minmax_channel + minmax calibrated on
 * 32 Gaussian images): our integer executor against ONNX Runtime running our exported model, in the same process
 * and run, at batch 1 and 8, both export styles (QOperator: QLinearConv and friends, what ORT has fast kernels for;
 * exact: ConvInteger plus int64 requantization). Then the wall time of extracting one sample's test vectors and of
 * their self-check. ORT gets as many intra-op threads as our pool; latencies are steady-state medians
 * ({@link SameRun}).
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp t2c-bench/target/benchmarks.jar io.t2c.bench.IntegerEndToEndBench
 * [iterations [warm-up seconds, default 5]]}
 */
public final class IntegerEndToEndBench {
    public static void main(String[] args) throws OrtException, IOException {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        double warmupSeconds = args.length > 1 ? Double.parseDouble(args[1]) : 5;
        Graph integer = integerResNet18();
        Executor ours = new Executor(integer);
        String input = integer.inputs().get(0).name();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        System.out.printf("ResNet-18 W8A8 integer model, 224x224, threads=%d, %s, JDK %s%n", Parallel.threads(),
                EndToEndBench.cpuName(), System.getProperty("java.version"));
        System.out.printf("%-10s %-6s %12s %12s %8s%n", "ORT model", "batch", "t2c ms", "ORT ms", "ratio");
        for (OnnxExport.Style style : OnnxExport.Style.values()) {
            byte[] model = OnnxExport.export(integer, style).model().toByteArray();
            try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
                opts.setIntraOpNumThreads(Parallel.threads());
                opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                try (OrtSession ort = env.createSession(model, opts)) {
                    for (int batch : new int[] {1, 8}) {
                        Tensor x = gaussianImages(batch, batch);
                        long[] shape = {batch, 3, 224, 224};
                        try (OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x.floats()), shape)) {
                            int iters = batch == 1 ? iterations : Math.max(5, iterations / 2);
                            double[] ms = SameRun.medians(iters, warmupSeconds, () -> ours.run(Map.of(input, x)),
                                    () -> {
                                        try (OrtSession.Result res = ort.run(Map.of(input, in))) {
                                            res.get(0);
                                        } catch (OrtException e) {
                                            throw new IllegalStateException(e);
                                        }
                                    });
                            System.out.printf("%-10s %-6d %12.1f %12.1f %7.2fx%n", style.id(), batch, ms[0], ms[1],
                                    ms[0] / ms[1]);
                        }
                    }
                }
            }
        }
        timeExtraction(integer);
    }

    /** Extraction of one sample (bin files) and the self-check that recomputes it from the files. */
    private static void timeExtraction(Graph integer) throws IOException {
        Path dir = Files.createTempDirectory("t2c-extract-bench");
        try {
            long t0 = System.nanoTime();
            Extraction.Summary s = Extraction.write(integer, gaussianImages(1, 99), new int[] {0},
                    Extraction.Options.parse("bin", null), dir.resolve("tensors"));
            double extractSeconds = (System.nanoTime() - t0) / 1e9;
            long t1 = System.nanoTime();
            SelfCheck.Report r = SelfCheck.run(dir.resolve("tensors"));
            double checkSeconds = (System.nanoTime() - t1) / 1e9;
            System.out.printf("extract 1 sample: %.1f s (%d ops, %d files); self-check %d/%d ops in %.1f s%n",
                    extractSeconds, s.ops(), s.files(), r.passed(), r.ops(), checkSeconds);
        } finally {
            ModelBundle.deleteRecursively(dir);
        }
    }

    static Graph integerResNet18() {
        Graph fp = ModelZoo.build("resnet18", new ModelConfig(1000, 3, 224, 17));
        int samples = 32;
        Tensor images = gaussianImages(samples, 5);
        InMemoryDataset calibration = InMemoryDataset.ofFloats("gaussian-224", new int[] {3, 224, 224},
                images.floats(), new int[samples], 1000, null, Normalization.NONE);
        PtqConfig config = PtqConfig.defaults("minmax_channel", "minmax", 8, 8).withSamples(samples, 8)
                .withReconstruction(PtqConfig.Reconstruction.NONE);
        Graph fakeQuant = Ptq.run(fp, calibration, config, Ptq.Listener.NONE).model();
        return LowerToInteger.run(fakeQuant, LowerToInteger.Options.defaults());
    }

    private static Tensor gaussianImages(int n, long seed) {
        float[] data = new float[n * 3 * 224 * 224];
        Random r = new Random(seed);
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) r.nextGaussian();
        }
        return Tensor.of(data, n, 3, 224, 224);
    }
}
