package io.t2c.convert.export;

import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;

/**
 * Text of one C file, written through to a (buffered) {@link Writer} so a model's weights stream out without being
 * held as one String: literals for integers and doubles, and {@code static const} arrays in the narrowest signed type
 * that holds their values.
 */
final class CSource {
    private static final int PER_LINE = 16;
    private final Writer out;

    CSource(Writer out) {
        this.out = out;
    }

    CSource print(String s) {
        try {
            out.write(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    CSource line(String s) {
        return print(s).print("\n");
    }

    /** An integer literal of the right C type: plain in int32 range, {@code INT64_C(v)} beyond, INT64_MIN spelt out. */
    static String lit(long v) {
        if (v >= Integer.MIN_VALUE + 1L && v <= Integer.MAX_VALUE) {
            return Long.toString(v);
        }
        return v == Long.MIN_VALUE ? "INT64_MIN" : "INT64_C(" + v + ")";
    }

    /** An exact double literal: C99 hexadecimal floating constant, the same bits as the Java double. */
    static String lit(double v) {
        if (!Double.isFinite(v)) {
            throw new T2cException("cannot write the non-finite constant " + v + " into C");
        }
        return Double.toHexString(v);
    }

    /** The narrowest of int8_t, int16_t, int32_t, int64_t holding every value. */
    static String narrowest(long[] values) {
        long min = 0;
        long max = 0;
        for (long v : values) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        return narrowest(min, max);
    }

    static String narrowest(long min, long max) {
        if (min >= Byte.MIN_VALUE && max <= Byte.MAX_VALUE) {
            return "int8_t";
        }
        if (min >= Short.MIN_VALUE && max <= Short.MAX_VALUE) {
            return "int16_t";
        }
        if (min >= Integer.MIN_VALUE && max <= Integer.MAX_VALUE) {
            return "int32_t";
        }
        return "int64_t";
    }

    /** The C element type of a computed value: codes and 32-bit accumulators int32_t, 64-bit ones int64_t. */
    static String type(DType t) {
        return switch (t) {
            case INT32 -> "int32_t";
            case INT64 -> "int64_t";
            case FLOAT32 -> "float";
            default -> throw new T2cException("the C export holds INT32, INT64 and FLOAT32 values, not " + t);
        };
    }

    /** {@code static const <narrowest> name[n] = {...};}, 16 values a line, with a one-line comment above. */
    void array(String comment, String name, long[] values) {
        String type = narrowest(values);
        line("/* " + CNames.comment(comment) + " */");
        print("static const " + type + " " + name + "[" + Math.max(1, values.length) + "] = {");
        for (int i = 0; i < values.length; i++) {
            print(i % PER_LINE == 0 ? "\n    " : " ");
            print(lit(values[i]));
            if (i < values.length - 1) {
                print(",");
            }
        }
        line(values.length == 0 ? "0};" : "\n};");
    }

    /** An integer tensor as {@link #array}, read element by element (no long[] copy of a large weight). */
    void array(String comment, String name, Tensor t) {
        if (t.dtype() == DType.FLOAT32) {
            throw new T2cException("constant " + comment + " is FLOAT32; the C export expects integer constants");
        }
        int n = t.size();
        long min = 0;
        long max = 0;
        for (int i = 0; i < n; i++) {
            long v = t.getLong(i);
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        line("/* " + CNames.comment(comment) + " */");
        print("static const " + narrowest(min, max) + " " + name + "[" + Math.max(1, n) + "] = {");
        for (int i = 0; i < n; i++) {
            print(i % PER_LINE == 0 ? "\n    " : " ");
            print(lit(t.getLong(i)));
            if (i < n - 1) {
                print(",");
            }
        }
        line(n == 0 ? "0};" : "\n};");
    }
}
