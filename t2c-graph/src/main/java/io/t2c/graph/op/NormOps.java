package io.t2c.graph.op;

import static io.t2c.graph.op.AttrSpec.Kind.FLOAT;
import static io.t2c.graph.op.AttrSpec.Kind.INT;
import static io.t2c.graph.op.AttrSpec.optional;

import io.t2c.graph.Node;
import io.t2c.graph.TensorInfo;
import io.t2c.tensor.DType;
import io.t2c.tensor.Shapes;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.kernel.Parallel;
import io.t2c.tensor.ops.Elementwise;
import io.t2c.tensor.ops.Movement;
import io.t2c.tensor.ops.Normalization;
import io.t2c.tensor.ops.Reductions;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntToDoubleFunction;

/** Normalizations (BatchNorm, LayerNorm, InstanceNorm) and Softmax / LogSoftmax. */
final class NormOps {
    private NormOps() {}

    /** Values per parallel chunk before splitting rows, planes or channels over threads is worth it. */
    private static final int GRAIN = 1 << 15;

    /** Mean and 1/sqrt(variance + eps) of {@code x[off, off + d)}, in double, two-pass (as the forward kernels). */
    private static double[] meanAndInvStd(float[] x, int off, int d, double eps) {
        double s = 0;
        for (int i = 0; i < d; i++) {
            s += x[off + i];
        }
        double mu = s / d;
        double ss = 0;
        for (int i = 0; i < d; i++) {
            double v = x[off + i] - mu;
            ss += v * v;
        }
        return new double[] {mu, 1 / Math.sqrt(ss / d + eps)};
    }

    /**
     * The backward of {@code y_j = x̂_j·γ_j} over one contiguous group of d values normalized with the group's own
     * statistics, {@code x̂ = (x − μ)·inv}: with {@code ĝ = ȳ·γ},
     * {@code x̄ = inv·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))} — the mean and the variance both move with every x — written
     * into {@code gx[off, off + d)}. A null {@code gy} (only the statistics outputs are used) is taken as zeros.
     */
    private static void normalizedBackward(float[] x, float[] gy, float[] gx, int off, int d, double mu, double inv,
            IntToDoubleFunction gamma) {
        if (gy == null) {
            return;
        }
        double sg = 0;
        double sgx = 0;
        for (int j = 0; j < d; j++) {
            double g = gy[off + j] * gamma.applyAsDouble(j);
            sg += g;
            sgx += g * (x[off + j] - mu) * inv;
        }
        double mg = sg / d;
        double mgx = sgx / d;
        for (int j = 0; j < d; j++) {
            double g = gy[off + j] * gamma.applyAsDouble(j);
            gx[off + j] = (float) (inv * (g - mg - (x[off + j] - mu) * inv * mgx));
        }
    }

    static List<OpDef> all() {
        return List.of(new BatchNormalization(), new LayerNormalization(), new InstanceNormalization(),
                new Softmax("Softmax", false), new Softmax("LogSoftmax", true));
    }

    /**
     * BatchNormalization (opset 15). Inference ({@code training_mode=0}): normalizes with the running statistics
     * given as inputs; one output. Training ({@code training_mode=1}): normalizes with the batch statistics — per
     * channel, the mean and the biased variance over N and the spatial dims — and has two optional outputs, the
     * updated running statistics {@code running = momentum·input + (1 − momentum)·batch}.
     *
     * <p>The running variance uses the biased batch variance, as ONNX specifies, unless our attribute
     * {@code running_var_unbiased=1} asks for the unbiased one (× m/(m − 1), m values per channel) as PyTorch's
     * BatchNorm uses; the trainer sets it, so models trained here keep PyTorch's running statistics. PyTorch's
     * {@code momentum} is {@code 1 − ONNX momentum}. Training needs m ≥ 2.
     */
    static final class BatchNormalization extends Op {
        BatchNormalization() {
            super("BatchNormalization", Family.NORMALIZATION, 5, 5, optional("epsilon", FLOAT, 1e-5),
                    optional("momentum", FLOAT, 0.9), optional("training_mode", INT, 0L),
                    optional("running_var_unbiased", INT, 0L));
        }

        private static boolean training(Node node) {
            return node.attributes().getInt("training_mode", 0) != 0;
        }

        private static boolean unbiased(Node node) {
            return node.attributes().getInt("running_var_unbiased", 0) != 0;
        }

        /** Checks the output count against the mode and every parameter's length against the channels. */
        private static void check(Node node, int[] x, int[]... params) {
            int outs = node.outputs().size();
            if (outs > 3) {
                throw error(node, "has " + outs + " outputs; only Y, running_mean and running_var (opset 14+) are"
                        + " supported, not the saved_mean / saved_var of older opsets");
            }
            if (!training(node) && outs > 1 && node.outputs().subList(1, outs).stream().anyMatch(o -> !o.isEmpty())) {
                throw error(node, "outputs running_mean / running_var exist only with training_mode=1");
            }
            int c = x.length > 1 ? x[1] : 1;
            String[] names = {"scale", "B", "input_mean", "input_var"};
            for (int i = 0; i < params.length; i++) {
                if (Shapes.numel(params[i]) != c) {
                    throw error(node, names[i] + " has shape " + Arrays.toString(params[i]) + ", not " + c
                            + " elements (one per channel of input " + Arrays.toString(x) + ")");
                }
            }
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            check(node, in.get(0).shape(), in.get(1).shape(), in.get(2).shape(), in.get(3).shape(), in.get(4).shape());
            if (!training(node)) {
                return List.of(in.get(0));
            }
            return List.of(in.get(0), TensorInfo.of(DType.FLOAT32, in.get(3).shape()),
                    TensorInfo.of(DType.FLOAT32, in.get(4).shape()));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            Tensor x = in.get(0);
            check(node, x.shape(), in.get(1).shape(), in.get(2).shape(), in.get(3).shape(), in.get(4).shape());
            double eps = node.attributes().getDouble("epsilon", 1e-5);
            if (!training(node)) {
                return List.of(Normalization.batchNormInference(x, in.get(1), in.get(2), in.get(3), in.get(4), eps));
            }
            Normalization.ChannelStats st = batchStats(node, x);
            Tensor y = Normalization.batchNorm(x, in.get(1), in.get(2), st.mean(), st.variance(), eps);
            double momentum = node.attributes().getDouble("momentum", 0.9);
            double[] mean0 = in.get(3).toDoubleArray();
            double[] var0 = in.get(4).toDoubleArray();
            int c = mean0.length;
            float[] mean = new float[c];
            float[] var = new float[c];
            double unbias = unbiased(node) ? st.count() / (st.count() - 1.0) : 1.0;
            for (int i = 0; i < c; i++) {
                mean[i] = (float) (momentum * mean0[i] + (1 - momentum) * st.mean()[i]);
                var[i] = (float) (momentum * var0[i] + (1 - momentum) * st.variance()[i] * unbias);
            }
            return List.of(y, Tensor.of(mean, in.get(3).shape()), Tensor.of(var, in.get(4).shape()));
        }

        private static Normalization.ChannelStats batchStats(Node node, Tensor x) {
            if (x.rank() < 2) {
                throw error(node, "expects [N, C, ...] (rank >= 2), got " + Arrays.toString(x.shape()));
            }
            Normalization.ChannelStats st = Normalization.channelStats(x);
            if (st.count() < 2) {
                throw error(node, "training mode needs more than one value per channel to estimate a variance; input"
                        + " has shape " + Arrays.toString(x.shape()));
            }
            return st;
        }

        @Override
        public boolean differentiable() {
            return true;
        }

        /**
         * With x̂ = (x − μ)·inv per channel and sums over N and the spatial dims: γ̄ = Σ ȳ·x̂ and β̄ = Σ ȳ in both
         * modes. Inference: a per-channel affine map, x̄ = γ·inv·ȳ (inv from input_var); the running statistics
         * get no gradient (they are not trained). Training: μ and inv are the batch's, so
         * x̄ = γ·inv·(ȳ − mean(ȳ) − x̂·mean(ȳ·x̂)) (m values per channel); through the running-statistics outputs
         * x also gets (1 − momentum)·(r̄m/m + r̄v·2(x − μ)/(m − 1)), and input_mean / input_var get momentum·r̄m
         * / momentum·r̄v.
         */
        @Override
        public List<Tensor> backward(Node node, List<Tensor> in, List<Tensor> out, List<Tensor> gOut) {
            Tensor x = in.get(0);
            int[] shape = x.shape();
            if (shape.length < 2) {
                throw error(node, "expects [N, C, ...] (rank >= 2), got " + Arrays.toString(shape));
            }
            boolean training = training(node);
            double eps = node.attributes().getDouble("epsilon", 1e-5);
            double momentum = node.attributes().getDouble("momentum", 0.9);
            int n = shape[0];
            int c = shape[1];
            int plane = Shapes.product(shape, 2, shape.length);
            int m = n * plane;
            double[] mean;
            double[] var;
            if (training) {
                Normalization.ChannelStats st = batchStats(node, x);
                mean = st.mean();
                var = st.variance();
            } else {
                mean = in.get(3).toDoubleArray();
                var = in.get(4).toDoubleArray();
            }
            double[] gamma = in.get(1).toDoubleArray();
            Tensor gy = gOut.get(0) != null ? gOut.get(0) : Tensor.zeros(DType.FLOAT32, shape);
            float[] gMean = gOut.size() > 1 && gOut.get(1) != null ? gOut.get(1).floats() : null;
            float[] gVar = gOut.size() > 2 && gOut.get(2) != null ? gOut.get(2).floats() : null;
            double[][] sums = Normalization.channelGradientSums(x, gy, mean);
            float[] gGamma = new float[c];
            float[] gBeta = new float[c];
            // x̄ = a·ȳ + b·x + d per channel, the formula above with x̂ = (x − μ)·inv expanded.
            float[] a = new float[c];
            float[] b = new float[c];
            float[] d = new float[c];
            for (int ch = 0; ch < c; ch++) {
                double inv = 1 / Math.sqrt(var[ch] + eps);
                double sg = sums[0][ch];
                double sgx = sums[1][ch] * inv;
                gGamma[ch] = (float) sgx;
                gBeta[ch] = (float) sg;
                double scale = gamma[ch] * inv;
                // Running statistics: d mean/dx = 1/m, d unbiased var/dx = 2(x − μ)/(m − 1).
                double rm = training && gMean != null ? (1 - momentum) * gMean[ch] / m : 0;
                double rv = training && gVar != null
                        ? (1 - momentum) * gVar[ch] * 2 / (unbiased(node) ? m - 1 : m) : 0;
                double slope = (training ? -scale * inv * sgx / m : 0) + rv;
                a[ch] = (float) scale;
                b[ch] = (float) slope;
                d[ch] = (float) ((training ? -scale * sg / m : 0) + rm - slope * mean[ch]);
            }
            Tensor gx = Normalization.channelLinearCombination(gy, x, a, b, d);
            Tensor gm = training && gMean != null ? Elementwise.mul(gOut.get(1), Tensor.scalar((float) momentum).reshape())
                    : null;
            Tensor gv = training && gVar != null ? Elementwise.mul(gOut.get(2), Tensor.scalar((float) momentum).reshape())
                    : null;
            return Arrays.asList(gx, Tensor.of(gGamma, in.get(1).shape()),
                    Tensor.of(gBeta, in.get(2).shape()), gm == null ? null : gm.reshape(in.get(3).shape()),
                    gv == null ? null : gv.reshape(in.get(4).shape()));
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

        @Override
        public boolean differentiable() {
            return true;
        }

        /**
         * Per row of the D normalized values: x̄ = inv·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = ȳ·scale, plus, through
         * the Mean and InvStdDev outputs, Mean̄/D and InvStdDev̄·(−inv³·(x − μ)/D). scalē = Σ ȳ·x̂ and B̄ = Σ ȳ over
         * the rows, summed down to their own (broadcast) shapes.
         */
        @Override
        public List<Tensor> backward(Node node, List<Tensor> in, List<Tensor> out, List<Tensor> gOut) {
            Tensor x = in.get(0);
            Tensor scale = in.get(1);
            Tensor bias = optionalTensor(in, 2);
            int[] shape = x.shape();
            int axis = Shapes.axis(node.attributes().getInt("axis", -1), shape.length);
            double eps = node.attributes().getDouble("epsilon", 1e-5);
            int rows = Shapes.product(shape, 0, axis);
            int d = Shapes.product(shape, axis, shape.length);
            int[] normShape = Arrays.copyOfRange(shape, axis, shape.length);
            float[] gamma = Movement.expand(scale.cast(DType.FLOAT32),
                    Arrays.stream(normShape).asLongStream().toArray()).floats();
            float[] xs = x.floats();
            float[] gy = gOut.get(0) == null ? null : gOut.get(0).floats();
            float[] gMean = gOut.size() > 1 && gOut.get(1) != null ? gOut.get(1).floats() : null;
            float[] gInv = gOut.size() > 2 && gOut.get(2) != null ? gOut.get(2).floats() : null;
            float[] gx = new float[xs.length];
            double[] mean = new double[rows];
            double[] inv = new double[rows];
            Parallel.forRange(rows, Math.max(1, GRAIN / Math.max(1, d)), (from, to) -> {
                for (int r = from; r < to; r++) {
                    int off = r * d;
                    double[] stats = meanAndInvStd(xs, off, d, eps);
                    mean[r] = stats[0];
                    inv[r] = stats[1];
                    normalizedBackward(xs, gy, gx, off, d, stats[0], stats[1], j -> gamma[j]);
                    double viaMean = gMean == null ? 0 : gMean[r] / (double) d;
                    double viaInv = gInv == null ? 0 : -gInv[r] * stats[1] * stats[1] * stats[1] / d;
                    if (gMean != null || gInv != null) {
                        for (int j = 0; j < d; j++) {
                            gx[off + j] += (float) (viaMean + viaInv * (xs[off + j] - stats[0]));
                        }
                    }
                }
            });
            // scale and B: sums over the rows for each normalized position (parallel over positions, no races).
            float[] gGamma = new float[d];
            float[] gBeta = new float[d];
            if (gy != null) {
                Parallel.forRange(d, Math.max(1, GRAIN / Math.max(1, rows)), (from, to) -> {
                    for (int j = from; j < to; j++) {
                        double sgx = 0;
                        double sg = 0;
                        for (int r = 0; r < rows; r++) {
                            int i = r * d + j;
                            sgx += gy[i] * (xs[i] - mean[r]) * inv[r];
                            sg += gy[i];
                        }
                        gGamma[j] = (float) sgx;
                        gBeta[j] = (float) sg;
                    }
                });
            }
            return Arrays.asList(Tensor.of(gx, shape),
                    Gradients.sumToShape(Tensor.of(gGamma, normShape), scale.shape()),
                    bias == null ? null : Gradients.sumToShape(Tensor.of(gBeta, normShape), bias.shape()));
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

        @Override
        public boolean differentiable() {
            return true;
        }

        /**
         * Each (n, c) plane is its own normalization group: x̄ = inv·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = ȳ·scale[c];
         * scalē[c] = Σ ȳ·x̂ and B̄[c] = Σ ȳ over N and the plane (per-plane sums first, added in order of n).
         */
        @Override
        public List<Tensor> backward(Node node, List<Tensor> in, List<Tensor> out, List<Tensor> gOut) {
            Tensor x = in.get(0);
            int[] shape = x.shape();
            if (shape.length < 3) {
                throw error(node, "expects [N, C, spatial...] (rank >= 3), got " + Arrays.toString(shape));
            }
            double eps = node.attributes().getDouble("epsilon", 1e-5);
            int n = shape[0];
            int c = shape[1];
            int plane = Shapes.product(shape, 2, shape.length);
            double[] gamma = in.get(1).toDoubleArray();
            float[] xs = x.floats();
            float[] gy = gOut.get(0).floats();
            float[] gx = new float[xs.length];
            double[] planeSgx = new double[n * c];
            double[] planeSg = new double[n * c];
            Parallel.forRange(n * c, Math.max(1, GRAIN / Math.max(1, plane)), (from, to) -> {
                for (int p = from; p < to; p++) {
                    int off = p * plane;
                    double[] stats = meanAndInvStd(xs, off, plane, eps);
                    double g = gamma[p % c];
                    normalizedBackward(xs, gy, gx, off, plane, stats[0], stats[1], j -> g);
                    for (int j = 0; j < plane; j++) {
                        planeSgx[p] += gy[off + j] * (xs[off + j] - stats[0]) * stats[1];
                        planeSg[p] += gy[off + j];
                    }
                }
            });
            float[] gGamma = new float[c];
            float[] gBeta = new float[c];
            for (int ch = 0; ch < c; ch++) {
                double sgx = 0;
                double sg = 0;
                for (int i = 0; i < n; i++) {
                    sgx += planeSgx[i * c + ch];
                    sg += planeSg[i * c + ch];
                }
                gGamma[ch] = (float) sgx;
                gBeta[ch] = (float) sg;
            }
            return List.of(Tensor.of(gx, shape), Tensor.of(gGamma, in.get(1).shape()),
                    Tensor.of(gBeta, in.get(2).shape()));
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
