package io.t2c.graph.op;

import static io.t2c.graph.op.AttrSpec.Kind.INT;
import static io.t2c.graph.op.AttrSpec.Kind.INTS;
import static io.t2c.graph.op.AttrSpec.Kind.STRING;
import static io.t2c.graph.op.AttrSpec.optional;
import static io.t2c.graph.op.AttrSpec.required;

import io.t2c.graph.Node;
import io.t2c.graph.TensorInfo;
import io.t2c.tensor.DType;
import io.t2c.tensor.Shapes;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.ops.Movement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Ops that select or rearrange elements without computing on them: they work on every dtype. */
final class MovementOps {
    private MovementOps() {}

    static List<OpDef> all() {
        return List.of(new Transpose(), new Concat(), new Split(), new Slice(), new Gather(), new Pad(), new Expand(),
                new Tile());
    }

    static final class Transpose extends Op {
        Transpose() {
            super("Transpose", Family.MOVEMENT, 1, 1, optional("perm", INTS, null));
        }

        private static int[] perm(Node node, int rank) {
            int[] p = node.attributes().getInts("perm", null);
            if (p == null) {
                p = new int[rank];
                for (int i = 0; i < rank; i++) {
                    p[i] = rank - 1 - i;
                }
            }
            if (p.length != rank) {
                throw error(node, "perm " + Arrays.toString(p) + " does not match rank " + rank);
            }
            return p;
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            int[] s = in.get(0).shape();
            int[] p = perm(node, s.length);
            int[] out = new int[s.length];
            for (int i = 0; i < s.length; i++) {
                out[i] = s[Shapes.axis(p[i], s.length)];
            }
            return List.of(TensorInfo.of(in.get(0).dtype(), out));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(Movement.transpose(in.get(0), perm(node, in.get(0).rank())));
        }

        @Override
        public boolean differentiable() {
            return true;
        }

        @Override
        public List<Tensor> backward(Node node, List<Tensor> in, List<Tensor> out, List<Tensor> gOut) {
            int[] p = perm(node, in.get(0).rank());
            int[] inverse = new int[p.length];
            for (int i = 0; i < p.length; i++) {
                inverse[Shapes.axis(p[i], p.length)] = i;
            }
            return List.of(Movement.transpose(gOut.get(0), inverse));
        }
    }

    static final class Concat extends Op {
        Concat() {
            super("Concat", Family.MOVEMENT, 1, Integer.MAX_VALUE, required("axis", INT));
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            int[] out = in.get(0).shape();
            int axis = Shapes.axis(node.attributes().getInt("axis", 0), out.length);
            for (int i = 1; i < in.size(); i++) {
                int[] s = in.get(i).shape();
                if (s.length != out.length) {
                    throw error(node, "inputs have ranks " + out.length + " and " + s.length);
                }
                for (int d = 0; d < s.length; d++) {
                    if (d != axis && s[d] != out[d]) {
                        throw error(node, "input shapes " + Arrays.toString(in.get(0).shape()) + " and "
                                + Arrays.toString(s) + " differ outside axis " + axis);
                    }
                }
                out[axis] += s[axis];
            }
            return List.of(TensorInfo.of(in.get(0).dtype(), out));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(Movement.concat(node.attributes().getInt("axis", 0), in.toArray(Tensor[]::new)));
        }

        @Override
        public boolean differentiable() {
            return true;
        }

        @Override
        public List<Tensor> backward(Node node, List<Tensor> in, List<Tensor> out, List<Tensor> gOut) {
            int axis = node.attributes().getInt("axis", 0);
            int[] sizes = in.stream().mapToInt(t -> t.dim(axis)).toArray();
            return List.of(Movement.split(gOut.get(0), axis, sizes));
        }
    }

    /** Split by sizes (second input) or into as many equal parts as outputs (last part smaller, opset 18). */
    static final class Split extends Op {
        Split() {
            super("Split", Family.MOVEMENT, 1, 2, optional("axis", INT, 0L), optional("num_outputs", INT, null));
        }

        private static int[] sizes(Node node, int[] shape, Tensor splitOrNull) {
            int axis = Shapes.axis(node.attributes().getInt("axis", 0), shape.length);
            int dim = shape[axis];
            if (splitOrNull != null) {
                int[] s = ints(splitOrNull);
                if (Arrays.stream(s).sum() != dim || s.length != node.outputs().size()) {
                    throw error(node, "split sizes " + Arrays.toString(s) + " do not cover axis " + axis + " of "
                            + Arrays.toString(shape) + " with " + node.outputs().size() + " outputs");
                }
                return s;
            }
            int parts = node.outputs().size();
            int chunk = (dim + parts - 1) / parts;
            int[] s = new int[parts];
            for (int i = 0; i < parts; i++) {
                s[i] = Math.max(0, Math.min(chunk, dim - i * chunk));
            }
            return s;
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            int[] shape = in.get(0).shape();
            Tensor split = optionalInfo(in, 1) == null ? null : requireValue(node, in, 1, "split sizes");
            int axis = Shapes.axis(node.attributes().getInt("axis", 0), shape.length);
            List<TensorInfo> outs = new ArrayList<>();
            for (int s : sizes(node, shape, split)) {
                int[] o = shape.clone();
                o[axis] = s;
                outs.add(TensorInfo.of(in.get(0).dtype(), o));
            }
            return outs;
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            Tensor x = in.get(0);
            int[] sizes = sizes(node, x.shape(), optionalTensor(in, 1));
            return List.of(Movement.split(x, node.attributes().getInt("axis", 0), sizes));
        }

        @Override
        public boolean differentiable() {
            return true;
        }

        @Override
        public List<Tensor> backward(Node node, List<Tensor> in, List<Tensor> out, List<Tensor> gOut) {
            int axis = node.attributes().getInt("axis", 0);
            Tensor[] parts = new Tensor[out.size()];
            for (int i = 0; i < parts.length; i++) {
                parts[i] = gOut.get(i) != null ? gOut.get(i) : Gradients.zerosLike(out.get(i));
            }
            return java.util.Arrays.asList(Movement.concat(axis, parts), null);
        }
    }

    /** Slice with starts, ends, optional axes and steps as inputs (opset 10+ form). */
    static final class Slice extends Op {
        Slice() {
            super("Slice", Family.MOVEMENT, 3, 5);
        }

        private static Tensor doSlice(Tensor x, Tensor starts, Tensor ends, Tensor axes, Tensor steps) {
            return Movement.slice(x, starts.toLongArray(), ends.toLongArray(), axes == null ? null : ints(axes),
                    steps == null ? null : steps.toLongArray());
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            int[] shape = in.get(0).shape();
            Tensor starts = requireValue(node, in, 1, "starts");
            Tensor ends = requireValue(node, in, 2, "ends");
            Tensor axes = optionalInfo(in, 3) == null ? null : requireValue(node, in, 3, "axes");
            Tensor steps = optionalInfo(in, 4) == null ? null : requireValue(node, in, 4, "steps");
            int[] out = shape.clone();
            int[] ax = axes == null ? null : ints(axes);
            long[] st = starts.toLongArray();
            // Each sliced axis is measured by slicing an index vector of that axis' length, so the clamping rules
            // stay in one place (Movement.slice) and nothing of the input's size is allocated.
            for (int i = 0; i < st.length; i++) {
                int a = Shapes.axis(ax == null ? i : ax[i], shape.length);
                Tensor line = Tensor.zeros(DType.INT8, shape[a]);
                Tensor one = doSlice(line, Tensor.vector(st[i]), Tensor.vector(ends.getLong(i)), Tensor.vector(0),
                        steps == null ? null : Tensor.vector(steps.getLong(i)));
                out[a] = one.dim(0);
            }
            return List.of(TensorInfo.of(in.get(0).dtype(), out));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(doSlice(in.get(0), in.get(1), in.get(2), optionalTensor(in, 3), optionalTensor(in, 4)));
        }

        @Override
        public boolean differentiable() {
            return true;
        }

        @Override
        public List<Tensor> backward(Node node, List<Tensor> in, List<Tensor> out, List<Tensor> gOut) {
            Tensor gx = Gradients.scatterThroughMove(in.get(0).shape(), gOut.get(0),
                    iota -> doSlice(iota, in.get(1), in.get(2), optionalTensor(in, 3), optionalTensor(in, 4)));
            return java.util.Arrays.asList(gx, null, null, null, null);
        }
    }

    static final class Gather extends Op {
        Gather() {
            super("Gather", Family.MOVEMENT, 2, 2, optional("axis", INT, 0L));
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            int[] data = in.get(0).shape();
            int[] idx = in.get(1).shape();
            int axis = Shapes.axis(node.attributes().getInt("axis", 0), data.length);
            int[] out = new int[data.length - 1 + idx.length];
            System.arraycopy(data, 0, out, 0, axis);
            System.arraycopy(idx, 0, out, axis, idx.length);
            System.arraycopy(data, axis + 1, out, axis + idx.length, data.length - axis - 1);
            return List.of(TensorInfo.of(in.get(0).dtype(), out));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(Movement.gather(in.get(0), in.get(1), node.attributes().getInt("axis", 0)));
        }

        @Override
        public boolean differentiable() {
            return true;
        }

        @Override
        public List<Tensor> backward(Node node, List<Tensor> in, List<Tensor> out, List<Tensor> gOut) {
            int axis = node.attributes().getInt("axis", 0);
            Tensor gx = Gradients.scatterThroughMove(in.get(0).shape(), gOut.get(0),
                    iota -> Movement.gather(iota, in.get(1), axis));
            return java.util.Arrays.asList(gx, null);
        }
    }

    /** Pad with pads, optional constant value and optional axes as inputs (opset 11/18 form). */
    static final class Pad extends Op {
        Pad() {
            super("Pad", Family.MOVEMENT, 2, 4, optional("mode", STRING, "constant"));
        }

        private static int[] axes(Tensor axesOrNull, int rank) {
            if (axesOrNull == null) {
                int[] a = new int[rank];
                for (int i = 0; i < rank; i++) {
                    a[i] = i;
                }
                return a;
            }
            int[] a = ints(axesOrNull);
            for (int i = 0; i < a.length; i++) {
                a[i] = Shapes.axis(a[i], rank);
            }
            return a;
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            int[] shape = in.get(0).shape();
            long[] pads = requireValue(node, in, 1, "pads").toLongArray();
            Tensor axesT = optionalInfo(in, 3) == null ? null : requireValue(node, in, 3, "axes");
            int[] axes = axes(axesT, shape.length);
            if (pads.length != 2 * axes.length) {
                throw error(node, "pads " + Arrays.toString(pads) + " must have 2 entries per padded axis ("
                        + axes.length + ")");
            }
            int[] out = shape.clone();
            for (int i = 0; i < axes.length; i++) {
                long d = shape[axes[i]] + pads[i] + pads[i + axes.length];
                if (d < 0) {
                    throw error(node, "pads " + Arrays.toString(pads) + " crop axis " + axes[i] + " of "
                            + Arrays.toString(shape) + " below zero");
                }
                out[axes[i]] = (int) d;
            }
            Shapes.numel(out);
            return List.of(TensorInfo.of(in.get(0).dtype(), out));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            Tensor x = in.get(0);
            Tensor value = optionalTensor(in, 2);
            Tensor axesT = optionalTensor(in, 3);
            return List.of(Movement.pad(x, in.get(1).toLongArray(),
                    Movement.PadMode.of(node.attributes().getString("mode", "constant")),
                    value == null || value.size() == 0 ? 0 : value.getDouble(0),
                    axesT == null ? null : ints(axesT)));
        }

        @Override
        public boolean differentiable() {
            return true;
        }

        @Override
        public List<Tensor> backward(Node node, List<Tensor> in, List<Tensor> out, List<Tensor> gOut) {
            Tensor axesT = optionalTensor(in, 3);
            Movement.PadMode mode = Movement.PadMode.of(node.attributes().getString("mode", "constant"));
            Tensor gx = Gradients.scatterThroughMove(in.get(0).shape(), gOut.get(0),
                    iota -> Movement.pad(iota, in.get(1).toLongArray(), mode, -1, axesT == null ? null : ints(axesT)));
            return java.util.Arrays.asList(gx, null, null, null);
        }
    }

    static final class Expand extends Op {
        Expand() {
            super("Expand", Family.MOVEMENT, 2, 2);
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            long[] target = requireValue(node, in, 1, "shape").toLongArray();
            int[] t = new int[target.length];
            for (int i = 0; i < t.length; i++) {
                if (target[i] < 0 || target[i] > Shapes.MAX_ELEMENTS) {
                    throw error(node, "invalid shape " + Arrays.toString(target));
                }
                t[i] = (int) target[i];
            }
            int[] out = Shapes.broadcast(in.get(0).shape(), t);
            Shapes.numel(out);
            return List.of(TensorInfo.of(in.get(0).dtype(), out));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(Movement.expand(in.get(0), in.get(1).toLongArray()));
        }

        @Override
        public boolean differentiable() {
            return true;
        }

        @Override
        public List<Tensor> backward(Node node, List<Tensor> in, List<Tensor> out, List<Tensor> gOut) {
            return java.util.Arrays.asList(Gradients.sumToShape(gOut.get(0), in.get(0).shape()), null);
        }
    }

    static final class Tile extends Op {
        Tile() {
            super("Tile", Family.MOVEMENT, 2, 2);
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            int[] s = in.get(0).shape();
            long[] reps = requireValue(node, in, 1, "repeats").toLongArray();
            if (reps.length != s.length) {
                throw error(node, "repeats " + Arrays.toString(reps) + " must have one entry per axis of "
                        + Arrays.toString(s));
            }
            int[] out = new int[s.length];
            for (int i = 0; i < s.length; i++) {
                long d = s[i] * reps[i];
                if (reps[i] < 0 || d > Shapes.MAX_ELEMENTS) {
                    throw error(node, "invalid repeats " + Arrays.toString(reps));
                }
                out[i] = (int) d;
            }
            Shapes.numel(out);
            return List.of(TensorInfo.of(in.get(0).dtype(), out));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(Movement.tile(in.get(0), in.get(1).toLongArray()));
        }

        @Override
        public boolean differentiable() {
            return true;
        }

        @Override
        public List<Tensor> backward(Node node, List<Tensor> in, List<Tensor> out, List<Tensor> gOut) {
            Tensor gx = Gradients.scatterThroughMove(in.get(0).shape(), gOut.get(0),
                    iota -> Movement.tile(iota, in.get(1).toLongArray()));
            return java.util.Arrays.asList(gx, null);
        }
    }
}
