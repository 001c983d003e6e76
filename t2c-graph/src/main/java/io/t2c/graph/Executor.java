package io.t2c.graph;

import io.t2c.graph.op.OpDef;
import io.t2c.graph.op.OpRegistry;
import io.t2c.tensor.ArrayPool;
import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * Runs a graph on float (or integer) tensors: nodes in topological order, each intermediate freed after its last
 * reader, dynamic dimensions taken from the inputs given. Thread-safe: one executor may serve concurrent runs.
 * Initializers must not be modified while an executor built on them is in use: nodes are prepared for them once.
 *
 * <p>The float arrays of dead intermediates go to an {@link ArrayPool} that serves later outputs of the same size, in
 * this run and the next ones (each concurrent run has its own pool). An array is given back only when no live value
 * shares it (reshapes share arrays) and it is neither an input nor an initializer; outputs are never given back.
 */
public final class Executor {
    private final Graph graph;
    /** Each node's forward specialised for its initializer inputs (packed conv weights, ...). */
    private final List<OpDef.Prepared> prepared = new ArrayList<>();
    /** For each node index, the values whose last reader it is (freed after it runs). */
    private final List<List<String>> freeAfter = new ArrayList<>();
    /** Arrays that must never be reused: the initializers'. */
    private final Set<Object> initializerArrays = Collections.newSetFromMap(new IdentityHashMap<>());
    /** Pools of finished runs, ready for the next. */
    private final Deque<ArrayPool> idlePools = new ConcurrentLinkedDeque<>();

    public Executor(Graph graph, OpRegistry registry) {
        this.graph = graph;
        for (Node n : graph.nodes()) {
            OpDef op = registry.get(n.opType());
            List<Tensor> constants = new ArrayList<>();
            for (String in : n.inputs()) {
                constants.add(in.isEmpty() ? null : graph.initializers().get(in));
            }
            prepared.add(op.prepare(n, constants));
        }
        graph.initializers().values().forEach(t -> initializerArrays.add(t.data()));
        Set<String> keep = new HashSet<>();
        graph.outputs().forEach(v -> keep.add(v.name()));
        keep.addAll(graph.initializers().keySet());
        Map<String, Integer> lastUse = new HashMap<>();
        List<Node> nodes = graph.nodes();
        for (int i = 0; i < nodes.size(); i++) {
            for (String in : nodes.get(i).inputs()) {
                if (!in.isEmpty()) {
                    lastUse.put(in, i);
                }
            }
            freeAfter.add(new ArrayList<>());
        }
        lastUse.forEach((value, idx) -> {
            if (!keep.contains(value)) {
                freeAfter.get(idx).add(value);
            }
        });
    }

    public Executor(Graph graph) {
        this(graph, OpRegistry.standard());
    }

    public Graph graph() {
        return graph;
    }

    /** Runs the graph; {@code inputs} maps every graph input's name to a tensor. Returns outputs by name, in order. */
    public Map<String, Tensor> run(Map<String, Tensor> inputs) {
        return run(inputs, null);
    }

    /**
     * Runs the graph and, when {@code nanosPerNode} is given (one slot per node, in {@link Graph#nodes()} order),
     * adds each node's wall time to it: a per-op profile.
     */
    public Map<String, Tensor> run(Map<String, Tensor> inputs, long[] nanosPerNode) {
        Map<String, Tensor> env = new HashMap<>(graph.initializers());
        for (Value v : graph.inputs()) {
            if (graph.initializers().containsKey(v.name()) && !inputs.containsKey(v.name())) {
                continue;
            }
            Tensor t = inputs.get(v.name());
            if (t == null) {
                throw new T2cException("missing input '" + v.name() + "'; the model's inputs are "
                        + graph.inputs().stream().map(Value::toString).toList());
            }
            checkInput(v, t);
            env.put(v.name(), t);
        }
        for (String name : inputs.keySet()) {
            if (graph.inputs().stream().noneMatch(v -> v.name().equals(name))) {
                throw new T2cException("the model has no input named '" + name + "'; its inputs are "
                        + graph.inputs().stream().map(Value::name).toList());
            }
        }
        ArrayPool pool = Objects.requireNonNullElseGet(idlePools.poll(), () -> new ArrayPool(POOL_FLOATS));
        pool.use(() -> runNodes(env, inputs.values(), pool, nanosPerNode));
        idlePools.push(pool);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Value v : graph.outputs()) {
            out.put(v.name(), env.get(v.name()));
        }
        return out;
    }

    /** Floats one run's pool may keep between runs: 64 M (256 MB), or an eighth of the heap if less. */
    private static final long POOL_FLOATS = Math.min(64L << 20, Runtime.getRuntime().maxMemory() / 8 / Float.BYTES);

    private void runNodes(Map<String, Tensor> env, Collection<Tensor> inputs, ArrayPool pool, long[] nanosPerNode) {
        // How many live intermediate values hold each array; inputs' and initializers' arrays are never reused.
        Map<Object, Integer> holders = new IdentityHashMap<>();
        Set<Object> inputArrays = Collections.newSetFromMap(new IdentityHashMap<>());
        inputs.forEach(t -> inputArrays.add(t.data()));
        List<Node> nodes = graph.nodes();
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            List<Tensor> args = new ArrayList<>(n.inputs().size());
            for (String in : n.inputs()) {
                args.add(in.isEmpty() ? null : env.get(in));
            }
            long t0 = nanosPerNode == null ? 0 : System.nanoTime();
            List<Tensor> results = runNode(prepared.get(i), n, args);
            if (nanosPerNode != null) {
                nanosPerNode[i] += System.nanoTime() - t0;
            }
            for (int k = 0; k < n.outputs().size() && k < results.size(); k++) {
                if (!n.output(k).isEmpty()) {
                    Tensor replaced = env.put(n.output(k), results.get(k));
                    holders.merge(results.get(k).data(), 1, Integer::sum);
                    if (replaced != null) {
                        release(replaced, holders, inputArrays, pool);
                    }
                }
            }
            for (String dead : freeAfter.get(i)) {
                Tensor t = env.remove(dead);
                if (t != null) {
                    release(t, holders, inputArrays, pool);
                }
            }
        }
    }

    /** One holder of {@code t}'s array is gone; when it was the last, the pool may reuse a float array. */
    private void release(Tensor t, Map<Object, Integer> holders, Set<Object> inputArrays, ArrayPool pool) {
        Object data = t.data();
        Integer left = holders.computeIfPresent(data, (k, c) -> c == 1 ? null : c - 1);
        if (left == null && data instanceof float[] f && !inputArrays.contains(data)
                && !initializerArrays.contains(data)) {
            pool.give(f);
        }
    }

    /** Runs a single-input graph and returns its first output. */
    public Tensor run(Tensor input) {
        if (graph.inputs().size() != 1) {
            throw new T2cException("the model has " + graph.inputs().size() + " inputs; name each one");
        }
        return run(Map.of(graph.inputs().get(0).name(), input)).values().iterator().next();
    }

    static List<Tensor> runNode(OpDef.Prepared op, Node n, List<Tensor> args) {
        try {
            return op.forward(args);
        } catch (T2cException e) {
            if (e.getMessage().startsWith("node ")) {
                throw e;
            }
            throw new T2cException("node " + n.label() + ": " + e.getMessage(), e);
        }
    }

    private static void checkInput(Value v, Tensor t) {
        int[] want = v.shape();
        DType dt = v.dtype();
        if (dt != null && dt != t.dtype()) {
            throw new T2cException("input '" + v.name() + "' must be " + dt + " but is " + t.dtype());
        }
        if (want == null) {
            return;
        }
        int[] got = t.shape();
        boolean ok = want.length == got.length;
        for (int i = 0; ok && i < want.length; i++) {
            ok = want[i] < 0 || want[i] == got[i];
        }
        if (!ok) {
            throw new T2cException("input '" + v.name() + "' must have shape " + Value.describe(want) + " but has "
                    + Arrays.toString(got));
        }
    }
}
