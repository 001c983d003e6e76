package io.t2c.graph.op;

import java.util.ArrayList;
import java.util.List;

/** Every built-in op, by family. Adding an op means adding it to its family's list. */
public final class StandardOps {
    private StandardOps() {}

    public static List<OpDef> all() {
        List<OpDef> ops = new ArrayList<>();
        ops.addAll(ShapeOps.all());
        ops.addAll(ElementwiseOps.all());
        ops.addAll(MovementOps.all());
        ops.addAll(ReduceOps.all());
        ops.addAll(LinearOps.all());
        ops.addAll(PoolOps.all());
        ops.addAll(NormOps.all());
        ops.addAll(ResizeOp.all());
        ops.addAll(LossOps.all());
        return ops;
    }
}
