package io.t2c.graph.op;

import static io.t2c.graph.op.AttrSpec.Kind.FLOAT;
import static io.t2c.graph.op.AttrSpec.Kind.INT;
import static io.t2c.graph.op.AttrSpec.Kind.INTS;
import static io.t2c.graph.op.AttrSpec.Kind.STRING;
import static io.t2c.graph.op.AttrSpec.optional;

import io.t2c.graph.Attributes;
import io.t2c.graph.Node;
import io.t2c.graph.TensorInfo;
import io.t2c.tensor.ArrayPool;
import io.t2c.tensor.DType;
import io.t2c.tensor.Shapes;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.kernel.Conv2dParams;
import io.t2c.tensor.kernel.Conv2dWeights;
import io.t2c.tensor.kernel.ConvTranspose2dParams;
import io.t2c.tensor.kernel.Convolutions;
import io.t2c.tensor.kernel.GemmF32;
import io.t2c.tensor.kernel.Kernels;
import io.t2c.tensor.kernel.PackedB;
import io.t2c.tensor.kernel.Parallel;
import io.t2c.tensor.ops.Movement;
import io.t2c.tensor.ops.Reductions;
import java.util.Arrays;
import java.util.List;

/** Ops that multiply-accumulate: Conv, ConvTranspose (1-D and 2-D), Gemm, MatMul. */
final class LinearOps {
    private LinearOps() {}

    static List<OpDef> all() {
        return List.of(new Conv(), new ConvTranspose(), new Gemm(), new MatMul());
    }

    private static final AttrSpec[] CONV_ATTRS = {
        optional("auto_pad", STRING, "NOTSET"), optional("dilations", INTS, null), optional("group", INT, 1L),
        optional("kernel_shape", INTS, null), optional("pads", INTS, null), optional("strides", INTS, null),
        optional(FusedClamp.MIN, FLOAT, null), optional(FusedClamp.MAX, FLOAT, null)};


    /** Pads in ONNX order [begin..., end...] for the spatial dims, resolving auto_pad against the input size. */
    static int[] convPads(Node node, int[] xShape, int[] kernel, int[] strides, int[] dilations) {
        Attributes a = node.attributes();
        int spatial = xShape.length - 2;
        String auto = a.getString("auto_pad", "NOTSET");
        int[] pads = a.getInts("pads", new int[2 * spatial]);
        if (auto.equals("NOTSET")) {
            return pads;
        }
        int[] out = new int[2 * spatial];
        if (auto.equals("VALID")) {
            return out;
        }
        for (int i = 0; i < spatial; i++) {
            int in = xShape[2 + i];
            int s = strides == null ? 1 : strides[i];
            int d = dilations == null ? 1 : dilations[i];
            int outSize = (in + s - 1) / s;
            int total = Math.max(0, (outSize - 1) * s + (kernel[i] - 1) * d + 1 - in);
            int small = total / 2;
            int large = total - small;
            boolean upper = auto.equals("SAME_UPPER");
            out[i] = upper ? small : large;
            out[i + spatial] = upper ? large : small;
        }
        return out;
    }

    private static int[] spatialKernel(int[] wShape) {
        return Arrays.copyOfRange(wShape, 2, wShape.length);
    }

    /** Axes 0, 2, 3, ...: what a per-output-channel bias is broadcast over, so its gradient sums over them. */
    private static int[] batchAndSpatialAxes(int rank) {
        int[] axes = new int[rank - 1];
        axes[0] = 0;
        for (int i = 2; i < rank; i++) {
            axes[i - 1] = i;
        }
        return axes;
    }

    /**
     * The weight gradient of a convolution described by {@code p}, in the weight layout {@code [OC, C/g, kH, kW]}:
     * {@code w̄[o, c, u, v] = Σ ȳ[n, o, i, j] · x[n, g·Cg + c, i·sH − padTop + u·dH, j·sW − padLeft + v·dW]} over
     * {@code outH × outW} positions — {@code p.outH() × p.outW()} for a Conv; a ConvTranspose's weight gradient is this
     * with ȳ as the input and x as the output gradient, over x's (possibly smaller) size.
     */
    private static float[] convWeightGradient(float[] x, Conv2dParams p, float[] gy, int outH, int outW) {
        float[] dw = new float[Math.toIntExact(p.weightSize())];
        Kernels.get().conv2dF32().weightGradient(p, x, gy, outH, outW, dw);
        return dw;
    }

    static final class Conv extends Op {
        Conv() {
            super("Conv", Family.LINEAR, 2, 3, CONV_ATTRS);
        }

        private static Conv2dParams params(Node node, int[] x, int[] w, int[] b) {
            Attributes a = node.attributes();
            if (x.length != 3 && x.length != 4) {
                throw error(node, "only 1-D and 2-D convolutions are supported; input has shape " + Arrays.toString(x));
            }
            int[] strides = a.getInts("strides", null);
            int[] dil = a.getInts("dilations", null);
            return Convolutions.conv2dParams(x, w, b, strides, convPads(node, x, spatialKernel(w), strides, dil), dil,
                    a.getInt("group", 1));
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            TensorInfo b = optionalInfo(in, 2);
            Conv2dParams p = params(node, in.get(0).shape(), in.get(1).shape(), b == null ? null : b.shape());
            int[] out = in.get(0).rank() == 3 ? new int[] {p.batch(), p.outChannels(), p.outW()}
                    : new int[] {p.batch(), p.outChannels(), p.outH(), p.outW()};
            return List.of(TensorInfo.of(DType.FLOAT32, out));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return forward(node, in, null);
        }

        private static List<Tensor> forward(Node node, List<Tensor> in, Conv2dWeights prepared) {
            Tensor x = in.get(0);
            Tensor w = in.get(1);
            Attributes a = node.attributes();
            int[] strides = a.getInts("strides", null);
            int[] dil = a.getInts("dilations", null);
            return List.of(Convolutions.conv2d(x, w, prepared, optionalTensor(in, 2), strides,
                    convPads(node, x.shape(), spatialKernel(w.shape()), strides, dil), dil, a.getInt("group", 1),
                    FusedClamp.lo(node), FusedClamp.hi(node)));
        }

        /** Constant float weights are packed once for every later run. */
        @Override
        public Prepared prepare(Node node, List<Tensor> constants) {
            Tensor w = constants.size() > 1 ? constants.get(1) : null;
            if (w == null || w.dtype() != DType.FLOAT32 || (w.rank() != 3 && w.rank() != 4)) {
                return inputs -> forward(node, inputs, null);
            }
            Conv2dWeights packed = Convolutions.prepare(w, node.attributes().getInt("group", 1));
            return inputs -> forward(node, inputs, inputs.get(1) == w ? packed : null);
        }

        @Override
        public boolean differentiable() {
            return true;
        }

        /**
         * x̄ is the transposed convolution of ȳ with the same weights, strides, pads, dilations and groups (Conv
         * gathers what ConvTranspose spreads; see {@link Convolutions#conv2dInputGradient}); w̄ = convWeightGradient;
         * b̄ = Σ ȳ over N and the spatial dims.
         */
        @Override
        public List<Tensor> backward(Node node, List<Tensor> in, List<Tensor> out, List<Tensor> gOut) {
            Tensor x = in.get(0);
            Tensor w = in.get(1);
            Tensor b = optionalTensor(in, 2);
            Attributes a = node.attributes();
            Tensor g = FusedClamp.maskGradient(node, out.get(0), gOut.get(0));
            int[] strides = a.getInts("strides", null);
            int[] dil = a.getInts("dilations", null);
            int[] pads = convPads(node, x.shape(), spatialKernel(w.shape()), strides, dil);
            Conv2dParams p = params(node, x.shape(), w.shape(), b == null ? null : b.shape());
            Tensor gx = Convolutions.conv2dInputGradient(g, w, x.shape(), strides, pads, dil, p.groups());
            Tensor gw = Tensor.of(convWeightGradient(x.floats(), p, g.floats(), p.outH(), p.outW()), w.shape());
            Tensor gb = b == null ? null : Reductions.reduceSum(g, batchAndSpatialAxes(g.rank()), false);
            return Arrays.asList(gx, gw, gb);
        }

        @Override
        public long macs(Node node, List<TensorInfo> in, List<TensorInfo> out) {
            int[] w = in.get(1).shape();
            long perOutput = 1;
            for (int i = 1; i < w.length; i++) {
                perOutput *= w[i];
            }
            return out.get(0).numel() * perOutput;
        }
    }

    static final class ConvTranspose extends Op {
        ConvTranspose() {
            super("ConvTranspose", Family.LINEAR, 2, 3, optional("auto_pad", STRING, "NOTSET"),
                    optional("dilations", INTS, null), optional("group", INT, 1L), optional("kernel_shape", INTS, null),
                    optional("output_padding", INTS, null), optional("output_shape", INTS, null),
                    optional("pads", INTS, null), optional("strides", INTS, null));
        }

        /**
         * Pads and output padding, with output_shape / auto_pad resolved as the ONNX spec says: the total padding
         * {@code s·(in−1) + output_padding + (k−1)·d + 1 − out} is split with the odd unit at the end for SAME_UPPER and
         * at the beginning otherwise. A negative end pad (the requested output is larger) becomes output padding.
         */
        private static int[][] padsAndOutputPadding(Node node, int[] x, int[] w) {
            Attributes a = node.attributes();
            int spatial = x.length - 2;
            int[] outShape = a.getInts("output_shape", null);
            String auto = a.getString("auto_pad", "NOTSET");
            int[] outPad = a.getInts("output_padding", new int[spatial]);
            if (outShape == null && (auto.equals("NOTSET") || auto.equals("VALID"))) {
                return new int[][] {auto.equals("VALID") ? new int[2 * spatial] : a.getInts("pads", new int[2 * spatial]), outPad};
            }
            int[] strides = a.getInts("strides", null);
            int[] dil = a.getInts("dilations", null);
            int[] pads = new int[2 * spatial];
            int[] extra = outPad.clone();
            for (int i = 0; i < spatial; i++) {
                int s = strides == null ? 1 : strides[i];
                int d = dil == null ? 1 : dil[i];
                int target = outShape != null ? outShape[outShape.length - spatial + i] : x[2 + i] * s;
                int total = s * (x[2 + i] - 1) + outPad[i] + ((w[2 + i] - 1) * d + 1) - target;
                int half = Math.floorDiv(total, 2);
                boolean upper = auto.equals("SAME_UPPER");
                int begin = upper ? half : total - half;
                int end = upper ? total - half : half;
                if (begin < 0) {
                    throw error(node, "output_shape " + Arrays.toString(outShape) + " needs negative leading padding,"
                            + " which is not supported");
                }
                if (end < 0) {
                    extra[i] += -end;
                    end = 0;
                }
                pads[i] = begin;
                pads[i + spatial] = end;
            }
            return new int[][] {pads, extra};
        }

        private static ConvTranspose2dParams params(Node node, int[] x, int[] w, int[] b) {
            Attributes a = node.attributes();
            if (x.length != 3 && x.length != 4) {
                throw error(node, "only 1-D and 2-D transposed convolutions are supported; input has shape "
                        + Arrays.toString(x));
            }
            int[][] pp = padsAndOutputPadding(node, x, w);
            return Convolutions.convTranspose2dParams(x, w, b, a.getInts("strides", null), pp[0], pp[1],
                    a.getInts("dilations", null), a.getInt("group", 1));
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            TensorInfo b = optionalInfo(in, 2);
            ConvTranspose2dParams p = params(node, in.get(0).shape(), in.get(1).shape(), b == null ? null : b.shape());
            int[] out = in.get(0).rank() == 3 ? new int[] {p.batch(), p.outChannels(), p.outW()}
                    : new int[] {p.batch(), p.outChannels(), p.outH(), p.outW()};
            return List.of(TensorInfo.of(DType.FLOAT32, out));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            Tensor x = in.get(0);
            Tensor w = in.get(1);
            Attributes a = node.attributes();
            int[][] pp = padsAndOutputPadding(node, x.shape(), w.shape());
            return List.of(Convolutions.convTranspose2d(x, w, optionalTensor(in, 2), a.getInts("strides", null),
                    pp[0], pp[1], a.getInts("dilations", null), a.getInt("group", 1)));
        }

        @Override
        public boolean differentiable() {
            return true;
        }

        /**
         * A transposed convolution is the input gradient of a Conv, so its gradients are the Conv's other pieces:
         * x̄ = Conv(ȳ, w) with the same strides, pads, dilations and groups (ConvTranspose's weight
         * {@code [C, OC/g, k…]} is exactly a Conv weight from OC to C channels), cropped to x's size where output
         * padding added whole strides; w̄ is the Conv weight gradient with ȳ as the conv input and x as its output
         * gradient; b̄ = Σ ȳ over N and the spatial dims.
         */
        @Override
        public List<Tensor> backward(Node node, List<Tensor> in, List<Tensor> out, List<Tensor> gOut) {
            Tensor x = in.get(0);
            Tensor w = in.get(1);
            Tensor b = optionalTensor(in, 2);
            Tensor g = gOut.get(0);
            Attributes a = node.attributes();
            int[] strides = a.getInts("strides", null);
            int[] dil = a.getInts("dilations", null);
            int group = a.getInt("group", 1);
            int[] pads = padsAndOutputPadding(node, x.shape(), w.shape())[0];
            Conv2dParams p = Convolutions.conv2dParams(g.shape(), w.shape(), null, strides, pads, dil, group);
            Tensor gx = Convolutions.conv2d(g, w, null, strides, pads, dil, group);
            if (!Arrays.equals(gx.shape(), x.shape())) {
                int spatial = x.rank() - 2;
                long[] starts = new long[spatial];
                long[] ends = new long[spatial];
                int[] axes = new int[spatial];
                for (int i = 0; i < spatial; i++) {
                    ends[i] = x.dim(2 + i);
                    axes[i] = 2 + i;
                }
                gx = Movement.slice(gx, starts, ends, axes, null);
            }
            int xH = x.rank() == 3 ? 1 : x.dim(2);
            int xW = x.dim(x.rank() - 1);
            Tensor gw = Tensor.of(convWeightGradient(g.floats(), p, x.floats(), xH, xW), w.shape());
            Tensor gb = b == null ? null : Reductions.reduceSum(g, batchAndSpatialAxes(g.rank()), false);
            return Arrays.asList(gx, gw, gb);
        }

        @Override
        public long macs(Node node, List<TensorInfo> in, List<TensorInfo> out) {
            int[] w = in.get(1).shape();
            long perInput = 1;
            for (int i = 1; i < w.length; i++) {
                perInput *= w[i];
            }
            return in.get(0).numel() * perInput;
        }
    }

    /** ONNX Gemm: Y = alpha·op(A)·op(B) + beta·C, C broadcast to [M, N]. */
    static final class Gemm extends Op {
        Gemm() {
            super("Gemm", Family.LINEAR, 2, 3, optional("alpha", FLOAT, 1.0), optional("beta", FLOAT, 1.0),
                    optional("transA", INT, 0L), optional("transB", INT, 0L));
        }

        private static int[] mnk(Node node, int[] a, int[] b) {
            boolean ta = node.attributes().getInt("transA", 0) != 0;
            boolean tb = node.attributes().getInt("transB", 0) != 0;
            if (a.length != 2 || b.length != 2) {
                throw error(node, "A and B must be matrices, got " + Arrays.toString(a) + " and " + Arrays.toString(b));
            }
            int m = ta ? a[1] : a[0];
            int k = ta ? a[0] : a[1];
            int kb = tb ? b[1] : b[0];
            int n = tb ? b[0] : b[1];
            if (k != kb) {
                throw error(node, "A " + Arrays.toString(a) + (ta ? "ᵀ" : "") + " and B " + Arrays.toString(b)
                        + (tb ? "ᵀ" : "") + " do not agree on K (" + k + " vs " + kb + ")");
            }
            return new int[] {m, n, k};
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            int[] mnk = mnk(node, in.get(0).shape(), in.get(1).shape());
            TensorInfo c = optionalInfo(in, 2);
            if (c != null) {
                Shapes.broadcast(c.shape(), new int[] {mnk[0], mnk[1]});
            }
            return List.of(TensorInfo.of(DType.FLOAT32, mnk[0], mnk[1]));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return forward(node, in, null);
        }

        /** A constant float B (a layer's weights) is packed once for every later run. */
        @Override
        public Prepared prepare(Node node, List<Tensor> constants) {
            Tensor b = constants.size() > 1 ? constants.get(1) : null;
            if (b == null || b.dtype() != DType.FLOAT32 || b.rank() != 2) {
                return inputs -> forward(node, inputs, null);
            }
            boolean tb = node.attributes().getInt("transB", 0) != 0;
            int k = tb ? b.dim(1) : b.dim(0);
            int n = tb ? b.dim(0) : b.dim(1);
            PackedB packed = Kernels.get().gemmF32().packB(tb, k, n, b.floats(), 0, tb ? k : n);
            return inputs -> forward(node, inputs, inputs.get(1) == b ? packed : null);
        }

        private static List<Tensor> forward(Node node, List<Tensor> in, PackedB packedB) {
            Tensor a = in.get(0).cast(DType.FLOAT32);
            Tensor b = in.get(1).cast(DType.FLOAT32);
            int[] mnk = mnk(node, a.shape(), b.shape());
            int m = mnk[0];
            int n = mnk[1];
            int k = mnk[2];
            boolean ta = node.attributes().getInt("transA", 0) != 0;
            boolean tb = node.attributes().getInt("transB", 0) != 0;
            float alpha = node.attributes().getFloat("alpha", 1f);
            float beta = node.attributes().getFloat("beta", 1f);
            float[] y = ArrayPool.floats(Shapes.numel(m, n)); // overwritten by the product
            if (packedB != null) {
                Kernels.get().gemmF32().gemm(ta, m, a.floats(), 0, ta ? m : k, packedB, y, 0, n, false);
            } else {
                Kernels.get().gemmF32().gemm(ta, tb, m, n, k, a.floats(), 0, ta ? m : k, b.floats(), 0, tb ? k : n, y,
                        0, n, false);
            }
            if (alpha != 1f) {
                for (int i = 0; i < y.length; i++) {
                    y[i] *= alpha;
                }
            }
            Tensor c = optionalTensor(in, 2);
            if (c != null && beta != 0f) {
                addBroadcast(y, m, n, c.cast(DType.FLOAT32), beta);
            }
            return List.of(Tensor.of(y, m, n));
        }

        @Override
        public boolean differentiable() {
            return true;
        }

        /**
         * With P = op(A)·op(B): d op(A) = α·Ȳ·op(B)ᵀ and d op(B) = α·op(A)ᵀ·Ȳ, transposed back when the operand
         * was transposed; C̄ = β·Ȳ summed to C's shape.
         */
        @Override
        public List<Tensor> backward(Node node, List<Tensor> in, List<Tensor> out, List<Tensor> gOut) {
            Tensor a = in.get(0);
            Tensor b = in.get(1);
            Tensor g = gOut.get(0);
            boolean ta = node.attributes().getInt("transA", 0) != 0;
            boolean tb = node.attributes().getInt("transB", 0) != 0;
            float alpha = node.attributes().getFloat("alpha", 1f);
            float beta = node.attributes().getFloat("beta", 1f);
            int[] mnk = mnk(node, a.shape(), b.shape());
            int m = mnk[0];
            int n = mnk[1];
            int k = mnk[2];
            GemmF32 gemm = Kernels.get().gemmF32();
            // dA: stored [m×k] (or [k×m] when transposed)
            float[] da = new float[m * k];
            if (!ta) { // dA[m×k] = Ȳ[m×n] · op(B)ᵀ[n×k]
                gemm.gemm(false, !tb, m, k, n, g.floats(), 0, n, b.floats(), 0, tb ? k : n, da, 0, k, false);
            } else { // dAᵀ... A is [k×m]: dA[k×m] = op(B)[k×n] · Ȳᵀ[n×m]
                gemm.gemm(tb, true, k, m, n, b.floats(), 0, tb ? k : n, g.floats(), 0, n, da, 0, m, false);
            }
            float[] db = new float[k * n];
            if (!tb) { // dB[k×n] = op(A)ᵀ[k×m] · Ȳ[m×n]
                gemm.gemm(!ta, false, k, n, m, a.floats(), 0, ta ? m : k, g.floats(), 0, n, db, 0, n, false);
            } else { // B is [n×k]: dB[n×k] = Ȳᵀ[n×m] · op(A)[m×k]
                gemm.gemm(true, ta, n, k, m, g.floats(), 0, n, a.floats(), 0, ta ? m : k, db, 0, k, false);
            }
            scale(da, alpha);
            scale(db, alpha);
            Tensor c = optionalTensor(in, 2);
            Tensor dc = c == null ? null
                    : Gradients.sumToShape(io.t2c.tensor.ops.Elementwise.mul(g, Tensor.scalar(beta).reshape()), c.shape());
            return java.util.Arrays.asList(Tensor.of(da, a.shape()), Tensor.of(db, b.shape()), dc);
        }

        private static void scale(float[] v, float s) {
            if (s != 1f) {
                for (int i = 0; i < v.length; i++) {
                    v[i] *= s;
                }
            }
        }

        /** y[m×n] += beta·c, with c of shape [], [n], [1, n], [m, 1], [m] or [m, n] broadcast. */
        private static void addBroadcast(float[] y, int m, int n, Tensor c, float beta) {
            int[] s = c.shape();
            int[] full = Shapes.broadcast(s, new int[] {m, n});
            if (full[0] != m || full[1] != n) {
                throw new io.t2c.tensor.T2cException("Gemm: C " + Arrays.toString(s) + " does not broadcast to ["
                        + m + ", " + n + "]");
            }
            int rows = s.length == 2 ? s[0] : 1;
            int cols = s.length == 0 ? 1 : s[s.length - 1];
            float[] cv = c.floats();
            for (int i = 0; i < m; i++) {
                int ci = rows == 1 ? 0 : i;
                for (int j = 0; j < n; j++) {
                    y[i * n + j] += beta * cv[ci * cols + (cols == 1 ? 0 : j)];
                }
            }
        }

        @Override
        public long macs(Node node, List<TensorInfo> in, List<TensorInfo> out) {
            int[] mnk = mnk(node, in.get(0).shape(), in.get(1).shape());
            return (long) mnk[0] * mnk[1] * mnk[2];
        }
    }

    /** numpy matmul: 1-D operands promoted, batch dimensions broadcast. */
    static final class MatMul extends Op {
        MatMul() {
            super("MatMul", Family.LINEAR, 2, 2);
        }

        /** Output shape, or an error naming both shapes. */
        static int[] shape(Node node, int[] a, int[] b) {
            if (a.length == 0 || b.length == 0) {
                throw error(node, "operands must have rank ≥ 1, got " + Arrays.toString(a) + " and " + Arrays.toString(b));
            }
            int[] a2 = a.length == 1 ? new int[] {1, a[0]} : a;
            int[] b2 = b.length == 1 ? new int[] {b[0], 1} : b;
            int k = a2[a2.length - 1];
            if (k != b2[b2.length - 2]) {
                throw error(node, "cannot multiply " + Arrays.toString(a) + " by " + Arrays.toString(b)
                        + ": inner dimensions " + k + " and " + b2[b2.length - 2] + " differ");
            }
            int[] batch = Shapes.broadcast(Arrays.copyOf(a2, a2.length - 2), Arrays.copyOf(b2, b2.length - 2));
            // batch + [m, n], dropping m when A was a vector and n when B was one (numpy's promotion undone).
            java.util.List<Integer> out = new java.util.ArrayList<>();
            for (int d : batch) {
                out.add(d);
            }
            if (a.length > 1) {
                out.add(a2[a2.length - 2]);
            }
            if (b.length > 1) {
                out.add(b2[b2.length - 1]);
            }
            return out.stream().mapToInt(Integer::intValue).toArray();
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            return List.of(TensorInfo.of(DType.FLOAT32, shape(node, in.get(0).shape(), in.get(1).shape())));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            Tensor a = in.get(0).cast(DType.FLOAT32);
            Tensor b = in.get(1).cast(DType.FLOAT32);
            int[] outShape = shape(node, a.shape(), b.shape());
            int[] as = a.rank() == 1 ? new int[] {1, a.dim(0)} : a.shape();
            int[] bs = b.rank() == 1 ? new int[] {b.dim(0), 1} : b.shape();
            int m = as[as.length - 2];
            int k = as[as.length - 1];
            int n = bs[bs.length - 1];
            int[] aBatch = Arrays.copyOf(as, as.length - 2);
            int[] bBatch = Arrays.copyOf(bs, bs.length - 2);
            int[] batch = Shapes.broadcast(aBatch, bBatch);
            int batches = Shapes.numel(batch);
            float[] y = new float[Shapes.numel(outShape)];
            GemmF32 gemm = Kernels.get().gemmF32();
            float[] av = a.floats();
            float[] bv = b.floats();
            if (Shapes.numel(bBatch) == 1 && batches == Shapes.numel(aBatch)) {
                // B shared by every batch (a linear layer): one GEMM over all rows of A.
                gemm.gemm(false, false, batches * m, n, k, av, 0, k, bv, 0, n, y, 0, n, false);
                return List.of(Tensor.of(y, outShape));
            }
            int aCount = Shapes.numel(aBatch);
            int bCount = Shapes.numel(bBatch);
            if ((aCount == batches || aCount == 1) && (bCount == batches || bCount == 1)) {
                // Same batch shapes, or one operand shared: strided batches in one call (attention heads).
                gemm.gemmBatched(batches, false, false, m, n, k, av, 0, k, aCount == 1 ? 0 : (long) m * k,
                        bv, 0, n, bCount == 1 ? 0 : (long) k * n, y, 0, n, (long) m * n, false);
                return List.of(Tensor.of(y, outShape));
            }
            for (int i = 0; i < batches; i++) {
                int ai = broadcastIndex(i, batch, aBatch);
                int bi = broadcastIndex(i, batch, bBatch);
                gemm.gemm(false, false, m, n, k, av, ai * m * k, k, bv, bi * k * n, n, y, i * m * n, n, false);
            }
            return List.of(Tensor.of(y, outShape));
        }

        @Override
        public boolean differentiable() {
            return true;
        }

        /** Ā = Ȳ·Bᵀ and B̄ = Aᵀ·Ȳ over the last two axes, summed over broadcast batch axes; vectors promoted first. */
        @Override
        public List<Tensor> backward(Node node, List<Tensor> in, List<Tensor> out, List<Tensor> gOut) {
            Tensor a = in.get(0);
            Tensor b = in.get(1);
            Tensor a2 = a.rank() == 1 ? a.reshape(1, a.dim(0)) : a;
            Tensor b2 = b.rank() == 1 ? b.reshape(b.dim(0), 1) : b;
            int[] ys = shape(node, a2.shape(), b2.shape());
            Tensor g = gOut.get(0).reshape(ys);
            if (b2.rank() == 2 && a.dtype() == DType.FLOAT32 && b.dtype() == DType.FLOAT32) {
                return sharedWeightGradients(a, b, a2, b2, g);
            }
            Tensor ga = forward(node, List.of(g, lastTwoTransposed(b2))).get(0);
            Tensor gb = forward(node, List.of(lastTwoTransposed(a2), g)).get(0);
            return List.of(Gradients.sumToShape(ga, a2.shape()).reshape(a.shape()),
                    Gradients.sumToShape(gb, b2.shape()).reshape(b.shape()));
        }

        /**
         * A 2-D B shared by every row of A (a linear layer): Ā = Ȳ·Bᵀ and B̄ = Aᵀ·Ȳ over all rows at once, with the
         * GEMM's transpose flags instead of transposed copies and no per-batch B̄ to sum.
         */
        private static List<Tensor> sharedWeightGradients(Tensor a, Tensor b, Tensor a2, Tensor b2, Tensor g) {
            int k = b2.dim(0);
            int n = b2.dim(1);
            int rows = a2.size() / k;
            GemmF32 gemm = Kernels.get().gemmF32();
            float[] ga = new float[a2.size()];
            float[] gb = new float[k * n];
            gemm.gemm(false, true, rows, k, n, g.floats(), 0, n, b2.floats(), 0, n, ga, 0, k, false);
            gemm.gemm(true, false, k, n, rows, a2.floats(), 0, k, g.floats(), 0, n, gb, 0, n, false);
            return List.of(Tensor.of(ga, a.shape()), Tensor.of(gb, b.shape()));
        }

        private static Tensor lastTwoTransposed(Tensor t) {
            int r = t.rank();
            int[] perm = new int[r];
            for (int i = 0; i < r; i++) {
                perm[i] = i;
            }
            perm[r - 2] = r - 1;
            perm[r - 1] = r - 2;
            return io.t2c.tensor.ops.Movement.transpose(t, perm);
        }

        /** Flat index into a (right-aligned, size-1-broadcast) operand batch shape for output batch index i. */
        private static int broadcastIndex(int i, int[] out, int[] operand) {
            int idx = 0;
            int stride = 1;
            int rem = i;
            for (int d = out.length - 1; d >= 0; d--) {
                int coord = rem % out[d];
                rem /= out[d];
                int od = d - (out.length - operand.length);
                if (od >= 0) {
                    if (operand[od] != 1) {
                        idx += coord * stride;
                    }
                    stride *= operand[od];
                }
            }
            return idx;
        }

        @Override
        public long macs(Node node, List<TensorInfo> in, List<TensorInfo> out) {
            int[] a = in.get(0).shape();
            return out.get(0).numel() * a[a.length - 1];
        }
    }
}
