package io.t2c.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.t2c.io.onnx.OnnxBuilder;
import io.t2c.io.tensorfile.Npy;
import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line end to end: results on the shipped example, and one-line errors with exit 2 on bad input. */
class CliTest {
    static final Path EXAMPLES = Path.of("..", "examples");

    @TempDir
    Path dir;

    record Result(int code, String out, String err) {}

    static Result t2c(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    static void assertOneLineError(Result r, String... fragments) {
        assertEquals(Main.USER_ERROR, r.code(), "exit code; stderr: " + r.err());
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), "one line: " + err);
        assertTrue(err.startsWith("t2c: error: "), err);
        for (String f : fragments) {
            assertTrue(err.contains(f), "'" + f + "' in: " + err);
        }
    }

    @Test
    void inspectCountsParametersAndMacs() throws IOException {
        Result r = t2c("inspect", EXAMPLES.resolve("fashion_cnn.onnx").toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        // 17 ONNX nodes; the six Relus that follow a Conv or a residual Add are fused into its output clamp at import
        assertEquals(11, j.get("total_ops").asInt());
        assertEquals(43_626, j.get("total_params").asLong());
        JsonNode stem = j.get("nodes").get(0);
        assertEquals("Conv+Relu", stem.get("op").asText());
        assertEquals(16L * 28 * 28 * 9, stem.get("macs").asLong(), "16 channels × 28×28 outputs × 3×3×1 taps");
        assertEquals(-1, stem.get("output_shapes").get(0).get(0).asInt(), "batch is dynamic");
        assertTrue(r.err().contains("/stem/stem.0/Conv"), "human table goes to stderr with --json");
    }

    @Test
    void runMatchesTorchLogits() {
        Path out = dir.resolve("logits.npy");
        Result r = t2c("run", EXAMPLES.resolve("fashion_cnn.onnx").toString(), "--input",
                EXAMPLES.resolve("fashion_samples.npy").toString(), "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        Tensor ours = Npy.read(out);
        Tensor torch = Npy.read(EXAMPLES.resolve("fashion_logits_torch.npy"));
        assertEquals(Arrays.toString(torch.shape()), Arrays.toString(ours.shape()));
        for (int i = 0; i < torch.size(); i++) {
            assertEquals(torch.getDouble(i), ours.getDouble(i), 1e-4, "logit " + i);
        }
    }

    @Test
    void runWritesEveryOutputOfAMultiOutputModelByName() throws IOException {
        OnnxBuilder b = new OnnxBuilder("two", 13);
        String x = b.input("x", DType.FLOAT32, -1, 3);
        String y = b.input("y", DType.FLOAT32, -1, 3);
        b.output(b.node("Add", x, y), DType.FLOAT32, -1, 3);
        b.output(b.node("Mul", x, y), DType.FLOAT32, -1, 3);
        Path model = dir.resolve("two.onnx");
        Files.write(model, b.build().toByteArray());
        Npy.write(dir.resolve("x.npy"), Tensor.of(new float[] {1, 2, 3}, 1, 3));
        Npy.write(dir.resolve("y.npy"), Tensor.of(new float[] {4, 5, 6}, 1, 3));
        Path outDir = dir.resolve("outs");
        Result r = t2c("run", model.toString(), "--input", "x=" + dir.resolve("x.npy"), "--input", "y=" + dir.resolve("y.npy"),
                "--output", outDir.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        try (var files = Files.list(outDir)) {
            assertEquals(2, files.count());
        }
        JsonNode j = new ObjectMapper().readTree(r.out());
        Tensor sum = Npy.read(Path.of(j.get("outputs").get(0).get("path").asText()));
        Tensor prod = Npy.read(Path.of(j.get("outputs").get(1).get("path").asText()));
        assertEquals(9.0, sum.getDouble(2));
        assertEquals(18.0, prod.getDouble(2));
        assertOneLineError(t2c("run", model.toString(), "--input", dir.resolve("x.npy").toString(), "--output", "o.npy"),
                "has 2 inputs", "--input NAME=FILE.npy");
    }

    @Test
    void evalReportsAccuracyAndAgreement() throws IOException {
        String m = EXAMPLES.resolve("fashion_cnn.onnx").toString();
        Result r = t2c("eval", m, "--data", "fashion-mnist:test", "--limit", "500", "--reference", m, "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(500, j.get("samples").asInt());
        assertTrue(j.get("top1").asDouble() > 0.84, "the example model scores 87.3 % on the full test set: " + j);
        assertEquals(j.get("correct").asInt() / 500.0, j.get("top1").asDouble(), 1e-12);
        assertEquals(1.0, j.get("agreement").asDouble(), "a model agrees with itself");
        assertOneLineError(t2c("eval", m, "--data", "imagenet"), "imagenet");
    }

    @Test
    void trainWritesABundleThatEvaluates() throws IOException {
        // 48 tiny 1×8×8 images of 3 classes, as an npy pair
        Random r = new Random(4);
        float[] x = new float[48 * 64];
        long[] y = new long[48];
        for (int i = 0; i < 48; i++) {
            y[i] = i % 3;
            for (int k = 0; k < 64; k++) {
                x[i * 64 + k] = (float) (r.nextGaussian() * 0.1 + (k % 3 == y[i] ? 1 : 0));
            }
        }
        Npy.write(dir.resolve("x.npy"), Tensor.of(x, 48, 1, 8, 8));
        Npy.write(dir.resolve("y.npy"), Tensor.ofLongs(y, 48));
        String data = "npy:" + dir.resolve("x.npy") + "," + dir.resolve("y.npy");
        Path out = dir.resolve("model");
        Result r1 = t2c("train", "resnet20", "--data", data, "--eval-data", data, "--epochs", "2", "--batch", "16",
                "--augment", "none", "--out", out.toString(), "--json");
        assertEquals(0, r1.code(), r1.err());
        JsonNode j = new ObjectMapper().readTree(r1.out());
        assertEquals(2, j.get("history").size());
        Result r2 = t2c("eval", out.toString(), "--data", data, "--json");
        assertEquals(0, r2.code(), r2.err());
        assertEquals(j.get("test_top1").asDouble(), new ObjectMapper().readTree(r2.out()).get("top1").asDouble(), 1e-12,
                "the saved bundle scores what training reported");
        Result again = t2c("train", "resnet20", "--data", data, "--eval-data", "none", "--epochs", "2", "--batch", "16",
                "--augment", "none", "--out", dir.resolve("model2").toString());
        assertEquals(0, again.code(), again.err());
        assertTrue(Arrays.equals(Files.readAllBytes(out.resolve("tensors.safetensors")),
                Files.readAllBytes(dir.resolve("model2").resolve("tensors.safetensors"))), "same seed, same weights");
        assertOneLineError(t2c("train", "resnet99", "--data", data, "--out", dir.resolve("m3").toString()), "resnet99");
    }

    @Test
    void truncatedOnnxIsOneLineError() throws IOException {
        byte[] full = Files.readAllBytes(EXAMPLES.resolve("fashion_cnn.onnx"));
        Path p = dir.resolve("cut.onnx");
        Files.write(p, Arrays.copyOf(full, full.length / 3));
        assertOneLineError(t2c("inspect", p.toString()), "cut.onnx is not a valid ONNX model");
    }

    @Test
    void nonOnnxFileIsOneLineError() throws IOException {
        Path p = dir.resolve("photo.onnx");
        byte[] bytes = new byte[10_000];
        new Random(3).nextBytes(bytes);
        Files.write(p, bytes);
        assertOneLineError(t2c("run", p.toString(), "--input", "x.npy", "--output", "y.npy"), "photo.onnx is not");
    }

    @Test
    void absurdDeclaredDimensionsAreOneLineError() throws IOException {
        OnnxBuilder b = new OnnxBuilder("huge", 13);
        b.output(b.node("Relu", b.input("x", DType.FLOAT32, 1, 1 << 20, 1 << 20, 1 << 20)), DType.FLOAT32);
        Path p = dir.resolve("huge.onnx");
        Files.write(p, b.build().toByteArray());
        assertOneLineError(t2c("inspect", p.toString()), "huge.onnx", "more than");
    }

    @Test
    void pthNamingAForeignGlobalIsRefused() {
        Path pth = Path.of("..", "t2c-io", "src", "test", "resources", "io", "t2c", "io", "tensorfile", "pth", "whole_model.pth");
        assertOneLineError(t2c("inspect", pth.toString()), "refuses to load", "__main__.Tiny", "state_dict");
    }

    @Test
    void npyWithBadHeaderIsOneLineError() throws IOException {
        Path bad = dir.resolve("bad.npy");
        byte[] header = "\u0093NUMPY\u0001\u0000\u0010\u0000{'descr': 'zz'}\n".getBytes(StandardCharsets.ISO_8859_1);
        Files.write(bad, header);
        assertOneLineError(t2c("run", EXAMPLES.resolve("fashion_cnn.onnx").toString(), "--input", bad.toString(), "--output",
                dir.resolve("y.npy").toString()), "bad.npy");
        assertTrue(!Files.exists(dir.resolve("y.npy")), "nothing written on error");
    }

    @Test
    void wrongInputShapeIsOneLineError() {
        Path x = dir.resolve("x.npy");
        Npy.write(x, Tensor.zeros(DType.FLOAT32, 2, 3, 28, 28));
        assertOneLineError(t2c("run", EXAMPLES.resolve("fashion_cnn.onnx").toString(), "--input", x.toString(), "--output",
                dir.resolve("y.npy").toString()), "input 'image' must have shape [N, 1, 28, 28]");
    }

    @Test
    void badFlagsAreOneLineErrors() {
        assertOneLineError(t2c("inspect", "--frobnicate", "m.onnx"), "--frobnicate");
        assertOneLineError(t2c("run", "m.onnx"), "--input");
        assertOneLineError(t2c("inspect", dir.resolve("nothing.onnx").toString()), "no such file");
    }

    @Test
    void helpShowsARunnableExample() {
        Result r = t2c("run", "--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("./t2c run examples/fashion_cnn.onnx"), r.out());
    }
}
