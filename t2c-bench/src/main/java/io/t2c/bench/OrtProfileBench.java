package io.t2c.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.t2c.io.onnx.OnnxLayers;
import io.t2c.tensor.kernel.Parallel;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * ONNX Runtime's side of {@link ProfileBench}: per-node kernel times of the same ResNet-18-shaped float model, from
 * ORT's own profiler (same thread count as our pool, all graph optimizations: ORT fuses BatchNorm, Relu and the
 * residual Add into its NCHWc convolutions, so a node here can cover several of ours). Each node's median over the
 * last {@code iterations} runs, after 5 s of warm-up; summed by op type and listed for the 24 slowest nodes. Args:
 * batch (default 1), iterations (default 50).
 */
public final class OrtProfileBench {
    public static void main(String[] args) throws OrtException, IOException {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int iterations = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Path dir = Files.createTempDirectory("t2c-ort-profile");
        String profile;
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(Parallel.threads());
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            opts.enableProfiling(dir.resolve("ort").toString());
            float[] data = new float[batch * 3 * 224 * 224];
            Random r = new Random(1);
            for (int i = 0; i < data.length; i++) {
                data[i] = (float) r.nextGaussian();
            }
            try (OrtSession s = env.createSession(OnnxLayers.resnet18(17).toByteArray(), opts);
                 OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(data),
                         new long[] {batch, 3, 224, 224})) {
                long warmupEnd = System.nanoTime() + 5_000_000_000L;
                while (System.nanoTime() < warmupEnd) {
                    s.run(Map.of("x", in)).close();
                }
                for (int i = 0; i < iterations; i++) {
                    s.run(Map.of("x", in)).close();
                }
                profile = s.endProfiling();
            }
        }
        try {
            report(new ObjectMapper().readTree(Path.of(profile).toFile()), batch, iterations);
        } finally {
            Files.deleteIfExists(Path.of(profile));
            Files.deleteIfExists(dir);
        }
    }

    /** Node events are {"cat": "Node", "name": "NODE_kernel_time", "dur": µs, "args": {"op_name": ...}}. */
    private static void report(JsonNode events, int batch, int iterations) {
        Map<String, List<Long>> durations = new LinkedHashMap<>();
        Map<String, String> opOf = new LinkedHashMap<>();
        for (JsonNode e : events) {
            String name = e.path("name").asText();
            if (!e.path("cat").asText().equals("Node") || !name.endsWith("_kernel_time")) {
                continue;
            }
            String node = name.substring(0, name.length() - "_kernel_time".length());
            durations.computeIfAbsent(node, k -> new ArrayList<>()).add(e.path("dur").asLong());
            opOf.put(node, e.path("args").path("op_name").asText());
        }
        Map<String, Double> medianMs = new LinkedHashMap<>();
        durations.forEach((node, d) -> {
            List<Long> last = new ArrayList<>(d.subList(Math.max(0, d.size() - iterations), d.size()));
            last.sort(null);
            medianMs.put(node, last.get(last.size() / 2) / 1e3);
        });
        Map<String, Double> byOp = new TreeMap<>();
        medianMs.forEach((node, ms) -> byOp.merge(opOf.get(node), ms, Double::sum));
        System.out.printf("ORT, batch %d: %.1f ms per run (sum of node medians)%n", batch,
                medianMs.values().stream().mapToDouble(Double::doubleValue).sum());
        byOp.forEach((op, ms) -> System.out.printf("  %-20s %8.2f ms%n", op, ms));
        System.out.println("slowest nodes:");
        medianMs.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue(Comparator.reverseOrder()))
                .limit(24).forEach(en -> System.out.printf("  %-36s %-14s %8.2f ms%n", en.getKey(),
                        opOf.get(en.getKey()), en.getValue()));
    }
}
