package io.t2c.io.tensorfile;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Builds pickle bytes opcode by opcode and torch-style zip archives around them, for hostile-input tests. */
final class TorchFiles {
    private TorchFiles() {}

    /** Pickle bytes written one opcode at a time; method names follow the opcodes. */
    static final class Pickle {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Pickle op(int... bytes) {
            for (int b : bytes) {
                out.write(b);
            }
            return this;
        }

        Pickle proto(int p) {
            return op(0x80, p);
        }

        Pickle global(String module, String name) {
            op('c');
            out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
            return this;
        }

        Pickle str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            op('X').le(b.length, 4);
            out.writeBytes(b);
            return this;
        }

        Pickle shortStr(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            op(0x8c, b.length);
            out.writeBytes(b);
            return this;
        }

        /** LONG1 with 8 bytes: any long. */
        Pickle integer(long v) {
            return op(0x8a, 8).le(v, 8);
        }

        Pickle le(long v, int n) {
            for (int i = 0; i < n; i++) {
                out.write((int) (v >>> (8 * i)) & 0xFF);
            }
            return this;
        }

        Pickle mark() {
            return op('(');
        }

        Pickle tuple() {
            return op('t');
        }

        Pickle longs(long... v) {
            mark();
            for (long x : v) {
                integer(x);
            }
            return tuple();
        }

        /** A torch {@code _rebuild_tensor_v2} call on storage {@code key}, as torch.save writes it. */
        Pickle tensor(String storageType, String key, long numel, long offset, long[] size, long[] stride) {
            global("torch._utils", "_rebuild_tensor_v2").mark();
            mark().str("storage").global("torch", storageType).str(key).str("cpu").integer(numel).tuple().op('Q');
            integer(offset).longs(size).longs(stride).op(0x89);
            global("collections", "OrderedDict").op(')', 'R');
            return tuple().op('R');
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    /** A zip laid out as torch.save does: {@code archive/data.pkl} and {@code archive/data/<key>}, all stored. */
    static Path zip(Path file, byte[] pickle, Map<String, byte[]> storages, Map<String, byte[]> extra)
            throws IOException {
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(os)) {
            put(zip, "archive/data.pkl", pickle);
            for (Map.Entry<String, byte[]> e : storages.entrySet()) {
                put(zip, "archive/data/" + e.getKey(), e.getValue());
            }
            for (Map.Entry<String, byte[]> e : extra.entrySet()) {
                put(zip, "archive/" + e.getKey(), e.getValue());
            }
        }
        return file;
    }

    private static void put(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }
}
