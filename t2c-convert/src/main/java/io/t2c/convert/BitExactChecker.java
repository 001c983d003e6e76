package io.t2c.convert;

import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.op.OpDef;
import io.t2c.graph.op.OpRegistry;
import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs an integer graph on the fast path (the registered ops, node by node, keeping every value) and on the
 * {@link ReferenceExecutor}, and compares every op's output bit for bit: element type, shape and each element (floats
 * by their bits). An op is exact when it matched on every sample given.
 */
public final class BitExactChecker {
    /** Ops compared, ops that matched everywhere, and the first difference of each op that did not. */
    public record Report(int ops, int exactOps, List<String> mismatches) {
        public boolean exact() {
            return ops == exactOps;
        }
    }

    private final Graph graph;
    private final List<OpDef.Prepared> prepared = new ArrayList<>();

    public BitExactChecker(Graph integerGraph) {
        this.graph = integerGraph;
        OpRegistry registry = OpRegistry.standard();
        for (Node n : integerGraph.nodes()) {
            List<Tensor> constants = new ArrayList<>();
            n.inputs().forEach(i -> constants.add(i.isEmpty() ? null : integerGraph.initializer(i)));
            prepared.add(registry.get(n.opType()).prepare(n, constants));
        }
    }

    /** Every node output of the fast path for one batch, by value name. */
    public Map<String, Tensor> runFast(Map<String, Tensor> inputs) {
        Map<String, Tensor> env = new HashMap<>(graph.initializers());
        env.putAll(inputs);
        Map<String, Tensor> computed = new LinkedHashMap<>();
        List<Node> nodes = graph.nodes();
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            List<Tensor> args = new ArrayList<>();
            n.inputs().forEach(in -> args.add(in.isEmpty() ? null : env.get(in)));
            Tensor y = prepared.get(i).forward(args).get(0);
            env.put(n.output(0), y);
            computed.put(n.output(0), y);
        }
        return computed;
    }

    /** Compares fast and reference on each batch (a single-input graph: each tensor is one batch of inputs). */
    public Report check(List<Tensor> batches) {
        String input = graph.inputs().get(0).name();
        return checkInputs(batches.stream().map(b -> Map.of(input, b)).toList());
    }

    /** Compares fast and reference on each batch, given as the graph inputs' values by name. */
    public Report checkInputs(List<Map<String, Tensor>> batches) {
        Map<String, String> firstMismatch = new LinkedHashMap<>();
        for (Map<String, Tensor> batch : batches) {
            Map<String, Tensor> fast = runFast(batch);
            Map<String, ReferenceExecutor.Result> ref = ReferenceExecutor.run(graph, batch);
            for (Node n : graph.nodes()) {
                String diff = difference(fast.get(n.output(0)), ref.get(n.output(0)));
                if (diff != null) {
                    firstMismatch.putIfAbsent(n.name(), n.label() + ": " + diff);
                }
            }
        }
        int ops = graph.nodes().size();
        return new Report(ops, ops - firstMismatch.size(), List.copyOf(firstMismatch.values()));
    }

    /** Null when equal bit for bit, else the first difference. */
    static String difference(Tensor fast, ReferenceExecutor.Result ref) {
        if (fast == null || ref == null) {
            throw new T2cException("checker: a value is missing from one executor");
        }
        if (fast.dtype() != ref.dtype()) {
            return "element type " + fast.dtype() + " vs reference " + ref.dtype();
        }
        if (!java.util.Arrays.equals(fast.shape(), ref.shape())) {
            return "shape " + java.util.Arrays.toString(fast.shape()) + " vs reference "
                    + java.util.Arrays.toString(ref.shape());
        }
        if (fast.dtype() == DType.FLOAT32) {
            float[] a = fast.floats();
            for (int i = 0; i < a.length; i++) {
                if (Float.floatToIntBits(a[i]) != Float.floatToIntBits(ref.floats()[i])) {
                    return "element " + i + " is " + a[i] + ", reference " + ref.floats()[i];
                }
            }
            return null;
        }
        long[] a = fast.toLongArray();
        for (int i = 0; i < a.length; i++) {
            if (a[i] != ref.ints()[i]) {
                return "element " + i + " is " + a[i] + ", reference " + ref.ints()[i];
            }
        }
        return null;
    }
}
