package io.t2c.graph.op;

import static io.t2c.graph.op.AttrSpec.Kind.INT;
import static io.t2c.graph.op.AttrSpec.Kind.INTS;
import static io.t2c.graph.op.AttrSpec.Kind.STRING;
import static io.t2c.graph.op.AttrSpec.optional;
import static io.t2c.graph.op.AttrSpec.required;

import io.t2c.graph.Attributes;
import io.t2c.graph.Node;
import io.t2c.graph.TensorInfo;
import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.ops.Pooling;
import java.util.Arrays;
import java.util.List;

/** MaxPool and AveragePool over 1-D and 2-D windows, and the global poolings. */
final class PoolOps {
    private PoolOps() {}

    static List<OpDef> all() {
        return List.of(new Pool("MaxPool", true), new Pool("AveragePool", false), new GlobalPool("GlobalAveragePool"),
                new GlobalPool("GlobalMaxPool"));
    }

    /** Window attributes resolved against an input shape. */
    record Window(int[] kernel, int[] strides, int[] pads, int[] dilations, boolean ceil) {
        static Window of(Node node, int[] x) {
            Attributes a = node.attributes();
            int spatial = x.length - 2;
            if (spatial < 1 || spatial > 2) {
                throw Op.error(node, "only 1-D and 2-D pooling is supported; input has shape " + Arrays.toString(x));
            }
            int[] kernel = a.getInts("kernel_shape", null);
            if (kernel == null || kernel.length != spatial) {
                throw Op.error(node, "kernel_shape " + Arrays.toString(kernel) + " must have " + spatial + " entries");
            }
            int[] ones = new int[spatial];
            Arrays.fill(ones, 1);
            int[] strides = a.getInts("strides", ones);
            int[] dil = a.getInts("dilations", ones);
            int[] pads = Pooling.autoPads(Pooling.AutoPad.of(a.getString("auto_pad", "NOTSET")),
                    Arrays.copyOfRange(x, 2, x.length), kernel, strides, dil, a.getInts("pads", new int[2 * spatial]));
            return new Window(kernel, strides, pads, dil, a.getInt("ceil_mode", 0) != 0);
        }

        int[] outputShape(int[] x) {
            int[] out = x.clone();
            int k = kernel.length;
            for (int i = 0; i < k; i++) {
                out[2 + i] = Pooling.outputSize(x[2 + i], kernel[i], strides[i], pads[i], pads[i + k], dilations[i], ceil);
            }
            return out;
        }
    }

    static final class Pool extends Op {
        private final boolean max;

        Pool(String name, boolean max) {
            super(name, Family.POOL, 1, 1, optional("auto_pad", STRING, "NOTSET"), optional("ceil_mode", INT, 0L),
                    optional("count_include_pad", INT, 0L), optional("dilations", INTS, null),
                    required("kernel_shape", INTS), optional("pads", INTS, null), optional("storage_order", INT, 0L),
                    optional("strides", INTS, null));
            this.max = max;
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            if (node.outputs().size() > 1 && !node.output(1).isEmpty()) {
                throw error(node, "the Indices output of MaxPool is not supported");
            }
            int[] x = in.get(0).shape();
            return List.of(TensorInfo.of(in.get(0).dtype(), Window.of(node, x).outputShape(x)));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            Tensor x = in.get(0);
            Window w = Window.of(node, x.shape());
            if (max) {
                return List.of(Pooling.maxPool(x, w.kernel(), w.strides(), w.pads(), w.dilations(), w.ceil()));
            }
            return List.of(Pooling.averagePool(x, w.kernel(), w.strides(), w.pads(), w.dilations(), w.ceil(),
                    node.attributes().getInt("count_include_pad", 0) != 0));
        }
    }

    static final class GlobalPool extends Op {
        GlobalPool(String name) {
            super(name, Family.POOL, 1, 1);
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            int[] s = in.get(0).shape();
            if (s.length < 3) {
                throw error(node, "expects [N, C, spatial...], got " + Arrays.toString(s));
            }
            for (int i = 2; i < s.length; i++) {
                s[i] = 1;
            }
            return List.of(TensorInfo.of(DType.FLOAT32, s));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(name().equals("GlobalAveragePool") ? Pooling.globalAveragePool(in.get(0))
                    : Pooling.globalMaxPool(in.get(0)));
        }
    }
}
