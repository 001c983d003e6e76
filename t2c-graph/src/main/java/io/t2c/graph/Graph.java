package io.t2c.graph;

import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The one IR: graph inputs and outputs (typed {@link Value}s), nodes in topological order, and constant tensors
 * (initializers) by value name. Construction validates that every node input is produced exactly once (by a graph
 * input, an initializer or an earlier node) and sorts the nodes; a graph that cannot be sorted is rejected with the
 * names involved. Graphs are immutable; passes build new ones.
 */
public final class Graph {
    private final String name;
    private final List<Value> inputs;
    private final List<Value> outputs;
    private final List<Node> nodes;
    private final Map<String, Tensor> initializers;
    private final Map<String, String> metadata;

    public Graph(String name, List<Value> inputs, List<Value> outputs, List<Node> nodes,
                 Map<String, Tensor> initializers, Map<String, String> metadata) {
        this.name = name;
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        this.initializers = Collections.unmodifiableMap(new LinkedHashMap<>(initializers));
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        this.nodes = List.copyOf(sort(nodes));
    }

    public String name() {
        return name;
    }

    public List<Value> inputs() {
        return inputs;
    }

    public List<Value> outputs() {
        return outputs;
    }

    /** Nodes in a topological order (producers before consumers). */
    public List<Node> nodes() {
        return nodes;
    }

    public Map<String, Tensor> initializers() {
        return initializers;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public Tensor initializer(String valueName) {
        return initializers.get(valueName);
    }

    /** The node producing {@code valueName}, or null for graph inputs and initializers. */
    public Node producer(String valueName) {
        for (Node n : nodes) {
            if (n.outputs().contains(valueName)) {
                return n;
            }
        }
        return null;
    }

    /** Nodes that read {@code valueName}. */
    public List<Node> consumers(String valueName) {
        List<Node> out = new ArrayList<>();
        for (Node n : nodes) {
            if (n.inputs().contains(valueName)) {
                out.add(n);
            }
        }
        return out;
    }

    public Graph withNodes(List<Node> newNodes, Map<String, Tensor> newInitializers) {
        return new Graph(name, inputs, outputs, newNodes, newInitializers, metadata);
    }

    public Graph withMetadata(String key, String value) {
        Map<String, String> m = new LinkedHashMap<>(metadata);
        m.put(key, value);
        return new Graph(name, inputs, outputs, nodes, initializers, m);
    }

    /** Total number of parameters held in initializers. */
    public long parameterCount() {
        long n = 0;
        for (Tensor t : initializers.values()) {
            n += t.size();
        }
        return n;
    }

    private List<Node> sort(List<Node> unsorted) {
        Map<String, Integer> producerOf = new HashMap<>();
        Set<String> available = new HashSet<>();
        for (Value v : inputs) {
            available.add(v.name());
        }
        available.addAll(initializers.keySet());
        Set<String> nodeNames = new HashSet<>();
        for (int i = 0; i < unsorted.size(); i++) {
            Node n = unsorted.get(i);
            if (!nodeNames.add(n.name())) {
                throw new T2cException("graph '" + name + "': two nodes are named '" + n.name()
                        + "'; node names must be unique");
            }
            for (String out : n.outputs()) {
                if (out.isEmpty()) {
                    continue;
                }
                if (available.contains(out) || producerOf.put(out, i) != null) {
                    throw new T2cException("graph '" + name + "': value '" + out + "' is produced more than once"
                            + " (again by node " + n.label() + ")");
                }
            }
        }
        // Kahn's algorithm, stable: among ready nodes the earliest in the given order goes first.
        int[] missing = new int[unsorted.size()];
        Map<String, List<Integer>> waiting = new HashMap<>();
        for (int i = 0; i < unsorted.size(); i++) {
            Node n = unsorted.get(i);
            for (String in : new HashSet<>(n.inputs())) {
                if (in.isEmpty() || available.contains(in)) {
                    continue;
                }
                if (!producerOf.containsKey(in)) {
                    throw new T2cException("graph '" + name + "': node " + n.label() + " reads '" + in
                            + "', which is not a graph input, an initializer or the output of any node");
                }
                missing[i]++;
                waiting.computeIfAbsent(in, k -> new ArrayList<>()).add(i);
            }
        }
        java.util.PriorityQueue<Integer> ready = new java.util.PriorityQueue<>();
        for (int i = 0; i < missing.length; i++) {
            if (missing[i] == 0) {
                ready.add(i);
            }
        }
        List<Node> sorted = new ArrayList<>(unsorted.size());
        while (!ready.isEmpty()) {
            int i = ready.poll();
            Node n = unsorted.get(i);
            sorted.add(n);
            for (String out : n.outputs()) {
                for (int j : waiting.getOrDefault(out, List.of())) {
                    if (--missing[j] == 0) {
                        ready.add(j);
                    }
                }
            }
        }
        if (sorted.size() != unsorted.size()) {
            Deque<String> stuck = new ArrayDeque<>();
            for (int i = 0; i < missing.length && stuck.size() < 5; i++) {
                if (missing[i] > 0) {
                    stuck.add(unsorted.get(i).label());
                }
            }
            throw new T2cException("graph '" + name + "' has a cycle; nodes involved include " + stuck);
        }
        for (Value out : outputs) {
            if (!available.contains(out.name()) && !producerOf.containsKey(out.name())) {
                throw new T2cException("graph '" + name + "': output '" + out.name() + "' is not produced by any node");
            }
        }
        return sorted;
    }
}
