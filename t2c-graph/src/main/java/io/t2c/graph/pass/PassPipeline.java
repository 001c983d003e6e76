package io.t2c.graph.pass;

import io.t2c.graph.Graph;
import io.t2c.tensor.T2cException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Runs a declared list of passes in order, skipping any named in {@code skip}, and records which ran in the graph's
 * metadata ({@code passes}). A failing pass is reported with the passes that ran before it.
 */
public final class PassPipeline {
    private final List<Pass> passes;

    public PassPipeline(List<Pass> passes) {
        this.passes = List.copyOf(passes);
    }

    public Graph run(Graph graph, Set<String> skip) {
        List<String> ran = new ArrayList<>();
        Graph g = graph;
        for (Pass p : passes) {
            if (skip.contains(p.name())) {
                continue;
            }
            try {
                g = p.apply(g).graph();
            } catch (T2cException e) {
                throw new T2cException("pass " + p.name() + " failed (after " + (ran.isEmpty() ? "none" : String.join(", ", ran))
                        + "): " + e.getMessage(), e);
            }
            ran.add(p.name());
        }
        String before = g.metadata().getOrDefault("passes", "");
        return g.withMetadata("passes", before.isEmpty() ? String.join(",", ran) : before + "," + String.join(",", ran));
    }

    public Graph run(Graph graph) {
        return run(graph, Set.of());
    }
}
