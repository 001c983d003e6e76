package io.t2c.graph.op;

import static io.t2c.graph.op.AttrSpec.Kind.INT;
import static io.t2c.graph.op.AttrSpec.optional;

import io.t2c.graph.Node;
import io.t2c.graph.TensorInfo;
import io.t2c.tensor.Shapes;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.DType;
import io.t2c.tensor.ops.Elementwise;
import io.t2c.tensor.ops.Movement;
import io.t2c.tensor.ops.Reductions;
import io.t2c.tensor.ops.Reductions.Reduction;
import java.util.ArrayList;
import java.util.List;

/**
 * Reductions over axes given as an optional second input (the importer turns older opsets' attribute into it):
 * keepdims (default 1) and noop_with_empty_axes (default 0) shared by all.
 */
final class ReduceOps {
    private ReduceOps() {}

    static List<OpDef> all() {
        return List.of(new Reduce("ReduceSum", Reduction.SUM), new Reduce("ReduceMean", Reduction.MEAN),
                new Reduce("ReduceMax", Reduction.MAX), new Reduce("ReduceMin", Reduction.MIN),
                new Reduce("ReduceProd", Reduction.PROD));
    }

    static final class Reduce extends Op {
        private final Reduction kind;

        Reduce(String name, Reduction kind) {
            super(name, Family.REDUCE, 1, 2, optional("keepdims", INT, 1L), optional("noop_with_empty_axes", INT, 0L));
            this.kind = kind;
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            int[] s = in.get(0).shape();
            Tensor axesT = optionalInfo(in, 1) == null ? null : requireValue(node, in, 1, "axes");
            boolean keep = node.attributes().getInt("keepdims", 1) != 0;
            boolean noop = node.attributes().getInt("noop_with_empty_axes", 0) != 0;
            int[] axes = axesT == null ? new int[0] : ints(axesT);
            if (axes.length == 0 && noop) {
                return List.of(in.get(0));
            }
            boolean[] reduced = new boolean[s.length];
            if (axes.length == 0) {
                java.util.Arrays.fill(reduced, true);
            }
            for (int a : Shapes.axes(axes, s.length)) {
                reduced[a] = true;
            }
            List<Integer> out = new ArrayList<>();
            for (int i = 0; i < s.length; i++) {
                if (!reduced[i]) {
                    out.add(s[i]);
                } else if (keep) {
                    out.add(1);
                }
            }
            return List.of(TensorInfo.of(in.get(0).dtype(), out.stream().mapToInt(Integer::intValue).toArray()));
        }

        @Override
        public boolean differentiable() {
            return true;
        }

        /**
         * Sum spreads the gradient over the reduced elements, Mean also divides by their count, Max/Min split it
         * evenly among the elements equal to the result, Prod multiplies by the product of the others (y / x).
         */
        @Override
        public List<Tensor> backward(Node node, List<Tensor> in, List<Tensor> out, List<Tensor> gOut) {
            Tensor x = in.get(0);
            Tensor y = out.get(0);
            int[] keptShape = keptShape(node, x.shape(), optionalTensor(in, 1));
            Tensor g = gOut.get(0).reshape(keptShape);
            Tensor yKept = y.reshape(keptShape);
            long[] full = java.util.Arrays.stream(x.shape()).asLongStream().toArray();
            Tensor gx = switch (kind) {
                case SUM -> Movement.expand(g, full);
                case MEAN -> Movement.expand(Elementwise.div(g,
                        Tensor.scalar((float) x.size() / Math.max(1, y.size())).reshape()), full);
                case MAX, MIN -> {
                    Tensor mask = Elementwise.equal(x, yKept).cast(DType.FLOAT32);
                    Tensor ties = Reductions.reduceSum(mask, reducedAxes(keptShape, x.shape()), true);
                    yield Elementwise.mul(mask, Elementwise.div(g, ties));
                }
                case PROD -> Elementwise.mul(Movement.expand(g, full), Elementwise.div(yKept, x));
                default -> throw error(node, "no gradient for " + kind);
            };
            return java.util.Arrays.asList(gx, null);
        }

        /** The output shape with keepdims=1: reduced axes kept as size 1. */
        private static int[] keptShape(Node node, int[] s, Tensor axesT) {
            int[] axes = axesT == null ? new int[0] : ints(axesT);
            boolean noop = node.attributes().getInt("noop_with_empty_axes", 0) != 0;
            int[] kept = s.clone();
            if (axes.length == 0) {
                if (!noop) {
                    java.util.Arrays.fill(kept, 1);
                }
                return kept;
            }
            for (int a : Shapes.axes(axes, s.length)) {
                kept[a] = 1;
            }
            return kept;
        }

        private static int[] reducedAxes(int[] kept, int[] full) {
            return java.util.stream.IntStream.range(0, full.length).filter(i -> kept[i] != full[i] || full[i] == 1)
                    .toArray();
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            Tensor axesT = optionalTensor(in, 1);
            return List.of(Reductions.reduce(in.get(0), kind, axesT == null ? null : ints(axesT),
                    node.attributes().getInt("keepdims", 1) != 0,
                    node.attributes().getInt("noop_with_empty_axes", 0) != 0));
        }
    }
}
