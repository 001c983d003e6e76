package io.t2c.convert.extract;

import io.t2c.tensor.T2cException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The per-tensor file formats of extraction (docs/FORMATS.md, "Test vectors"). Values are row-major (C order) in
 * every format: {@code npy} (v1.0, little-endian, the type's container dtype), {@code hex} (one value per line, two's
 * complement at the type's own bit width, ceil(bits/4) digits, for Verilog {@code $readmemh}) and {@code bin} (the
 * npy payload alone). The C header is per op, see {@link CHeader}.
 */
public enum TensorFormat {
    // Declaration order is the self-check's order of preference for reading a tensor back.
    NPY("npy"), BIN("bin"), HEX("hex");

    private static final byte[] NPY_MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern NPY_HEADER = Pattern.compile(
            "'descr':\\s*'([^']+)'.*'fortran_order':\\s*(True|False).*'shape':\\s*\\(([^)]*)\\)");

    private final String extension;

    TensorFormat(String extension) {
        this.extension = extension;
    }

    public String extension() {
        return extension;
    }

    /** Writes values (row-major, of the given shape) as {@code type}; a value outside the type is an error. */
    public void write(Path file, String tensor, long[] values, int[] shape, IntType type) throws IOException {
        for (long v : values) {
            type.check(tensor, v);
        }
        switch (this) {
            case NPY -> Files.write(file, concat(npyHeader(shape, type), payload(values, type)));
            case BIN -> Files.write(file, payload(values, type));
            case HEX -> Files.writeString(file, hex(values, type), StandardCharsets.US_ASCII);
        }
    }

    /** Reads back {@code count} values written as {@code type}; npy also checks its dtype and shape. */
    public long[] read(Path file, int[] shape, IntType type) throws IOException {
        int count = Math.toIntExact(Arrays.stream(shape).asLongStream().reduce(1, Math::multiplyExact));
        return switch (this) {
            case NPY -> {
                byte[] all = Files.readAllBytes(file);
                int headerEnd = checkNpyHeader(file, all, shape, type);
                yield fromPayload(file, Arrays.copyOfRange(all, headerEnd, all.length), count, type);
            }
            case BIN -> fromPayload(file, Files.readAllBytes(file), count, type);
            case HEX -> fromHex(file, Files.readAllLines(file, StandardCharsets.US_ASCII), count, type);
        };
    }

    public static TensorFormat parse(String name) {
        for (TensorFormat f : values()) {
            if (f.extension.equals(name)) {
                return f;
            }
        }
        throw new T2cException("unknown tensor format '" + name + "'; choose from npy, hex, bin, c");
    }

    private static byte[] payload(long[] values, IntType type) {
        int bytes = type.storageBits() / 8;
        ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(values.length, bytes)).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            switch (bytes) {
                case 1 -> b.put((byte) v);
                case 2 -> b.putShort((short) v);
                case 4 -> b.putInt((int) v);
                default -> b.putLong(v);
            }
        }
        return b.array();
    }

    private static long[] fromPayload(Path file, byte[] data, int count, IntType type) {
        int bytes = type.storageBits() / 8;
        if (data.length != (long) count * bytes) {
            throw new T2cException(file + ": " + data.length + " bytes, expected " + count + " values of " + bytes
                    + " bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        long[] out = new long[count];
        for (int i = 0; i < count; i++) {
            out[i] = switch (bytes) {
                case 1 -> type.signed() ? b.get() : Byte.toUnsignedLong(b.get());
                case 2 -> type.signed() ? b.getShort() : Short.toUnsignedLong(b.getShort());
                case 4 -> type.signed() ? b.getInt() : Integer.toUnsignedLong(b.getInt());
                default -> b.getLong();
            };
        }
        return out;
    }

    private static String hex(long[] values, IntType type) {
        long mask = type.bits() == 64 ? -1L : (1L << type.bits()) - 1;
        String pattern = "%0" + type.hexDigits() + "x\n";
        StringBuilder sb = new StringBuilder(values.length * (type.hexDigits() + 1));
        for (long v : values) {
            sb.append(String.format(Locale.ROOT, pattern, v & mask));
        }
        return sb.toString();
    }

    private static long[] fromHex(Path file, List<String> lines, int count, IntType type) {
        if (lines.size() != count) {
            throw new T2cException(file + ": " + lines.size() + " lines, expected " + count + " values");
        }
        long[] out = new long[count];
        int bits = type.bits();
        for (int i = 0; i < count; i++) {
            long raw = Long.parseUnsignedLong(lines.get(i).trim(), 16);
            // Sign-extend from the tensor's own width: the file holds two's complement at `bits`, not at 64.
            out[i] = type.signed() && bits < 64 ? raw << (64 - bits) >> (64 - bits) : raw;
        }
        return out;
    }

    private static byte[] npyHeader(int[] shape, IntType type) {
        StringBuilder dims = new StringBuilder();
        for (int d : shape) {
            dims.append(d).append(", ");
        }
        String shapeText = shape.length == 1 ? "(" + shape[0] + ",)" : "(" + (shape.length == 0 ? "" : dims.substring(0,
                dims.length() - 2)) + ")";
        String dict = "{'descr': '" + type.npyDescr() + "', 'fortran_order': False, 'shape': " + shapeText + ", }";
        int unpadded = NPY_MAGIC.length + 4 + dict.length() + 1;
        String header = dict + " ".repeat((64 - unpadded % 64) % 64) + "\n"; // total header length: a multiple of 64
        byte[] h = header.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(NPY_MAGIC.length + 4 + h.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(NPY_MAGIC).put((byte) 1).put((byte) 0).putShort((short) h.length).put(h);
        return b.array();
    }

    /** Validates magic, version, dtype and shape; returns where the payload starts. */
    private static int checkNpyHeader(Path file, byte[] all, int[] shape, IntType type) {
        if (all.length < 10 || !Arrays.equals(Arrays.copyOf(all, 6), NPY_MAGIC) || all[6] != 1) {
            throw new T2cException(file + ": not an npy v1.0 file");
        }
        int len = (all[8] & 0xff) | (all[9] & 0xff) << 8;
        if (10 + len > all.length) {
            throw new T2cException(file + ": truncated npy header");
        }
        String header = new String(all, 10, len, StandardCharsets.US_ASCII);
        Matcher m = NPY_HEADER.matcher(header);
        if (!m.find() || !m.group(1).equals(type.npyDescr()) || m.group(2).equals("True")) {
            throw new T2cException(file + ": npy header " + header.trim() + " does not match " + type.npyDescr()
                    + " in C order");
        }
        List<Integer> dims = new ArrayList<>();
        for (String d : m.group(3).split(",")) {
            if (!d.isBlank()) {
                dims.add(Integer.parseInt(d.trim()));
            }
        }
        if (!dims.equals(Arrays.stream(shape).boxed().toList())) {
            throw new T2cException(file + ": shape " + dims + ", the manifest says " + Arrays.toString(shape));
        }
        return 10 + len;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
