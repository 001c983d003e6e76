package io.t2c.graph;

import io.t2c.graph.op.OpDef;
import io.t2c.graph.op.OpRegistry;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Propagates types, concrete shapes and computable values through a graph. Dynamic input dimensions are replaced by
 * a probe size; running with two probe sizes tells which dimensions (and values) depend on it.
 *
 * <p>Values are computed, by running the op on its known inputs, only when every input has a value and the output is
 * small ({@link #FOLD_LIMIT} elements): this is what folds shape arithmetic without ever materialising a large tensor.
 */
public final class ShapeInference {
    /** Largest tensor that inference computes by running the op. */
    public static final long FOLD_LIMIT = 1 << 16;

    private ShapeInference() {}

    /** Infers every value of {@code g}, with each dynamic input dimension set to {@code probe}. */
    public static Map<String, TensorInfo> infer(Graph g, OpRegistry registry, int probe) {
        Map<String, TensorInfo> infos = new HashMap<>();
        for (Map.Entry<String, Tensor> e : g.initializers().entrySet()) {
            infos.put(e.getKey(), TensorInfo.of(e.getValue()));
        }
        for (Value in : g.inputs()) {
            if (infos.containsKey(in.name())) {
                continue; // an initializer overriding an input: ONNX allows it; the constant wins
            }
            if (in.shape() == null) {
                throw new T2cException("graph input '" + in.name() + "' has no declared shape; give it one");
            }
            int[] s = in.shape();
            for (int i = 0; i < s.length; i++) {
                if (s[i] < 0) {
                    s[i] = probe;
                }
            }
            infos.put(in.name(), TensorInfo.of(in.dtype(), s));
        }
        for (Node n : g.nodes()) {
            inferNode(n, registry, infos);
        }
        return infos;
    }

    /**
     * Infers one node's outputs and records them in {@code infos}. Outputs whose shape depends on data (or on an
     * input that does) are left out of {@code infos}: unknown until run time. Returns null for those.
     */
    public static List<TensorInfo> inferNode(Node n, OpRegistry registry, Map<String, TensorInfo> infos) {
        OpDef op = registry.get(n.opType());
        List<TensorInfo> ins = new ArrayList<>();
        for (String name : n.inputs()) {
            if (!name.isEmpty() && !infos.containsKey(name)) {
                return null; // an input is only known at run time
            }
            ins.add(name.isEmpty() ? null : infos.get(name));
        }
        List<TensorInfo> outs;
        try {
            outs = op.inferShapes(n, ins);
            if (shouldEvaluate(ins, outs)) {
                List<Tensor> vals = new ArrayList<>();
                for (TensorInfo t : ins) {
                    vals.add(t == null ? null : t.value());
                }
                List<Tensor> results = op.forward(n, vals);
                outs = new ArrayList<>();
                for (Tensor r : results) {
                    outs.add(TensorInfo.of(r));
                }
            }
        } catch (DataDependentShapeException e) {
            return null;
        } catch (T2cException e) {
            if (e.getMessage().startsWith("node ")) {
                throw e;
            }
            throw new T2cException("node " + n.label() + ": " + e.getMessage(), e);
        }
        for (int i = 0; i < n.outputs().size() && i < outs.size(); i++) {
            if (!n.output(i).isEmpty()) {
                infos.put(n.output(i), outs.get(i));
            }
        }
        return outs;
    }

    private static boolean shouldEvaluate(List<TensorInfo> ins, List<TensorInfo> outs) {
        for (TensorInfo t : ins) {
            if (t != null && !t.hasValue()) {
                return false;
            }
        }
        for (TensorInfo o : outs) {
            if (o.numel() > FOLD_LIMIT) {
                return false;
            }
        }
        return !outs.stream().allMatch(TensorInfo::hasValue);
    }

    /** True when two inferred values are the same tensor value (used to decide what is independent of the probe). */
    public static boolean sameValue(TensorInfo a, TensorInfo b) {
        if (a == null || b == null || !a.hasValue() || !b.hasValue() || a.dtype() != b.dtype()
                || !Arrays.equals(a.shape(), b.shape())) {
            return false;
        }
        Tensor x = a.value();
        Tensor y = b.value();
        for (int i = 0; i < x.size(); i++) {
            if (Double.doubleToLongBits(x.getDouble(i)) != Double.doubleToLongBits(y.getDouble(i))) {
                return false;
            }
        }
        return true;
    }
}
