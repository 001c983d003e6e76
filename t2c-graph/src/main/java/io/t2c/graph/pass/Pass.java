package io.t2c.graph.pass;

import io.t2c.graph.Graph;

/** A named rewrite Graph → Graph. A pass that does not apply returns the graph unchanged; it never throws for that. */
public interface Pass {
    String name();

    PassResult apply(Graph graph);

    /** The rewritten graph and whether anything changed. */
    record PassResult(Graph graph, boolean changed) {}
}
