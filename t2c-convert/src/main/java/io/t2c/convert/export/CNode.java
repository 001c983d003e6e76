package io.t2c.convert.export;

import io.t2c.convert.IntegerOps;
import io.t2c.graph.Attributes;
import io.t2c.graph.Node;
import io.t2c.graph.TensorInfo;
import io.t2c.quant.Rounding;
import io.t2c.tensor.T2cException;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;

/**
 * What an op emitter needs to write one node as one C function: the node, its function name, the C expression of
 * each input (a parameter for a computed value, the name of a {@code static const} array for a constant), shapes,
 * and helpers for the node's parameters. Parameter arrays are written straight to the file (they come before the
 * function); the function body is collected here and written by {@link CModel} after its signature.
 */
final class CNode {
    final Node node;
    final String fn;
    final Attributes a;
    private final CSource file;
    private final Map<String, TensorInfo> infos;
    private final Function<Integer, String> inputs;
    private final StringBuilder body = new StringBuilder();
    private int indent = 1;

    CNode(Node node, String fn, CSource file, Map<String, TensorInfo> infos, Function<Integer, String> inputs) {
        this.node = node;
        this.fn = fn;
        this.a = node.attributes();
        this.file = file;
        this.infos = infos;
        this.inputs = inputs;
    }

    /** The C expression of input {@code i}: a pointer parameter or a constant array. */
    String in(int i) {
        return inputs.apply(i);
    }

    int inputCount() {
        return node.inputs().size();
    }

    int[] inShape(int i) {
        return infos.get(node.input(i)).shape();
    }

    int[] outShape() {
        return infos.get(node.output(0)).shape();
    }

    TensorInfo inInfo(int i) {
        return infos.get(node.input(i));
    }

    TensorInfo outInfo() {
        return infos.get(node.output(0));
    }

    String outType() {
        return CSource.type(outInfo().dtype());
    }

    static int size(int[] shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    T2cException error(String what) {
        return new T2cException("node " + node.label() + ": " + what);
    }

    // ---- the body -------------------------------------------------------------------------------------------

    CNode line(String s) {
        body.append("    ".repeat(indent)).append(s).append('\n');
        return this;
    }

    /** A line ending in "{", indenting what follows until {@link #close}. */
    CNode open(String s) {
        line(s + " {");
        indent++;
        return this;
    }

    CNode close() {
        indent--;
        return line("}");
    }

    /** {@code for (int v = 0; v < n; v++) {} } */
    CNode loop(String v, long n) {
        return open("for (int " + v + " = 0; " + v + " < " + n + "; " + v + "++)");
    }

    String body() {
        return body.toString();
    }

    // ---- parameters -----------------------------------------------------------------------------------------

    /** A per-channel (or single) parameter: a literal when all values are equal, else a const array indexed by c. */
    final class Param {
        private final String array;
        private final long single;

        private Param(String array, long single) {
            this.array = array;
            this.single = single;
        }

        String at(String index) {
            return array == null ? CSource.lit(single) : array + "[" + index + "]";
        }

        boolean perChannel() {
            return array != null;
        }

        /** The value shared by all channels (only when not {@link #perChannel}). */
        long single() {
            return single;
        }
    }

    Param param(String what, long[] values) {
        if (values == null || values.length == 0) {
            throw error("attribute " + what + " is missing");
        }
        boolean uniform = Arrays.stream(values).allMatch(v -> v == values[0]);
        if (uniform) {
            return new Param(null, values[0]);
        }
        String name = fn + "_" + what;
        file.array(node.name() + ": " + what, name, values);
        return new Param(name, 0);
    }

    /** A const double array of exact hexadecimal literals (per-channel dequantization scales). */
    void doubles(String what, double[] values) {
        file.line("/* " + CNames.comment(node.name() + ": " + what) + " */");
        file.print("static const double " + fn + "_" + what + "[" + values.length + "] = {");
        for (int i = 0; i < values.length; i++) {
            file.print(i % 8 == 0 ? "\n    " : " ").print(CSource.lit(values[i]) + (i < values.length - 1 ? "," : ""));
        }
        file.line("\n};");
    }

    long[] longs(String attribute) {
        long[] v = a.getLongs(attribute);
        if (v == null) {
            throw error("attribute " + attribute + " is missing");
        }
        return v;
    }

    /** The rounding mode of the node's requantization ({@code rounding}, default half-up as in the reference). */
    String rounding() {
        return CRuntime.suffix(Rounding.parse(a.getString(IntegerOps.ROUNDING, "half-up")));
    }

    /** The requantization epilogue, set up once per node: multiplier and shift per channel, zero point, clamp. */
    final class Requant {
        private final Param m;
        private final Param s;
        private final String mode;

        private Requant() {
            long[] mult = longs(IntegerOps.MULTIPLIER);
            long[] shift = longs(IntegerOps.SHIFT);
            if (mult.length != shift.length) {
                throw error("multiplier and shift have different lengths");
            }
            m = param("multiplier", mult);
            s = param("shift", shift);
            mode = rounding();
        }

        /** clamp(zy + roundShift(value·M_c, s_c), lo, hi) as a C int64_t expression. */
        String of(String value, String channel) {
            return "t2c_requant_" + mode + "(" + value + ", " + m.at(channel) + ", " + s.at(channel) + ", "
                    + CSource.lit(a.getLong(IntegerOps.Y_ZERO_POINT, 0)) + ", "
                    + CSource.lit(a.getLong(IntegerOps.Y_MIN, 0)) + ", " + CSource.lit(a.getLong(IntegerOps.Y_MAX, 0))
                    + ")";
        }

        boolean perChannel() {
            return m.perChannel() || s.perChannel();
        }
    }

    /** The node's requantization, or null when it outputs its raw accumulator (no multiplier). */
    Requant requant() {
        return a.has(IntegerOps.MULTIPLIER) ? new Requant() : null;
    }

    /** C expression of the channel of flat index {@code i} along {@code axis} of {@code shape}. */
    static String channelOf(String i, int[] shape, int axis) {
        int inner = 1;
        for (int d = axis + 1; d < shape.length; d++) {
            inner *= shape[d];
        }
        String outer = inner == 1 ? i : "(" + i + " / " + inner + ")";
        return shape[axis] == 1 ? "0" : outer + " % " + shape[axis];
    }

    /** {@code v * k} without the noise of {@code * 1}. */
    static String times(String v, long k) {
        return k == 1 ? v : v + " * " + k;
    }

    /** {@code v + k} / {@code v - |k|} without the noise of {@code + 0}. */
    static String plus(String v, long k) {
        return k == 0 ? v : k > 0 ? v + " + " + k : v + " - " + (-k);
    }

    /** {@code ((int64_t)x - z)}: a code minus its zero point, in 64 bits. */
    static String centered(String x, long zeroPoint) {
        return zeroPoint == 0 ? "(int64_t)" + x : "((int64_t)" + x + (zeroPoint > 0 ? " - " + CSource.lit(zeroPoint)
                : " + " + CSource.lit(-zeroPoint)) + ")";
    }
}
