package io.t2c.cli;

import static io.t2c.cli.CliTest.EXAMPLES;
import static io.t2c.cli.CliTest.assertOneLineError;
import static io.t2c.cli.CliTest.t2c;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code t2c quickstart} end to end on the example CNN (the shipped ResNet-20 is the default model). */
class QuickstartCommandTest {
    @TempDir
    Path dir;

    @Test
    void runsEveryStageAndReportsAllOpsBitExact() throws IOException {
        Path run = dir.resolve("qs");
        CliTest.Result r = t2c("quickstart", "--model", EXAMPLES.resolve("fashion_cnn.onnx").toString(), "--out",
                run.toString(), "--limit", "300", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(j.get("ops").asInt(), j.get("bit_exact").asInt());
        assertEquals(j.get("extracted_ops").asInt(), j.get("self_check").asInt());
        assertTrue(j.get("integer_top1").asDouble() > 0.8, r.out());
        assertTrue(Files.isRegularFile(Path.of(j.get("paths").get("C reference").asText()).resolve("model.c")));
        if (io.t2c.convert.export.CCheck.gcc().isPresent()) {
            assertEquals(4, j.get("c_bit_exact").asInt(), r.err());
            assertEquals(4, j.get("c_samples").asInt());
        } else {
            assertTrue(j.get("c_bit_exact").isNull());
        }
        assertTrue(j.get("seconds").has("export C"), j.get("seconds").toString());
        for (JsonNode p : j.get("paths")) {
            assertTrue(Files.exists(Path.of(p.asText())), p.asText());
        }
        assertTrue(Files.readString(run.resolve("quickstart.log")).contains("$ t2c convert"));
    }

    @Test
    void aMissingModelIsAOneLineError() {
        assertOneLineError(t2c("quickstart", "--model", dir.resolve("nope").toString(), "--out",
                dir.resolve("r").toString()), "does not exist");
    }
}
