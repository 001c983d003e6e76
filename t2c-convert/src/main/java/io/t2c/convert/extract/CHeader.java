package io.t2c.convert.extract;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The C99 header of one op: every tensor as {@code static const <container>_t <prefix>_<role>[]} (row-major), its
 * shape, bit width and zero point as {@code #define <PREFIX>_<ROLE>_...}, and every integer attribute of the op
 * (multipliers, shifts, zero points, clamp bounds, strides, pads...) as {@code #define <PREFIX>_OP_<NAME>} or
 * {@code static const int64_t <prefix>_op_<name>[]}.
 */
final class CHeader {
    private CHeader() {}

    /** A C identifier from a filesystem-safe op folder name. */
    static String identifier(String dir) {
        return "t2c_" + dir.replaceAll("[^A-Za-z0-9_]", "_");
    }

    static String render(String opName, String opType, String prefix, Map<String, Object> attributes,
                         List<ExtractedTensor> tensors) {
        String up = prefix.toUpperCase(Locale.ROOT);
        StringBuilder sb = new StringBuilder();
        sb.append("/* t2c extract: op \"").append(opName.replace("*/", "* /")).append("\" (").append(opType)
                .append("); row-major arrays, docs/FORMATS.md. Generated, do not edit. */\n");
        sb.append("#ifndef ").append(up).append("_H\n#define ").append(up).append("_H\n#include <stdint.h>\n\n");
        attributes.forEach((name, v) -> {
            // The OP_ namespace keeps attributes (acc_bits) apart from tensor properties (ACC_BITS of tensor acc).
            String id = up + "_OP_" + name.toUpperCase(Locale.ROOT);
            switch (v) {
                case Long l -> sb.append("#define ").append(id).append(' ').append(literal(l, 64)).append('\n');
                case String s -> sb.append("#define ").append(id).append(" \"").append(s.replace("\"", "'"))
                        .append("\"\n");
                case long[] a -> {
                    sb.append("#define ").append(id).append("_COUNT ").append(a.length).append('\n');
                    array(sb, "int64_t", prefix + "_op_" + name, a, 64);
                }
                default -> { } // float metadata (scales) lives in manifest.json: C testbenches need integers only
            }
        });
        for (ExtractedTensor t : tensors) {
            String id = up + "_" + t.role().toUpperCase(Locale.ROOT);
            sb.append('\n').append("#define ").append(id).append("_BITS ").append(t.type().bits()).append('\n');
            sb.append("#define ").append(id).append("_SIGNED ").append(t.type().signed() ? 1 : 0).append('\n');
            sb.append("#define ").append(id).append("_RANK ").append(t.shape().length).append('\n');
            for (int d = 0; d < t.shape().length; d++) {
                sb.append("#define ").append(id).append("_DIM").append(d).append(' ').append(t.shape()[d]).append('\n');
            }
            sb.append("#define ").append(id).append("_SIZE ").append(t.values().length).append('\n');
            if (t.zeroPoint() != null && t.zeroPoint().length == 1) {
                sb.append("#define ").append(id).append("_ZERO_POINT ").append(literal(t.zeroPoint()[0], 64))
                        .append('\n');
            }
            array(sb, t.type().storageName() + "_t", prefix + "_" + t.role(), t.values(), t.type().storageBits());
        }
        sb.append("\n#endif\n");
        return sb.toString();
    }

    private static void array(StringBuilder sb, String cType, String name, long[] values, int storageBits) {
        sb.append("static const ").append(cType).append(' ').append(name).append("[] = {");
        for (int i = 0; i < values.length; i++) {
            sb.append(i % 16 == 0 ? "\n    " : " ").append(literal(values[i], storageBits));
            if (i + 1 < values.length) {
                sb.append(',');
            }
        }
        if (values.length == 0) {
            sb.append("0"); // C forbids empty initializers; an empty tensor has SIZE 0
        }
        sb.append("\n};\n");
    }

    /** A literal of the right type: 64-bit values through INT64_C (and the minimum spelled so it parses). */
    private static String literal(long v, int storageBits) {
        if (storageBits < 64) {
            return Long.toString(v);
        }
        return v == Long.MIN_VALUE ? "(-INT64_C(9223372036854775807) - 1)" : "INT64_C(" + v + ")";
    }
}
