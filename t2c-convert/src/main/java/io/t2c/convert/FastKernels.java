package io.t2c.convert;

import io.t2c.graph.Attributes;
import io.t2c.graph.Node;
import io.t2c.quant.Rounding;
import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.kernel.GemmS8;
import io.t2c.tensor.kernel.Kernels;
import io.t2c.tensor.kernel.Parallel;
import java.util.Arrays;
import java.util.List;

/**
 * The fast path of the integer ops: im2col plus the int8 GEMM of {@link Kernels#get()} (Vector API where
 * available) when codes fit in 8 bits and the accumulator bound proves int32 cannot overflow, else a long-accumulating
 * GEMM that checks every accumulator against its declared width; batches (and rows) on all cores. Results must equal
 * {@link ReferenceExecutor} bit for bit; it shares no code with this class.
 */
final class FastKernels {
    private FastKernels() {}

    static Tensor quantize(Node node, Tensor x) {
        Attributes a = node.attributes();
        double scale = a.getDouble(IntegerOps.SCALE, 1);
        long zp = a.getLong(IntegerOps.ZERO_POINT, 0);
        long lo = a.getLong(IntegerOps.Y_MIN, 0);
        long hi = a.getLong(IntegerOps.Y_MAX, 0);
        Rounding r = Rounding.parse(a.getString(IntegerOps.ROUNDING, "half-even"));
        float[] v = x.floats();
        int[] q = new int[v.length];
        Parallel.forRange(v.length, 1 << 14, (from, to) -> {
            for (int i = from; i < to; i++) {
                double c = r.round(v[i] / scale) + zp;
                q[i] = (int) Math.max(lo, Math.min(hi, c));
            }
        });
        return Tensor.ofInts(q, x.shape());
    }

    static Tensor dequantize(Node node, Tensor x) {
        Attributes a = node.attributes();
        double[] scale = a.getDoubles(IntegerOps.SCALE);
        long zp = a.getLong(IntegerOps.ZERO_POINT, 0);
        long[] v = IntegerOps.longs(node, x);
        int[] shape = x.shape();
        int axis = Math.floorMod(a.getInt(IntegerOps.Y_AXIS, 1), shape.length);
        int inner = inner(shape, axis);
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            double s = scale.length == 1 ? scale[0] : scale[(i / inner) % shape[axis]];
            out[i] = (float) ((v[i] - zp) * s);
        }
        return Tensor.of(out, shape);
    }

    static Tensor add(Node node, Tensor a, Tensor b) {
        if (!Arrays.equals(a.shape(), b.shape()) && !broadcastsOverLeading(a.shape(), b.shape())) {
            throw new T2cException("node " + node.label() + ": operands must have equal shapes (or b broadcast over"
                    + " leading axes), got " + Arrays.toString(a.shape()) + " and " + Arrays.toString(b.shape()));
        }
        Attributes at = node.attributes();
        Requant rq = Requant.of(node);
        long[] ma = at.getLongs(IntegerOps.A_MULTIPLIER);
        long[] mb = at.getLongs(IntegerOps.B_MULTIPLIER);
        long za = at.getLong(IntegerOps.X_ZERO_POINT, 0);
        long zb = at.getLong(IntegerOps.B_ZERO_POINT, 0);
        long[] x = IntegerOps.longs(node, a);
        long[] y = IntegerOps.longs(node, b);
        int[] shape = a.shape();
        int axis = Math.floorMod(at.getInt(IntegerOps.Y_AXIS, 1), shape.length);
        int inner = inner(shape, axis);
        int channels = shape[axis];
        int[] out = new int[x.length];
        // Row by row along the channel axis, so each row has one pair of multipliers.
        Parallel.forRange(x.length / inner, Math.max(1, (1 << 14) / inner), (from, to) -> {
            for (int row = from; row < to; row++) {
                int c = ma.length == 1 ? 0 : row % channels;
                long a1 = ma[c];
                long b1 = mb[c];
                for (int i = row * inner; i < (row + 1) * inner; i++) {
                    long sum = (x[i] - za) * a1 + (y[y.length == x.length ? i : i % y.length] - zb) * b1;
                    out[i] = (int) rq.apply(sum, c);
                }
            }
        });
        return Tensor.ofInts(out, shape);
    }

    /** b equals a's shape with some leading axes of size 1 (a position embedding added to every sample). */
    static boolean broadcastsOverLeading(int[] a, int[] b) {
        if (b.length > a.length) {
            return false;
        }
        int offset = a.length - b.length;
        boolean leading = true;
        for (int d = 0; d < b.length; d++) {
            if (leading && b[d] == 1 && a[d + offset] != 1) {
                continue;
            }
            leading = false;
            if (b[d] != a[d + offset]) {
                return false;
            }
        }
        return true;
    }

    static Tensor requantize(Node node, Tensor x) {
        Requant rq = Requant.of(node);
        long zx = node.attributes().getLong(IntegerOps.X_ZERO_POINT, 0);
        long[] v = IntegerOps.longs(node, x);
        int[] shape = x.shape();
        int axis = Math.floorMod(node.attributes().getInt(IntegerOps.Y_AXIS, 1), shape.length);
        int inner = inner(shape, axis);
        int[] out = new int[v.length];
        Parallel.forRange(v.length, 1 << 14, (from, to) -> {
            for (int i = from; i < to; i++) {
                int c = rq.multiplier().length == 1 ? 0 : (i / inner) % shape[axis];
                out[i] = (int) rq.apply(v[i] - zx, c);
            }
        });
        return Tensor.ofInts(out, shape);
    }

    /** IntLut: y = table[x − x_min], every code checked against [x_min, x_max] first. */
    static Tensor lookup(Node node, Tensor x, Tensor table) {
        int lo = node.attributes().getInt(IntegerOps.X_MIN, 0);
        int hi = node.attributes().getInt(IntegerOps.X_MAX, 0);
        int[] t = table.ints();
        if (t.length != hi - lo + 1) {
            throw new T2cException("node " + node.label() + ": table of " + t.length + " entries for input codes ["
                    + lo + ", " + hi + "]");
        }
        int[] v = x.ints();
        int[] out = new int[v.length];
        Parallel.forRange(v.length, 1 << 14, (from, to) -> {
            for (int i = from; i < to; i++) {
                int c = v[i];
                if (c < lo || c > hi) {
                    throw new T2cException("node " + node.label() + ": input code " + c + " lies outside its declared"
                            + " range [" + lo + ", " + hi + "]");
                }
                out[i] = t[c - lo];
            }
        });
        return Tensor.ofInts(out, x.shape());
    }

    static Tensor averagePool(Node node, Tensor x) {
        PoolGeometry g = PoolGeometry.of(node, x.shape());
        Requant rq = Requant.of(node);
        long zx = node.attributes().getLong(IntegerOps.X_ZERO_POINT, 0);
        boolean includePad = node.attributes().getInt("count_include_pad", 0) != 0;
        int row = node.attributes().getInt(IntegerOps.POOL_PER_CHANNEL, 0) != 0 ? g.kernelH() * g.kernelW() + 1 : 0;
        long[] v = IntegerOps.longs(node, x);
        int planeIn = g.inH() * g.inW();
        int planeOut = g.outH() * g.outW();
        int[] out = new int[g.batch() * g.channels() * planeOut];
        Parallel.forRange(g.batch() * g.channels(), 1, (from, to) -> {
            for (int plane = from; plane < to; plane++) {
                int base = plane * planeIn;
                for (int oy = 0; oy < g.outH(); oy++) {
                    for (int ox = 0; ox < g.outW(); ox++) {
                        long sum = 0;
                        int taps = 0;
                        for (int ky = 0; ky < g.kernelH(); ky++) {
                            int iy = oy * g.strideH() - g.padTop() + ky * g.dilationH();
                            for (int kx = 0; kx < g.kernelW(); kx++) {
                                int ix = ox * g.strideW() - g.padLeft() + kx * g.dilationW();
                                if (iy >= 0 && iy < g.inH() && ix >= 0 && ix < g.inW()) {
                                    sum += v[base + iy * g.inW() + ix] - zx;
                                    taps++;
                                }
                            }
                        }
                        int count = includePad ? g.kernelH() * g.kernelW() : taps;
                        out[plane * planeOut + oy * g.outW() + ox] =
                                (int) rq.apply(sum, row * (plane % g.channels()) + count);
                    }
                }
            }
        });
        return Tensor.ofInts(out, g.batch(), g.channels(), g.outH(), g.outW());
    }

    static Tensor maxPool(Node node, Tensor x) {
        PoolGeometry g = PoolGeometry.of(node, x.shape());
        long[] v = IntegerOps.longs(node, x);
        int planeIn = g.inH() * g.inW();
        int planeOut = g.outH() * g.outW();
        long[] out = new long[g.batch() * g.channels() * planeOut];
        Parallel.forRange(g.batch() * g.channels(), 1, (from, to) -> {
            for (int plane = from; plane < to; plane++) {
                for (int oy = 0; oy < g.outH(); oy++) {
                    for (int ox = 0; ox < g.outW(); ox++) {
                        long best = Long.MIN_VALUE;
                        for (int ky = 0; ky < g.kernelH(); ky++) {
                            int iy = oy * g.strideH() - g.padTop() + ky * g.dilationH();
                            for (int kx = 0; kx < g.kernelW(); kx++) {
                                int ix = ox * g.strideW() - g.padLeft() + kx * g.dilationW();
                                if (iy >= 0 && iy < g.inH() && ix >= 0 && ix < g.inW()) {
                                    best = Math.max(best, v[plane * planeIn + iy * g.inW() + ix]);
                                }
                            }
                        }
                        out[plane * planeOut + oy * g.outW() + ox] = best;
                    }
                }
            }
        });
        return pack(out, x.dtype(), g.batch(), g.channels(), g.outH(), g.outW());
    }

    /**
     * Output channels' weight operand, shared by conv (per group) and linear layers: the GEMM's right-hand matrix
     * B[K × n] (reduction × output channel), as bytes with per-column zero points when everything fits the int8
     * GEMM, else as int differences w − zw; plus the largest possible |accumulator| per channel.
     */
    private record WeightPanel(byte[] bytes, boolean unsigned, int[] zeroPoints, int[] centered, long bound) {}

    private static WeightPanel panel(int[] w, int wOff, int k, int n, int[] zw, int zwOff, long[] bias, int biasOff,
                                     long maxX, boolean xFitsByte) {
        int lo = Integer.MAX_VALUE;
        int hi = Integer.MIN_VALUE;
        long bound = 0;
        int[] centered = new int[k * n];
        int[] zps = new int[n];
        for (int j = 0; j < n; j++) {
            zps[j] = zw[zw.length == 1 ? 0 : zwOff + j];
            long absSum = 0;
            for (int t = 0; t < k; t++) {
                int code = w[wOff + j * k + t];
                lo = Math.min(lo, code);
                hi = Math.max(hi, code);
                centered[t * n + j] = code - zps[j];
                absSum += Math.abs((long) code - zps[j]);
            }
            long b = bias == null ? 0 : Math.abs(bias[biasOff + j]);
            bound = Math.max(bound, maxX * absSum + b);
        }
        boolean zpsFit = Arrays.stream(zps).allMatch(z -> z >= GemmS8.MIN_ZERO_POINT && z <= GemmS8.MAX_ZERO_POINT);
        boolean signedFit = lo >= -128 && hi <= 127;
        boolean unsignedFit = lo >= 0 && hi <= 255;
        if (xFitsByte && zpsFit && (signedFit || unsignedFit) && bound < Integer.MAX_VALUE) {
            byte[] bytes = new byte[k * n];
            for (int j = 0; j < n; j++) {
                for (int t = 0; t < k; t++) {
                    bytes[t * n + j] = (byte) w[wOff + j * k + t];
                }
            }
            return new WeightPanel(bytes, !signedFit, zps, null, bound);
        }
        return new WeightPanel(null, false, zps, centered, bound);
    }

    /** The input side of a layer: zero point, declared code range, and whether codes go to the int8 GEMM. */
    private record InputCodes(int zeroPoint, int min, int max, boolean fitsByte, boolean unsigned, long maxAbs) {
        static InputCodes of(Node node) {
            Attributes a = node.attributes();
            int z = a.getInt(IntegerOps.X_ZERO_POINT, 0);
            int lo = a.getInt(IntegerOps.X_MIN, 0);
            int hi = a.getInt(IntegerOps.X_MAX, 0);
            boolean signedFit = lo >= -128 && hi <= 127;
            boolean unsignedFit = lo >= 0 && hi <= 255;
            boolean zpFits = z >= GemmS8.MIN_ZERO_POINT && z <= GemmS8.MAX_ZERO_POINT;
            return new InputCodes(z, lo, hi, zpFits && (signedFit || unsignedFit), !signedFit,
                    Math.max((long) hi - z, (long) z - lo));
        }

        /** Every input code against the declared range, once, before any work. */
        void checkAll(Node node, int[] codes) {
            int lo = Integer.MAX_VALUE;
            int hi = Integer.MIN_VALUE;
            for (int c : codes) {
                lo = Math.min(lo, c);
                hi = Math.max(hi, c);
            }
            if (codes.length > 0 && (lo < min || hi > max)) {
                throw new T2cException("node " + node.label() + ": input code " + (lo < min ? lo : hi) + " lies outside"
                        + " its declared range [" + min + ", " + max + "]");
            }
        }
    }

    /** A convolution prepared for its constant weight and bias. */
    static final class Conv {
        private final Node node;
        private final int[] weightShape;
        private final InputCodes x;
        private final long[] bias;
        private final int accBits;
        private final Requant requant;
        private final WeightPanel[] panels;

        Conv(Node node, Tensor weight, Tensor biasCodes) {
            this.node = node;
            this.weightShape = weight.shape();
            this.x = InputCodes.of(node);
            this.bias = biasCodes == null ? null : IntegerOps.longs(node, biasCodes);
            this.accBits = node.attributes().getInt(IntegerOps.ACC_BITS, 32);
            this.requant = Requant.of(node);
            int group = node.attributes().getInt("group", 1);
            int outPerGroup = weightShape[0] / group;
            int k = weightShape[1] * weightShape[2] * weightShape[3];
            int[] w = weight.ints();
            int[] zw = node.attributes().getInts(IntegerOps.W_ZERO_POINT, new int[] {0});
            panels = new WeightPanel[group];
            for (int gi = 0; gi < group; gi++) {
                panels[gi] = panel(w, gi * outPerGroup * k, k, outPerGroup, zw, gi * outPerGroup, bias,
                        gi * outPerGroup, x.maxAbs(), x.fitsByte());
                if (panels[gi].bound() >= FixedPoint.PRODUCT_LIMIT) {
                    throw new T2cException("node " + node.label() + ": accumulator bound " + panels[gi].bound()
                            + " exceeds 2^62");
                }
            }
        }

        Tensor run(Tensor input) {
            ConvGeometry g = ConvGeometry.of(node, input.shape(), weightShape);
            int[] xs = input.ints();
            x.checkAll(node, xs);
            int k = g.reduction();
            int og = g.outPerGroup();
            int plane = g.outPlane();
            Output out = new Output(node, requant, accBits, g.batch() * g.outChannels() * plane);
            GemmS8 gemm = Kernels.get().gemmS8();
            // Output rows split into blocks so that even one image with one group keeps every core busy.
            int blocks = Math.min(g.outH(), Math.ceilDiv(4 * Parallel.threads(), g.batch() * g.group()));
            int rowsPerBlock = Math.ceilDiv(g.outH(), blocks);
            Parallel.forRange(g.batch() * g.group() * blocks, 1, (from, to) -> {
                for (int task = from; task < to; task++) {
                    int n = task / (g.group() * blocks);
                    int gi = task / blocks % g.group();
                    int firstRow = task % blocks * rowsPerBlock;
                    int positions = Math.max(0, Math.min(rowsPerBlock, g.outH() - firstRow)) * g.outW();
                    if (positions == 0) {
                        continue;
                    }
                    int[] codes = patches(g, xs, n, gi, firstRow, positions);
                    WeightPanel p = panels[gi];
                    int firstOut = n * g.outChannels() * plane + firstRow * g.outW();
                    if (p.bytes() != null) {
                        byte[] a = toBytes(codes, 0, codes.length);
                        int[] c = new int[positions * og];
                        gemm.gemm(positions, og, k, a, 0, k, x.unsigned(), x.zeroPoint(), p.bytes(), 0, og,
                                p.unsigned(), p.zeroPoints(), c, 0, og);
                        for (int j = 0; j < og; j++) {
                            int co = gi * og + j;
                            long b = bias == null ? 0 : bias[co];
                            for (int pos = 0; pos < positions; pos++) {
                                out.put(c[pos * og + j] + b, co, firstOut + co * plane + pos);
                            }
                        }
                    } else {
                        for (int i = 0; i < codes.length; i++) {
                            codes[i] -= x.zeroPoint();
                        }
                        long[] acc = new long[positions * og];
                        wideGemm(positions, og, k, codes, p.centered(), acc);
                        for (int j = 0; j < og; j++) {
                            int co = gi * og + j;
                            long b = bias == null ? 0 : bias[co];
                            for (int pos = 0; pos < positions; pos++) {
                                out.put(acc[pos * og + j] + b, co, firstOut + co * plane + pos);
                            }
                        }
                    }
                }
            });
            return out.tensor(g.batch(), g.outChannels(), g.outH(), g.outW());
        }

        /**
         * The im2col view of output rows [firstRow, firstRow + positions/outW) of image n, group gi: row pos holds
         * the K = C/group·kh·kw input codes under that output's window, (ci, ky, kx) order; the padding holds the zero
         * point (so it contributes nothing once centered).
         */
        private int[] patches(ConvGeometry g, int[] xs, int n, int gi, int firstRow, int positions) {
            int[] codes = new int[positions * g.reduction()];
            int zx = x.zeroPoint();
            int planeIn = g.inH() * g.inW();
            int firstChannel = (n * g.inChannels() + gi * g.inPerGroup()) * planeIn;
            int i = 0;
            for (int oy = firstRow; i < codes.length; oy++) {
                for (int ox = 0; ox < g.outW(); ox++) {
                    for (int ci = 0; ci < g.inPerGroup(); ci++) {
                        int chan = firstChannel + ci * planeIn;
                        for (int ky = 0; ky < g.kernelH(); ky++) {
                            int iy = oy * g.strideH() - g.padTop() + ky * g.dilationH();
                            boolean rowInside = iy >= 0 && iy < g.inH();
                            int rowStart = chan + iy * g.inW();
                            for (int kx = 0; kx < g.kernelW(); kx++) {
                                int ix = ox * g.strideW() - g.padLeft() + kx * g.dilationW();
                                codes[i++] = rowInside && ix >= 0 && ix < g.inW() ? xs[rowStart + ix] : zx;
                            }
                        }
                    }
                }
            }
            return codes;
        }
    }

    /** codes[from, to) narrowed to bytes (codes the int8 GEMM reads: they fit int8 or uint8). */
    private static byte[] toBytes(int[] codes, int from, int to) {
        byte[] b = new byte[to - from];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) codes[from + i];
        }
        return b;
    }

    /**
     * The output of a conv or linear layer: each accumulator (bias included) checked against the declared width,
     * then requantized to a code, or kept raw (int32, or int64 for a 64-bit layer without requantization).
     */
    private static final class Output {
        private final Node node;
        private final Requant requant;
        private final int accBits;
        private final int[] out32;
        private final long[] out64;

        Output(Node node, Requant requant, int accBits, int size) {
            this.node = node;
            this.requant = requant;
            this.accBits = accBits;
            boolean wide = requant == null && accBits == 64;
            this.out32 = wide ? null : new int[size];
            this.out64 = wide ? new long[size] : null;
        }

        void put(long acc, int channel, int at) {
            if (accBits == 32 && (acc < Integer.MIN_VALUE || acc > Integer.MAX_VALUE)) {
                throw Requant.overflow(node, acc, accBits);
            }
            if (requant != null) {
                out32[at] = (int) requant.apply(acc, channel);
            } else if (out64 != null) {
                out64[at] = acc;
            } else {
                out32[at] = (int) acc;
            }
        }

        Tensor tensor(int... shape) {
            return out64 != null ? Tensor.ofLongs(out64, shape) : Tensor.ofInts(out32, shape);
        }
    }

    /** A linear layer (x[…, K] · wᵀ, w stored [N, K]) prepared for its constant weight and bias. */
    static final class Linear {
        private static final int ROWS_PER_TASK = 16;
        private final Node node;
        private final int outFeatures;
        private final int inFeatures;
        private final InputCodes x;
        private final long[] bias;
        private final int accBits;
        private final Requant requant;
        private final WeightPanel panel;

        Linear(Node node, Tensor weight, Tensor biasCodes) {
            this.node = node;
            this.outFeatures = weight.dim(0);
            this.inFeatures = weight.dim(1);
            this.x = InputCodes.of(node);
            this.bias = biasCodes == null ? null : IntegerOps.longs(node, biasCodes);
            this.accBits = node.attributes().getInt(IntegerOps.ACC_BITS, 32);
            this.requant = Requant.of(node);
            int[] zw = node.attributes().getInts(IntegerOps.W_ZERO_POINT, new int[] {0});
            this.panel = panel(weight.ints(), 0, inFeatures, outFeatures, zw, 0, bias, 0, x.maxAbs(), x.fitsByte());
            if (panel.bound() >= FixedPoint.PRODUCT_LIMIT) {
                throw new T2cException("node " + node.label() + ": accumulator bound " + panel.bound()
                        + " exceeds 2^62");
            }
        }

        Tensor run(Tensor input) {
            int[] shape = input.shape();
            if (shape[shape.length - 1] != inFeatures) {
                throw new T2cException("node " + node.label() + ": input has " + shape[shape.length - 1]
                        + " features, weight expects " + inFeatures);
            }
            int[] xs = input.ints();
            x.checkAll(node, xs);
            int rows = xs.length / inFeatures;
            Output out = new Output(node, requant, accBits, rows * outFeatures);
            GemmS8 gemm = Kernels.get().gemmS8();
            int tasks = Math.ceilDiv(rows, ROWS_PER_TASK);
            Parallel.forRange(tasks, 1, (from, to) -> {
                for (int task = from; task < to; task++) {
                    int r0 = task * ROWS_PER_TASK;
                    int m = Math.min(ROWS_PER_TASK, rows - r0);
                    int first = r0 * outFeatures;
                    if (panel.bytes() != null) {
                        byte[] a = toBytes(xs, r0 * inFeatures, (r0 + m) * inFeatures);
                        int[] c = new int[m * outFeatures];
                        gemm.gemm(m, outFeatures, inFeatures, a, 0, inFeatures, x.unsigned(), x.zeroPoint(),
                                panel.bytes(), 0, outFeatures, panel.unsigned(), panel.zeroPoints(), c, 0, outFeatures);
                        for (int i = 0; i < c.length; i++) {
                            out.put(c[i] + (bias == null ? 0 : bias[i % outFeatures]), i % outFeatures, first + i);
                        }
                    } else {
                        int[] a = new int[m * inFeatures];
                        for (int i = 0; i < a.length; i++) {
                            a[i] = xs[r0 * inFeatures + i] - x.zeroPoint();
                        }
                        long[] acc = new long[m * outFeatures];
                        wideGemm(m, outFeatures, inFeatures, a, panel.centered(), acc);
                        for (int i = 0; i < acc.length; i++) {
                            out.put(acc[i] + (bias == null ? 0 : bias[i % outFeatures]), i % outFeatures, first + i);
                        }
                    }
                }
            });
            int[] outShape = shape.clone();
            outShape[outShape.length - 1] = outFeatures;
            return out.tensor(outShape);
        }
    }

    /** acc[m × n] = a[m × k] · b[k × n] over long, row by row so b's rows stream (skips zero activations). */
    private static void wideGemm(int m, int n, int k, int[] a, int[] b, long[] acc) {
        for (int i = 0; i < m; i++) {
            int rowOut = i * n;
            for (int t = 0; t < k; t++) {
                long av = a[i * k + t];
                if (av == 0) {
                    continue;
                }
                int rowB = t * n;
                for (int j = 0; j < n; j++) {
                    acc[rowOut + j] += av * b[rowB + j];
                }
            }
        }
    }

    static Tensor concat(Node node, List<Tensor> parts) {
        Requant rq = Requant.of(node);
        long[] zx = node.attributes().getLongs(IntegerOps.X_ZERO_POINTS);
        int[] first = parts.get(0).shape();
        int axis = Math.floorMod(node.attributes().getInt("axis", 0), first.length);
        int outer = 1;
        for (int d = 0; d < axis; d++) {
            outer *= first[d];
        }
        int[] shape = first.clone();
        shape[axis] = 0;
        int[] blocks = new int[parts.size()];
        for (int i = 0; i < parts.size(); i++) {
            shape[axis] += parts.get(i).dim(axis);
            blocks[i] = parts.get(i).size() / outer;
        }
        long[] channels = node.attributes().getLongs(IntegerOps.X_CHANNELS);
        int rowOut = Arrays.stream(blocks).sum();
        int[] out = new int[outer * rowOut];
        int offset = 0;
        int firstMultiplier = 0;
        for (int i = 0; i < parts.size(); i++) {
            long[] v = IntegerOps.longs(node, parts.get(i));
            int inner = blocks[i] / parts.get(i).dim(axis);
            boolean perChannel = channels[i] > 1;
            for (int o = 0; o < outer; o++) {
                for (int j = 0; j < blocks[i]; j++) {
                    int m = firstMultiplier + (perChannel ? j / inner : 0);
                    out[o * rowOut + offset + j] = (int) rq.apply(v[o * blocks[i] + j] - zx[i], m);
                }
            }
            offset += blocks[i];
            firstMultiplier += (int) channels[i];
        }
        return Tensor.ofInts(out, shape);
    }

    /** Batched product of two code tensors; rows of a run in parallel, b is transposed once so K is contiguous. */
    static Tensor matMul(Node node, Tensor a, Tensor b) {
        int[] as = a.shape();
        int[] bs = b.shape();
        int m = as[as.length - 2];
        int k = as[as.length - 1];
        int n = bs[bs.length - 1];
        int batches = a.size() / (m * k);
        if (bs.length != as.length || bs[bs.length - 2] != k || b.size() / (k * n) != batches) {
            throw new T2cException("node " + node.label() + ": operands " + Arrays.toString(as) + " and "
                    + Arrays.toString(bs) + " do not multiply batch by batch");
        }
        Requant rq = Requant.of(node);
        int accBits = node.attributes().getInt(IntegerOps.ACC_BITS, 32);
        long za = node.attributes().getLong(IntegerOps.X_ZERO_POINT, 0);
        long zb = node.attributes().getLong(IntegerOps.B_ZERO_POINT, 0);
        long[] av = IntegerOps.longs(node, a);
        long[] bv = IntegerOps.longs(node, b);
        long[] bt = new long[bv.length];
        for (int p = 0; p < batches; p++) {
            for (int t = 0; t < k; t++) {
                for (int j = 0; j < n; j++) {
                    bt[(p * n + j) * k + t] = bv[(p * k + t) * n + j] - zb;
                }
            }
        }
        long[] out = new long[batches * m * n];
        Parallel.forRange(batches * m, 1, (from, to) -> {
            for (int row = from; row < to; row++) {
                int p = row / m;
                for (int j = 0; j < n; j++) {
                    long acc = 0;
                    int bo = (p * n + j) * k;
                    for (int t = 0; t < k; t++) {
                        acc += (av[row * k + t] - za) * bt[bo + t];
                    }
                    if (accBits == 32 && (int) acc != acc) {
                        throw Requant.overflow(node, acc, accBits);
                    }
                    out[row * n + j] = rq == null ? acc : rq.apply(acc, 0);
                }
            }
        });
        int[] shape = as.clone();
        shape[shape.length - 1] = n;
        return pack(out, IntegerOps.outputType(node), shape);
    }

    private static Tensor pack(long[] v, DType dtype, int... shape) {
        if (dtype == DType.INT64) {
            return Tensor.ofLongs(v, shape);
        }
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (int) v[i];
        }
        return Tensor.ofInts(out, shape);
    }

    private static int inner(int[] shape, int axis) {
        int n = 1;
        for (int i = axis + 1; i < shape.length; i++) {
            n *= shape[i];
        }
        return n;
    }
}
