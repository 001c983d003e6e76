package io.t2c.convert.export;

import io.t2c.convert.IntegerOps;

/**
 * C for the multiplying ops: IntConv (groups and depthwise), IntGemm (linear layer, weight [N, K]) and IntMatMul
 * (two activations). Direct loops as in the reference: {@code acc = b + Σ (x − zx)(w − zw)} in int64_t (products of
 * codes minus zero points, exact), then the width check of a 32-bit layer ({@code acc_bits 32}: the sum must fit
 * int32, the same value an int32 accumulator would hold, or the function returns T2C_ERR_OVERFLOW), then the
 * requantization or the raw accumulator.
 */
final class CLinearOps {
    private CLinearOps() {}

    /** The input-code range check of the reference (codes outside [x_min, x_max] are an error). */
    static void checkCodes(CNode c, String x, int size) {
        c.loop("i", size);
        c.open("if (" + x + "[i] < " + CSource.lit(c.a.getLong(IntegerOps.X_MIN, Long.MIN_VALUE)) + " || " + x
                + "[i] > " + CSource.lit(c.a.getLong(IntegerOps.X_MAX, Long.MAX_VALUE)) + ")");
        c.line("return T2C_ERR_INPUT_RANGE;");
        c.close();
        c.close();
    }

    /** The end of one output element: width check, then y = requantized or raw accumulator. */
    static void finish(CNode c, CNode.Requant rq, String at, String channel) {
        if (c.a.getInt(IntegerOps.ACC_BITS, 32) == 32) {
            c.open("if (acc < INT32_MIN || acc > INT32_MAX)");
            c.line("return T2C_ERR_OVERFLOW; /* a 32-bit accumulator would overflow */");
            c.close();
        }
        c.line("y[" + at + "] = (" + c.outType() + ")" + (rq == null ? "acc" : rq.of("acc", channel)) + ";");
    }

    /** {@code (w − zw_c)} in 64 bits, the zero point a literal when it is one for all channels. */
    static String weight(String w, CNode.Param zw, String channel) {
        return zw.perChannel() ? "((int64_t)" + w + " - " + zw.at(channel) + ")"
                : CNode.centered(w, zw.single());
    }

    static void conv(CNode c) {
        int[] xs = c.inShape(0);
        int[] ws = c.inShape(1);
        if (xs.length != 4 || ws.length != 4 || xs[0] != 1) {
            throw c.error("the C export runs one sample of a 2-D convolution; input shape "
                    + java.util.Arrays.toString(xs));
        }
        int group = c.a.getInt("group", 1);
        int[] st = c.a.getInts("strides", new int[] {1, 1});
        int[] pad = c.a.getInts("pads", new int[4]);
        int[] dil = c.a.getInts("dilations", new int[] {1, 1});
        int h = xs[2];
        int w = xs[3];
        int cout = ws[0];
        int cg = ws[1];
        int kh = ws[2];
        int kw = ws[3];
        int[] ys = c.outShape();
        int oh = ys[2];
        int ow = ys[3];
        CNode.Param zw = c.param("w_zero_point", c.longs(IntegerOps.W_ZERO_POINT));
        CNode.Requant rq = c.requant();
        String x = c.in(0);
        String wt = c.in(1);
        String bias = c.inputCount() > 2 && !c.node.input(2).isEmpty() ? c.in(2) : null;
        long zx = c.a.getLong(IntegerOps.X_ZERO_POINT, 0);
        checkCodes(c, x, CNode.size(xs));
        c.loop("co", cout);
        String firstChannel = group == 1 ? "" : "(co / " + cout / group + ") * " + cg;
        c.loop("oy", oh);
        c.loop("ox", ow);
        c.line("int64_t acc = " + (bias == null ? "0" : bias + "[co]") + ";");
        c.loop("ci", cg);
        c.loop("ky", kh);
        c.line("int iy = " + CNode.plus(CNode.times("oy", st[0]), -pad[0]) + " + " + CNode.times("ky", dil[0]) + ";");
        c.loop("kx", kw);
        c.line("int ix = " + CNode.plus(CNode.times("ox", st[1]), -pad[1]) + " + " + CNode.times("kx", dil[1]) + ";");
        c.open("if (iy < 0 || iy >= " + h + " || ix < 0 || ix >= " + w + ")");
        c.line("continue; /* padding holds the zero point: adds nothing */");
        c.close();
        String channel = firstChannel.isEmpty() ? "ci" : "(" + firstChannel + " + ci)";
        c.line("acc += " + CNode.centered(x + "[(" + channel + " * " + h + " + iy) * " + w + " + ix]", zx) + " * "
                + weight(wt + "[((" + CNode.times("co", cg) + " + ci) * " + kh + " + ky) * " + kw + " + kx]", zw, "co")
                + ";");
        c.close().close().close();
        finish(c, rq, "(co * " + oh + " + oy) * " + ow + " + ox", "co");
        c.close().close().close();
    }

    static void gemm(CNode c) {
        int[] ws = c.inShape(1);
        int outF = ws[0];
        int inF = ws[1];
        int rows = CNode.size(c.inShape(0)) / inF;
        CNode.Param zw = c.param("w_zero_point", c.longs(IntegerOps.W_ZERO_POINT));
        CNode.Requant rq = c.requant();
        String x = c.in(0);
        String wt = c.in(1);
        String bias = c.inputCount() > 2 && !c.node.input(2).isEmpty() ? c.in(2) : null;
        long zx = c.a.getLong(IntegerOps.X_ZERO_POINT, 0);
        checkCodes(c, x, CNode.size(c.inShape(0)));
        c.loop("r", rows);
        c.loop("j", outF);
        c.line("int64_t acc = " + (bias == null ? "0" : bias + "[j]") + ";");
        c.loop("t", inF);
        c.line("acc += " + CNode.centered(x + "[r * " + inF + " + t]", zx) + " * "
                + weight(wt + "[j * " + inF + " + t]", zw, "j") + ";");
        c.close();
        finish(c, rq, "r * " + outF + " + j", "j");
        c.close().close();
    }

    static void matMul(CNode c) {
        int[] as = c.inShape(0);
        int[] bs = c.inShape(1);
        int m = as[as.length - 2];
        int k = as[as.length - 1];
        int cols = bs[bs.length - 1];
        int batches = CNode.size(as) / (m * k);
        CNode.Requant rq = c.requant();
        long za = c.a.getLong(IntegerOps.X_ZERO_POINT, 0);
        long zb = c.a.getLong(IntegerOps.B_ZERO_POINT, 0);
        String a = c.in(0);
        String b = c.in(1);
        c.loop("p", batches);
        c.loop("i", m);
        c.loop("j", cols);
        c.line("int64_t acc = 0;");
        c.loop("t", k);
        c.line("acc += " + CNode.centered(a + "[(p * " + m + " + i) * " + k + " + t]", za) + " * "
                + CNode.centered(b + "[(p * " + k + " + t) * " + cols + " + j]", zb) + ";");
        c.close();
        finish(c, rq, "(p * " + m + " + i) * " + cols + " + j", "0");
        c.close().close().close();
    }
}
