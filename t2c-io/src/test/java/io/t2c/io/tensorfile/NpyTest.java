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
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@Timeout(30)
class NpyTest {
    @TempDir
    Path tmp;

    private static Tensor fixture(String name) {
        return Npy.read(resource("npy/" + name));
    }

    // ---- files written by numpy (see src/test/python/make_tensorfile_fixtures.py) ----

    @Test
    void readsNumpyFilesOfEveryDtype() {
        assertTensorEquals(Tensor.of(new float[] {-1, -0.5f, 0, 0.5f, 1, 1.5f}, 2, 3), fixture("f4_2x3.npy"), "f4");
        assertTensorEquals(Tensor.of(new float[] {1.5f, -2.25f, 1e-3f}, 3), fixture("f8_3.npy"), "f8 -> f32");
        assertTensorEquals(Tensor.of(new float[] {0.5f, -1f, 65504f, Float.float16ToFloat(Float.floatToFloat16(1e-4f))},
                4), fixture("f2_4.npy"), "f2 -> f32");
        assertTensorEquals(Tensor.ofBytes(DType.INT8, new byte[] {-128, -1, 0, 127}, 4), fixture("i1_4.npy"), "i1");
        assertTensorEquals(Tensor.ofBytes(DType.UINT8, new byte[] {0, 1, (byte) 128, (byte) 255}, 4),
                fixture("u1_4.npy"), "u1");
        assertTensorEquals(Tensor.ofShorts(new short[] {-32768, 7, 32767}, 3), fixture("i2_3.npy"), "i2");
        assertTensorEquals(Tensor.ofInts(new int[] {Integer.MIN_VALUE, -1, 0, Integer.MAX_VALUE}, 2, 2),
                fixture("i4_2x2.npy"), "i4");
        assertTensorEquals(Tensor.ofLongs(new long[] {Long.MIN_VALUE, 42, Long.MAX_VALUE}, 3), fixture("i8_3.npy"),
                "i8");
        assertTensorEquals(Tensor.ofBytes(DType.BOOL, new byte[] {1, 0, 1, 1, 0}, 5), fixture("b1_5.npy"), "b1");
    }

    @Test
    void readsScalarEmptyBigEndianAndNewerVersions() {
        assertTensorEquals(Tensor.scalar(3.25f), fixture("scalar_f4.npy"), "rank 0");
        assertTensorEquals(Tensor.zeros(DType.FLOAT32, 0, 3), fixture("empty_0x3_f4.npy"), "empty");
        assertTensorEquals(Tensor.ofInts(new int[] {1, -2, 300, -40000}, 2, 2), fixture("be_i4_2x2.npy"), ">i4");
        assertTensorEquals(Tensor.of(new float[] {0.25f, -8f}, 2), fixture("be_f8_2.npy"), ">f8");
        assertTensorEquals(Tensor.of(new float[] {1, 2, 3}, 3), fixture("v2_f4_3.npy"), "version 2.0");
        assertTensorEquals(Tensor.of(new float[] {1, 2, 3}, 3), fixture("v3_f4_3.npy"), "version 3.0");
    }

    @Test
    void transposesFortranOrder() {
        float[] expected = new float[24];
        for (int i = 0; i < 24; i++) {
            expected[i] = i;
        }
        assertTensorEquals(Tensor.of(expected, 2, 3, 4), fixture("fortran_f4_2x3x4.npy"), "fortran");
    }

    @Test
    void readsNpzStoredAndCompressed() {
        Map<String, Tensor> m = Npy.readNpz(resource("npy/arrays.npz"));
        assertEquals(List.of("a", "b"), List.copyOf(m.keySet()));
        assertTensorEquals(Tensor.ofLongs(new long[] {0, 1, 2, 3}, 4), m.get("a"), "a");
        assertTensorEquals(Tensor.of(new float[] {1, 1, 1, 1}, 2, 2), m.get("b"), "b");
        Map<String, Tensor> z = Npy.readNpz(resource("npy/compressed.npz"));
        assertTensorEquals(Tensor.zeros(DType.FLOAT32, 100), z.get("z"), "z");
    }

    // ---- round trips ----

    @ParameterizedTest
    @EnumSource(DType.class)
    void roundTripsEveryDtypeAndShape(DType dtype) {
        Random rnd = new Random(42 + dtype.ordinal());
        for (int[] shape : Fixtures.SHAPES) {
            Tensor t = Fixtures.random(dtype, rnd, shape);
            Path f = tmp.resolve(dtype + "_" + shape.length + ".npy");
            Npy.write(f, t);
            assertTensorEquals(t, Npy.read(f), dtype + " " + Arrays.toString(shape));
        }
    }

    @Test
    void roundTripsAcrossStreamingChunks() {
        Tensor t = Fixtures.random(DType.INT64, new Random(7), 3, 100_001); // 2.4 MB, several 1 MiB chunks
        Path f = tmp.resolve("big.npy");
        Npy.write(f, t);
        assertTensorEquals(t, Npy.read(f), "big");
    }

    @Test
    void writesTheSameBytesAsNumpy() throws IOException {
        for (String name : List.of("f4_2x3.npy", "i1_4.npy", "u1_4.npy", "i2_3.npy", "i4_2x2.npy", "i8_3.npy",
                "b1_5.npy", "scalar_f4.npy", "empty_0x3_f4.npy")) {
            Path f = tmp.resolve(name);
            Npy.write(f, fixture(name));
            assertArrayEquals(Files.readAllBytes(resource("npy/" + name)), Files.readAllBytes(f), name);
        }
    }

    // ---- hostile and broken files ----

    /** A file with the given header dict text and {@code dataBytes} zero bytes of data. */
    private Path npy(String name, String dict, int dataBytes) throws IOException {
        byte[] h = (dict + "\n").getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(10 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) h.length).put(h);
        Path f = tmp.resolve(name);
        Files.write(f, b.array());
        return f;
    }

    @Test
    void refusesAbsurdShapesBeforeAllocating() throws IOException {
        Path huge = npy("huge.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }", 16);
        assertFails(() -> Npy.read(huge), huge.toString(), "more than");
        // 10^9 elements fit in an array but not in a 64-byte file: refused as truncated, not allocated.
        Path big = npy("big.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 10000), }", 64);
        assertFails(() -> Npy.read(big), big.toString(), "truncated", "4000000000 bytes");
        Path overflow = npy("overflow.npy",
                "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 0), }", 0);
        assertFails(() -> Npy.read(overflow), "invalid dimension");
        Path negative = npy("neg.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 2), }", 8);
        assertFails(() -> Npy.read(negative), "invalid dimension -1");
    }

    @Test
    void refusesTruncatedData() throws IOException {
        Path f = tmp.resolve("t.npy");
        Npy.write(f, Tensor.of(new float[10], 10));
        byte[] b = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(b, b.length - 3));
        assertFails(() -> Npy.read(f), f.toString(), "truncated", "40 bytes", "37 bytes");
        Files.write(f, Arrays.copyOf(b, 40)); // cut inside the header
        assertFails(() -> Npy.read(f), f.toString(), "header length");
    }

    @Test
    void refusesMalformedHeaders() throws IOException {
        assertFails(() -> Npy.read(npy("a.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3}", 24)),
                "malformed header");
        assertFails(() -> Npy.read(npy("b.npy", "{'descr': '<f4', 'shape': (2,), }", 8)),
                "malformed header", "fortran_order");
        assertFails(() -> Npy.read(npy("c.npy", "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", 16)),
                "dtype '|O' is not supported");
        assertFails(() -> Npy.read(npy("d.npy", "{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (1,), }",
                4)), "structured dtype");
        assertFails(() -> Npy.read(npy("e.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': "
                + "(".repeat(5000) + ")".repeat(5000) + ", }", 4)), "malformed header", "nested too deeply");
        assertFails(() -> Npy.read(npy("f.npy", "__import__('os').system('echo hi')", 0)), "malformed header");
        assertFails(() -> Npy.read(npy("g.npy", "{'descr': '<u8', 'fortran_order': False, 'shape': (1,), }", 8)),
                "dtype '<u8' is not supported", "f8 f4 f2");
    }

    @Test
    void refusesForeignFiles() throws IOException {
        Path random = tmp.resolve("random.npy");
        byte[] junk = new byte[1000];
        new Random(1).nextBytes(junk);
        Files.write(random, junk);
        assertFails(() -> Npy.read(random), random.toString(), "not a .npy file");
        Path empty = Files.write(tmp.resolve("empty.npy"), new byte[0]);
        assertFails(() -> Npy.read(empty), "not a .npy file");
        assertFails(() -> Npy.read(tmp.resolve("missing.npy")), "missing.npy", "cannot read");
        Path badVersion = tmp.resolve("v9.npy");
        Files.write(badVersion, new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 9, 0, 0, 0, 0, 0});
        assertFails(() -> Npy.read(badVersion), "version 9.0");
        assertFails(() -> Npy.readNpz(random), random.toString(), "zip");
    }
}
