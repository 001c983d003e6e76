package io.t2c.graph;

import io.t2c.graph.op.OpDef;
import io.t2c.graph.op.OpRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Per-node facts for inspection: input and output shapes (dynamic dims marked -1, found by inferring with two probe
 * sizes), parameter count (elements of constant inputs) and multiply-accumulates at batch 1.
 */
public record GraphSummary(List<NodeSummary> nodes, long totalParameters, long totalMacs) {
    public record NodeSummary(String name, String opType, List<int[]> inputShapes, List<int[]> outputShapes,
                              long parameters, long macs) {}

    public static GraphSummary of(Graph g, OpRegistry registry) {
        Map<String, TensorInfo> a = ShapeInference.infer(g, registry, 2);
        Map<String, TensorInfo> b = ShapeInference.infer(g, registry, 3);
        Map<String, TensorInfo> one = ShapeInference.infer(g, registry, 1);
        List<NodeSummary> out = new ArrayList<>();
        long macs = 0;
        for (Node n : g.nodes()) {
            List<int[]> ins = new ArrayList<>();
            List<TensorInfo> inInfos = new ArrayList<>();
            long p = 0;
            boolean known = true;
            for (String in : n.inputs()) {
                if (in.isEmpty()) {
                    inInfos.add(null);
                    continue;
                }
                ins.add(merge(a.get(in), b.get(in)));
                inInfos.add(one.get(in));
                known &= one.get(in) != null;
                if (g.initializers().containsKey(in)) {
                    p += g.initializers().get(in).size();
                }
            }
            List<int[]> outs = new ArrayList<>();
            List<TensorInfo> outInfos = new ArrayList<>();
            for (String o : n.outputs()) {
                if (!o.isEmpty()) {
                    outs.add(merge(a.get(o), b.get(o)));
                    outInfos.add(one.get(o));
                    known &= one.get(o) != null;
                }
            }
            OpDef op = registry.get(n.opType());
            long m = known ? op.macs(n, inInfos, outInfos) : 0;
            out.add(new NodeSummary(n.name(), displayOp(n), ins, outs, p, m));
            macs += m;
        }
        return new GraphSummary(out, g.parameterCount(), macs);
    }

    /** The op type, with a fused output clamp shown as its activation ("Conv+Relu", "Conv+Clip"). */
    private static String displayOp(Node n) {
        boolean lo = n.attributes().has(io.t2c.graph.op.FusedClamp.MIN);
        boolean hi = n.attributes().has(io.t2c.graph.op.FusedClamp.MAX);
        if (!lo && !hi) {
            return n.opType();
        }
        boolean relu = lo && !hi && n.attributes().getDouble(io.t2c.graph.op.FusedClamp.MIN, 1) == 0;
        return n.opType() + (relu ? "+Relu" : "+Clip");
    }

    /** Shape with -1 where the two probes disagree; null when only known at run time. */
    private static int[] merge(TensorInfo x, TensorInfo y) {
        if (x == null || y == null) {
            return null;
        }
        int[] s = x.shape();
        int[] t = y.shape();
        if (s.length != t.length) {
            return s;
        }
        for (int i = 0; i < s.length; i++) {
            if (s[i] != t[i]) {
                s[i] = Value.DYNAMIC;
            }
        }
        return s;
    }
}
