package io.t2c.cli;

import static io.t2c.cli.CliTest.EXAMPLES;
import static io.t2c.cli.CliTest.assertOneLineError;
import static io.t2c.cli.CliTest.t2c;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.t2c.io.bundle.ModelBundle;
import io.t2c.quant.QuantizerRegistry;
import io.t2c.quant.ptq.PtqConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code t2c ptq}: the run folder, the JSON summary, configs, and one-line errors. */
class PtqCommandTest {
    @TempDir
    Path dir;

    @Test
    void writesTheRunFolderAndReportsFloatAndFakeQuantAccuracy() throws IOException {
        Path run = dir.resolve("run");
        CliTest.Result r = t2c("ptq", EXAMPLES.resolve("fashion_cnn.onnx").toString(), "--out", run.toString(),
                "--samples", "128", "--limit", "500", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals("minmax_channel", j.get("wq").asText());
        assertEquals(500, j.get("samples").asInt());
        double fp = j.get("fp32_top1").asDouble();
        double q = j.get("fakequant_top1").asDouble();
        assertTrue(fp > 0.8 && Math.abs(fp - q) < 0.02, fp + " vs " + q);
        Path ptq = run.resolve("ptq/minmax_channel_minmax");
        assertTrue(ModelBundle.isBundle(ptq.resolve("model")));
        assertTrue(Files.exists(ptq.resolve("config.yaml")) && Files.exists(run.resolve("config.yaml")));
        assertTrue(Files.readString(run.resolve("log.txt")).contains("ptq"));
        assertTrue(Files.list(run.resolve("ptq")).noneMatch(p -> p.getFileName().toString().contains(".tmp-")));
        CliTest.Result eval = t2c("eval", ptq.resolve("model").toString(), "--data", "fashion-mnist:test", "--limit",
                "500", "--json");
        assertEquals(q, new ObjectMapper().readTree(eval.out()).get("top1").asDouble(), 1e-9,
                "the saved fake-quant bundle evaluates to the accuracy ptq reported");
    }

    @Test
    void aConfigReadBackEqualsTheConfigWritten() throws IOException {
        Path c = dir.resolve("c.yaml");
        Files.writeString(c, """
                quantization:
                  wqtype: minmax_channel
                  xqtype: lsq
                  wbit: 4
                  abit: 8
                  num_samples: 512
                  requires_grad: true
                  reconstruction: block
                  overrides:
                    - pattern: "fc*"
                      wbit: 8
                train:
                  lr: 0.002
                  epochs: 2
                  batch_size: 32
                  optim_type: adam
                  loss_type: mse
                seed: 7
                """);
        PtqConfig read = QuantConfigFile.read(c);
        assertEquals(4, read.wbit());
        assertEquals(PtqConfig.Reconstruction.BLOCK, read.reconstruction());
        assertEquals(8, read.overrides().get(0).wbit());
        Files.writeString(c, QuantConfigFile.write(read));
        assertEquals(read, QuantConfigFile.read(c));
    }

    @Test
    void everyShippedConfigReadsAndNamesKnownQuantizers() throws IOException {
        try (var files = Files.list(Path.of("..", "configs"))) {
            List<Path> yamls = files.filter(p -> p.toString().endsWith(".yaml")).toList();
            assertTrue(yamls.size() >= 20, "configs/: one per shipped model and method");
            for (Path y : yamls) {
                PtqConfig c = QuantConfigFile.read(y);
                QuantizerRegistry.standard().get(c.wq());
                QuantizerRegistry.standard().get(c.aq());
            }
        }
    }

    @Test
    void unknownConfigKeysAndQuantizersAreOneLineErrors() throws IOException {
        Path c = dir.resolve("bad.yaml");
        Files.writeString(c, "quantization:\n  wqtype: minmax\n  xqtype: lsq\n  wbits: 4\n");
        String model = EXAMPLES.resolve("fashion_cnn.onnx").toString();
        assertOneLineError(t2c("ptq", model, "--out", dir.resolve("r").toString(), "--config", c.toString()),
                "quantization.wbits");
        assertOneLineError(t2c("ptq", model, "--out", dir.resolve("r").toString(), "--wq", "nonesuch"),
                "unknown quantizer 'nonesuch'", "minmax");
        assertOneLineError(t2c("ptq", model, "--out", dir.resolve("r").toString(), "--wbit", "17"), "bit widths");
        assertTrue(Files.notExists(dir.resolve("r")), "no half-written run folder");
    }
}
