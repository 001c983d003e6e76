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

/** {@code t2c extract}: ptq, convert, extract end to end with --json, and one-line errors that write nothing. */
class ExtractCommandTest {
    @TempDir
    Path dir;

    @Test
    void extractsEveryOpAndTheSelfCheckPasses() throws IOException {
        Path run = dir.resolve("run");
        assertEquals(0, t2c("ptq", EXAMPLES.resolve("fashion_cnn.onnx").toString(), "--out", run.toString(),
                "--samples", "128", "--recon", "none", "--limit", "100").code());
        assertEquals(0, t2c("convert", run.toString(), "--limit", "100", "--samples", "2").code());
        CliTest.Result r = t2c("extract", run.toString(), "--samples", "2", "--format", "npy,hex,bin,c", "--pe",
                "16x8", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertTrue(j.get("ops").asInt() >= 10);
        assertEquals(j.get("ops").asInt(), j.get("self_check").asInt());
        assertEquals("[0,1]", j.get("samples").toString());
        Path tensors = run.resolve("t2c/tensors");
        assertEquals(tensors.toString(), j.get("path").asText());
        try (var files = Files.walk(tensors)) {
            assertEquals(j.get("files").asInt(), files.filter(Files::isRegularFile).count());
        }
        assertTrue(Files.isRegularFile(tensors.resolve("stem_stem.0_Conv/pe_x.hex")));
        assertTrue(r.err().contains("self-check: " + j.get("ops").asInt() + "/" + j.get("ops").asInt() + " ops"));
    }

    @Test
    void badRunsFormatsAndArraySizesAreOneLineErrorsThatWriteNothing() {
        assertOneLineError(t2c("extract", dir.toString()), "run t2c convert");
        assertOneLineError(t2c("extract", dir.toString(), "--format", "npy,verilog"), "unknown tensor format");
        assertOneLineError(t2c("extract", dir.toString(), "--pe", "16by16"), "--pe expects RxC");
        assertFalse(Files.exists(dir.resolve("t2c")));
    }
}
