package io.t2c.autograd;

import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.Value;
import io.t2c.graph.op.OpDef;
import io.t2c.graph.op.OpRegistry;
import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.ops.Elementwise;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Gradients of a scalar loss with respect to chosen values (parameters or inputs) of a graph.
 *
 * <p>Call order: {@link #run} executes the graph forward, keeping every value on a path from a requested value to
 * the loss, then seeds {@code d loss / d loss = 1} and visits the nodes in reverse topological order, calling each
 * differentiable op's {@link OpDef#backward}; gradients reaching one value from several readers are summed. Only
 * nodes between the requested values and the loss are differentiated, so a non-differentiable op elsewhere (shape
 * arithmetic, argmax for accuracy) is fine. Custom ops with a hand-written backward — straight-through estimators —
 * join by being in the {@link OpRegistry} passed in. Evaluation without gradients is the plain
 * {@link io.t2c.graph.Executor} (there is no tape to switch off).
 */
public final class Backprop {
    private Backprop() {}

    /** The graph's outputs (by name) and the gradient of the loss for each requested value. */
    public record Result(Map<String, Tensor> outputs, Map<String, Tensor> gradients) {}

    public static Result run(Graph g, OpRegistry registry, Map<String, Tensor> inputs, String loss,
                             Collection<String> wrt) {
        Map<String, Tensor> env = new HashMap<>(g.initializers());
        for (Value v : g.inputs()) {
            Tensor t = inputs.get(v.name());
            if (t == null && !g.initializers().containsKey(v.name())) {
                throw new T2cException("missing input '" + v.name() + "'");
            }
            if (t != null) {
                env.put(v.name(), t);
            }
        }
        List<Node> nodes = g.nodes();
        for (Node n : nodes) {
            List<Tensor> args = new ArrayList<>();
            for (String in : n.inputs()) {
                args.add(in.isEmpty() ? null : env.get(in));
            }
            OpDef def = registry.get(n.opType());
            List<Tensor> outs = naming(n, () -> def.forward(n, args));
            for (int k = 0; k < n.outputs().size() && k < outs.size(); k++) {
                env.put(n.output(k), outs.get(k));
            }
        }
        Tensor lossValue = env.get(loss);
        if (lossValue == null) {
            throw new T2cException("loss '" + loss + "' is not a value of graph " + g.name());
        }
        if (lossValue.size() != 1 || lossValue.dtype() != DType.FLOAT32) {
            throw new T2cException("loss '" + loss + "' must be a float scalar, got " + lossValue);
        }
        Set<String> needed = valuesBetween(g, new HashSet<>(wrt), loss);
        Map<String, Tensor> grads = new HashMap<>();
        grads.put(loss, Tensor.of(new float[] {1f}, lossValue.shape()));
        Set<String> kept = new HashSet<>(wrt);
        g.outputs().forEach(v -> kept.add(v.name()));
        List<List<String>> releasable = releasableAfter(nodes, kept);
        for (int i = nodes.size() - 1; i >= 0; i--) {
            // The reverse walk has passed every node that reads or produces these: drop the activations and their
            // gradients so the collector can reuse the memory during the rest of the backward pass.
            for (String v : releasable.get(i + 1)) {
                env.remove(v);
                grads.remove(v);
            }
            Node n = nodes.get(i);
            if (n.outputs().stream().noneMatch(grads::containsKey)
                    || n.inputs().stream().noneMatch(needed::contains)) {
                continue;
            }
            OpDef op = registry.get(n.opType());
            if (!op.differentiable()) {
                throw new T2cException("node " + n.label() + " lies between the parameters and the loss but op "
                        + n.opType() + " has no gradient");
            }
            List<Tensor> ins = new ArrayList<>();
            for (String in : n.inputs()) {
                ins.add(in.isEmpty() ? null : env.get(in));
            }
            List<Tensor> outs = new ArrayList<>();
            List<Tensor> gOuts = new ArrayList<>();
            for (String out : n.outputs()) {
                outs.add(out.isEmpty() ? null : env.get(out));
                gOuts.add(out.isEmpty() ? null : grads.get(out));
            }
            List<Tensor> gIns = naming(n, () -> op.backward(n, ins, outs, gOuts));
            for (int k = 0; k < n.inputs().size() && k < gIns.size(); k++) {
                String in = n.input(k);
                Tensor gi = gIns.get(k);
                if (in.isEmpty() || gi == null || !needed.contains(in)) {
                    continue;
                }
                if (!Arrays.equals(gi.shape(), ins.get(k).shape())) {
                    throw new IllegalStateException("op " + n.opType() + " returned a gradient of shape "
                            + Arrays.toString(gi.shape()) + " for input " + k + " of shape "
                            + Arrays.toString(ins.get(k).shape()));
                }
                grads.merge(in, gi, Elementwise::add);
            }
        }
        Map<String, Tensor> result = new LinkedHashMap<>();
        for (String w : wrt) {
            Tensor gw = grads.get(w);
            Tensor v = env.get(w);
            if (v == null) {
                throw new T2cException("'" + w + "' is not a value of graph " + g.name());
            }
            result.put(w, gw != null ? gw : Tensor.zeros(v.dtype(), v.shape()));
        }
        Map<String, Tensor> outputs = new LinkedHashMap<>();
        for (Value v : g.outputs()) {
            outputs.put(v.name(), env.get(v.name()));
        }
        return new Result(outputs, result);
    }

    /**
     * For each node index i, the values whose first reader or producer (in forward order) is node i, except
     * {@code kept}; index {@code nodes.size()} is empty.
     */
    private static List<List<String>> releasableAfter(List<Node> nodes, Set<String> kept) {
        Map<String, Integer> first = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            for (String v : nodes.get(i).inputs()) {
                first.putIfAbsent(v, i);
            }
            for (String v : nodes.get(i).outputs()) {
                first.putIfAbsent(v, i);
            }
        }
        List<List<String>> byNode = new ArrayList<>();
        for (int i = 0; i <= nodes.size(); i++) {
            byNode.add(new ArrayList<>());
        }
        first.forEach((v, i) -> {
            if (!v.isEmpty() && !kept.contains(v)) {
                byNode.get(i).add(v);
            }
        });
        return byNode;
    }

    /** Runs a node's forward or backward so that a kernel's error names the node, as the Executor's do. */
    private static List<Tensor> naming(Node n, Supplier<List<Tensor>> body) {
        try {
            return body.get();
        } catch (T2cException e) {
            if (e.getMessage().startsWith("node ")) {
                throw e;
            }
            throw new T2cException("node " + n.label() + ": " + e.getMessage(), e);
        }
    }

    /** Values that depend on one of {@code from} and that the loss depends on (including the ends). */
    private static Set<String> valuesBetween(Graph g, Set<String> from, String loss) {
        Set<String> downstream = new HashSet<>(from);
        for (Node n : g.nodes()) {
            if (n.inputs().stream().anyMatch(downstream::contains)) {
                downstream.addAll(n.outputs());
            }
        }
        Set<String> upstream = new HashSet<>(Set.of(loss));
        List<Node> nodes = g.nodes();
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node n = nodes.get(i);
            if (n.outputs().stream().anyMatch(upstream::contains)) {
                upstream.addAll(n.inputs());
            }
        }
        downstream.retainAll(upstream);
        return downstream;
    }
}
