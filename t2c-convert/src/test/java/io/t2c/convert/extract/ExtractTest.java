package io.t2c.convert.extract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.t2c.convert.LowerToInteger;
import io.t2c.graph.Graph;
import io.t2c.io.data.Datasets;
import io.t2c.io.onnx.OnnxImporter;
import io.t2c.quant.ptq.Ptq;
import io.t2c.quant.ptq.PtqConfig;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Test-vector extraction: file round trips, the manifest, the self-check on the example CNN, PE tiling, C headers. */
class ExtractTest {
    @TempDir
    Path dir;

    @Test
    void everyFormatRoundTripsAt4To32BitsSignedAndUnsigned() throws IOException {
        Random rnd = new Random(42);
        for (int bits : new int[] {4, 8, 16, 32}) {
            for (boolean signed : new boolean[] {true, false}) {
                IntType t = new IntType(bits, signed);
                long[] v = new long[60];
                v[0] = t.min();
                v[1] = t.max();
                v[2] = signed ? -1 : 0;
                for (int i = 3; i < v.length; i++) {
                    v[i] = t.min() + Math.floorMod(rnd.nextLong(), t.max() - t.min() + 1);
                }
                int[] shape = {3, 4, 5};
                for (TensorFormat f : TensorFormat.values()) {
                    Path file = dir.resolve(t + "." + f.extension());
                    f.write(file, "t", v, shape, t);
                    assertArrayEquals(v, f.read(file, shape, t), t + " " + f);
                }
                List<String> hex = Files.readAllLines(dir.resolve(t + ".hex"));
                assertEquals((bits + 3) / 4, hex.get(0).length(), "zero-padded to ceil(bits/4) digits");
                if (signed) {
                    assertEquals("f".repeat(bits / 4), hex.get(2), "-1 is all ones at the tensor's width");
                    assertEquals("8" + "0".repeat(bits / 4 - 1), hex.get(0), "the minimum is 100…0");
                }
                assertEquals(60L * t.storageBits() / 8, Files.size(dir.resolve(t + ".bin")));
            }
        }
        assertThrows(T2cException.class, () -> TensorFormat.HEX.write(dir.resolve("bad.hex"), "t", new long[] {8},
                new int[] {1}, new IntType(4, true)), "8 does not fit int4");
    }

    @Test
    void npyHeadersCarryTheSmallestDtype() throws IOException {
        TensorFormat.NPY.write(dir.resolve("u.npy"), "u", new long[] {0, 15}, new int[] {2}, new IntType(4, false));
        TensorFormat.NPY.write(dir.resolve("s.npy"), "s", new long[] {-3, 1000}, new int[] {1, 2},
                new IntType(12, true));
        String u = new String(Files.readAllBytes(dir.resolve("u.npy")), 0, 64);
        String s = new String(Files.readAllBytes(dir.resolve("s.npy")), 0, 128);
        assertTrue(u.contains("'descr': '|u1'") && u.contains("'shape': (2,)"), u);
        assertTrue(s.contains("'descr': '<i2'") && s.contains("'shape': (1, 2)"), s);
        assertEquals(0, (Files.size(dir.resolve("u.npy")) - 2) % 64, "header padded to a multiple of 64 bytes");
    }

    static Graph integerCnn(int bits) {
        Graph fp = OnnxImporter.load(Datasets.repoRoot().resolve("examples/fashion_cnn.onnx"));
        PtqConfig c = PtqConfig.defaults("minmax_channel", "minmax", bits, bits).withSamples(128, 64);
        return LowerToInteger.run(Ptq.run(fp, Datasets.open("fashion-mnist:train"), c, Ptq.Listener.NONE).model(),
                LowerToInteger.Options.defaults());
    }

    private static Tensor images(int... indices) {
        return Datasets.open("fashion-mnist:test").batch(indices).images();
    }

    @Test
    void selfCheckPassesOnTheExampleCnnAtW8A8AndTheManifestDescribesEveryFile() throws IOException {
        Path out = dir.resolve("tensors");
        Extraction.Summary s = Extraction.write(integerCnn(8), images(3, 7), new int[] {3, 7},
                Extraction.Options.parse("npy,hex,c", "8x4"), out);
        SelfCheck.Report r = SelfCheck.run(out);
        assertEquals(s.ops(), r.ops());
        assertEquals(r.ops(), r.passed(), r.failures().toString());
        assertTrue(r.ops() >= 10, "convs, adds, pools, requantize and the classifier: " + r.ops());

        JsonNode m = Extraction.JSON.readTree(out.resolve("manifest.json").toFile());
        assertEquals("[3,7]", m.get("samples").toString());
        JsonNode stem = m.get("ops").get(0);
        assertEquals("/stem/stem.0/Conv", stem.get("name").asText());
        assertEquals("stem_stem.0_Conv", stem.get("folder").asText());
        assertEquals("IntConv", stem.get("op").asText());
        for (String attr : new String[] {"strides", "pads", "group", "multiplier", "shift", "rounding",
            "y_zero_point", "x_zero_point", "w_zero_point"}) {
            assertTrue(stem.get("attributes").has(attr), attr);
        }
        JsonNode x = stem.get("tensors").get("x");
        assertEquals("[2,1,28,28]", x.get("shape").toString());
        assertEquals("NCHW", x.get("layout").asText());
        assertEquals("uint8", x.get("dtype").asText(), "the network input has an asymmetric grid (zero point)");
        assertEquals(8, x.get("bits").asInt());
        JsonNode w = stem.get("tensors").get("w");
        assertEquals("OIHW", w.get("layout").asText());
        assertEquals(8, w.get("bits").asInt());
        assertTrue(w.get("scale").size() > 1, "per-channel weight scales");
        assertEquals("int32", stem.get("tensors").get("acc").get("dtype").asText());
        // Stem: K = 1·3·3 = 9 → 2 reduction tiles of 8; 16 outputs → 4 tiles of 4; M = 2·28·28 → 392 row tiles.
        assertEquals("[1,4,2,8,4]", stem.get("tensors").get("pe_w").get("shape").toString());
        assertEquals("[1,2,392,8,4]", stem.get("tensors").get("pe_x").get("shape").toString());
        int files = 0;
        for (JsonNode op : m.get("ops")) {
            for (JsonNode t : op.get("tensors")) {
                for (JsonNode f : t.get("files")) {
                    assertTrue(Files.isRegularFile(out.resolve(op.get("folder").asText()).resolve(f.asText())));
                    files++;
                }
            }
            assertTrue(Files.isRegularFile(out.resolve(op.get("folder").asText()).resolve(op.get("c_header")
                    .asText())));
            files++;
        }
        assertEquals(s.files(), files + 1, "every file is in the manifest (plus the manifest itself)");
        assertFalse(Files.list(dir).anyMatch(p -> p.getFileName().toString().contains(".tmp-")));
        compileHeadersWithGcc(out, m);
    }

    /** Includes every header into one translation unit and compiles it; skipped where gcc is absent. */
    private void compileHeadersWithGcc(Path out, JsonNode m) throws IOException {
        boolean gcc;
        try {
            gcc = new ProcessBuilder("gcc", "--version").redirectErrorStream(true).start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            gcc = false;
        }
        assumeTrue(gcc, "gcc not installed");
        StringBuilder c = new StringBuilder();
        for (JsonNode op : m.get("ops")) {
            c.append("#include \"").append(out.resolve(op.get("folder").asText()).resolve(op.get("c_header")
                    .asText())).append("\"\n");
        }
        c.append("int first_stem_weight(void) { return t2c_stem_stem_0_Conv_w[0] + T2C_STEM_STEM_0_CONV_X_DIM1; }\n");
        Path src = dir.resolve("all.c");
        Files.writeString(src, c);
        try {
            Process p = new ProcessBuilder("gcc", "-std=c99", "-pedantic", "-Werror", "-c", src.toString(), "-o",
                    dir.resolve("all.o").toString()).redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, log);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void tablesAreExtractedAsLutAndTheSelfCheckRecomputesTheirOutputAndCatchesATamperedEntry() throws IOException {
        Graph ig = LowerToInteger.run(io.t2c.convert.LutCnnTest.fakeQuant(8), LowerToInteger.Options.defaults());
        Path out = dir.resolve("lut");
        Extraction.write(ig, images(3, 4), new int[] {3, 4}, Extraction.Options.parse("npy,hex,c", null), out);
        SelfCheck.Report r = SelfCheck.run(out);
        assertEquals(r.ops(), r.passed(), r.failures().toString());
        JsonNode m = Extraction.JSON.readTree(out.resolve("manifest.json").toFile());
        List<JsonNode> luts = new ArrayList<>();
        m.get("ops").forEach(op -> {
            if (op.get("op").asText().equals("IntLut")) {
                luts.add(op);
            }
        });
        assertEquals(8, luts.size());
        JsonNode sigmoid = luts.get(1);
        List<String> roles = new ArrayList<>();
        sigmoid.get("tensors").fieldNames().forEachRemaining(roles::add);
        assertEquals(List.of("x", "lut", "y"), roles);
        JsonNode lut = sigmoid.get("tensors").get("lut");
        assertEquals(256, lut.get("shape").get(0).asInt());
        assertEquals(8, lut.get("bits").asInt());
        // change the entry the first sample's first code indexes: the recomputed y no longer matches the written y
        Path folder = out.resolve(sigmoid.get("folder").asText());
        JsonNode xEntry = sigmoid.get("tensors").get("x");
        long[] x = TensorFormat.NPY.read(folder.resolve("x.npy"), new int[] {xEntry.get("shape").get(0).asInt(),
                xEntry.get("shape").get(1).asInt(), xEntry.get("shape").get(2).asInt(),
                xEntry.get("shape").get(3).asInt()}, new IntType(xEntry.get("bits").asInt(),
                xEntry.get("signed").asBoolean()));
        IntType lutType = new IntType(lut.get("bits").asInt(), lut.get("signed").asBoolean());
        long[] entries = TensorFormat.NPY.read(folder.resolve("lut.npy"), new int[] {256}, lutType);
        int used = (int) (x[0] - sigmoid.get("attributes").get("x_min").asLong());
        entries[used] = entries[used] == 0 ? 1 : entries[used] - 1;
        TensorFormat.NPY.write(folder.resolve("lut.npy"), "lut", entries, new int[] {256}, lutType);
        SelfCheck.Report tampered = SelfCheck.run(out);
        assertEquals(r.ops() - 1, tampered.passed(), tampered.failures().toString());
        assertTrue(tampered.failures().get(0).contains(": y["), tampered.failures().toString());
    }

    @Test
    void selfCheckPassesAtW4A4AndCatchesATamperedFile() throws IOException {
        Path out = dir.resolve("w4");
        Extraction.write(integerCnn(4), images(0), new int[] {0}, Extraction.Options.parse("bin,hex", null), out);
        SelfCheck.Report r = SelfCheck.run(out);
        assertEquals(r.ops(), r.passed(), r.failures().toString());
        JsonNode m = Extraction.JSON.readTree(out.resolve("manifest.json").toFile());
        assertEquals(4, m.get("ops").get(0).get("tensors").get("w").get("bits").asInt());
        Path y = out.resolve("stem_stem.0_Conv/y.bin");
        byte[] bytes = Files.readAllBytes(y);
        bytes[5] ^= 1;
        Files.write(y, bytes);
        SelfCheck.Report tampered = SelfCheck.run(out);
        assertEquals(r.ops() - 1, tampered.passed());
        assertTrue(tampered.failures().get(0).startsWith("/stem/stem.0/Conv: y[5]"), tampered.failures().toString());
    }

    @Test
    void peTilesMultipliedBackEqualTheDirectConvolution() {
        Random rnd = new Random(7);
        int[] xs = {2, 4, 5, 6};
        int[] ws = {6, 2, 3, 2}; // group 2: 3 outputs per group, 2 inputs each
        long[] x = rnd.longs(2L * 4 * 5 * 6, 0, 16).toArray();
        long[] w = rnd.longs(6L * 2 * 3 * 2, -8, 8).toArray();
        long zx = 3;
        long[] zw = {1, 0, -1, 2, 0, 0};
        int[] strides = {2, 1};
        int[] pads = {1, 0, 1, 1};
        int[] dil = {1, 2};
        PeTiling gemm = PeTiling.ofConv(x, xs, zx, w, ws, zw, strides, pads, dil, 2);
        int oh = (5 + 2 - 1 * 2 - 1) / 2 + 1;
        int ow = (6 + 1 - 2 * 1 - 1) + 1;
        // Independent direct convolution, output [n][co][oy][ox].
        long[] expected = new long[2 * 6 * oh * ow];
        for (int n = 0; n < 2; n++) {
            for (int co = 0; co < 6; co++) {
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        long s = 0;
                        for (int ci = 0; ci < 2; ci++) {
                            for (int ky = 0; ky < 3; ky++) {
                                for (int kx = 0; kx < 2; kx++) {
                                    int iy = oy * 2 - 1 + ky;
                                    int ix = ox - 0 + kx * 2;
                                    if (iy >= 0 && iy < 5 && ix >= 0 && ix < 6) {
                                        s += (x[((n * 4 + co / 3 * 2 + ci) * 5 + iy) * 6 + ix] - zx)
                                                * (w[((co * 2 + ci) * 3 + ky) * 2 + kx] - zw[co]);
                                    }
                                }
                            }
                        }
                        expected[((n * 6 + co) * oh + oy) * ow + ox] = s;
                    }
                }
            }
        }
        PeTiling.ArraySize pe = PeTiling.ArraySize.parse("4x2");
        long[] wt = gemm.weightTiles(pe);
        long[] xt = gemm.inputTiles(pe);
        int[] wShape = gemm.weightTileShape(pe);
        int[] xShape = gemm.inputTileShape(pe);
        int groups = wShape[0];
        int nt = wShape[1];
        int kt = wShape[2];
        int mt = xShape[2];
        int r = 4;
        int c = 2;
        // The documented consumption order: per group, per output tile, per reduction tile (weights resident),
        // stream every input tile column by column; column c of the array adds Σ_r x[r][t]·w[r][c].
        long[] got = new long[expected.length];
        for (int g = 0; g < groups; g++) {
            for (int j = 0; j < nt; j++) {
                for (int t = 0; t < kt; t++) {
                    int wBase = ((g * nt + j) * kt + t) * r * c;
                    for (int s = 0; s < mt; s++) {
                        int xBase = ((g * kt + t) * mt + s) * r * c;
                        for (int step = 0; step < c; step++) {
                            int row = s * c + step;
                            for (int col = 0; col < c; col++) {
                                int channel = g * 3 + j * c + col;
                                if (row >= gemm.m() || j * c + col >= gemm.n()) {
                                    continue; // padding rows and columns of the last tiles
                                }
                                long sum = 0;
                                for (int pr = 0; pr < r; pr++) {
                                    sum += xt[xBase + pr * c + step] * wt[wBase + pr * c + col];
                                }
                                int n = row / (oh * ow);
                                int pix = row % (oh * ow);
                                got[(n * 6 + channel) * oh * ow + pix] += sum;
                            }
                        }
                    }
                }
            }
        }
        assertArrayEquals(expected, got);
        assertEquals(12, gemm.k());
        assertEquals(3, kt, "K = 12 fills 3 reduction tiles of 4");
    }

    @Test
    void badFormatsAndArraySizesAreUserErrors() {
        assertThrows(T2cException.class, () -> Extraction.Options.parse("npy,vhdl", null));
        for (String bad : new String[] {"16", "0x4", "ax3", "4x4x4", "5000x2"}) {
            assertThrows(T2cException.class, () -> Extraction.Options.parse("npy", bad), bad);
        }
        assertEquals(new PeTiling.ArraySize(16, 8), Extraction.Options.parse("npy", "16x8").pe());
    }

    @Test
    void folderNamesAreFilesystemSafeAndUnique() {
        List<String> used = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (String name : new String[] {"/block1/conv1/Conv", "/block1/conv1:Conv", "a b\\c", "..", "Conv", "conv"}) {
            used.add(Extraction.uniqueFolder(name, seen));
        }
        assertEquals(List.of("block1_conv1_Conv", "block1_conv1_Conv_2", "a_b_c", "op", "Conv", "conv_2"), used);
    }
}
