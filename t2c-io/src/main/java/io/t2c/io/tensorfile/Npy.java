package io.t2c.io.tensorfile;

import io.t2c.tensor.Shapes;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0) and {@code .npz} archives of them.
 *
 * <p>Readable element types: {@code f8 f4 f2 i1 u1 i2 i4 i8 b1}, little- or big-endian. float64 and float16 are
 * converted to FLOAT32 on read (float64 loses precision). Fortran-ordered arrays are transposed into row-major order.
 * Object arrays, strings and structured dtypes are refused, so reading never runs pickled code. Header, shape and
 * file size are all checked before the tensor is allocated; any problem is a {@link T2cException} naming the file.
 *
 * <p>{@link #write} writes format 1.0 (2.0 if the header needs it), little-endian, C order, with the header padded
 * to a multiple of 64 bytes as NumPy does.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** NumPy itself refuses headers over 10 000 bytes by default; allow more, but bound it. */
    private static final int MAX_HEADER_BYTES = 1 << 20;
    private static final String SUPPORTED = "f8 f4 f2 i1 u1 i2 i4 i8 b1";

    private Npy() {}

    /** Reads one {@code .npy} file. */
    public static Tensor read(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return read(ch, ch.size());
        } catch (IOException | T2cException e) {
            throw failure(file.toString(), e);
        }
    }

    /**
     * Reads every {@code name.npy} entry of an {@code .npz} archive (as written by {@code numpy.savez} or
     * {@code savez_compressed}) into a map from {@code name} to tensor, in archive order.
     */
    public static Map<String, Tensor> readNpz(Path file) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        String entryName = null;
        try (ZipFile zip = new ZipFile(file.toFile())) {
            long fileSize = java.nio.file.Files.size(file);
            for (ZipEntry e : Collections.list(zip.entries())) {
                if (e.isDirectory() || !e.getName().endsWith(".npy")) {
                    continue;
                }
                entryName = e.getName();
                long size = Zips.checkedSize(e, fileSize);
                Tensor t = Zips.read(zip, e, in -> read(Channels.newChannel(in), size));
                out.put(entryName.substring(0, entryName.length() - 4), t);
            }
            return out;
        } catch (ZipException e) {
            throw new T2cException(file + ": not a readable .npz (zip) archive: " + e.getMessage(), e);
        } catch (IOException | T2cException e) {
            throw failure(entryName == null ? file.toString() : file + " entry " + entryName, e);
        }
    }

    /** Writes {@code t} as a little-endian, C-order {@code .npy} file. */
    public static void write(Path file, Tensor t) {
        ElementType type = ElementType.of(t.dtype());
        byte[] header = header(descr(type), t.shape());
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.wrap(header));
            type.write(ch, ByteOrder.LITTLE_ENDIAN, t.data(), t.size());
        } catch (IOException e) {
            throw new T2cException(file + ": cannot write: " + e, e);
        }
    }

    // ---- reading ----

    /** Reads an array from {@code in}, which holds exactly {@code size} bytes of .npy (fewer if truncated). */
    private static Tensor read(ReadableByteChannel in, long size) throws IOException {
        // Validation, all of it before the tensor's array is allocated.
        if (size < 10) {
            throw new T2cException("not a .npy file: only " + size + " bytes");
        }
        ByteBuffer pre = readFully(in, 8, "preamble");
        byte[] magic = new byte[6];
        pre.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new T2cException("not a .npy file: it does not start with \\x93NUMPY");
        }
        int major = pre.get() & 0xFF;
        int minor = pre.get() & 0xFF;
        if (major < 1 || major > 3) {
            throw new T2cException("unsupported .npy format version " + major + "." + minor + " (1.0 to 3.0 are)");
        }
        int lenBytes = major == 1 ? 2 : 4;
        long headerLen = major == 1
                ? readFully(in, 2, "header length").getShort() & 0xFFFF
                : readFully(in, 4, "header length").getInt() & 0xFFFFFFFFL;
        long dataStart = 8 + lenBytes + headerLen;
        if (headerLen > MAX_HEADER_BYTES || dataStart > size) {
            throw new T2cException("header length " + headerLen + " exceeds the file size " + size
                    + (headerLen > MAX_HEADER_BYTES ? " or the limit of " + MAX_HEADER_BYTES + " bytes" : ""));
        }
        ByteBuffer h = readFully(in, (int) headerLen, "header");
        // Version 3.0 allows UTF-8 (for field names); earlier versions are latin-1.
        String text = new String(h.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Header header = parseHeader(text);
        int[] shape = ElementType.toShape(header.dims);
        long numel = Shapes.numel(shape);
        long need = header.type.bytesFor(numel);
        if (size - dataStart < need) {
            throw new T2cException("truncated: the header declares shape " + Arrays.toString(shape) + " of "
                    + header.descr + " (" + need + " bytes of data) but only " + (size - dataStart)
                    + " bytes follow the header");
        }
        Object data = header.type.read(in, header.order, (int) numel);
        if (!header.fortranOrder || shape.length < 2) {
            return Tensor.wrap(header.type.dtype, data, shape);
        }
        // Fortran order: element (i0, i1, ...) sits at i0 + i1*d0 + i2*d0*d1 + ...; gather it into row-major order.
        long[] stride = new long[shape.length];
        long s = 1;
        for (int i = 0; i < shape.length; i++) {
            stride[i] = s;
            s *= shape[i];
        }
        return Tensor.wrap(header.type.dtype, ElementType.gather(header.type.dtype, data, shape, stride, 0), shape);
    }

    private record Header(String descr, ElementType type, ByteOrder order, boolean fortranOrder, long[] dims) {}

    /** Parses the header dict, e.g. {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }}. */
    private static Header parseHeader(String text) {
        Object parsed;
        try {
            parsed = new Literal(text.strip()).parseAll();
        } catch (IllegalArgumentException e) {
            throw new T2cException("malformed header (" + e.getMessage() + "): " + abbreviate(text));
        }
        if (!(parsed instanceof Map<?, ?> map)) {
            throw new T2cException("malformed header, expected a dict: " + abbreviate(text));
        }
        for (String key : List.of("descr", "fortran_order", "shape")) {
            if (!map.containsKey(key)) {
                throw new T2cException("malformed header, no '" + key + "' key: " + abbreviate(text));
            }
        }
        if (!(map.get("descr") instanceof String descr)) {
            throw new T2cException("dtype " + map.get("descr") + " is a structured dtype, which is not supported"
                    + " (supported: " + SUPPORTED + ")");
        }
        if (!(map.get("fortran_order") instanceof Boolean fortran)) {
            throw new T2cException("malformed header, 'fortran_order' must be True or False: " + abbreviate(text));
        }
        if (!(map.get("shape") instanceof List<?> dimList)) {
            throw new T2cException("malformed header, 'shape' must be a tuple: " + abbreviate(text));
        }
        long[] dims = new long[dimList.size()];
        for (int i = 0; i < dims.length; i++) {
            if (!(dimList.get(i) instanceof Long d)) {
                throw new T2cException("malformed header, 'shape' must hold integers: " + abbreviate(text));
            }
            dims[i] = d;
        }
        ElementType type = elementType(descr);
        ByteOrder order = switch (descr.charAt(0)) {
            case '>' -> ByteOrder.BIG_ENDIAN;
            case '=' -> ByteOrder.nativeOrder();
            default -> ByteOrder.LITTLE_ENDIAN; // '<', and '|' which only 1-byte types carry
        };
        return new Header(descr, type, order, fortran, dims);
    }

    private static ElementType elementType(String descr) {
        if (descr.length() >= 2 && "<>|=".indexOf(descr.charAt(0)) >= 0) {
            ElementType t = switch (descr.substring(1)) {
                case "f8" -> ElementType.F64;
                case "f4" -> ElementType.F32;
                case "f2" -> ElementType.F16;
                case "i8" -> ElementType.I64;
                case "i4" -> ElementType.I32;
                case "i2" -> ElementType.I16;
                case "i1" -> ElementType.I8;
                case "u1" -> ElementType.U8;
                case "b1" -> ElementType.BOOL;
                default -> null;
            };
            if (t != null && (descr.charAt(0) != '|' || t.byteSize == 1)) {
                return t;
            }
        }
        throw new T2cException("dtype '" + descr + "' is not supported (supported: " + SUPPORTED
                + ", little- or big-endian)");
    }

    private static ByteBuffer readFully(ReadableByteChannel in, int n, String what) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (in.read(b) < 0) {
                throw new T2cException("truncated: the file ends inside the " + what);
            }
        }
        return b.flip();
    }

    private static String abbreviate(String s) {
        String t = s.strip();
        return t.length() <= 200 ? t : t.substring(0, 200) + "...";
    }

    /** Prefixes the file name; I/O errors mid-data (a file that shrank, a bad zip entry) read as truncation. */
    private static T2cException failure(String source, Exception e) {
        if (e instanceof T2cException t) {
            return new T2cException(source + ": " + t.getMessage(), t);
        }
        if (e instanceof java.io.EOFException) {
            return new T2cException(source + ": truncated: " + e.getMessage(), e);
        }
        return new T2cException(source + ": cannot read: " + e, e);
    }

    // ---- writing ----

    private static String descr(ElementType t) {
        return switch (t) {
            case F32 -> "<f4";
            case I64 -> "<i8";
            case I32 -> "<i4";
            case I16 -> "<i2";
            case I8 -> "|i1";
            case U8 -> "|u1";
            case BOOL -> "|b1";
            case F64, F16, BF16 -> throw new IllegalStateException("not written: " + t);
        };
    }

    /** Magic, version, length and the padded dict, ending in '\n' at a multiple of 64 bytes. */
    static byte[] header(String descr, int[] shape) {
        StringBuilder dims = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            dims.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        dims.append(shape.length == 1 ? ",)" : ")");
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + dims + ", }";
        int major = dict.length() + 1 + 10 <= 0xFFFF ? 1 : 2;
        int pre = major == 1 ? 10 : 12;
        int total = (pre + dict.length() + 1 + 63) / 64 * 64;
        String padded = dict + " ".repeat(total - pre - dict.length() - 1) + "\n";
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) major).put((byte) 0);
        if (major == 1) {
            b.putShort((short) padded.length());
        } else {
            b.putInt(padded.length());
        }
        b.put(padded.getBytes(StandardCharsets.ISO_8859_1));
        return b.array();
    }

    /**
     * A strict parser for the Python literals a .npy header uses: dicts, tuples, lists, quoted strings, integers,
     * True, False and None. No evaluation of any kind.
     */
    private static final class Literal {
        private final String s;
        private int pos;
        private int depth;

        Literal(String s) {
            this.s = s;
        }

        Object parseAll() {
            Object v = value();
            skipSpace();
            if (pos != s.length()) {
                throw new IllegalArgumentException("unexpected text at character " + pos);
            }
            return v;
        }

        private Object value() {
            // Real headers nest two levels; a bound keeps hostile input from exhausting the stack.
            if (++depth > 16) {
                throw new IllegalArgumentException("nested too deeply");
            }
            Object v = value0();
            depth--;
            return v;
        }

        private Object value0() {
            skipSpace();
            if (pos >= s.length()) {
                throw new IllegalArgumentException("unexpected end");
            }
            char c = s.charAt(pos);
            return switch (c) {
                case '{' -> dict();
                case '(' -> sequence('(', ')');
                case '[' -> sequence('[', ']');
                case '\'', '"' -> string();
                default -> c == '-' || Character.isDigit(c) ? integer() : word();
            };
        }

        private Map<Object, Object> dict() {
            Map<Object, Object> m = new LinkedHashMap<>();
            pos++;
            while (true) {
                skipSpace();
                if (peek() == '}') {
                    pos++;
                    return m;
                }
                Object k = value();
                expect(':');
                m.put(k, value());
                skipSpace();
                if (peek() == ',') {
                    pos++;
                } else if (peek() != '}') {
                    throw new IllegalArgumentException("expected ',' or '}' at character " + pos);
                }
            }
        }

        private List<Object> sequence(char open, char close) {
            List<Object> l = new ArrayList<>();
            pos++;
            while (true) {
                skipSpace();
                if (peek() == close) {
                    pos++;
                    return l;
                }
                l.add(value());
                skipSpace();
                if (peek() == ',') {
                    pos++;
                } else if (peek() != close) {
                    throw new IllegalArgumentException("expected ',' or '" + close + "' at character " + pos);
                }
            }
        }

        private String string() {
            char quote = s.charAt(pos++);
            int end = s.indexOf(quote, pos);
            if (end < 0) {
                throw new IllegalArgumentException("unterminated string");
            }
            String v = s.substring(pos, end);
            if (v.indexOf('\\') >= 0) {
                throw new IllegalArgumentException("escapes in strings are not supported");
            }
            pos = end + 1;
            return v;
        }

        private Long integer() {
            int start = pos;
            if (peek() == '-') {
                pos++;
            }
            while (pos < s.length() && Character.isDigit(s.charAt(pos))) {
                pos++;
            }
            // Python 2 era headers may write 3L.
            String digits = s.substring(start, pos);
            if (peek() == 'L') {
                pos++;
            }
            try {
                return Long.parseLong(digits);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad or too large integer '" + digits + "'");
            }
        }

        private Object word() {
            for (String w : List.of("True", "False", "None")) {
                if (s.startsWith(w, pos)) {
                    pos += w.length();
                    return w.equals("None") ? null : Boolean.valueOf(w.equals("True"));
                }
            }
            throw new IllegalArgumentException("unexpected character '" + s.charAt(pos) + "' at " + pos);
        }

        private void expect(char c) {
            skipSpace();
            if (peek() != c) {
                throw new IllegalArgumentException("expected '" + c + "' at character " + pos);
            }
            pos++;
        }

        private char peek() {
            return pos < s.length() ? s.charAt(pos) : '\0';
        }

        private void skipSpace() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }
    }
}
