package io.t2c.cli;

import static io.t2c.cli.CliTest.EXAMPLES;
import static io.t2c.cli.CliTest.assertOneLineError;
import static io.t2c.cli.CliTest.t2c;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code t2c export}: ptq, convert, export end to end with --json (ONNX checked in ONNX Runtime, C compiled with gcc
 * when present), and one-line errors.
 */
class ExportCommandTest {
    @TempDir
    Path dir;

    @Test
    void exportsBothOnnxStylesAndCAndTheExactOnesAreBitExact() throws IOException {
        Path run = dir.resolve("run");
        assertEquals(0, t2c("ptq", EXAMPLES.resolve("fashion_cnn.onnx").toString(), "--out", run.toString(),
                "--samples", "128", "--recon", "none", "--limit", "100").code());
        assertEquals(0, t2c("convert", run.toString(), "--limit", "100", "--samples", "2").code());

        CliTest.Result exact = t2c("export", run.toString(), "--to", "onnx", "--json");
        assertEquals(0, exact.code(), exact.err());
        JsonNode j = new ObjectMapper().readTree(exact.out());
        assertEquals(run.resolve("t2c/model.onnx").toString(), j.get("path").asText());
        assertTrue(Files.size(run.resolve("t2c/model.onnx")) > 10_000);
        assertEquals("exact", j.get("style").asText());
        assertTrue(j.get("ops").get("ConvInteger").asInt() >= 5, j.get("ops").toString());
        assertEquals(16, j.get("samples").asInt());
        assertEquals(16, j.get("bit_exact_vs_ort").asInt());
        assertTrue(exact.err().contains("bit-exact vs ONNX Runtime: 16/16 samples"), exact.err());

        Path qop = dir.resolve("qop.onnx");
        CliTest.Result q = t2c("export", run.toString(), "--to", "onnx", "--style", "qoperator", "--out",
                qop.toString(), "--samples", "32", "--json");
        assertEquals(0, q.code(), q.err());
        JsonNode k = new ObjectMapper().readTree(q.out());
        assertEquals("qoperator", k.get("style").asText());
        assertTrue(k.get("ops").has("QLinearConv"), k.get("ops").toString());
        assertTrue(k.get("bit_exact_vs_ort").isNull());
        assertTrue(k.get("top1_agreement").asDouble() >= 0.9, k.toString());
        assertTrue(q.err().contains("not bit-exact by construction"), q.err());
        assertTrue(Files.isRegularFile(qop));

        CliTest.Result c = t2c("export", run.toString(), "--to", "c", "--samples", "4", "--json");
        assertEquals(0, c.code(), c.err());
        JsonNode cj = new ObjectMapper().readTree(c.out());
        Path folder = run.resolve("t2c/c");
        assertEquals(folder.toString(), cj.get("path").asText());
        for (String file : new String[] {"model.h", "model.c", "main.c", "Makefile", "README.txt"}) {
            assertTrue(Files.isRegularFile(folder.resolve(file)), file);
        }
        assertTrue(cj.get("ops").get("IntConv").asInt() >= 5, cj.get("ops").toString());
        if (io.t2c.convert.export.CCheck.gcc().isPresent()) {
            assertEquals(4, cj.get("bit_exact_vs_c").asInt(), c.err());
            assertTrue(c.err().contains("C reference: 4/4 samples bit-exact"), c.err());
        } else {
            assertTrue(cj.get("bit_exact_vs_c").isNull());
            assertTrue(c.err().contains("not checked"), c.err());
        }
        try (var files = Files.list(run.resolve("t2c"))) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().contains(".tmp-")), "no temporary folder left");
        }
    }

    @Test
    void qonnxExportsTheFakeQuantModelAndInspectAndRunReadIt() throws IOException {
        Path run = dir.resolve("run");
        assertEquals(0, t2c("ptq", EXAMPLES.resolve("fashion_cnn.onnx").toString(), "--out", run.toString(),
                "--samples", "128", "--recon", "none", "--limit", "100", "--wbit", "4").code());
        CliTest.Result r = t2c("export", run.toString(), "--to", "qonnx", "--samples", "8", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        Path file = run.resolve("t2c/model.qonnx.onnx");
        assertEquals(file.toString(), j.get("path").asText());
        assertEquals("qonnx", j.get("to").asText());
        assertEquals(15, j.get("quant_nodes").asInt(), j.toString());
        assertEquals(7, j.get("bit_widths").get("4").asInt(), "seven weight quantizers at 4 bits: " + j);
        assertEquals(8, j.get("bit_widths").get("8").asInt(), "eight activation quantizers at 8 bits: " + j);
        assertEquals(8, j.get("equal_samples").asInt());
        assertTrue(r.err().contains("15 Quant + 0 BipolarQuant nodes (8 × 8-bit, 7 × 4-bit)")
                || r.err().contains("15 Quant + 0 BipolarQuant nodes (7 × 4-bit, 8 × 8-bit)"), r.err());
        assertTrue(Files.isRegularFile(file));

        CliTest.Result inspect = t2c("inspect", file.toString(), "--json");
        assertEquals(0, inspect.code(), inspect.err());
        assertTrue(inspect.out().contains("\"Quant\""), inspect.out());
        Path logits = dir.resolve("logits.npy");
        CliTest.Result ran = t2c("run", file.toString(), "--input", EXAMPLES.resolve("fashion_samples.npy").toString(),
                "--output", logits.toString());
        assertEquals(0, ran.code(), ran.err());
        assertTrue(Files.isRegularFile(logits));

        Path strict = dir.resolve("strict.qonnx.onnx");
        CliTest.Result s = t2c("export", run.toString(), "--to", "qonnx", "--strict-ties", "--out", strict.toString());
        if (j.get("tie_notes").size() > 0) {
            assertOneLineError(s, "odd zero point", "refused (strict)");
            assertFalse(Files.exists(strict), "nothing written");
        } else {
            assertEquals(0, s.code(), s.err());
        }
        try (var files = Files.list(run.resolve("t2c"))) {
            assertTrue(files.allMatch(f -> f.getFileName().toString().equals("model.qonnx.onnx")),
                    "only the file, no temporary left");
        }
    }

    @Test
    void errorsAreOneLineAndWriteNothing() throws IOException {
        assertOneLineError(t2c("export", dir.toString(), "--to", "onnx"), "run t2c convert");
        assertOneLineError(t2c("export", dir.toString(), "--to", "qonnx"), "run t2c ptq first");
        assertOneLineError(t2c("export", dir.toString(), "--to", "tflite"), "--to tflite is not supported");
        assertOneLineError(t2c("export", dir.toString(), "--to", "c", "--ptq", "x"), "applies to --to qonnx only");
        assertOneLineError(t2c("export", dir.toString(), "--to", "onnx", "--style", "qdq"), "unknown export style");
        assertOneLineError(t2c("export", dir.toString(), "--to", "c", "--style", "qoperator"), "applies to --to onnx");
        try (var files = Files.list(dir)) {
            assertFalse(files.findAny().isPresent());
        }
    }
}
