package io.t2c.graph.pass;

import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.Value;
import io.t2c.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Removes nodes whose outputs nobody reads and initializers nobody uses. */
public final class EliminateDeadNodes implements Pass {
    public static final String NAME = "EliminateDeadNodes";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public PassResult apply(Graph g) {
        Set<String> live = new HashSet<>();
        g.outputs().forEach(v -> live.add(v.name()));
        List<Node> kept = new ArrayList<>();
        List<Node> nodes = g.nodes();
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node n = nodes.get(i);
            if (n.outputs().stream().anyMatch(live::contains)) {
                kept.add(n);
                live.addAll(n.inputs());
            }
        }
        Collections.reverse(kept);
        Map<String, Tensor> inits = new LinkedHashMap<>();
        g.initializers().forEach((k, v) -> {
            if (live.contains(k) || g.inputs().stream().map(Value::name).anyMatch(k::equals)) {
                inits.put(k, v);
            }
        });
        boolean changed = kept.size() != nodes.size() || inits.size() != g.initializers().size();
        return new PassResult(changed ? g.withNodes(kept, inits) : g, changed);
    }
}
