package io.t2c.io.tensorfile;

import static io.t2c.io.tensorfile.Fixtures.assertFails;
import static io.t2c.io.tensorfile.Fixtures.assertTensorEquals;
import static io.t2c.io.tensorfile.Fixtures.resource;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.io.tensorfile.TorchFiles.Pickle;
import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class PthReaderTest {
    private static final List<String> MODEL_KEYS = List.of("conv.weight", "conv.bias", "bn.weight", "bn.bias",
            "bn.running_mean", "bn.running_var", "bn.num_batches_tracked", "fc.weight", "fc.bias");

    @TempDir
    Path tmp;

    // ---- files written by torch.save (see src/test/python/make_tensorfile_fixtures.py) ----

    @Test
    void readsATorchStateDictWithViewsAndEveryDtype() {
        Map<String, Tensor> sd = PthReader.read(resource("pth/tiny_state_dict.pth"));
        Map<String, Tensor> expected = Npy.readNpz(resource("pth/expected.npz"));
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(sd.keySet()), "key order kept");
        assertEquals(MODEL_KEYS, List.copyOf(sd.keySet()).subList(0, MODEL_KEYS.size()));
        expected.forEach((k, v) -> assertTensorEquals(v, sd.get(k), k));
        // Spot checks of what the comparison covers.
        assertEquals(DType.INT64, sd.get("bn.num_batches_tracked").dtype());
        assertArrayEquals(new long[] {1}, sd.get("bn.num_batches_tracked").longs());
        assertArrayEquals(new int[] {8, 3}, sd.get("extra.fc_t").shape());
        assertEquals(sd.get("fc.weight").floats()[8 + 5], sd.get("extra.row").floats()[5]);
        assertArrayEquals(new float[] {0, 3, 6, 9}, sd.get("extra.every3").floats());
        assertArrayEquals(new float[] {1, 2, 3, 1, 2, 3}, sd.get("extra.expanded").floats());
        assertEquals(DType.FLOAT32, sd.get("extra.half").dtype());
        assertEquals(0, sd.get("extra.scalar").rank());
        assertArrayEquals(new int[] {0, 3}, sd.get("extra.empty").shape());
    }

    @Test
    void findsTheStateDictInACheckpoint() {
        Path f = resource("pth/checkpoint.pth");
        Map<String, Tensor> sd = PthReader.readStateDict(f);
        assertEquals(MODEL_KEYS, List.copyOf(sd.keySet()));
        Map<String, Tensor> expected = Npy.readNpz(resource("pth/expected.npz"));
        sd.forEach((k, v) -> assertTensorEquals(expected.get(k), v, k));
        Map<String, Tensor> flat = PthReader.read(f);
        assertEquals(MODEL_KEYS.stream().map(k -> "state_dict." + k).toList(), List.copyOf(flat.keySet()));
        Map<?, ?> root = (Map<?, ?>) PthReader.readObject(f);
        assertEquals(3L, root.get("epoch"));
        assertEquals("tiny", root.get("name"));
        assertEquals(Map.of("lr", 0.1, "betas", List.of(0.9, 0.999)), root.get("optimizer"));
        // A plain state dict is its own state dict.
        assertEquals(PthReader.read(resource("pth/tiny_state_dict.pth")).keySet(),
                PthReader.readStateDict(resource("pth/tiny_state_dict.pth")).keySet());
    }

    @Test
    void refusesAPickledModule() {
        Path f = resource("pth/whole_model.pth");
        assertFails(() -> PthReader.read(f), f.toString(), "refuses to load",
                "global '__main__.Tiny', which is not a tensor, storage or OrderedDict",
                "save with torch.save(model.state_dict())");
    }

    @Test
    void refusesLegacyTorchFiles() {
        Path f = resource("pth/legacy.pth");
        assertFails(() -> PthReader.read(f), f.toString(), "legacy", "re-save it with a newer torch");
    }

    // ---- hand-made archives ----

    @Test
    void refusesOsSystem() throws IOException {
        byte[] pkl = new Pickle().proto(2).global("os", "system").str("echo pwned").op(0x85, 'R', '.').bytes();
        Path f = TorchFiles.zip(tmp.resolve("evil.pth"), pkl, Map.of(), Map.of());
        String msg = assertFails(() -> PthReader.read(f));
        assertEquals(f + ": refuses to load: the pickle references global 'os.system', which is not a tensor, storage"
                + " or OrderedDict; only state dicts are supported (save with torch.save(model.state_dict()))", msg);
    }

    @Test
    void refusesOtherDangerousGlobals() throws IOException {
        // Protocol 4 spelling: STACK_GLOBAL with short strings inside a FRAME.
        byte[] eval = new Pickle().proto(4).op(0x95).le(30, 8).shortStr("builtins").op(0x94).shortStr("eval")
                .op(0x94, 0x93, 0x94).shortStr("1+1").op(0x85, 'R', '.').bytes();
        assertFails(() -> PthReader.read(TorchFiles.zip(tmp.resolve("eval.pth"), eval, Map.of(), Map.of())),
                "global 'builtins.eval'");
        byte[] getattr = new Pickle().proto(2).global("__builtin__", "getattr").op('.').bytes();
        assertFails(() -> PthReader.read(TorchFiles.zip(tmp.resolve("ga.pth"), getattr, Map.of(), Map.of())),
                "global '__builtin__.getattr'");
        byte[] nested = new Pickle().proto(2).global("torch.storage", "_load_from_bytes").op('.').bytes();
        assertFails(() -> PthReader.read(TorchFiles.zip(tmp.resolve("lfb.pth"), nested, Map.of(), Map.of())),
                "global 'torch.storage._load_from_bytes'");
        byte[] qint = new Pickle().proto(2).global("torch", "QInt8Storage").op('.').bytes();
        assertFails(() -> PthReader.read(TorchFiles.zip(tmp.resolve("q.pth"), qint, Map.of(), Map.of())),
                "storage type 'torch.QInt8Storage' is not supported");
    }

    private static byte[] floatsLE(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return b.array();
    }

    /** {"t": tensor over storage "0"}. */
    private static byte[] oneTensor(long numel, long offset, long[] size, long[] stride) {
        return new Pickle().proto(2).op('}').mark().str("t")
                .tensor("FloatStorage", "0", numel, offset, size, stride).op('u', '.').bytes();
    }

    @Test
    void readsHandMadeViewsAndBigEndianStorages() throws IOException {
        byte[] pkl = oneTensor(6, 1, new long[] {2, 2}, new long[] {1, 3}); // a transposed, offset view
        Path f = TorchFiles.zip(tmp.resolve("view.pth"), pkl, Map.of("0", floatsLE(0, 1, 2, 3, 4, 5)), Map.of());
        assertTensorEquals(Tensor.of(new float[] {1, 4, 2, 5}, 2, 2), PthReader.read(f).get("t"), "view");
        ByteBuffer be = ByteBuffer.allocate(24).order(ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < 6; i++) {
            be.putFloat(i);
        }
        Path big = TorchFiles.zip(tmp.resolve("big.pth"), oneTensor(6, 0, new long[] {6}, new long[] {1}),
                Map.of("0", be.array()), Map.of("byteorder", "big".getBytes()));
        assertTensorEquals(Tensor.of(new float[] {0, 1, 2, 3, 4, 5}, 6), PthReader.read(big).get("t"), "big-endian");
    }

    @Test
    void readsTheWiderPickleVocabulary() throws IOException {
        byte[] pkl = new Pickle().proto(4).op(0x95).le(0, 8).mark()
                .op(0x8f).mark().shortStr("s").op(0x90) // a set
                .op(0x8c, 0).op(0x88, 'N', 0x89).op(0x87) // "", then TUPLE3 of (True, None, False)
                .op(']', 'r').le(7, 4).mark().op('K', 1, 'M', 0x34, 0x12, 'J').le(-5, 4).op('e') // list [1, 0x1234, -5]
                .op('G').le(Long.reverseBytes(Double.doubleToLongBits(2.5)), 8) // BINFLOAT is big-endian
                .op(0x8a, 9).le(0, 8).op(1) // 2^64 as LONG1
                .op(0x8d).le(2, 8).op('h', 'i') // BINUNICODE8 "hi"
                .op('C', 2, 7, 8) // SHORT_BINBYTES
                .op('j').le(7, 4) // LONG_BINGET of the list
                .op('t', '.').bytes();
        Path f = TorchFiles.zip(tmp.resolve("vocab.pth"), pkl, Map.of(), Map.of());
        List<?> t = (List<?>) PthReader.readObject(f);
        assertEquals(9, t.size());
        assertEquals(java.util.Set.of("s"), t.get(0));
        assertEquals("", t.get(1));
        assertEquals(Arrays.asList(true, null, false), t.get(2));
        assertEquals(List.of(1L, 0x1234L, -5L), t.get(3));
        assertEquals(2.5, t.get(4));
        assertEquals(BigInteger.TWO.pow(64), t.get(5));
        assertEquals("hi", t.get(6));
        assertArrayEquals(new byte[] {7, 8}, (byte[]) t.get(7));
        assertTrue(t.get(8) == t.get(3), "memo returns the same object");
    }

    @Test
    void refusesStoragesAndViewsThatDoNotFit() throws IOException {
        Path lies = TorchFiles.zip(tmp.resolve("lies.pth"), oneTensor(1_000_000_000L, 0, new long[] {2},
                new long[] {1}), Map.of("0", floatsLE(1, 2)), Map.of());
        assertFails(() -> PthReader.read(lies), lies.toString(), "storage 0 claims 1000000000 elements",
                "holds 8 bytes");
        Path outside = TorchFiles.zip(tmp.resolve("outside.pth"), oneTensor(2, 0, new long[] {3}, new long[] {1}),
                Map.of("0", floatsLE(1, 2)), Map.of());
        assertFails(() -> PthReader.read(outside), "reaches element 2 but the storage holds 2");
        Path huge = TorchFiles.zip(tmp.resolve("huge.pth"), oneTensor(2, 0, new long[] {1L << 20, 1L << 20},
                new long[] {0, 0}), Map.of("0", floatsLE(1, 2)), Map.of());
        assertFails(() -> PthReader.read(huge), "more than");
        Path overflow = TorchFiles.zip(tmp.resolve("overflow.pth"), oneTensor(2, 0, new long[] {3},
                new long[] {Long.MAX_VALUE / 2}), Map.of("0", floatsLE(1, 2)), Map.of());
        assertFails(() -> PthReader.read(overflow), "but the storage holds 2");
        // A legal stride-0 view of one float that would take 2 GiB: refused before allocating.
        Path expand = TorchFiles.zip(tmp.resolve("expand.pth"), oneTensor(1, 0, new long[] {1L << 29},
                new long[] {0}), Map.of("0", floatsLE(1)), Map.of());
        assertFails(() -> PthReader.read(expand), expand.toString(), "a view seems to expand a small storage");
        Path missing = TorchFiles.zip(tmp.resolve("missing.pth"), oneTensor(2, 0, new long[] {2}, new long[] {1}),
                Map.of(), Map.of());
        assertFails(() -> PthReader.read(missing), "storage 0 is missing");
    }

    @Test
    void refusesBrokenPickles() throws IOException {
        byte[] good = oneTensor(2, 0, new long[] {2}, new long[] {1});
        Map<String, byte[]> data = Map.of("0", floatsLE(1, 2));
        Path cut = TorchFiles.zip(tmp.resolve("cut.pth"), Arrays.copyOf(good, good.length - 10), data, Map.of());
        assertFails(() -> PthReader.read(cut), "pickle data is truncated");
        Path inst = TorchFiles.zip(tmp.resolve("inst.pth"), new Pickle().proto(2).op('i').bytes(), data, Map.of());
        assertFails(() -> PthReader.read(inst), "unsupported pickle opcode 0x69 ('i')");
        byte[] longStr = new Pickle().proto(2).op('X').le(0xFFFFFFF0L, 4).op('.').bytes();
        Path hugeStr = TorchFiles.zip(tmp.resolve("str.pth"), longStr, data, Map.of());
        assertFails(() -> PthReader.read(hugeStr), "runs past the end");
        Path underflow = TorchFiles.zip(tmp.resolve("under.pth"), new Pickle().proto(2).op('R').bytes(), data,
                Map.of());
        assertFails(() -> PthReader.read(underflow), "stack underflow");
        byte[] selfList = new Pickle().proto(2).op(']', 'q', 0, 'h', 0, 'a', '.').bytes();
        Path loop = TorchFiles.zip(tmp.resolve("loop.pth"), selfList, data, Map.of());
        assertTrue(PthReader.readObject(loop) instanceof List<?>);
        assertFails(() -> PthReader.read(loop), "contains itself");
        byte[] listKey = new Pickle().proto(2).op('}', ']', 'K', 1, 's', '.').bytes();
        assertFails(() -> PthReader.read(TorchFiles.zip(tmp.resolve("key.pth"), listKey, data, Map.of())),
                "dict key of type ArrayList");
        Path noPickle = TorchFiles.zip(tmp.resolve("nopkl.pth"), new byte[0], data, Map.of());
        Files.delete(noPickle);
        try (var zip = new java.util.zip.ZipOutputStream(Files.newOutputStream(noPickle))) {
            zip.putNextEntry(new java.util.zip.ZipEntry("other.txt"));
        }
        assertFails(() -> PthReader.read(noPickle), "no <name>/data.pkl");
    }

    @Test
    void refusesTruncatedRandomAndEmptyFiles() throws IOException {
        byte[] good = Files.readAllBytes(resource("pth/tiny_state_dict.pth"));
        Path half = Files.write(tmp.resolve("half.pth"), Arrays.copyOf(good, good.length / 2));
        assertFails(() -> PthReader.read(half), half.toString(), "not a readable zip archive (truncated or corrupt?)");
        Path noTail = Files.write(tmp.resolve("tail.pth"), Arrays.copyOf(good, good.length - 30));
        assertFails(() -> PthReader.read(noTail), "not a readable zip archive");
        byte[] junk = new byte[5000];
        new Random(11).nextBytes(junk);
        junk[0] = 'x';
        Path random = Files.write(tmp.resolve("random.pth"), junk);
        assertFails(() -> PthReader.read(random), random.toString(), "not a PyTorch file");
        junk[0] = 'P';
        junk[1] = 'K';
        Path fakeZip = Files.write(tmp.resolve("fake.pth"), junk);
        assertFails(() -> PthReader.read(fakeZip), "not a readable zip archive");
        Path empty = Files.write(tmp.resolve("empty.pth"), new byte[0]);
        assertFails(() -> PthReader.read(empty), "the file is empty");
        assertFails(() -> PthReader.read(tmp.resolve("absent.pth")), "absent.pth", "cannot read");
    }

    @Test
    void refusesACorruptedStorageEntry() throws IOException {
        // Flip a byte inside the data of storage 0 (conv.weight): only the CRC-32 check can notice.
        byte[] good = Files.readAllBytes(resource("pth/tiny_state_dict.pth"));
        byte[] name = "tiny_state_dict/data/0".getBytes();
        int at = indexOf(good, name, 0); // the name in the local header, which starts 30 bytes earlier
        ByteBuffer local = ByteBuffer.wrap(good, at - 30, 30).slice().order(ByteOrder.LITTLE_ENDIAN);
        int dataStart = at + local.getShort(26) + local.getShort(28);
        byte[] bad = good.clone();
        bad[dataStart + 5] ^= 0x10;
        Path f = Files.write(tmp.resolve("crc.pth"), bad);
        assertFails(() -> PthReader.read(f), f.toString(), "CRC-32 mismatch in entry tiny_state_dict/data/0");
    }

    private static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalStateException("not found");
    }
}
