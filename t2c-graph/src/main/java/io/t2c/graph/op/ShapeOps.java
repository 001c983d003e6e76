package io.t2c.graph.op;

import static io.t2c.graph.op.AttrSpec.Kind.INT;
import static io.t2c.graph.op.AttrSpec.Kind.INTS;
import static io.t2c.graph.op.AttrSpec.Kind.FLOAT;
import static io.t2c.graph.op.AttrSpec.Kind.TENSOR;
import static io.t2c.graph.op.AttrSpec.optional;
import static io.t2c.graph.op.AttrSpec.required;

import io.t2c.graph.Node;
import io.t2c.graph.TensorInfo;
import io.t2c.tensor.DType;
import io.t2c.tensor.Shapes;
import io.t2c.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Ops that only relabel shapes or produce shape-like values: Identity, Dropout (inference), Shape, Size, Cast,
 * Flatten, Reshape, Squeeze, Unsqueeze, ConstantOfShape, Range. None reorders data.
 */
final class ShapeOps {
    private ShapeOps() {}

    /**
     * Ops that keep the elements and only relabel the shape: the gradient is the output gradient viewed in the
     * input's shape; other inputs (shapes, axes, ratios) get none.
     */
    abstract static class ReshapeLike extends Op {
        ReshapeLike(String name, Family family, int minInputs, int maxInputs, AttrSpec... attributes) {
            super(name, family, minInputs, maxInputs, attributes);
        }

        @Override
        public boolean differentiable() {
            return true;
        }

        @Override
        public List<Tensor> backward(Node node, List<Tensor> in, List<Tensor> out, List<Tensor> gOut) {
            List<Tensor> grads = new ArrayList<>();
            grads.add(gOut.get(0).reshape(in.get(0).shape()));
            for (int i = 1; i < in.size(); i++) {
                grads.add(null);
            }
            return grads;
        }
    }

    static List<OpDef> all() {
        return List.of(new Identity(), new Dropout(), new ShapeOp(), new Size(), new Cast(), new Flatten(),
                new Reshape(), new Squeeze(), new Unsqueeze(), new ConstantOfShape(), new Range());
    }

    static final class Identity extends ReshapeLike {
        Identity() {
            super("Identity", Family.MOVEMENT, 1, 1);
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            return List.of(in.get(0));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(in.get(0));
        }
    }

    /** Inference-mode Dropout: the identity, and an all-true mask when the mask output is requested. */
    static final class Dropout extends ReshapeLike {
        Dropout() {
            super("Dropout", Family.MOVEMENT, 1, 3, optional("seed", INT, null), optional("ratio", FLOAT, 0.5));
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            TensorInfo x = in.get(0);
            return List.of(x, TensorInfo.of(DType.BOOL, x.shape()));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            Tensor x = in.get(0);
            Tensor ratio = optionalTensor(in, 1);
            Tensor training = optionalTensor(in, 2);
            boolean dropsNothing = ratio != null && ratio.getDouble(0) == 0;
            if (training != null && training.getLong(0) != 0 && !dropsNothing) {
                throw error(node, "training-mode Dropout (random masks) is not supported; models run in inference mode");
            }
            if (node.outputs().size() < 2) {
                return List.of(x);
            }
            byte[] mask = new byte[x.size()];
            Arrays.fill(mask, (byte) 1);
            return List.of(x, Tensor.ofBytes(DType.BOOL, mask, x.shape()));
        }
    }

    static final class ShapeOp extends Op {
        ShapeOp() {
            super("Shape", Family.SHAPE, 1, 1, optional("start", INT, 0L), optional("end", INT, null));
        }

        private static long[] slice(Node node, int[] shape) {
            int r = shape.length;
            int start = clampAxis(node.attributes().getInt("start", 0), r);
            int end = node.attributes().has("end") ? clampAxis(node.attributes().getInt("end", r), r) : r;
            long[] out = new long[Math.max(0, end - start)];
            for (int i = start; i < end; i++) {
                out[i - start] = shape[i];
            }
            return out;
        }

        private static int clampAxis(int a, int r) {
            int v = a < 0 ? a + r : a;
            return Math.max(0, Math.min(r, v));
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            return List.of(TensorInfo.of(Tensor.vector(slice(node, in.get(0).shape()))));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(Tensor.vector(slice(node, in.get(0).shape())));
        }
    }

    static final class Size extends Op {
        Size() {
            super("Size", Family.SHAPE, 1, 1);
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            return List.of(TensorInfo.of(Tensor.scalarLong(in.get(0).numel()).reshape()));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(Tensor.scalarLong(in.get(0).size()).reshape());
        }
    }

    static final class Cast extends Op {
        Cast() {
            super("Cast", Family.ELEMENTWISE, 1, 1, required("to", INT));
        }

        static DType target(Node node) {
            return OnnxTypes.dtype(node.attributes().getInt("to", 1), "node " + node.label());
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            return List.of(TensorInfo.of(target(node), in.get(0).shape()));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(in.get(0).cast(target(node)));
        }
    }

    static final class Flatten extends ReshapeLike {
        Flatten() {
            super("Flatten", Family.MOVEMENT, 1, 1, optional("axis", INT, 1L));
        }

        static int[] shape(Node node, int[] s) {
            int axis = node.attributes().getInt("axis", 1);
            int a = axis < 0 ? axis + s.length : axis;
            if (a < 0 || a > s.length) {
                throw error(node, "axis " + axis + " is out of range for rank " + s.length);
            }
            long outer = 1;
            for (int i = 0; i < a; i++) {
                outer *= s[i];
            }
            long inner = 1;
            for (int i = a; i < s.length; i++) {
                inner *= s[i];
            }
            return new int[] {(int) outer, (int) inner};
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            return List.of(TensorInfo.of(in.get(0).dtype(), shape(node, in.get(0).shape())));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(in.get(0).reshape(shape(node, in.get(0).shape())));
        }
    }

    static final class Reshape extends ReshapeLike {
        Reshape() {
            super("Reshape", Family.MOVEMENT, 2, 2, optional("allowzero", INT, 0L));
        }

        static int[] shape(Node node, int[] in, long[] spec) {
            boolean allowZero = node.attributes().getInt("allowzero", 0) != 0;
            int[] out = new int[spec.length];
            int inferred = -1;
            long known = 1;
            for (int i = 0; i < spec.length; i++) {
                long d = spec[i];
                if (d == 0 && !allowZero) {
                    if (i >= in.length) {
                        throw error(node, "shape " + Arrays.toString(spec) + " copies dimension " + i
                                + " but the input " + Arrays.toString(in) + " has rank " + in.length);
                    }
                    d = in[i];
                }
                if (d == -1) {
                    if (inferred >= 0) {
                        throw error(node, "shape " + Arrays.toString(spec) + " has more than one -1");
                    }
                    inferred = i;
                    continue;
                }
                if (d < 0 || d > Integer.MAX_VALUE) {
                    throw error(node, "invalid target shape " + Arrays.toString(spec));
                }
                out[i] = (int) d;
                known *= d;
            }
            long total = Shapes.numel(in);
            if (inferred >= 0) {
                if (known == 0 || total % known != 0) {
                    throw error(node, "cannot reshape " + Arrays.toString(in) + " to " + Arrays.toString(spec));
                }
                out[inferred] = (int) (total / known);
            } else if (known != total) {
                throw error(node, "cannot reshape " + Arrays.toString(in) + " (" + total + " elements) to "
                        + Arrays.toString(spec) + " (" + known + " elements)");
            }
            return out;
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            long[] spec = requireValue(node, in, 1, "target shape").toLongArray();
            return List.of(TensorInfo.of(in.get(0).dtype(), shape(node, in.get(0).shape(), spec)));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(in.get(0).reshape(shape(node, in.get(0).shape(), in.get(1).toLongArray())));
        }
    }

    /** Squeeze with axes as an optional second input (opset 13 form; the importer converts older forms). */
    static final class Squeeze extends ReshapeLike {
        Squeeze() {
            super("Squeeze", Family.MOVEMENT, 1, 2);
        }

        static int[] shape(Node node, int[] s, Tensor axesT) {
            boolean[] drop = new boolean[s.length];
            if (axesT == null) {
                for (int i = 0; i < s.length; i++) {
                    drop[i] = s[i] == 1;
                }
            } else {
                for (long a : axesT.toLongArray()) {
                    int ax = Shapes.axis((int) a, s.length);
                    if (s[ax] != 1) {
                        throw error(node, "cannot squeeze axis " + a + " of shape " + Arrays.toString(s)
                                + ": its size is " + s[ax] + ", not 1");
                    }
                    drop[ax] = true;
                }
            }
            List<Integer> out = new ArrayList<>();
            for (int i = 0; i < s.length; i++) {
                if (!drop[i]) {
                    out.add(s[i]);
                }
            }
            return out.stream().mapToInt(Integer::intValue).toArray();
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            Tensor axes = optionalInfo(in, 1) == null ? null : requireValue(node, in, 1, "axes");
            return List.of(TensorInfo.of(in.get(0).dtype(), shape(node, in.get(0).shape(), axes)));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(in.get(0).reshape(shape(node, in.get(0).shape(), optionalTensor(in, 1))));
        }
    }

    static final class Unsqueeze extends ReshapeLike {
        Unsqueeze() {
            super("Unsqueeze", Family.MOVEMENT, 2, 2);
        }

        static int[] shape(Node node, int[] s, long[] axes) {
            int rank = s.length + axes.length;
            boolean[] inserted = new boolean[rank];
            for (long a : axes) {
                int ax = Shapes.axis((int) a, rank);
                if (inserted[ax]) {
                    throw error(node, "axis " + a + " is listed twice in " + Arrays.toString(axes));
                }
                inserted[ax] = true;
            }
            int[] out = new int[rank];
            for (int i = 0, j = 0; i < rank; i++) {
                out[i] = inserted[i] ? 1 : s[j++];
            }
            return out;
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            long[] axes = requireValue(node, in, 1, "axes").toLongArray();
            return List.of(TensorInfo.of(in.get(0).dtype(), shape(node, in.get(0).shape(), axes)));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(in.get(0).reshape(shape(node, in.get(0).shape(), in.get(1).toLongArray())));
        }
    }

    static final class ConstantOfShape extends Op {
        ConstantOfShape() {
            super("ConstantOfShape", Family.SHAPE, 1, 1, optional("value", TENSOR, null));
        }

        private static Tensor fillValue(Node node) {
            Tensor v = node.attributes().getTensor("value");
            return v == null ? Tensor.scalar(0f) : v;
        }

        private static int[] shape(Node node, long[] spec) {
            int[] s = new int[spec.length];
            for (int i = 0; i < spec.length; i++) {
                if (spec[i] < 0 || spec[i] > Integer.MAX_VALUE) {
                    throw error(node, "invalid shape " + Arrays.toString(spec));
                }
                s[i] = (int) spec[i];
            }
            Shapes.numel(s);
            return s;
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            long[] spec = requireValue(node, in, 0, "shape").toLongArray();
            return List.of(TensorInfo.of(fillValue(node).dtype(), shape(node, spec)));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            Tensor v = fillValue(node);
            int[] s = shape(node, in.get(0).toLongArray());
            Tensor out = Tensor.zeros(v.dtype(), s);
            if (v.getDouble(0) != 0) {
                Tensor one = v.reshape(1);
                for (int i = 0; i < out.size(); i++) {
                    System.arraycopy(one.data(), 0, out.data(), i, 1);
                }
            }
            return List.of(out);
        }
    }

    static final class Range extends Op {
        Range() {
            super("Range", Family.SHAPE, 3, 3);
        }

        private static int count(Node node, double start, double limit, double delta) {
            if (delta == 0) {
                throw error(node, "delta must not be 0");
            }
            double n = Math.ceil((limit - start) / delta);
            if (n > Shapes.MAX_ELEMENTS) {
                throw error(node, "range of " + (long) n + " elements is too large");
            }
            return (int) Math.max(0, n);
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            double start = requireValue(node, in, 0, "start").getDouble(0);
            double limit = requireValue(node, in, 1, "limit").getDouble(0);
            double delta = requireValue(node, in, 2, "delta").getDouble(0);
            return List.of(TensorInfo.of(in.get(0).dtype(), count(node, start, limit, delta)));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            Tensor s = in.get(0);
            int n = count(node, s.getDouble(0), in.get(1).getDouble(0), in.get(2).getDouble(0));
            Tensor out = Tensor.zeros(s.dtype(), n);
            for (int i = 0; i < n; i++) {
                switch (s.dtype()) {
                    case FLOAT32 -> out.floats()[i] = (float) (s.getDouble(0) + i * in.get(2).getDouble(0));
                    case INT32 -> out.ints()[i] = (int) (s.getLong(0) + i * in.get(2).getLong(0));
                    case INT64 -> out.longs()[i] = s.getLong(0) + i * in.get(2).getLong(0);
                    case INT16 -> out.shorts()[i] = (short) (s.getLong(0) + i * in.get(2).getLong(0));
                    default -> throw error(node, "Range on " + s.dtype() + " is not supported");
                }
            }
            return List.of(out);
        }
    }
}
