package io.t2c.graph.op;

import static io.t2c.graph.op.AttrSpec.Kind.FLOAT;
import static io.t2c.graph.op.AttrSpec.Kind.STRING;
import static io.t2c.graph.op.AttrSpec.optional;

import io.t2c.graph.Node;
import io.t2c.graph.TensorInfo;
import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.ops.Normalization;
import java.util.Arrays;
import java.util.List;

/** Training losses. (Mean squared error is a composition: Sub, Mul, ReduceMean.) */
final class LossOps {
    private LossOps() {}

    static List<OpDef> all() {
        return List.of(new SoftmaxCrossEntropyLoss());
    }

    /**
     * ONNX SoftmaxCrossEntropyLoss for scores [N, C] and INT64 labels [N], with reduction mean (default), sum or none,
     * plus our {@code label_smoothing} ε (as PyTorch's CrossEntropyLoss): the target distribution is
     * (1 − ε)·one-hot + ε/C, and the loss of a sample is −Σ_c q_c·log softmax(x)_c.
     */
    static final class SoftmaxCrossEntropyLoss extends Op {
        SoftmaxCrossEntropyLoss() {
            super("SoftmaxCrossEntropyLoss", Family.NORMALIZATION, 2, 2, optional("reduction", STRING, "mean"),
                    optional("label_smoothing", FLOAT, 0.0));
        }

        private static void check(Node node, int[] scores, int[] labels) {
            if (scores.length != 2 || labels.length != 1 || labels[0] != scores[0]) {
                throw error(node, "expects scores [N, C] and labels [N], got " + Arrays.toString(scores) + " and "
                        + Arrays.toString(labels));
            }
        }

        private static String reduction(Node node) {
            String r = node.attributes().getString("reduction", "mean");
            if (!r.equals("mean") && !r.equals("sum") && !r.equals("none")) {
                throw error(node, "reduction must be mean, sum or none, got '" + r + "'");
            }
            return r;
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            check(node, in.get(0).shape(), in.get(1).shape());
            return List.of(reduction(node).equals("none") ? TensorInfo.of(DType.FLOAT32, in.get(0).dim(0))
                    : TensorInfo.of(DType.FLOAT32));
        }

        /** The smoothed target probability of class c for a sample labelled y. */
        private static float target(int c, long y, float eps, int classes) {
            return (c == y ? 1 - eps : 0) + eps / classes;
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            Tensor scores = in.get(0);
            check(node, scores.shape(), in.get(1).shape());
            int n = scores.dim(0);
            int classes = scores.dim(1);
            float eps = node.attributes().getFloat("label_smoothing", 0f);
            float[] logp = Normalization.logSoftmax(scores, 1).floats();
            long[] labels = in.get(1).cast(DType.INT64).longs();
            float[] perSample = new float[n];
            double total = 0;
            for (int i = 0; i < n; i++) {
                if (labels[i] < 0 || labels[i] >= classes) {
                    throw error(node, "label " + labels[i] + " of sample " + i + " is outside [0, " + classes + ")");
                }
                double l = 0;
                for (int c = 0; c < classes; c++) {
                    l -= target(c, labels[i], eps, classes) * logp[i * classes + c];
                }
                perSample[i] = (float) l;
                total += l;
            }
            return List.of(switch (reduction(node)) {
                case "none" -> Tensor.of(perSample, n);
                case "sum" -> Tensor.scalar((float) total).reshape();
                default -> Tensor.scalar((float) (total / Math.max(1, n))).reshape();
            });
        }

        @Override
        public boolean differentiable() {
            return true;
        }

        /** d loss / d scores = (softmax − q) · ḡ (divided by N for mean); labels get none. */
        @Override
        public List<Tensor> backward(Node node, List<Tensor> in, List<Tensor> out, List<Tensor> gOut) {
            Tensor scores = in.get(0);
            int n = scores.dim(0);
            int classes = scores.dim(1);
            float eps = node.attributes().getFloat("label_smoothing", 0f);
            float[] p = Normalization.softmax(scores, 1).floats();
            long[] labels = in.get(1).cast(DType.INT64).longs();
            String reduction = reduction(node);
            Tensor g = gOut.get(0);
            float[] grad = new float[p.length];
            for (int i = 0; i < n; i++) {
                float gi = reduction.equals("none") ? (float) g.getDouble(i)
                        : (float) g.getDouble(0) / (reduction.equals("mean") ? n : 1);
                for (int c = 0; c < classes; c++) {
                    grad[i * classes + c] = gi * (p[i * classes + c] - target(c, labels[i], eps, classes));
                }
            }
            return Arrays.asList(Tensor.of(grad, scores.shape()), null);
        }
    }
}
