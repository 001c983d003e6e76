package io.t2c.convert;

import io.t2c.graph.Attributes;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.Value;
import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The judge: an independent scalar executor of integer graphs, written from docs/NUMERICS.md with plain loops over
 * {@code long} and no code shared with the fast kernels (direct convolution rather than im2col + GEMM; rounding by
 * floor division and remainder rather than add-and-shift). Every accumulator is checked against its declared width
 * and every product with {@link Math#multiplyExact}. Returns every value it computes, so the checker can compare
 * each op's output.
 */
public final class ReferenceExecutor {
    /**
     * One computed value: integers ({@code ints}) or floats ({@code floats}), its element type and shape; for ops
     * that sum before requantizing (conv, gemm, add, average pool) also {@code acc}, the sum of each output element
     * before the requantization epilogue (null otherwise), what extraction hands to testbenches.
     */
    public record Result(DType dtype, int[] shape, long[] ints, float[] floats, long[] acc) {
        Result(DType dtype, int[] shape, long[] ints, float[] floats) {
            this(dtype, shape, ints, floats, null);
        }

        /** A tensor's values: float32 as floats (copied), integer types widened to long. */
        public static Result of(Tensor t) {
            return t.dtype() == DType.FLOAT32 ? new Result(DType.FLOAT32, t.shape(), null, t.floats().clone())
                    : new Result(t.dtype(), t.shape(), t.toLongArray(), null);
        }

        long at(int i) {
            return ints[i];
        }
    }

    private ReferenceExecutor() {}

    /**
     * Runs the graph on its inputs (floats, or integers such as token ids) and returns every node output by name, in
     * execution order.
     */
    public static Map<String, Result> run(Graph g, Map<String, Tensor> inputs) {
        Map<String, Result> env = new LinkedHashMap<>();
        for (Value v : g.inputs()) {
            env.put(v.name(), Result.of(inputs.get(v.name())));
        }
        Map<String, Result> consts = new HashMap<>();
        g.initializers().forEach((name, t) -> consts.put(name, Result.of(t)));
        Map<String, Result> computed = new LinkedHashMap<>();
        for (Node n : g.nodes()) {
            Result[] in = new Result[n.inputs().size()];
            for (int i = 0; i < in.length; i++) {
                String name = n.input(i);
                in[i] = name.isEmpty() ? null : env.containsKey(name) ? env.get(name) : consts.get(name);
            }
            Result r = switch (n.opType()) {
                case IntegerOps.QUANTIZE -> quantize(n, in[0]);
                case IntegerOps.CONV -> conv(n, in[0], in[1], in.length > 2 ? in[2] : null);
                case IntegerOps.GEMM -> gemm(n, in[0], in[1], in.length > 2 ? in[2] : null);
                case IntegerOps.ADD -> add(n, in[0], in[1]);
                case IntegerOps.REQUANTIZE -> requantize(n, in[0]);
                case IntegerOps.AVERAGE_POOL -> pool(n, in[0], false);
                case IntegerOps.MAX_POOL -> pool(n, in[0], true);
                case IntegerOps.DEQUANTIZE -> dequantize(n, in[0]);
                case IntegerOps.CONCAT -> concat(n, in);
                case IntegerOps.MATMUL -> matMul(n, in[0], in[1]);
                case "Flatten" -> flatten(n, in[0]);
                case "Reshape" -> reshape(n, in[0], in[1]);
                case "Transpose" -> transpose(n, in[0]);
                case "Gather" -> gather(n, in[0], in[1]);
                case "Slice" -> slice(n, in);
                case "Unsqueeze" -> unsqueeze(in[0], in[1]);
                case "Shape" -> shapeOf(n, in[0]);
                case "Concat" -> shapeConcat(n, in);
                case "Expand" -> expand(n, in[0], in[1]);
                case IntegerOps.SOFTMAX -> softmax(n, in[0]);
                case IntegerOps.LAYER_NORM -> layerNorm(n, in[0]);
                case IntegerOps.GELU -> gelu(n, in[0]);
                case IntegerOps.LUT -> lookup(n, in[0], in[1]);
                default -> throw new T2cException("node " + n.label() + ": the reference executor runs integer graphs"
                        + " only; " + n.opType() + " is not an integer op");
            };
            env.put(n.output(0), r);
            computed.put(n.output(0), r);
        }
        return computed;
    }

    /** The declared width's check: an accumulator outside int32 (when 32-bit) is an overflow, reported by node. */
    private static long checked(Node n, long acc) {
        int bits = n.attributes().getInt(IntegerOps.ACC_BITS, 32);
        if (bits == 32 && (acc > Integer.MAX_VALUE || acc < Integer.MIN_VALUE)) {
            throw new T2cException("node " + n.label() + ": accumulator value " + acc + " does not fit in int32"
                    + " (overflow detected, not wrapped); reconvert so the layer accumulates in int64");
        }
        return acc;
    }

    /** round(p / 2^s) by floor division and remainder, ties resolved by the mode. */
    static long divideByPowerOfTwo(long p, int s, String mode) {
        long d = 1L << s;
        long q = Math.floorDiv(p, d);
        long twiceRem = 2 * Math.floorMod(p, d);
        return switch (mode) {
            case "floor" -> q;
            case "half-up" -> twiceRem >= d ? q + 1 : q;
            case "half-even" -> twiceRem > d || twiceRem == d && Math.floorMod(q, 2) == 1 ? q + 1 : q;
            case "half-away" -> twiceRem > d || twiceRem == d && p > 0 ? q + 1 : q;
            default -> throw new T2cException("unknown rounding '" + mode + "'");
        };
    }

    /** A node's requantization parameters, read once per node (attribute arrays are handed out as copies). */
    private record Epilogue(long[] m, long[] s, long zy, long lo, long hi, String rounding) {
        static Epilogue of(Node n) {
            Attributes a = n.attributes();
            return new Epilogue(a.getLongs(IntegerOps.MULTIPLIER), a.getLongs(IntegerOps.SHIFT),
                    a.getLong(IntegerOps.Y_ZERO_POINT, 0), a.getLong(IntegerOps.Y_MIN, 0), a.getLong(IntegerOps.Y_MAX,
                    0), a.getString(IntegerOps.ROUNDING, "half-up"));
        }

        /** clamp(zy + round(value·M / 2^s)) with the parameters of channel (or tap count) c. */
        long apply(long value, int c) {
            int i = m.length == 1 ? 0 : c;
            long y = zy + divideByPowerOfTwo(Math.multiplyExact(value, m[i]), (int) s[i], rounding);
            return Math.min(hi, Math.max(lo, y));
        }
    }

    private static Result ints(Node n, long[] v, long[] acc, int... shape) {
        boolean raw = !n.attributes().has(IntegerOps.MULTIPLIER) && n.attributes().getInt(IntegerOps.ACC_BITS, 32) == 64;
        return new Result(raw ? DType.INT64 : DType.INT32, shape, v, null, acc);
    }

    /** IntLut: each input code, checked against [x_min, x_max], indexes the table at x − x_min. */
    private static Result lookup(Node n, Result x, Result table) {
        checkCodes(n, x);
        long lo = n.attributes().getLong(IntegerOps.X_MIN, 0);
        long hi = n.attributes().getLong(IntegerOps.X_MAX, 0);
        if (table.ints().length != hi - lo + 1) {
            throw new T2cException("node " + n.label() + ": table of " + table.ints().length + " entries for input"
                    + " codes [" + lo + ", " + hi + "]");
        }
        long[] y = new long[x.ints().length];
        for (int i = 0; i < y.length; i++) {
            y[i] = table.at((int) (x.at(i) - lo));
        }
        return new Result(DType.INT32, x.shape(), y, null);
    }

    private static Result quantize(Node n, Result x) {
        Attributes a = n.attributes();
        double scale = a.getDouble(IntegerOps.SCALE, 1);
        String mode = a.getString(IntegerOps.ROUNDING, "half-even");
        long[] q = new long[x.floats().length];
        for (int i = 0; i < q.length; i++) {
            double v = x.floats()[i] / scale;
            double r = switch (mode) {
                case "half-even" -> Math.rint(v);
                case "half-up" -> Math.floor(v + 0.5);
                case "half-away" -> Math.signum(v) * Math.floor(Math.abs(v) + 0.5);
                case "floor" -> Math.floor(v);
                default -> throw new T2cException("unknown rounding '" + mode + "'");
            };
            double c = r + a.getLong(IntegerOps.ZERO_POINT, 0);
            q[i] = (long) Math.min(a.getLong(IntegerOps.Y_MAX, 0), Math.max(a.getLong(IntegerOps.Y_MIN, 0), c));
        }
        return new Result(DType.INT32, x.shape(), q, null);
    }

    private static void checkCodes(Node n, Result x) {
        long lo = n.attributes().getLong(IntegerOps.X_MIN, Long.MIN_VALUE);
        long hi = n.attributes().getLong(IntegerOps.X_MAX, Long.MAX_VALUE);
        for (long v : x.ints()) {
            if (v < lo || v > hi) {
                throw new T2cException("node " + n.label() + ": input code " + v + " lies outside its declared range ["
                        + lo + ", " + hi + "]");
            }
        }
    }

    private static Result conv(Node n, Result x, Result w, Result b) {
        Epilogue epilogue = Epilogue.of(n);
        checkCodes(n, x);
        Attributes a = n.attributes();
        int[] xs = x.shape();
        int[] ws = w.shape();
        int group = a.getInt("group", 1);
        int[] stride = a.getInts("strides", new int[] {1, 1});
        int[] pad = a.getInts("pads", new int[4]);
        int[] dil = a.getInts("dilations", new int[] {1, 1});
        long zx = a.getLong(IntegerOps.X_ZERO_POINT, 0);
        long[] zw = a.getLongs(IntegerOps.W_ZERO_POINT);
        int batch = xs[0];
        int cin = xs[1];
        int h = xs[2];
        int wd = xs[3];
        int cout = ws[0];
        int cg = ws[1];
        int kh = ws[2];
        int kw = ws[3];
        int oh = (h + pad[0] + pad[2] - dil[0] * (kh - 1) - 1) / stride[0] + 1;
        int ow = (wd + pad[1] + pad[3] - dil[1] * (kw - 1) - 1) / stride[1] + 1;
        int perGroupOut = cout / group;
        boolean requant = a.has(IntegerOps.MULTIPLIER);
        long[] y = new long[batch * cout * oh * ow];
        long[] sums = new long[y.length];
        for (int img = 0; img < batch; img++) {
            for (int co = 0; co < cout; co++) {
                int g = co / perGroupOut;
                long zwc = zw[zw.length == 1 ? 0 : co];
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        long acc = b == null ? 0 : b.at(co);
                        for (int ci = 0; ci < cg; ci++) {
                            int inChannel = g * cg + ci;
                            for (int ky = 0; ky < kh; ky++) {
                                for (int kx = 0; kx < kw; kx++) {
                                    int iy = oy * stride[0] - pad[0] + ky * dil[0];
                                    int ix = ox * stride[1] - pad[1] + kx * dil[1];
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= wd) {
                                        continue; // padding holds the zero point: (zx − zx)·w adds nothing
                                    }
                                    long xv = x.at(((img * cin + inChannel) * h + iy) * wd + ix) - zx;
                                    long wv = w.at(((co * cg + ci) * kh + ky) * kw + kx) - zwc;
                                    acc = Math.addExact(acc, Math.multiplyExact(xv, wv));
                                }
                            }
                        }
                        checked(n, acc);
                        int at = ((img * cout + co) * oh + oy) * ow + ox;
                        sums[at] = acc;
                        y[at] = requant ? epilogue.apply(acc, co) : acc;
                    }
                }
            }
        }
        return ints(n, y, sums, batch, cout, oh, ow);
    }

    private static Result gemm(Node n, Result x, Result w, Result b) {
        Epilogue epilogue = Epilogue.of(n);
        checkCodes(n, x);
        Attributes a = n.attributes();
        long zx = a.getLong(IntegerOps.X_ZERO_POINT, 0);
        long[] zw = a.getLongs(IntegerOps.W_ZERO_POINT);
        int outF = w.shape()[0];
        int inF = w.shape()[1];
        int rows = x.ints().length / inF;
        boolean requant = a.has(IntegerOps.MULTIPLIER);
        long[] y = new long[rows * outF];
        long[] sums = new long[y.length];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < outF; j++) {
                long acc = b == null ? 0 : b.at(j);
                long zwj = zw[zw.length == 1 ? 0 : j];
                for (int t = 0; t < inF; t++) {
                    acc = Math.addExact(acc, Math.multiplyExact(x.at(r * inF + t) - zx, w.at(j * inF + t) - zwj));
                }
                checked(n, acc);
                sums[r * outF + j] = acc;
                y[r * outF + j] = requant ? epilogue.apply(acc, j) : acc;
            }
        }
        int[] shape = x.shape().clone();
        shape[shape.length - 1] = outF;
        return ints(n, y, sums, shape);
    }

    private static int channelOf(int i, int[] shape, int axis) {
        int inner = 1;
        for (int d = axis + 1; d < shape.length; d++) {
            inner *= shape[d];
        }
        return (i / inner) % shape[axis];
    }

    private static Result add(Node n, Result x, Result z) {
        Epilogue epilogue = Epilogue.of(n);
        int[] xs = x.shape();
        int[] zs = z.shape();
        // z may lack leading axes or have size 1 there: it then repeats with period |z| over x.
        for (int d = 1; d <= zs.length; d++) {
            boolean leadingOne = zs[zs.length - d] == 1 && zs.length - d < zs.length - trailingMatch(xs, zs);
            if (d > xs.length || zs[zs.length - d] != xs[xs.length - d] && !leadingOne) {
                throw new T2cException("node " + n.label() + ": operand shapes " + Arrays.toString(xs) + " and "
                        + Arrays.toString(zs) + " do not broadcast");
            }
        }
        Attributes a = n.attributes();
        long[] ma = a.getLongs(IntegerOps.A_MULTIPLIER);
        long[] mb = a.getLongs(IntegerOps.B_MULTIPLIER);
        int axis = Math.floorMod(a.getInt(IntegerOps.Y_AXIS, 1), x.shape().length);
        long[] y = new long[x.ints().length];
        long[] sums = new long[y.length];
        for (int i = 0; i < y.length; i++) {
            int c = ma.length == 1 ? 0 : channelOf(i, x.shape(), axis);
            long sum = Math.addExact(Math.multiplyExact(x.at(i) - a.getLong(IntegerOps.X_ZERO_POINT, 0), ma[c]),
                    Math.multiplyExact(z.at(i % z.ints().length) - a.getLong(IntegerOps.B_ZERO_POINT, 0), mb[c]));
            sums[i] = sum;
            y[i] = epilogue.apply(sum, c);
        }
        return new Result(DType.INT32, x.shape(), y, null, sums);
    }

    /** How many trailing axes of z equal x's. */
    private static int trailingMatch(int[] x, int[] z) {
        int k = 0;
        while (k < z.length && k < x.length && z[z.length - 1 - k] == x[x.length - 1 - k]) {
            k++;
        }
        return k;
    }

    private static Result requantize(Node n, Result x) {
        Epilogue epilogue = Epilogue.of(n);
        int axis = Math.floorMod(n.attributes().getInt(IntegerOps.Y_AXIS, 1), x.shape().length);
        long zx = n.attributes().getLong(IntegerOps.X_ZERO_POINT, 0);
        long[] y = new long[x.ints().length];
        for (int i = 0; i < y.length; i++) {
            y[i] = epilogue.apply(x.at(i) - zx, channelOf(i, x.shape(), axis));
        }
        return new Result(DType.INT32, x.shape(), y, null);
    }

    private static Result pool(Node n, Result x, boolean max) {
        Epilogue epilogue = Epilogue.of(n);
        Attributes a = n.attributes();
        int[] s = x.shape();
        boolean global = a.getInt("global", 0) != 0;
        int[] k = global ? new int[] {s[2], s[3]} : a.getInts("kernel_shape", null);
        int[] st = global ? new int[] {1, 1} : a.getInts("strides", new int[] {1, 1});
        int[] pad = global ? new int[4] : a.getInts("pads", new int[4]);
        int[] dil = global ? new int[] {1, 1} : a.getInts("dilations", new int[] {1, 1});
        int oh = (s[2] + pad[0] + pad[2] - dil[0] * (k[0] - 1) - 1) / st[0] + 1;
        int ow = (s[3] + pad[1] + pad[3] - dil[1] * (k[1] - 1) - 1) / st[1] + 1;
        long zx = a.getLong(IntegerOps.X_ZERO_POINT, 0);
        boolean includePad = a.getInt("count_include_pad", 0) != 0;
        boolean perChannel = a.getInt(IntegerOps.POOL_PER_CHANNEL, 0) != 0;
        long[] y = new long[s[0] * s[1] * oh * ow];
        long[] sums = max ? null : new long[y.length];
        for (int plane = 0; plane < s[0] * s[1]; plane++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    long best = Long.MIN_VALUE;
                    long sum = 0;
                    int inside = 0;
                    for (int ky = 0; ky < k[0]; ky++) {
                        for (int kx = 0; kx < k[1]; kx++) {
                            int iy = oy * st[0] - pad[0] + ky * dil[0];
                            int ix = ox * st[1] - pad[1] + kx * dil[1];
                            if (iy >= 0 && iy < s[2] && ix >= 0 && ix < s[3]) {
                                long v = x.at((plane * s[2] + iy) * s[3] + ix);
                                best = Math.max(best, v);
                                sum += v - zx;
                                inside++;
                            }
                        }
                    }
                    int at = (plane * oh + oy) * ow + ox;
                    if (!max) {
                        sums[at] = sum;
                    }
                    int divisor = includePad ? k[0] * k[1] : inside;
                    int channel = plane % s[1];
                    int row = perChannel ? channel * (k[0] * k[1] + 1) + divisor : divisor;
                    y[at] = max ? best : epilogue.apply(sum, row);
                }
            }
        }
        return new Result(max ? x.dtype() : DType.INT32, new int[] {s[0], s[1], oh, ow}, y, null, sums);
    }

    /** Output element by element: find the operand holding it along the axis, rescale its code. */
    private static Result concat(Node n, Result[] parts) {
        Epilogue epilogue = Epilogue.of(n);
        int[] s = parts[0].shape().clone();
        int axis = Math.floorMod(n.attributes().getInt("axis", 0), s.length);
        int[] starts = new int[parts.length];
        s[axis] = 0;
        for (int i = 0; i < parts.length; i++) {
            starts[i] = s[axis];
            s[axis] += parts[i].shape()[axis];
        }
        int inner = 1;
        for (int d = axis + 1; d < s.length; d++) {
            inner *= s[d];
        }
        long[] zx = n.attributes().getLongs(IntegerOps.X_ZERO_POINTS);
        long[] channels = n.attributes().getLongs(IntegerOps.X_CHANNELS);
        long[] y = new long[parts[0].ints().length / parts[0].shape()[axis] * s[axis]];
        for (int at = 0; at < y.length; at++) {
            int outer = at / (inner * s[axis]);
            int along = at / inner % s[axis];
            int i = parts.length - 1;
            while (starts[i] > along) {
                i--;
            }
            int width = parts[i].shape()[axis];
            long v = parts[i].at((outer * width + along - starts[i]) * inner + at % inner);
            long before = 0;
            for (int j = 0; j < i; j++) {
                before += channels[j];
            }
            y[at] = epilogue.apply(v - zx[i], (int) (before + (channels[i] > 1 ? along - starts[i] : 0)));
        }
        return new Result(DType.INT32, s, y, null);
    }

    private static Result matMul(Node n, Result a, Result b) {
        Epilogue epilogue = Epilogue.of(n);
        int[] as = a.shape();
        int[] bs = b.shape();
        int m = as[as.length - 2];
        int k = as[as.length - 1];
        int cols = bs[bs.length - 1];
        int batches = a.ints().length / (m * k);
        long za = n.attributes().getLong(IntegerOps.X_ZERO_POINT, 0);
        long zb = n.attributes().getLong(IntegerOps.B_ZERO_POINT, 0);
        boolean requant = n.attributes().has(IntegerOps.MULTIPLIER);
        long[] y = new long[batches * m * cols];
        long[] sums = new long[y.length];
        for (int p = 0; p < batches; p++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < cols; j++) {
                    long acc = 0;
                    for (int t = 0; t < k; t++) {
                        acc = Math.addExact(acc, Math.multiplyExact(a.at((p * m + i) * k + t) - za,
                                b.at((p * k + t) * cols + j) - zb));
                    }
                    checked(n, acc);
                    int at = (p * m + i) * cols + j;
                    sums[at] = acc;
                    y[at] = requant ? epilogue.apply(acc, 0) : acc;
                }
            }
        }
        int[] shape = as.clone();
        shape[shape.length - 1] = cols;
        return ints(n, y, sums, shape);
    }

    private static Result dequantize(Node n, Result x) {
        double[] scale = n.attributes().getDoubles(IntegerOps.SCALE);
        long zp = n.attributes().getLong(IntegerOps.ZERO_POINT, 0);
        int axis = Math.floorMod(n.attributes().getInt(IntegerOps.Y_AXIS, 1), x.shape().length);
        float[] y = new float[x.ints().length];
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) ((x.at(i) - zp) * scale[scale.length == 1 ? 0 : channelOf(i, x.shape(), axis)]);
        }
        return new Result(DType.FLOAT32, x.shape(), null, y);
    }

    private static Result flatten(Node n, Result x) {
        int axis = Math.floorMod(n.attributes().getInt("axis", 1), x.shape().length + 1);
        int outer = 1;
        for (int d = 0; d < axis; d++) {
            outer *= x.shape()[d];
        }
        return new Result(x.dtype(), new int[] {outer, x.ints().length / Math.max(1, outer)}, x.ints(), null);
    }

    private static Result reshape(Node n, Result x, Result shape) {
        long[] want = shape.ints();
        int[] out = new int[want.length];
        int known = 1;
        int infer = -1;
        for (int i = 0; i < want.length; i++) {
            out[i] = want[i] == 0 && n.attributes().getInt("allowzero", 0) == 0 ? x.shape()[i] : (int) want[i];
            if (out[i] == -1) {
                infer = i;
            } else {
                known *= out[i];
            }
        }
        if (infer >= 0) {
            out[infer] = x.ints().length / known;
        }
        return new Result(x.dtype(), out, x.ints(), null);
    }

    private static Result transpose(Node n, Result x) {
        int[] s = x.shape();
        int rank = s.length;
        int[] perm = n.attributes().getInts("perm", null);
        if (perm == null) {
            perm = new int[rank];
            for (int i = 0; i < rank; i++) {
                perm[i] = rank - 1 - i;
            }
        }
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            out[i] = s[perm[i]];
        }
        long[] y = new long[x.ints().length];
        int[] idx = new int[rank];
        for (int i = 0; i < y.length; i++) {
            int rest = i;
            for (int d = rank - 1; d >= 0; d--) {
                idx[d] = rest % out[d];
                rest /= out[d];
            }
            int src = 0;
            int[] srcIdx = new int[rank];
            for (int d = 0; d < rank; d++) {
                srcIdx[perm[d]] = idx[d];
            }
            for (int d = 0; d < rank; d++) {
                src = src * s[d] + srcIdx[d];
            }
            y[i] = x.at(src);
        }
        return new Result(x.dtype(), out, y, null);
    }

    /**
     * Gather along an axis: output shape = x's with the axis replaced by the index's shape (a scalar index drops
     * it: selecting q, k, v or the class token); negative indices count from the end.
     */
    private static Result gather(Node n, Result x, Result index) {
        int[] s = x.shape();
        int axis = Math.floorMod(n.attributes().getInt("axis", 0), s.length);
        int outer = 1;
        for (int d = 0; d < axis; d++) {
            outer *= s[d];
        }
        int inner = x.ints().length / outer / s[axis];
        long[] idx = index.ints();
        long[] y = new long[outer * idx.length * inner];
        for (int o = 0; o < outer; o++) {
            for (int k = 0; k < idx.length; k++) {
                if (idx[k] < -s[axis] || idx[k] >= s[axis]) {
                    throw new T2cException("node " + n.label() + ": index " + idx[k] + " is outside an axis of "
                            + s[axis]);
                }
                long from = (o * s[axis] + Math.floorMod(idx[k], (long) s[axis])) * inner;
                for (int i = 0; i < inner; i++) {
                    y[(o * idx.length + k) * inner + i] = x.ints()[(int) (from + i)];
                }
            }
        }
        int[] shape = new int[s.length - 1 + index.shape().length];
        System.arraycopy(s, 0, shape, 0, axis);
        System.arraycopy(index.shape(), 0, shape, axis, index.shape().length);
        System.arraycopy(s, axis + 1, shape, axis + index.shape().length, s.length - axis - 1);
        return new Result(x.dtype(), shape, y, null);
    }

    /**
     * Slice with ONNX's rules: per sliced axis, start and end clamped to [0, dim] after adding dim to negatives,
     * steps of 1 (inputs starts, ends, axes, steps).
     */
    private static Result slice(Node n, Result[] in) {
        Result x = in[0];
        int[] s = x.shape();
        int[] from = new int[s.length];
        int[] out = s.clone();
        long[] starts = in[1].ints();
        long[] ends = in[2].ints();
        for (int i = 0; i < starts.length; i++) {
            int axis = in.length > 3 && in[3] != null ? (int) Math.floorMod(in[3].ints()[i], (long) s.length) : i;
            if (in.length > 4 && in[4] != null && in[4].ints()[i] != 1) {
                throw new T2cException("node " + n.label() + ": the reference slices with step 1 only");
            }
            long start = clampIndex(starts[i], s[axis]);
            long end = clampIndex(ends[i], s[axis]);
            from[axis] = (int) start;
            out[axis] = (int) Math.max(0, end - start);
        }
        return new Result(x.dtype(), out, pick(x.ints(), s, out, from), null);
    }

    /**
     * The elements of x (shape {@code in}) at output coordinates shifted by {@code from} along each axis, for an
     * output of shape {@code out}; an axis of extent 1 in x that is longer in out repeats its one element.
     */
    private static long[] pick(long[] x, int[] in, int[] out, int[] from) {
        int total = 1;
        for (int d : out) {
            total *= d;
        }
        long[] y = new long[total];
        for (int i = 0; i < total; i++) {
            int rest = i;
            int src = 0;
            int stride = 1;
            for (int d = out.length - 1; d >= 0; d--) {
                int coord = rest % out[d];
                rest /= out[d];
                src += (in[d] == 1 && out[d] != 1 ? 0 : from[d] + coord) * stride;
                stride *= in[d];
            }
            y[i] = x[src];
        }
        return y;
    }

    /** Unsqueeze: a 1 inserted at each axis (counted in the output's rank); the elements stay in order. */
    private static Result unsqueeze(Result x, Result axes) {
        int rank = x.shape().length + axes.ints().length;
        boolean[] inserted = new boolean[rank];
        for (long a : axes.ints()) {
            inserted[(int) Math.floorMod(a, (long) rank)] = true;
        }
        int[] out = new int[rank];
        for (int d = 0, k = 0; d < rank; d++) {
            out[d] = inserted[d] ? 1 : x.shape()[k++];
        }
        return new Result(x.dtype(), out, x.ints(), null);
    }

    /** A slice bound: negative counts from the end, then clamped to [0, dim]. */
    private static long clampIndex(long v, int dim) {
        return Math.max(0, Math.min(dim, v < 0 ? v + dim : v));
    }

    private static Result shapeOf(Node n, Result x) {
        int rank = x.shape().length;
        int start = Math.floorMod(n.attributes().getInt("start", 0), rank + 1);
        int end = n.attributes().has("end") ? Math.floorMod(n.attributes().getInt("end", rank), rank + 1) : rank;
        long[] dims = new long[Math.max(0, end - start)];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = x.shape()[start + i];
        }
        return new Result(DType.INT64, new int[] {dims.length}, dims, null);
    }

    /** A Concat left in an integer graph joins shape vectors (INT64, rank 1); data Concats are IntConcat. */
    private static Result shapeConcat(Node n, Result[] in) {
        long[] all = Arrays.stream(in).flatMapToLong(r -> {
            if (r.dtype() != DType.INT64 || r.shape().length != 1) {
                throw new T2cException("node " + n.label() + ": a plain Concat in an integer graph must join shape"
                        + " vectors");
            }
            return Arrays.stream(r.ints());
        }).toArray();
        return new Result(DType.INT64, new int[] {all.length}, all, null);
    }

    /** Expand with numpy broadcasting of x to the target shape (the class token repeated over the batch). */
    private static Result expand(Node n, Result x, Result target) {
        int rank = Math.max(x.shape().length, target.ints().length);
        int[] xs = new int[rank];
        int[] out = new int[rank];
        Arrays.fill(xs, 1);
        System.arraycopy(x.shape(), 0, xs, rank - x.shape().length, x.shape().length);
        for (int d = 0; d < rank; d++) {
            int td = d - (rank - target.ints().length);
            int t = td >= 0 ? (int) target.ints()[td] : 1;
            if (xs[d] != 1 && t != 1 && xs[d] != t) {
                throw new T2cException("node " + n.label() + ": cannot expand " + Arrays.toString(x.shape()) + " to "
                        + Arrays.toString(target.ints()));
            }
            out[d] = Math.max(xs[d], t);
        }
        return new Result(x.dtype(), out, pick(x.ints(), xs, out, new int[rank]), null);
    }

    /** round(num / den) half-up for den > 0, by floor division and remainder. */
    private static long divideHalfUp(long num, long den) {
        long q = Math.floorDiv(num, den);
        return 2 * Math.floorMod(num, den) >= den ? q + 1 : q;
    }

    private static long clampTo(Node n, long y) {
        Attributes a = n.attributes();
        return Math.min(a.getLong(IntegerOps.Y_MAX, 0), Math.max(a.getLong(IntegerOps.Y_MIN, 0), y));
    }

    private static Result softmax(Node n, Result x) {
        Attributes a = n.attributes();
        int cols = x.shape()[x.shape().length - 1];
        long mx = a.getLongs(IntegerOps.X_MULTIPLIER)[0];
        int sx = (int) a.getLongs(IntegerOps.X_SHIFT)[0];
        int f = a.getInt(IntegerOps.FRAC_BITS, 0);
        long ln2 = a.getLong(IntegerOps.EXP_LN2, 0);
        long[] coeffs = a.getLongs(IntegerOps.EXP_COEFFS);
        long m = a.getLongs(IntegerOps.MULTIPLIER)[0];
        long twoToS = 1L << a.getLongs(IntegerOps.SHIFT)[0];
        long[] y = new long[x.ints().length];
        for (int row = 0; row < y.length / cols; row++) {
            long max = x.at(row * cols);
            for (int j = 1; j < cols; j++) {
                max = Math.max(max, x.at(row * cols + j));
            }
            long[] e = new long[cols];
            long sum = 0;
            for (int j = 0; j < cols; j++) {
                long t = divideByPowerOfTwo(Math.multiplyExact(x.at(row * cols + j) - max, mx), sx, "half-up");
                long z = Math.floorDiv(-t, ln2);
                long q = -t - z * ln2;
                // e^−q = c0 − q(c1 − q(c2 − ...)), each product floored at 2^−f.
                long h = coeffs[coeffs.length - 1];
                for (int k = coeffs.length - 2; k >= 0; k--) {
                    h = Math.subtractExact(coeffs[k], Math.floorDiv(Math.multiplyExact(q, h), 1L << f));
                }
                e[j] = z >= 63 ? 0 : Math.floorDiv(h, 1L << Math.min(z, 62));
                sum = Math.addExact(sum, e[j]);
            }
            for (int j = 0; j < cols; j++) {
                long q = divideHalfUp(Math.multiplyExact(e[j], m), Math.multiplyExact(sum, twoToS));
                y[row * cols + j] = clampTo(n, a.getLong(IntegerOps.Y_ZERO_POINT, 0) + q);
            }
        }
        return new Result(DType.INT32, x.shape(), y, null);
    }

    /** ⌊√v⌋ bit by bit (the digit-by-digit method), no floating point. */
    static long isqrt(long v) {
        long rem = v;
        long root = 0;
        long bit = 1L << 62;
        while (bit > v) {
            bit >>= 2;
        }
        while (bit != 0) {
            if (rem >= root + bit) {
                rem -= root + bit;
                root = (root >> 1) + bit;
            } else {
                root >>= 1;
            }
            bit >>= 2;
        }
        return root;
    }

    private static Result layerNorm(Node n, Result x) {
        Attributes a = n.attributes();
        int d = x.shape()[x.shape().length - 1];
        long zx = a.getLong(IntegerOps.X_ZERO_POINT, 0);
        int f = a.getInt(IntegerOps.FRAC_BITS, 0);
        int k = a.getInt(IntegerOps.SQRT_SHIFT, 0);
        long[] m = a.getLongs(IntegerOps.MULTIPLIER);
        long[] sh = a.getLongs(IntegerOps.SHIFT);
        long[] beta = a.getLongs(IntegerOps.BIAS_CODES);
        String mode = a.getString(IntegerOps.ROUNDING, "half-up");
        long[] y = new long[x.ints().length];
        for (int row = 0; row < y.length / d; row++) {
            long s1 = 0;
            long s2 = 0;
            for (int j = 0; j < d; j++) {
                long v = x.at(row * d + j) - zx;
                s1 += v;
                s2 = Math.addExact(s2, v * v);
            }
            long variance = Math.addExact(Math.subtractExact(Math.multiplyExact(d, s2), s1 * s1),
                    a.getLong(IntegerOps.EPS_CODES, 0));
            long sd = isqrt(Math.multiplyExact(variance, 1L << (2 * k)));
            for (int j = 0; j < d; j++) {
                long centered = d * (x.at(row * d + j) - zx) - s1;
                long r = Math.floorDiv(Math.multiplyExact(centered, 1L << (k + f)), sd);
                long acc = Math.addExact(Math.multiplyExact(r, m[j]), beta[j]);
                y[row * d + j] = clampTo(n, a.getLong(IntegerOps.Y_ZERO_POINT, 0)
                        + divideByPowerOfTwo(acc, (int) sh[j], mode));
            }
        }
        return new Result(DType.INT32, x.shape(), y, null);
    }

    private static Result gelu(Node n, Result x) {
        Epilogue epilogue = Epilogue.of(n);
        Attributes a = n.attributes();
        int axis = Math.floorMod(a.getInt(IntegerOps.Y_AXIS, -1), x.shape().length);
        long[] mx = a.getLongs(IntegerOps.X_MULTIPLIER);
        long[] sx = a.getLongs(IntegerOps.X_SHIFT);
        long one = 1L << a.getInt(IntegerOps.FRAC_BITS, 0);
        long erfA = a.getLong(IntegerOps.ERF_A, 0);
        long erfB = a.getLong(IntegerOps.ERF_B, 0);
        long[] y = new long[x.ints().length];
        for (int i = 0; i < y.length; i++) {
            int c = mx.length == 1 ? 0 : channelOf(i, x.shape(), axis);
            long xf = divideByPowerOfTwo(Math.multiplyExact(x.at(i) - a.getLong(IntegerOps.X_ZERO_POINT, 0), mx[c]),
                    (int) sx[c], "half-up");
            long u = Math.min(Math.floorDiv(Math.multiplyExact(Math.abs(xf), a.getLong(IntegerOps.INV_SQRT2_Q16, 0)),
                    1L << 16), erfB);
            long erf = one - Math.floorDiv(Math.multiplyExact(erfA, (erfB - u) * (erfB - u)), one * one);
            long signedErf = xf > 0 ? erf : xf < 0 ? -erf : 0;
            long g = Math.floorDiv(Math.multiplyExact(xf, one + signedErf), 2 * one);
            y[i] = epilogue.apply(g, 0);
        }
        return new Result(DType.INT32, x.shape(), y, null);
    }
}
