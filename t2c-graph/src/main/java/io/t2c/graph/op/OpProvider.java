package io.t2c.graph.op;

import java.util.List;

/**
 * Ops contributed by a module outside t2c-graph (quantization, integer conversion) or by a user's jar. Listed in
 * {@code META-INF/services/io.t2c.graph.op.OpProvider}; {@link OpRegistry#standard()} adds every provider found on
 * the class path to the built-in ops, so graphs holding these ops load, run and train like any other.
 */
public interface OpProvider {
    List<OpDef> ops();
}
