package io.t2c.io.tensorfile;

import static io.t2c.io.tensorfile.Fixtures.assertFails;
import static io.t2c.io.tensorfile.Fixtures.assertTensorEquals;
import static io.t2c.io.tensorfile.Fixtures.resource;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class SafeTensorsTest {
    @TempDir
    Path tmp;

    @Test
    void readsAFileWrittenByPython() {
        Path f = resource("safetensors/mixed.safetensors");
        SafeTensors.Contents c = SafeTensors.readWithMetadata(f);
        assertEquals(Map.of("format", "pt", "source", "python"), c.metadata());
        // Header order, which the script made the data order: element size descending, then name.
        assertEquals(List.of("d", "i64", "empty", "i32", "scalar", "w", "bf", "h", "i16", "b", "i8", "u8"),
                List.copyOf(c.tensors().keySet()));
        Map<String, Tensor> t = c.tensors();
        assertTensorEquals(Tensor.of(new float[] {-1, -0.5f, 0, 0.5f, 1, 1.5f}, 2, 3), t.get("w"), "w");
        assertTensorEquals(Tensor.of(new float[] {1.5f, -2.25f}, 2), t.get("d"), "F64 -> F32");
        assertTensorEquals(Tensor.of(new float[] {0.5f, -1, 65504}, 3), t.get("h"), "F16 -> F32");
        // 3e38 rounds to the nearest bfloat16, 0x7F62 -> 2.9981e38.
        assertTensorEquals(Tensor.of(new float[] {1, -2.5f, Float.intBitsToFloat(0x7F620000)}, 3), t.get("bf"),
                "BF16 -> F32");
        assertTensorEquals(Tensor.ofLongs(new long[] {Long.MIN_VALUE, 5}, 2), t.get("i64"), "I64");
        assertTensorEquals(Tensor.ofInts(new int[] {-7, 8}, 1, 2), t.get("i32"), "I32");
        assertTensorEquals(Tensor.ofShorts(new short[] {-300}, 1), t.get("i16"), "I16");
        assertTensorEquals(Tensor.ofBytes(DType.INT8, new byte[] {-128, 127}, 2), t.get("i8"), "I8");
        assertTensorEquals(Tensor.ofBytes(DType.UINT8, new byte[] {0, (byte) 200, (byte) 255}, 3), t.get("u8"), "U8");
        assertTensorEquals(Tensor.ofBytes(DType.BOOL, new byte[] {1, 0}, 2), t.get("b"), "BOOL");
        assertTensorEquals(Tensor.scalar(2.5f), t.get("scalar"), "rank 0");
        assertTensorEquals(Tensor.zeros(DType.FLOAT32, 0, 2), t.get("empty"), "empty");
    }

    @Test
    void readsHeaderAloneAndOneTensorAtATime() {
        Path f = resource("safetensors/mixed.safetensors");
        SafeTensors.Header h = SafeTensors.readHeader(f);
        SafeTensors.Entry w = h.entries().get("w");
        assertEquals("F32", w.dtype());
        assertArrayEquals(new int[] {2, 3}, w.shape());
        assertTensorEquals(SafeTensors.read(f).get("w"), SafeTensors.readTensor(f, w), "w");
    }

    @Test
    void roundTripsEveryDtypeAndShapeWithMetadata() {
        Random rnd = new Random(3);
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (DType t : DType.values()) {
            for (int[] shape : Fixtures.SHAPES) {
                in.put(t + Arrays.toString(shape), Fixtures.random(t, rnd, shape));
            }
        }
        Map<String, String> meta = Map.of("format", "t2c", "note", "ünïcødé");
        Path f = tmp.resolve("all.safetensors");
        SafeTensors.write(f, in, meta);
        SafeTensors.Contents out = SafeTensors.readWithMetadata(f);
        assertEquals(List.copyOf(in.keySet()), List.copyOf(out.tensors().keySet()), "order kept");
        in.forEach((k, v) -> assertTensorEquals(v, out.tensors().get(k), k));
        assertEquals(meta, out.metadata());
    }

    @Test
    void writesDeterministicAlignedFiles() throws IOException {
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("bytes", Tensor.ofBytes(DType.INT8, new byte[] {1, 2, 3}, 3));
        in.put("shorts", Tensor.ofShorts(new short[] {1}, 1));
        in.put("floats", Tensor.of(new float[] {1, 2, 3}, 3));
        in.put("longs", Tensor.ofLongs(new long[] {1, 2}, 2));
        Path a = tmp.resolve("a.safetensors");
        Path b = tmp.resolve("b.safetensors");
        SafeTensors.write(a, in, Map.of("k", "v"));
        SafeTensors.write(b, in, Map.of("k", "v"));
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        long headerLen = ByteBuffer.wrap(Files.readAllBytes(a)).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + headerLen) % 8, "data section starts 8-byte aligned");
        for (SafeTensors.Entry e : SafeTensors.readHeader(a).entries().values()) {
            assertEquals(0, e.begin() % ElementType.valueOf(e.dtype()).byteSize, e.name() + " naturally aligned");
        }
        assertEquals("{\"__metadata__\":{\"k\":\"v\"},"
                + "\"bytes\":{\"dtype\":\"I8\",\"shape\":[3],\"data_offsets\":[30,33]}",
                new String(Files.readAllBytes(a), 8, 83, StandardCharsets.UTF_8));
    }

    @Test
    void roundTripsAcrossStreamingChunks() {
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("a", Fixtures.random(DType.FLOAT32, new Random(5), 700, 500)); // 1.4 MB
        in.put("b", Fixtures.random(DType.INT8, new Random(6), 1_100_000));
        Path f = tmp.resolve("big.safetensors");
        SafeTensors.write(f, in);
        Map<String, Tensor> out = SafeTensors.read(f);
        in.forEach((k, v) -> assertTensorEquals(v, out.get(k), k));
    }

    @Test
    void writesAndReadsAnEmptyFile() {
        Path f = tmp.resolve("none.safetensors");
        SafeTensors.write(f, Map.of());
        assertEquals(Map.of(), SafeTensors.read(f));
    }

    // ---- hostile and broken files ----

    /** A file with the given JSON header and {@code dataBytes} zero bytes; {@code declared} overrides the length. */
    private Path file(String name, String json, int dataBytes, Long declared) throws IOException {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declared == null ? h.length : declared).put(h);
        Path f = tmp.resolve(name);
        Files.write(f, b.array());
        return f;
    }

    private Path file(String name, String json, int dataBytes) throws IOException {
        return file(name, json, dataBytes, null);
    }

    @Test
    void refusesHeaderLengthBeyondTheFile() throws IOException {
        Path f = file("long.safetensors", "{}", 0, 1L << 40);
        assertFails(() -> SafeTensors.read(f), f.toString(), "header length 1099511627776", "does not fit");
        Path neg = file("neg.safetensors", "{}", 0, -2L);
        assertFails(() -> SafeTensors.read(neg), "header length 18446744073709551614");
        Path tiny = Files.write(tmp.resolve("tiny.safetensors"), new byte[] {1, 2, 3});
        assertFails(() -> SafeTensors.read(tiny), "only 3 bytes");
    }

    @Test
    void refusesOverlappingGappedOrOutOfBoundsOffsets() throws IOException {
        Path overlap = file("overlap.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
        assertFails(() -> SafeTensors.read(overlap), overlap.toString(), "tensor 'b'", "overlap");
        Path gap = file("gap.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
        assertFails(() -> SafeTensors.read(gap), "gap");
        Path beyond = file("beyond.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8);
        assertFails(() -> SafeTensors.read(beyond), "outside the data section of 8 bytes", "truncated");
        Path trailing = file("trailing.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                8);
        assertFails(() -> SafeTensors.read(trailing), "cover 4 bytes but the data section has 8");
        Path reversed = file("rev.safetensors", "{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[4,0]}}", 4);
        assertFails(() -> SafeTensors.read(reversed), "outside the data section");
    }

    @Test
    void refusesAbsurdOrMismatchedShapes() throws IOException {
        Path huge = file("huge.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1000000,1000000],\"data_offsets\":[0,8]}}", 8);
        assertFails(() -> SafeTensors.read(huge), "tensor 'a'", "more than");
        Path mismatch = file("mismatch.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8);
        assertFails(() -> SafeTensors.read(mismatch), "shape [3] of F32 needs 12 bytes", "hold 8");
        Path negative = file("negative.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8);
        assertFails(() -> SafeTensors.read(negative), "shape must hold non-negative integers");
        Path fractional = file("frac.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8);
        assertFails(() -> SafeTensors.read(fractional), "non-negative integers");
    }

    @Test
    void refusesMalformedHeaders() throws IOException {
        assertFails(() -> SafeTensors.read(file("json.safetensors", "{\"a\": [", 0)), "not valid JSON");
        assertFails(() -> SafeTensors.read(file("arr.safetensors", "[1, 2]", 0)), "not a JSON object");
        assertFails(() -> SafeTensors.read(file("dtype.safetensors",
                "{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1)),
                "dtype F8_E4M3 is not supported");
        assertFails(() -> SafeTensors.read(file("dup.safetensors",
                "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                        + "\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", 2)), "Duplicate field 'a'");
        assertFails(() -> SafeTensors.read(file("meta.safetensors", "{\"__metadata__\":{\"n\":3}}", 0)),
                "__metadata__ value 'n' is not a string");
        assertFails(() -> SafeTensors.read(file("fields.safetensors", "{\"a\":{\"dtype\":\"U8\"}}", 0)),
                "tensor 'a'", "expected {\"dtype\"");
        assertFails(() -> SafeTensors.read(file("trail.safetensors", "{} {}", 0)), "not valid JSON");
    }

    @Test
    void refusesRandomBytesAndTruncation() throws IOException {
        Path random = tmp.resolve("random.safetensors");
        byte[] junk = new byte[4096];
        new Random(9).nextBytes(junk);
        Files.write(random, junk);
        assertFails(() -> SafeTensors.read(random), random.toString());
        byte[] good = Files.readAllBytes(resource("safetensors/mixed.safetensors"));
        Path cut = Files.write(tmp.resolve("cut.safetensors"), Arrays.copyOf(good, good.length - 5));
        assertFails(() -> SafeTensors.read(cut), cut.toString(), "truncated");
        Path cutHeader = Files.write(tmp.resolve("cuth.safetensors"), Arrays.copyOf(good, 100));
        assertFails(() -> SafeTensors.read(cutHeader), "does not fit in the file of 100 bytes");
    }
}
