package io.t2c.graph.op;

import static io.t2c.graph.op.AttrSpec.Kind.FLOAT;
import static io.t2c.graph.op.AttrSpec.Kind.INT;
import static io.t2c.graph.op.AttrSpec.optional;

import io.t2c.graph.Node;
import io.t2c.graph.TensorInfo;
import io.t2c.tensor.Shapes;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.ops.Elementwise;
import io.t2c.tensor.ops.Normalization;
import io.t2c.tensor.ops.Reductions;
import java.util.List;

/** Normalizations (BatchNorm in inference mode, LayerNorm, InstanceNorm) and Softmax / LogSoftmax. */
final class NormOps {
    private NormOps() {}

    static List<OpDef> all() {
        return List.of(new BatchNormalization(), new LayerNormalization(), new InstanceNormalization(),
                new Softmax("Softmax", false), new Softmax("LogSoftmax", true));
    }

    static final class BatchNormalization extends Op {
        BatchNormalization() {
            super("BatchNormalization", Family.NORMALIZATION, 5, 5, optional("epsilon", FLOAT, 1e-5),
                    optional("momentum", FLOAT, 0.9), optional("training_mode", INT, 0L));
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            if (node.attributes().getInt("training_mode", 0) != 0 || node.outputs().size() > 1) {
                throw error(node, "training-mode BatchNormalization is not supported; export the model in eval mode");
            }
            int c = in.get(0).rank() > 1 ? in.get(0).dim(1) : 1;
            for (int i = 1; i < 5; i++) {
                if (in.get(i).numel() != c) {
                    throw error(node, "input " + i + " has " + in.get(i).numel() + " elements for " + c + " channels");
                }
            }
            return List.of(in.get(0));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(Normalization.batchNormInference(in.get(0), in.get(1), in.get(2), in.get(3), in.get(4),
                    node.attributes().getDouble("epsilon", 1e-5)));
        }
    }

    /** LayerNormalization (opset 17): normalizes over dims axis..end; the Mean/InvStdDev outputs are supported. */
    static final class LayerNormalization extends Op {
        LayerNormalization() {
            super("LayerNormalization", Family.NORMALIZATION, 2, 3, optional("axis", INT, -1L),
                    optional("epsilon", FLOAT, 1e-5), optional("stash_type", INT, 1L));
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            int[] s = in.get(0).shape();
            int axis = Shapes.axis(node.attributes().getInt("axis", -1), s.length);
            int[] stat = s.clone();
            for (int i = axis; i < s.length; i++) {
                stat[i] = 1;
            }
            return List.of(in.get(0), TensorInfo.of(in.get(0).dtype(), stat), TensorInfo.of(in.get(0).dtype(), stat));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            Normalization.LayerNormOutput o = Normalization.layerNormWithStats(in.get(0), in.get(1), optionalTensor(in, 2),
                    node.attributes().getInt("axis", -1), node.attributes().getDouble("epsilon", 1e-5));
            return List.of(o.y(), o.mean(), o.invStdDev());
        }
    }

    static final class InstanceNormalization extends Op {
        InstanceNormalization() {
            super("InstanceNormalization", Family.NORMALIZATION, 3, 3, optional("epsilon", FLOAT, 1e-5));
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            return List.of(in.get(0));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(Normalization.instanceNorm(in.get(0), in.get(1), in.get(2),
                    node.attributes().getDouble("epsilon", 1e-5)));
        }
    }

    /**
     * Softmax / LogSoftmax along one axis (opset 13). With {@code coerce_2d} (set by the importer for opset < 13) the
     * input is flattened to 2-D at {@code axis} first, as those opsets define it.
     */
    static final class Softmax extends Op {
        private final boolean log;

        Softmax(String name, boolean log) {
            super(name, Family.NORMALIZATION, 1, 1, optional("axis", INT, -1L), optional("coerce_2d", INT, 0L));
            this.log = log;
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            return List.of(in.get(0));
        }

        @Override
        public boolean differentiable() {
            return true;
        }

        /** Softmax: x̄ = y·(ȳ − Σ ȳ·y); LogSoftmax: x̄ = ȳ − exp(y)·Σ ȳ (sums along the axis). */
        @Override
        public List<Tensor> backward(Node node, List<Tensor> in, List<Tensor> out, List<Tensor> gOut) {
            Tensor y = out.get(0);
            Tensor g = gOut.get(0);
            int[] shape = y.shape();
            int axis = Shapes.axis(node.attributes().getInt("axis", -1), Math.max(1, y.rank()));
            if (node.attributes().getInt("coerce_2d", 0) != 0) {
                int[] flat = {Shapes.product(shape, 0, axis), Shapes.product(shape, axis, shape.length)};
                y = y.reshape(flat);
                g = g.reshape(flat);
                axis = 1;
            }
            int[] ax = {axis};
            Tensor gx = log
                    ? Elementwise.sub(g, Elementwise.mul(Elementwise.exp(y), Reductions.reduceSum(g, ax, true)))
                    : Elementwise.mul(y, Elementwise.sub(g, Reductions.reduceSum(Elementwise.mul(g, y), ax, true)));
            return List.of(gx.reshape(shape));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            Tensor x = in.get(0);
            int axis = Shapes.axis(node.attributes().getInt("axis", -1), Math.max(1, x.rank()));
            if (node.attributes().getInt("coerce_2d", 0) != 0) {
                int[] s = x.shape();
                Tensor flat = x.reshape(Shapes.product(s, 0, axis), Shapes.product(s, axis, s.length));
                Tensor y = log ? Normalization.logSoftmax(flat, 1) : Normalization.softmax(flat, 1);
                return List.of(y.reshape(s));
            }
            return List.of(log ? Normalization.logSoftmax(x, axis) : Normalization.softmax(x, axis));
        }
    }
}
