package io.t2c.io.tensorfile;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.t2c.tensor.Shapes;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header mapping each tensor name to its dtype,
 * shape and byte range, then the raw little-endian data.
 *
 * <p>Readable dtypes: F32 F16 BF16 F64 I8 U8 I16 I32 I64 BOOL; F16, BF16 and F64 are converted to FLOAT32 on read.
 * The whole header is validated before any tensor is allocated: header length against the file size, each shape
 * against its byte range, and the byte ranges tiling the data section exactly (in bounds, no overlap, no gap), as the
 * reference implementation requires. Tensors are then streamed from the file one at a time, so memory holds only the
 * tensors themselves; {@link #readHeader} and {@link #readTensor} let a caller load a large file piece by piece.
 *
 * <p>{@link #write} is deterministic: the header lists tensors in the map's iteration order, the data section stores
 * them by decreasing element size (stable), so with the header padded to 8 bytes every tensor is naturally aligned.
 */
public final class SafeTensors {
    /** The reference implementation's limit; a larger header is corrupt or hostile. */
    private static final long MAX_HEADER_BYTES = 100_000_000;
    private static final String METADATA = "__metadata__";
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private SafeTensors() {}

    /** One tensor's header entry; {@code begin} and {@code end} are absolute file offsets. */
    public record Entry(String name, String dtype, int[] shape, long begin, long end) {}

    /** A validated header: entries in header order and the {@code __metadata__} map (empty when absent). */
    public record Header(Map<String, Entry> entries, Map<String, String> metadata) {}

    /** All tensors (header order) and the {@code __metadata__} map. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {}

    /** Reads all tensors, in header order. */
    public static Map<String, Tensor> read(Path file) {
        return readWithMetadata(file).tensors();
    }

    /** Reads all tensors and the metadata. */
    public static Contents readWithMetadata(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Header h = header(ch);
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (Entry e : h.entries().values()) {
                out.put(e.name(), tensor(ch, e));
            }
            return new Contents(Collections.unmodifiableMap(out), h.metadata());
        } catch (IOException | T2cException e) {
            throw failure(file, e);
        }
    }

    /** Reads and validates only the header. */
    public static Header readHeader(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return header(ch);
        } catch (IOException | T2cException e) {
            throw failure(file, e);
        }
    }

    /** Reads one tensor described by an entry of {@link #readHeader}{@code (file)}. */
    public static Tensor readTensor(Path file, Entry entry) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return tensor(ch, entry);
        } catch (IOException | T2cException e) {
            throw failure(file, e);
        }
    }

    /** Writes tensors without metadata. */
    public static void write(Path file, Map<String, Tensor> tensors) {
        write(file, tensors, Map.of());
    }

    /** Writes tensors and a string metadata map (stored as {@code __metadata__} when not empty). */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        if (tensors.containsKey(METADATA)) {
            throw new T2cException(file + ": cannot write a tensor named " + METADATA + ", the name is reserved");
        }
        // Data order: larger elements first, so that every tensor starts at a multiple of its element size.
        List<String> dataOrder = new ArrayList<>(tensors.keySet());
        dataOrder.sort(Comparator.comparingInt((String k) -> -tensors.get(k).dtype().byteSize()));
        Map<String, long[]> offsets = new LinkedHashMap<>();
        long at = 0;
        for (String k : dataOrder) {
            Tensor t = tensors.get(k);
            long len = (long) t.size() * t.dtype().byteSize();
            offsets.put(k, new long[] {at, at + len});
            at += len;
        }
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject(METADATA);
            metadata.forEach(meta::put);
        }
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            ObjectNode n = root.putObject(e.getKey());
            n.put("dtype", ElementType.of(e.getValue().dtype()).name());
            ArrayNode shape = n.putArray("shape");
            for (int d : e.getValue().shape()) {
                shape.add(d);
            }
            long[] o = offsets.get(e.getKey());
            n.putArray("data_offsets").add(o[0]).add(o[1]);
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new T2cException(file + ": cannot encode the header: " + e.getOriginalMessage(), e);
        }
        // Pad with spaces (valid JSON whitespace) so the data section starts at a multiple of 8.
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            head.flip();
            while (head.hasRemaining()) {
                ch.write(head);
            }
            for (String k : dataOrder) {
                Tensor t = tensors.get(k);
                ElementType.of(t.dtype()).write(ch, ByteOrder.LITTLE_ENDIAN, t.data(), t.size());
            }
        } catch (IOException e) {
            throw new T2cException(file + ": cannot write: " + e, e);
        }
    }

    // ---- reading ----

    private static Tensor tensor(FileChannel ch, Entry e) throws IOException {
        ElementType type = ElementType.valueOf(e.dtype());
        ch.position(e.begin());
        int numel = Shapes.numel(e.shape());
        return Tensor.wrap(type.dtype, type.read(ch, ByteOrder.LITTLE_ENDIAN, numel), e.shape());
    }

    /** Reads and validates the header: the one place where a file's structure is checked. */
    private static Header header(FileChannel ch) throws IOException {
        long fileSize = ch.size();
        if (fileSize < 8) {
            throw new T2cException("not a safetensors file: only " + fileSize + " bytes");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        ch.read(lenBuf, 0);
        long headerLen = lenBuf.getLong(0);
        if (headerLen < 2 || headerLen > fileSize - 8 || headerLen > MAX_HEADER_BYTES) {
            throw new T2cException("not a safetensors file or truncated: header length "
                    + Long.toUnsignedString(headerLen)
                    + " does not fit in the file of " + fileSize + " bytes");
        }
        ByteBuffer json = ByteBuffer.allocate((int) headerLen);
        while (json.hasRemaining()) {
            if (ch.read(json, 8 + json.position()) < 0) {
                throw new T2cException("truncated inside the header");
            }
        }
        JsonNode root;
        try {
            root = JSON.readTree(json.array());
        } catch (IOException e) {
            throw new T2cException("the header is not valid JSON: " + oneLine(e.getMessage()), e);
        }
        if (root == null || !root.isObject()) {
            throw new T2cException("the header is not a JSON object");
        }
        long dataStart = 8 + headerLen;
        long dataSize = fileSize - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> f : root.properties()) {
            String name = f.getKey();
            JsonNode n = f.getValue();
            if (name.equals(METADATA)) {
                if (!n.isObject()) {
                    throw new T2cException(METADATA + " must be an object of strings");
                }
                for (Map.Entry<String, JsonNode> m : n.properties()) {
                    if (!m.getValue().isTextual()) {
                        throw new T2cException(METADATA + " value '" + m.getKey() + "' is not a string");
                    }
                    metadata.put(m.getKey(), m.getValue().textValue());
                }
                continue;
            }
            entries.put(name, entry(name, n, dataStart, dataSize));
        }
        // The byte ranges, in file order, must tile the data section: start at 0, no overlap, no gap, reach the end.
        List<Entry> byOffset = new ArrayList<>(entries.values());
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = dataStart;
        for (Entry e : byOffset) {
            if (e.begin() < expected) {
                throw new T2cException("tensor '" + e.name() + "' bytes [" + (e.begin() - dataStart) + ", "
                        + (e.end() - dataStart) + ") overlap the previous tensor, which ends at "
                        + (expected - dataStart));
            }
            if (e.begin() > expected) {
                throw new T2cException("tensor '" + e.name() + "' starts at byte " + (e.begin() - dataStart)
                        + " leaving a gap after byte " + (expected - dataStart));
            }
            expected = e.end();
        }
        if (expected != fileSize) {
            throw new T2cException("the tensors cover " + (expected - dataStart) + " bytes but the data section has "
                    + dataSize + " bytes");
        }
        return new Header(Collections.unmodifiableMap(entries), Collections.unmodifiableMap(metadata));
    }

    private static Entry entry(String name, JsonNode n, long dataStart, long dataSize) {
        String where = "tensor '" + name + "'";
        if (!n.isObject() || !n.path("dtype").isTextual() || !n.path("shape").isArray()
                || !n.path("data_offsets").isArray() || n.path("data_offsets").size() != 2) {
            throw new T2cException(where + ": expected {\"dtype\": ..., \"shape\": [...],"
                    + " \"data_offsets\": [begin, end]}, got " + abbreviate(n.toString()));
        }
        String dtype = n.get("dtype").textValue();
        ElementType type;
        try {
            type = ElementType.valueOf(dtype);
        } catch (IllegalArgumentException e) {
            throw new T2cException(where + ": dtype " + dtype + " is not supported (supported: "
                    + Arrays.toString(ElementType.values()) + ")");
        }
        long[] dims = new long[n.get("shape").size()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = nonNegativeLong(n.get("shape").get(i), where + " shape");
        }
        int[] shape;
        try {
            shape = ElementType.toShape(dims);
        } catch (T2cException e) {
            throw new T2cException(where + ": " + e.getMessage());
        }
        long begin = nonNegativeLong(n.get("data_offsets").get(0), where + " data_offsets");
        long end = nonNegativeLong(n.get("data_offsets").get(1), where + " data_offsets");
        if (begin > end || end > dataSize) {
            throw new T2cException(where + ": data_offsets [" + begin + ", " + end
                    + "] lie outside the data section of " + dataSize + " bytes"
                    + (end > dataSize ? " (is the file truncated?)" : ""));
        }
        long need = type.bytesFor(Shapes.numel(shape));
        if (end - begin != need) {
            throw new T2cException(where + ": shape " + Arrays.toString(shape) + " of " + dtype + " needs " + need
                    + " bytes but data_offsets [" + begin + ", " + end + "] hold " + (end - begin));
        }
        return new Entry(name, dtype, shape, dataStart + begin, dataStart + end);
    }

    private static long nonNegativeLong(JsonNode v, String what) {
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
            throw new T2cException(what + " must hold non-negative integers, got " + v);
        }
        return v.longValue();
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }

    private static T2cException failure(Path file, Exception e) {
        if (e instanceof T2cException t) {
            return new T2cException(file + ": " + t.getMessage(), t);
        }
        if (e instanceof java.io.EOFException) {
            return new T2cException(file + ": truncated: " + e.getMessage(), e);
        }
        return new T2cException(file + ": cannot read: " + e, e);
    }
}
