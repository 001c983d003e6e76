package io.t2c.cli;

import static io.t2c.cli.CliTest.EXAMPLES;
import static io.t2c.cli.CliTest.assertOneLineError;
import static io.t2c.cli.CliTest.t2c;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashSet;

import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RUN/report.html from a real ptq + convert run of the example CNN: its content, and that a browser renders it. */
class RunReportTest {
    private static final Pattern IMAGE = Pattern.compile("<img [^>]*src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"");

    @TempDir
    static Path dir;
    static Path run;

    @BeforeAll
    static void ptqAndConvert() {
        run = dir.resolve("run");
        CliTest.Result p = t2c("ptq", EXAMPLES.resolve("fashion_cnn.onnx").toString(), "--out", run.toString(),
                "--wq", "minmax_channel", "--aq", "lsq", "--wbit", "4", "--abit", "4", "--samples", "64", "--recon",
                "none", "--limit", "200", "--json");
        assertEquals(0, p.code(), p.err());
        CliTest.Result c = t2c("convert", run.toString(), "--limit", "200", "--json");
        assertTrue(c.code() <= 1, c.err());
    }

    @Test
    void thePageIsSelfContainedWithTheSummaryTableAndOnePngPerChart() throws IOException {
        CliTest.Result r = t2c("report", run.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        String html = Files.readString(run.resolve("report.html"));
        assertTrue(html.contains("<table>") && html.contains("fake-quant top-1") && html.contains("integer top-1"));
        assertTrue(html.contains("Per-layer SQNR"), "convert's summary.json feeds the SQNR chart");
        assertFalse(html.contains("http://") || html.contains("https://"), "no external references");
        Matcher m = IMAGE.matcher(html);
        int images = 0;
        while (m.find()) {
            BufferedImage png = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(m.group(1))));
            assertTrue(png != null && png.getWidth() > 100, "chart " + images + " is a PNG");
            images++;
        }
        assertEquals(j.get("charts").asInt(), images);
        assertEquals(html.split("<img ", -1).length - 1, images, "every image is an embedded PNG");
        // SQNR + per quantizer (4 weights, 4 activations of the CNN at least) a histogram.
        assertTrue(images >= 9, images + " charts");
        assertTrue(html.contains("q in [-8, 7]"), "the 4-bit grid is described");
    }

    @Test
    void convertPersistsItsSummaryBesideTheIntegerModel() throws IOException {
        JsonNode s = new ObjectMapper().readTree(run.resolve("t2c/summary.json").toFile());
        assertTrue(s.get("sqnr_db").size() > 0);
        assertEquals(s.get("ops").asInt(), s.get("bit_exact").asInt());
    }

    @Test
    void headlessChromiumRendersTheChartsWhenInstalled() throws Exception {
        String chromium = onPath("chromium");
        Assumptions.assumeTrue(chromium != null, "chromium is not on PATH");
        assertEquals(0, t2c("report", run.toString()).code());
        Path shot = dir.resolve("shot.png");
        Process p = new ProcessBuilder(chromium, "--headless", "--disable-gpu", "--no-sandbox",
                "--screenshot=" + shot, "--window-size=1200,2000",
                run.resolve("report.html").toAbsolutePath().toUri().toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("chromium.log").toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium finished");
        BufferedImage img = ImageIO.read(shot.toFile());
        assertTrue(img != null && img.getWidth() == 1200, "a 1200 px wide screenshot");
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 4) {
            for (int x = 0; x < img.getWidth(); x += 4) {
                colours.add(img.getRGB(x, y));
            }
        }
        // Text alone gives a few grey levels; the charts' blue bars and red grid add many more.
        assertTrue(colours.size() > 50, colours.size() + " colours: the page rendered blank or without charts");
    }

    @Test
    void convertWithAnUnknownPtqNameListsTheNamesThereAre() {
        assertOneLineError(t2c("convert", run.toString(), "--ptq", "nope"), "--ptq takes one of [minmax_channel_lsq]");
    }

    @Test
    void aFolderThatIsNoRunIsAOneLineError() {
        assertOneLineError(t2c("report", dir.resolve("nothing").toString()), "not a run folder", "t2c ptq");
    }

    private static String onPath(String name) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            File f = new File(d, name);
            if (f.canExecute()) {
                return f.getPath();
            }
        }
        return null;
    }
}
