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
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code t2c sweep}: the grid of cells, the table files, the chart, and a failing cell that does not stop the rest. */
class SweepCommandTest {
    @TempDir
    Path dir;

    @Test
    void writesTheTableChartAndReportAndRecordsAFailingCell() throws IOException {
        Path out = dir.resolve("sweep");
        CliTest.Result r = t2c("sweep", EXAMPLES.resolve("fashion_cnn.onnx").toString(), "--methods",
                "minmax_channel+minmax,minmax_channel+no_such_quantizer", "--bits", "W8A8,W4A4", "--samples", "64",
                "--limit", "200", "--integer", "--out", out.toString(), "--json");
        assertEquals(1, r.code(), "a failed cell makes the exit code 1: " + r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        JsonNode cells = j.get("cells");
        assertEquals(4, cells.size());
        JsonNode w8 = cells.get(0);
        assertEquals("W8A8", w8.get("bits").asText());
        assertTrue(w8.get("fakequant_top1").asDouble() > 0.8, w8.toString());
        assertEquals(w8.get("ops").asInt(), w8.get("bit_exact").asInt(), "the integer model is bit-exact");
        assertTrue(cells.get(1).get("fakequant_top1").asDouble() < w8.get("fakequant_top1").asDouble() + 0.05);
        for (int i = 2; i < 4; i++) {
            assertTrue(cells.get(i).get("error").asText().contains("no_such_quantizer"), cells.get(i).toString());
        }

        List<String> md = Files.readAllLines(out.resolve("sweep.md"));
        assertEquals(3, md.size(), "header, separator, one model row");
        assertTrue(md.get(0).contains("minmax_channel+minmax W4A4") && md.get(2).startsWith("| fashion_cnn |"));
        assertTrue(md.get(2).contains("error: ") && md.get(2).contains("exact)"), md.get(2));
        List<String> csv = Files.readAllLines(out.resolve("sweep.csv"));
        assertEquals(2, csv.size());
        assertTrue(csv.get(0).startsWith("model,FP32,minmax_channel+minmax W8A8,"), csv.get(0));
        assertTrue(ImageIO.read(out.resolve("sweep.png").toFile()).getWidth() > 100, "the chart is a PNG");
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("<h2>Sweep</h2>") && html.contains("data:image/png;base64,"));
        assertTrue(Files.isDirectory(out.resolve("cells/fashion_cnn/minmax_channel_minmax_W4A4/t2c/model")));
    }

    @Test
    void badMethodsAndBitsAreOneLineErrors() {
        String model = EXAMPLES.resolve("fashion_cnn.onnx").toString();
        assertOneLineError(t2c("sweep", model, "--methods", "lsq", "--bits", "W8A8"), "not WQ+AQ", "--methods");
        assertOneLineError(t2c("sweep", model, "--methods", "minmax+lsq", "--bits", "8bit"), "not WnAm", "--bits W8A8");
        assertOneLineError(t2c("sweep", dir.resolve("nope.onnx").toString(), "--methods", "minmax+lsq", "--bits",
                "W8A8"), "does not exist");
    }
}
