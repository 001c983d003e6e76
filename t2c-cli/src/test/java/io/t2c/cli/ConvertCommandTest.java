package io.t2c.cli;

import static io.t2c.cli.CliTest.EXAMPLES;
import static io.t2c.cli.CliTest.assertOneLineError;
import static io.t2c.cli.CliTest.t2c;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.t2c.io.bundle.ModelBundle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code t2c convert}: ptq then convert end to end, the JSON report, and one-line errors on bad runs. */
class ConvertCommandTest {
    @TempDir
    Path dir;

    @Test
    void convertsTheOnlyPtqRunAndReportsEveryOpBitExact() throws IOException {
        Path run = dir.resolve("run");
        CliTest.Result p = t2c("ptq", EXAMPLES.resolve("fashion_cnn.onnx").toString(), "--out", run.toString(),
                "--samples", "128", "--recon", "none", "--limit", "200", "--json");
        assertEquals(0, p.code(), p.err());
        CliTest.Result r = t2c("convert", run.toString(), "--limit", "300", "--samples", "8", "--rounding",
                "half-even", "--requant-bits", "16", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertTrue(j.get("ops").asInt() > 10);
        assertEquals(j.get("ops").asInt(), j.get("bit_exact").asInt());
        assertTrue(Math.abs(j.get("integer_top1").asDouble() - j.get("fakequant_top1").asDouble()) < 0.02);
        assertTrue(j.get("agreement").asDouble() > 0.95);
        assertTrue(j.get("sqnr_db").get("/stem/stem.0/Conv").asDouble() > 20, j.get("sqnr_db").toString());
        assertTrue(ModelBundle.isBundle(run.resolve("t2c/model")));
        assertTrue(Files.list(run.resolve("t2c")).noneMatch(f -> f.getFileName().toString().contains(".tmp-")));
    }

    @Test
    void aFolderWithoutPtqResultsIsAOneLineError() {
        assertOneLineError(t2c("convert", dir.toString()), "run t2c ptq first");
        assertOneLineError(t2c("convert", dir.toString(), "--requant-bits", "8"), "--requant-bits must be 32 or 16");
    }
}
