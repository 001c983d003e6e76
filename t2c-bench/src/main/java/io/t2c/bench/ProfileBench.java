package io.t2c.bench;

import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.op.OpRegistry;
import io.t2c.io.onnx.OnnxImporter;
import io.t2c.io.onnx.OnnxLayers;
import io.t2c.tensor.Tensor;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Per-op time of ResNet-18 in our executor, summed by op type and listed for the 24 slowest nodes (with weight
 * shape and strides): where the
 * end-to-end time goes. Args: model ("float": the ResNet-18-shaped ONNX model, the default; "integer": the zoo
 * ResNet-18 converted at W8A8, see {@link IntegerEndToEndBench}), batch (default 1), iterations (default 10).
 */
public final class ProfileBench {
    public static void main(String[] args) {
        boolean integer = args.length > 0 && args[0].equals("integer");
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        int iterations = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        Graph g = integer ? IntegerEndToEndBench.integerResNet18()
                : new OnnxImporter(OpRegistry.standard()).convert(OnnxLayers.resnet18(17), "resnet18-shaped");
        String input = g.inputs().get(0).name();
        Executor ex = new Executor(g);
        float[] data = new float[batch * 3 * 224 * 224];
        Random r = new Random(1);
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) r.nextGaussian();
        }
        Tensor x = Tensor.of(data, batch, 3, 224, 224);
        // Warm up for 5 s, as SameRun does: the JIT keeps recompiling the kernels during the first seconds, and
        // per-node times taken then overstate them.
        long warmupEnd = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < warmupEnd) {
            ex.run(Map.of(input, x));
        }
        long[] nanos = new long[g.nodes().size()];
        for (int i = 0; i < iterations; i++) {
            ex.run(Map.of(input, x), nanos);
        }
        Map<String, Double> byOp = new TreeMap<>();
        double total = 0;
        for (int i = 0; i < nanos.length; i++) {
            double ms = nanos[i] / 1e6 / iterations;
            byOp.merge(g.nodes().get(i).opType(), ms, Double::sum);
            total += ms;
        }
        System.out.printf("batch %d: %.1f ms per run%n", batch, total);
        byOp.forEach((op, ms) -> System.out.printf("  %-20s %8.2f ms%n", op, ms));
        System.out.println("slowest nodes:");
        Integer[] idx = new Integer[nanos.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        java.util.Arrays.sort(idx, (a, b) -> Long.compare(nanos[b], nanos[a]));
        for (int k = 0; k < Math.min(24, idx.length); k++) {
            Node n = g.nodes().get(idx[k]);
            Tensor w = n.inputs().size() > 1 ? g.initializers().get(n.inputs().get(1)) : null;
            String strides = n.attributes().has("strides")
                    ? "strides " + java.util.Arrays.toString(n.attributes().getInts("strides", null)) : "";
            System.out.printf("  %-16s %-10s %8.2f ms  %s %s%n", n.name(), n.opType(), nanos[idx[k]] / 1e6 / iterations,
                    w == null ? "" : java.util.Arrays.toString(w.shape()), strides);
        }
    }
}
