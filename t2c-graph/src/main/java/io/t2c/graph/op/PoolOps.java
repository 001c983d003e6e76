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
import io.t2c.tensor.Shapes;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.kernel.Parallel;
import io.t2c.tensor.ops.Elementwise;
import io.t2c.tensor.ops.Movement;
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

        /** The window on one spatial axis of {@code x} ({@code axis} counts spatial dims from 0). */
        Axis axis(int[] x, int axis) {
            int k = kernel.length;
            return new Axis(x[2 + axis], outputShape(x)[2 + axis], kernel[axis], strides[axis], dilations[axis],
                    pads[axis], pads[axis + k]);
        }

        /** The window as a 2-D one over {@code [H, W]}: a 1-D window has H = 1 with a single tap. */
        Axis[] axes2d(int[] x) {
            return kernel.length == 1 ? new Axis[] {new Axis(1, 1, 1, 1, 1, 0, 0), axis(x, 0)}
                    : new Axis[] {axis(x, 0), axis(x, 1)};
        }
    }

    /**
     * One spatial axis of a pooling window: tap {@code t} of output {@code o} reads input position
     * {@code o·stride − padBegin + t·dilation}, which may lie in the padding (or, with ceil_mode, beyond it).
     */
    record Axis(int in, int out, int kernel, int stride, int dilation, int padBegin, int padEnd) {
        int position(int o, int t) {
            return o * stride - padBegin + t * dilation;
        }

        boolean inside(int pos) {
            return pos >= 0 && pos < in;
        }

        /** The average's divisor factor on this axis: taps inside the input, or inside input and explicit padding. */
        int count(int o, boolean includePad) {
            int c = 0;
            for (int t = 0; t < kernel; t++) {
                int pos = position(o, t);
                if (includePad ? pos >= -padBegin && pos < in + padEnd : inside(pos)) {
                    c++;
                }
            }
            return c;
        }
    }

    /** Work (taps visited) per parallel chunk before splitting over planes is worth it. */
    private static final int GRAIN = 1 << 15;

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

        @Override
        public boolean differentiable() {
            return true;
        }

        /**
         * MaxPool routes each output's gradient to the tap that won its window: the first largest input value in scan
         * order (ties go to the first; padding never wins; a NaN wins as it does forward). AveragePool spreads it
         * evenly over the window's taps inside the input, divided by the forward's divisor (count_include_pad and
         * ceil_mode as forward). Each N·C plane is independent, so planes run in parallel.
         */
        @Override
        public List<Tensor> backward(Node node, List<Tensor> in, List<Tensor> out, List<Tensor> gOut) {
            Tensor x = in.get(0);
            int[] shape = x.shape();
            Axis[] hw = Window.of(node, shape).axes2d(shape);
            Axis ah = hw[0];
            Axis aw = hw[1];
            boolean includePad = node.attributes().getInt("count_include_pad", 0) != 0;
            float[] xs = x.floats();
            float[] gy = gOut.get(0).floats();
            float[] gx = new float[xs.length];
            int inPlane = ah.in() * aw.in();
            int outPlane = ah.out() * aw.out();
            int work = Math.max(1, outPlane * ah.kernel() * aw.kernel());
            Parallel.forRange(shape[0] * shape[1], Math.max(1, GRAIN / work), (from, to) -> {
                for (int pl = from; pl < to; pl++) {
                    if (max) {
                        maxPlaneBackward(xs, gy, gx, pl * inPlane, pl * outPlane, ah, aw);
                    } else {
                        averagePlaneBackward(gy, gx, pl * inPlane, pl * outPlane, ah, aw, includePad);
                    }
                }
            });
            return List.of(Tensor.of(gx, shape));
        }

        private static void maxPlaneBackward(float[] x, float[] gy, float[] gx, int ib, int ob, Axis ah, Axis aw) {
            int o = ob;
            for (int oh = 0; oh < ah.out(); oh++) {
                for (int ow = 0; ow < aw.out(); ow++, o++) {
                    int best = -1;
                    float m = 0;
                    for (int th = 0; th < ah.kernel(); th++) {
                        int ih = ah.position(oh, th);
                        if (!ah.inside(ih)) {
                            continue;
                        }
                        for (int tw = 0; tw < aw.kernel(); tw++) {
                            int iw = aw.position(ow, tw);
                            if (!aw.inside(iw)) {
                                continue;
                            }
                            int i = ib + ih * aw.in() + iw;
                            float v = x[i];
                            if (best < 0 || v > m || (v != v && m == m)) {
                                best = i;
                                m = v;
                            }
                        }
                    }
                    if (best >= 0) {
                        gx[best] += gy[o];
                    }
                }
            }
        }

        private static void averagePlaneBackward(float[] gy, float[] gx, int ib, int ob, Axis ah, Axis aw,
                boolean includePad) {
            int o = ob;
            for (int oh = 0; oh < ah.out(); oh++) {
                int countH = ah.count(oh, includePad);
                for (int ow = 0; ow < aw.out(); ow++, o++) {
                    int divisor = countH * aw.count(ow, includePad);
                    if (divisor == 0) {
                        continue;
                    }
                    float share = (float) ((double) gy[o] / divisor);
                    for (int th = 0; th < ah.kernel(); th++) {
                        int ih = ah.position(oh, th);
                        if (!ah.inside(ih)) {
                            continue;
                        }
                        for (int tw = 0; tw < aw.kernel(); tw++) {
                            int iw = aw.position(ow, tw);
                            if (aw.inside(iw)) {
                                gx[ib + ih * aw.in() + iw] += share;
                            }
                        }
                    }
                }
            }
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

        @Override
        public boolean differentiable() {
            return true;
        }

        /**
         * GlobalAveragePool: each plane's gradient spread evenly over it. GlobalMaxPool: all of it to the plane's
         * first largest value, as MaxPool routes it (ReduceMax instead splits among ties).
         */
        @Override
        public List<Tensor> backward(Node node, List<Tensor> in, List<Tensor> out, List<Tensor> gOut) {
            Tensor x = in.get(0);
            int[] shape = x.shape();
            int plane = Shapes.product(shape, 2, shape.length);
            if (name().equals("GlobalAveragePool")) {
                long[] full = Arrays.stream(shape).asLongStream().toArray();
                Tensor spread = Movement.expand(gOut.get(0), full);
                return List.of(Elementwise.div(spread, Tensor.scalar((float) plane).reshape()));
            }
            float[] xs = x.floats();
            float[] gy = gOut.get(0).floats();
            float[] gx = new float[xs.length];
            for (int p = 0; p < gy.length; p++) {
                int best = -1;
                float m = 0;
                for (int i = p * plane; i < (p + 1) * plane; i++) {
                    float v = xs[i];
                    if (best < 0 || v > m || (v != v && m == m)) {
                        best = i;
                        m = v;
                    }
                }
                if (best >= 0) {
                    gx[best] += gy[p];
                }
            }
            return List.of(Tensor.of(gx, shape));
        }
    }
}
