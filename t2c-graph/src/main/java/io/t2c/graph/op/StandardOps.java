package io.t2c.graph.op;

import java.util.ArrayList;
import java.util.List;

/** Every built-in op, by family. Adding an op means adding it to its family's list. */
public final class StandardOps {
    private StandardOps() {}

    public static List<OpDef> all() {
        List<OpDef> ops = new ArrayList<>();
        ops.addAll(ShapeOps.all());
        return ops;
    }
}
