package io.t2c.convert.export;

import io.t2c.convert.IntegerOps;
import io.t2c.quant.Rounding;

/**
 * C for the ops that quantize, rescale or pool without weights: IntQuantize (float to codes, in double with the
 * quantizer's rounding), IntDequantize (codes or accumulators to float: one double product, then one rounding to
 * float, as Java's {@code (float)((q − zp)·Δ)}), IntRequantize, IntAdd (per-operand multipliers, one rounding),
 * IntConcat (each operand rescaled to the output spec), IntAveragePool (one multiplier per divisor), IntMaxPool and
 * IntLut (an 8-bit non-linearity as a table: entry i is the output code of input code x_min + i).
 */
final class CRescaleOps {
    private CRescaleOps() {}

    static void quantize(CNode c) {
        Rounding mode = Rounding.parse(c.a.getString(IntegerOps.ROUNDING, "half-even"));
        String x = c.in(0);
        c.loop("i", CNode.size(c.inShape(0)));
        c.line("double v = (double)" + x + "[i] / " + CSource.lit(c.a.getDouble(IntegerOps.SCALE, 1)) + ";");
        c.line("double q = t2c_round_double_" + CRuntime.suffix(mode) + "(v) + "
                + CSource.lit((double) c.a.getLong(IntegerOps.ZERO_POINT, 0)) + ";");
        c.line("y[i] = t2c_code_of_double(q, " + CSource.lit((double) c.a.getLong(IntegerOps.Y_MIN, 0)) + ", "
                + CSource.lit((double) c.a.getLong(IntegerOps.Y_MAX, 0)) + ");");
        c.close();
    }

    static void dequantize(CNode c) {
        double[] scale = c.a.getDoubles(IntegerOps.SCALE);
        if (scale == null || scale.length == 0) {
            throw c.error("attribute scale is missing");
        }
        int[] s = c.inShape(0);
        int axis = Math.floorMod(c.a.getInt(IntegerOps.Y_AXIS, 1), s.length);
        long zp = c.a.getLong(IntegerOps.ZERO_POINT, 0);
        String x = c.in(0);
        String factor;
        if (scale.length == 1) {
            factor = CSource.lit(scale[0]);
        } else {
            c.doubles("scale", scale);
            factor = c.fn + "_scale[" + CNode.channelOf("i", s, axis) + "]";
        }
        c.loop("i", CNode.size(s));
        c.line("y[i] = (float)((double)(" + CNode.centered(x + "[i]", zp) + ") * " + factor + ");");
        c.close();
    }

    static void requantize(CNode c) {
        int[] s = c.inShape(0);
        int axis = Math.floorMod(c.a.getInt(IntegerOps.Y_AXIS, 1), s.length);
        CNode.Requant rq = c.requant();
        String x = c.in(0);
        c.loop("i", CNode.size(s));
        c.line("y[i] = (" + c.outType() + ")" + rq.of(CNode.centered(x + "[i]", c.a.getLong(IntegerOps.X_ZERO_POINT, 0)),
                rq.perChannel() ? CNode.channelOf("i", s, axis) : "0") + ";");
        c.close();
    }

    static void lookup(CNode c) {
        long lo = c.a.getLong(IntegerOps.X_MIN, 0);
        int size = CNode.size(c.inShape(0));
        String x = c.in(0);
        CLinearOps.checkCodes(c, x, size);
        c.loop("i", size);
        c.line("y[i] = (" + c.outType() + ")" + c.in(1) + "[" + x + "[i] - " + CSource.lit(lo) + "];");
        c.close();
    }

    static void add(CNode c) {
        int[] s = c.inShape(0);
        int bSize = CNode.size(c.inShape(1));
        int axis = Math.floorMod(c.a.getInt(IntegerOps.Y_AXIS, 1), s.length);
        long[] maValues = c.longs(IntegerOps.A_MULTIPLIER);
        CNode.Param ma = c.param("a_multiplier", maValues);
        CNode.Param mb = c.param("b_multiplier", c.longs(IntegerOps.B_MULTIPLIER));
        CNode.Requant rq = c.requant();
        String a = c.in(0);
        String b = c.in(1);
        // The reference takes one channel index for both multipliers and the requantization, per channel only when
        // the a-multiplier array has more than one entry.
        String channel = maValues.length == 1 ? "0" : CNode.channelOf("i", s, axis);
        int size = CNode.size(s);
        boolean perChannel = ma.perChannel() || mb.perChannel() || rq.perChannel();
        c.loop("i", size);
        if (perChannel) {
            c.line("int c = " + channel + ";");
        }
        c.line("int64_t sum = " + CNode.centered(a + "[i]", c.a.getLong(IntegerOps.X_ZERO_POINT, 0)) + " * "
                + ma.at(perChannel ? "c" : "0") + " + " + CNode.centered(b + (bSize == size ? "[i]" : "[i % " + bSize + "]"),
                c.a.getLong(IntegerOps.B_ZERO_POINT, 0)) + " * " + mb.at(perChannel ? "c" : "0") + ";");
        c.line("y[i] = (" + c.outType() + ")" + rq.of("sum", perChannel ? "c" : "0") + ";");
        c.close();
    }

    static void concat(CNode c) {
        int[] ys = c.outShape();
        int axis = Math.floorMod(c.a.getInt("axis", 0), ys.length);
        int inner = 1;
        for (int d = axis + 1; d < ys.length; d++) {
            inner *= ys[d];
        }
        int outer = CNode.size(ys) / (inner * ys[axis]);
        long[] zx = c.longs(IntegerOps.X_ZERO_POINTS);
        long[] channels = c.longs(IntegerOps.X_CHANNELS);
        CNode.Requant rq = c.requant();
        int start = 0;
        long before = 0;
        for (int i = 0; i < c.inputCount(); i++) {
            int width = c.inShape(i)[axis];
            String x = c.in(i);
            c.line("/* operand " + i + ": " + CNames.comment(c.node.input(i)) + ", positions " + start + ".."
                    + (start + width - 1) + " along axis " + axis + " */");
            c.loop("o", outer);
            c.loop("k", width);
            c.loop("e", inner);
            String channel = channels[i] > 1 ? CNode.plus("k", before) : CSource.lit(before);
            c.line("y[(o * " + ys[axis] + " + " + CNode.plus("k", start) + ") * " + inner + " + e] = (" + c.outType()
                    + ")" + rq.of(CNode.centered(x + "[(o * " + width + " + k) * " + inner + " + e]", zx[i]), channel)
                    + ";");
            c.close().close().close();
            start += width;
            before += channels[i];
        }
    }

    static void pool(CNode c, boolean max) {
        int[] s = c.inShape(0);
        if (s.length != 4) {
            throw c.error("only 2-D pooling (rank-4 input) has a C form");
        }
        boolean global = c.a.getInt("global", 0) != 0;
        int[] k = global ? new int[] {s[2], s[3]} : c.a.getInts("kernel_shape", null);
        int[] st = global ? new int[] {1, 1} : c.a.getInts("strides", new int[] {1, 1});
        int[] pad = global ? new int[4] : c.a.getInts("pads", new int[4]);
        int[] dil = global ? new int[] {1, 1} : c.a.getInts("dilations", new int[] {1, 1});
        int[] ys = c.outShape();
        int oh = ys[2];
        int ow = ys[3];
        long zx = c.a.getLong(IntegerOps.X_ZERO_POINT, 0);
        boolean includePad = c.a.getInt("count_include_pad", 0) != 0;
        boolean perChannel = c.a.getInt(IntegerOps.POOL_PER_CHANNEL, 0) != 0;
        CNode.Requant rq = max ? null : c.requant();
        String x = c.in(0);
        c.loop("plane", (long) s[0] * s[1]);
        c.loop("oy", oh);
        c.loop("ox", ow);
        c.line(max ? "int64_t best = INT64_MIN;" : "int64_t sum = 0;");
        if (!max && !includePad) {
            c.line("int inside = 0;");
        }
        c.loop("ky", k[0]);
        c.loop("kx", k[1]);
        c.line("int iy = " + CNode.plus(CNode.times("oy", st[0]), -pad[0]) + " + " + CNode.times("ky", dil[0]) + ";");
        c.line("int ix = " + CNode.plus(CNode.times("ox", st[1]), -pad[1]) + " + " + CNode.times("kx", dil[1]) + ";");
        c.open("if (iy >= 0 && iy < " + s[2] + " && ix >= 0 && ix < " + s[3] + ")");
        String v = x + "[(plane * " + s[2] + " + iy) * " + s[3] + " + ix]";
        if (max) {
            c.open("if (" + v + " > best)");
            c.line("best = " + v + ";");
            c.close();
        } else {
            c.line("sum += " + CNode.centered(v, zx) + ";");
            if (!includePad) {
                c.line("inside++;");
            }
        }
        c.close().close().close();
        String at = "(plane * " + oh + " + oy) * " + ow + " + ox";
        if (max) {
            c.line("y[" + at + "] = (" + c.outType() + ")best;");
        } else {
            int taps = k[0] * k[1];
            String divisor = includePad ? Integer.toString(taps) : "inside";
            String index = perChannel ? "(plane % " + s[1] + ") * " + (taps + 1) + " + " + divisor : divisor;
            c.line("y[" + at + "] = (" + c.outType() + ")" + rq.of("sum", index) + "; /* M, s of the divisor */");
        }
        c.close().close().close();
    }
}
