package io.t2c.convert;

import io.t2c.graph.Attributes;
import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.Value;
import io.t2c.quant.FakeQuantOp;
import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-layer signal-to-quantization-noise ratio of an integer graph against float: 10·log10(Σ f² / Σ (f − d)²) over
 * all elements of all samples, where f is the float model's value (the fake-quant graph with its quantizers removed)
 * and d the integer value of the same name, dequantized by its op's output scale and zero point.
 */
public final class LayerSqnr {
    private LayerSqnr() {}

    /** The fake-quant graph without quantizers: every reader of a quantized value reads the float value. */
    public static Graph floatModel(Graph fakeQuant) {
        Map<String, String> alias = new HashMap<>();
        List<Node> kept = new ArrayList<>();
        for (Node n : fakeQuant.nodes()) {
            if (n.opType().equals(FakeQuantOp.NAME)) {
                alias.put(n.output(0), n.input(0));
            } else {
                kept.add(n);
            }
        }
        List<Node> rewired = kept.stream().map(n -> n.withInputs(n.inputs().stream()
                .map(i -> alias.getOrDefault(i, i)).toList())).toList();
        return fakeQuant.withNodes(rewired, fakeQuant.initializers());
    }

    /** SQNR in dB by integer node name, for nodes whose output has a float counterpart of the same name. */
    public static Map<String, Double> measure(Graph fakeQuant, BitExactChecker integer, Graph integerGraph,
                                              List<Tensor> batches) {
        Graph fp = floatModel(fakeQuant);
        Map<String, Node> compared = new LinkedHashMap<>();
        java.util.Set<String> floatValues = new java.util.HashSet<>();
        fp.nodes().forEach(n -> floatValues.addAll(n.outputs()));
        for (Node n : integerGraph.nodes()) {
            String name = n.output(0);
            if (floatValues.contains(name) && (n.attributes().has(IntegerOps.Y_SCALE)
                    || n.opType().equals(IntegerOps.DEQUANTIZE))) {
                compared.put(name, n);
            }
        }
        List<Value> outs = compared.keySet().stream().map(v -> new Value(v, DType.FLOAT32, null)).toList();
        Executor floatRun = new Executor(new Graph(fp.name(), fp.inputs(), outs, fp.nodes(), fp.initializers(),
                fp.metadata()));
        Map<String, double[]> sums = new LinkedHashMap<>();
        String input = fp.inputs().get(0).name();
        for (Tensor batch : batches) {
            Map<String, Tensor> f = floatRun.run(Map.of(input, batch));
            Map<String, Tensor> q = integer.runFast(Map.of(input, batch));
            compared.forEach((name, node) -> {
                float[] ref = f.get(name).floats();
                double[] d = dequantized(node, q.get(name));
                double[] s = sums.computeIfAbsent(node.name(), k -> new double[2]);
                for (int i = 0; i < ref.length; i++) {
                    s[0] += (double) ref[i] * ref[i];
                    s[1] += (ref[i] - d[i]) * (ref[i] - d[i]);
                }
            });
        }
        Map<String, Double> db = new LinkedHashMap<>();
        sums.forEach((name, s) -> db.put(name, s[1] == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(s[0] / s[1])));
        return db;
    }

    private static double[] dequantized(Node n, Tensor t) {
        if (t.dtype() == DType.FLOAT32) {
            float[] f = t.floats();
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) {
                d[i] = f[i];
            }
            return d;
        }
        Attributes a = n.attributes();
        double[] scale = a.getDoubles(IntegerOps.Y_SCALE);
        long zp = a.has(IntegerOps.MULTIPLIER) ? a.getLong(IntegerOps.Y_ZERO_POINT, 0) : 0;
        long[] v = t.toLongArray();
        int[] shape = t.shape();
        int axis = Math.floorMod(a.getInt(IntegerOps.Y_AXIS, 1), shape.length);
        int inner = 1;
        for (int i = axis + 1; i < shape.length; i++) {
            inner *= shape[i];
        }
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = (v[i] - zp) * scale[scale.length == 1 ? 0 : (i / inner) % shape[axis]];
        }
        return d;
    }
}
