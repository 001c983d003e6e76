package com.example.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.cli.Main;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.io.bundle.ModelBundle;
import io.t2c.quant.FakeQuantOp;
import io.t2c.quant.QuantizerRegistry;
import io.t2c.tensor.Tensor;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plug-in found through ServiceLoader and used by {@code t2c ptq} with no change to the toolkit. */
class PowerOfTwoWeightsTest {
    @TempDir
    Path dir;

    @Test
    void theRegistryFindsThePlugIn() {
        assertTrue(QuantizerRegistry.standard().get("pow2_channel") instanceof PowerOfTwoWeights);
    }

    @Test
    void ptqConvertExtractWithFiveBitPowerOfTwoWeights() throws java.io.IOException {
        StringWriter err = new StringWriter();
        Path run = dir.resolve("run");
        int code = Main.execute(new String[] {"ptq", Path.of("..", "fashion_cnn.onnx").toString(), "--out",
                run.toString(), "--wq", "pow2_channel", "--wbit", "5", "--aq", "minmax", "--samples", "128", "--limit",
                "200"}, new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
        assertEquals(0, code, err.toString());
        Graph q = ModelBundle.read(run.resolve("ptq/pow2_channel_minmax/model"));
        int weights = 0;
        for (Node n : q.nodes()) {
            if (n.opType().equals(FakeQuantOp.NAME) && FakeQuantOp.role(n) == io.t2c.quant.Role.WEIGHT) {
                weights++;
                assertEquals(5, n.attributes().getInt("bits", 0));
                for (float s : q.initializer(n.input(1)).floats()) {
                    assertEquals(0, Float.floatToIntBits(s) & 0x7FFFFF, n.name() + ": step " + s + " is a power of two");
                }
                Tensor w = q.initializer(n.input(0));
                var ctx = FakeQuantOp.context(n, java.util.Arrays.asList(w, q.initializer(n.input(1)),
                        q.initializer(n.input(2))));
                for (int code5 : FakeQuantOp.quantizer(n).toInteger(ctx, w).ints()) {
                    assertTrue(code5 >= -16 && code5 <= 15, "5-bit code " + code5);
                }
            }
        }
        assertTrue(weights > 0);

        // The same run through the rest of the flow, still with no change to the toolkit.
        StringWriter convertOut = new StringWriter();
        assertEquals(0, Main.execute(new String[] {"convert", run.toString(), "--limit", "200", "--json", "--no-report"},
                new PrintWriter(convertOut, true), new PrintWriter(err, true)), err.toString());
        var report = new com.fasterxml.jackson.databind.ObjectMapper().readTree(convertOut.toString());
        assertEquals(report.get("ops").asInt(), report.get("bit_exact").asInt(), convertOut.toString());
        assertEquals(0, Main.execute(new String[] {"extract", run.toString(), "--samples", "1", "--format", "npy,hex"},
                new PrintWriter(new StringWriter(), true), new PrintWriter(err, true)), err.toString());
    }
}
