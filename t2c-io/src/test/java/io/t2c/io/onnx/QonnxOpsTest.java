package io.t2c.io.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.t2c.graph.Attributes;
import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.io.onnx.QonnxOps.Mode;
import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class QonnxOpsTest {
    /** A Quant node on the graph input x [N, 3, 2, 2] with per-channel scale and zero point, in the given domain. */
    static ModelProto quantModel(String domain, Attributes attrs, float[] scale, float[] zp, Tensor bits) {
        OnnxBuilder b = new OnnxBuilder("q", 13).opsetImport(domain, 1);
        String x = b.input("x", DType.FLOAT32, -1, 3, 2, 2);
        String s = b.initializer("scale", Tensor.of(scale, scale.length == 1 ? new int[0] : new int[] {1, 3, 1, 1}));
        String z = b.initializer("zeropt", Tensor.of(zp, zp.length == 1 ? new int[0] : new int[] {1, 3, 1, 1}));
        String w = b.initializer("bitwidth", bits);
        b.node(domain, "Quant", "quant", attrs, List.of(x, s, z, w), List.of("y"));
        b.output("y", DType.FLOAT32, -1, 3, 2, 2);
        return b.build();
    }

    static Tensor run(ModelProto m, Tensor x) {
        Graph g = new OnnxImporter(io.t2c.graph.op.OpRegistry.standard()).convert(m, "q.onnx");
        return new Executor(g).run(Map.of("x", x)).get("y");
    }

    @Test
    void roundingModesFollowQonnxTable() {
        // QONNX's documented table: inputs, then one row per mode (ROUND, CEIL, FLOOR, UP, DOWN, HALF_UP, HALF_DOWN).
        double[] in = {5.5, 2.5, 1.6, 1.1, 1.0, -1.0, -1.1, -1.6, -2.5, -5.5};
        Map<Mode, double[]> want = Map.of(
                Mode.ROUND, new double[] {6, 2, 2, 1, 1, -1, -1, -2, -2, -6},
                Mode.CEIL, new double[] {6, 3, 2, 2, 1, -1, -1, -1, -2, -5},
                Mode.FLOOR, new double[] {5, 2, 1, 1, 1, -1, -2, -2, -3, -6},
                Mode.UP, new double[] {6, 3, 2, 2, 1, -1, -2, -2, -3, -6},
                Mode.DOWN, new double[] {5, 2, 1, 1, 1, -1, -1, -1, -2, -5},
                Mode.HALF_UP, new double[] {6, 3, 2, 1, 1, -1, -1, -2, -3, -6},
                Mode.HALF_DOWN, new double[] {5, 2, 2, 1, 1, -1, -1, -2, -2, -5});
        for (Mode m : Mode.values()) {
            for (int i = 0; i < in.length; i++) {
                assertEquals(want.get(m)[i], m.round(in[i]), m + " of " + in[i]);
            }
        }
    }

    @Test
    void quantMatchesTheDefinitionPerChannelWithOddZeroPointsAndTies() {
        float[] scale = {0.25f, 0.1f, 0.5f};
        float[] zp = {3, -2, 0};
        Random r = new Random(11);
        float[] v = new float[4 * 12];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * 2);
        }
        // exact ties of x/Δ: 0.625 / 0.25 = 2.5 (channel 0, odd zero point 3), −0.25 / 0.5 = −0.5 (channel 2)
        v[0] = 0.625f;
        v[8] = -0.25f;
        Tensor x = Tensor.of(v, 4, 3, 2, 2);
        for (String domain : List.of(QonnxOps.DOMAIN, QonnxOps.FINN_DOMAIN)) {
            for (Mode m : Mode.values()) {
                for (boolean signed : new boolean[] {true, false}) {
                    Attributes a = Attributes.of("signed", signed ? 1L : 0L, "narrow", 1L, "rounding_mode",
                            m.name().toLowerCase(java.util.Locale.ROOT));
                    float[] y = run(quantModel(domain, a, scale, zp, Tensor.scalar(4f).reshape()), x).floats();
                    double lo = signed ? -7 : 0;
                    double hi = signed ? 7 : 14;
                    for (int i = 0; i < v.length; i++) {
                        int c = i / 4 % 3;
                        // the definition with the sum held exactly (all values here are short binary fractions)
                        double q = m.round(Math.max(lo, Math.min(hi, (double) v[i] / scale[c] + zp[c])));
                        assertEquals((float) ((q - zp[c]) * scale[c]), y[i], m + " signed " + signed + " at " + i);
                    }
                }
            }
        }
        float[] y = run(quantModel(QonnxOps.DOMAIN, Attributes.EMPTY, scale, zp, Tensor.scalar(4f).reshape()), x)
                .floats();
        assertEquals(3 * 0.25f, y[0], "ROUND (the default) rounds x/Δ + zeropt: 2.5 + 3 = 5.5 → 6, so 3 steps,"
                + " where half-even of x/Δ alone would give 2");
    }

    @Test
    void bitwidthAsInt32AndBipolarQuant() {
        Tensor x = Tensor.of(new float[] {-1.5f, 0f, 2f, -0f}, 1, 1, 2, 2);
        float[] y = run(quantModel(QonnxOps.DOMAIN, Attributes.EMPTY, new float[] {1f}, new float[] {0f},
                Tensor.ofInts(new int[] {2}, new int[0])), Tensor.of(new float[] {-3f, -1.5f, 0.4f, 9f,
                        0, 0, 0, 0, 0, 0, 0, 0}, 1, 3, 2, 2)).floats();
        assertArrayEquals(new float[] {-2f, -2f, 0f, 1f}, java.util.Arrays.copyOf(y, 4), "2 bits signed: [−2, 1]");

        OnnxBuilder b = new OnnxBuilder("bq", 13).opsetImport(QonnxOps.DOMAIN, 1);
        String in = b.input("x", DType.FLOAT32, 1, 1, 2, 2);
        String s = b.initializer("scale", Tensor.scalar(0.5f).reshape());
        b.node(QonnxOps.DOMAIN, "BipolarQuant", "bq", Attributes.EMPTY, List.of(in, s), List.of("y"));
        b.output("y", DType.FLOAT32, 1, 1, 2, 2);
        Graph g = new OnnxImporter(io.t2c.graph.op.OpRegistry.standard()).convert(b.build(), "bq.onnx");
        assertArrayEquals(new float[] {-0.5f, 0.5f, 0.5f, 0.5f}, new Executor(g).run(Map.of("x", x)).get("y").floats());
    }

    @Test
    void badAttributesAndBitWidthsAreRefusedNamingTheNode() {
        float[] one = {1f};
        Tensor x = Tensor.of(new float[12], 1, 3, 2, 2);
        Map<String, ModelProto> bad = new java.util.LinkedHashMap<>();
        bad.put("unknown rounding_mode 'NEAREST'", quantModel(QonnxOps.DOMAIN,
                Attributes.of("rounding_mode", "NEAREST"), one, one, Tensor.scalar(8f).reshape()));
        bad.put("signed must be the integer 0 or 1", quantModel(QonnxOps.DOMAIN, Attributes.of("signed", 2L), one,
                one, Tensor.scalar(8f).reshape()));
        bad.put("unknown attribute 'dtype'", quantModel(QonnxOps.DOMAIN, Attributes.of("dtype", "INT8"), one, one,
                Tensor.scalar(8f).reshape()));
        bad.put("bitwidth must be an integer from 1 to 32, got 2.5", quantModel(QonnxOps.DOMAIN, Attributes.EMPTY,
                one, one, Tensor.scalar(2.5f).reshape()));
        bad.put("bitwidth must be an integer from 1 to 32, got 0", quantModel(QonnxOps.DOMAIN, Attributes.EMPTY,
                one, one, Tensor.scalar(0f).reshape()));
        bad.put("bitwidth must be an integer from 1 to 32, got 33", quantModel(QonnxOps.DOMAIN, Attributes.EMPTY,
                one, one, Tensor.scalar(33f).reshape()));
        bad.put("scale must be positive and finite, got -1", quantModel(QonnxOps.DOMAIN, Attributes.EMPTY,
                new float[] {-1f}, one, Tensor.scalar(8f).reshape()));
        for (Map.Entry<String, ModelProto> e : bad.entrySet()) {
            T2cException ex = assertThrows(T2cException.class, () -> run(e.getValue(), x), e.getKey());
            assertTrue(ex.getMessage().contains(e.getKey()) && ex.getMessage().contains("quant"), ex.getMessage());
        }
        ModelProto otherDomain = quantModel("com.example", Attributes.EMPTY, one, one, Tensor.scalar(8f).reshape());
        T2cException ex = assertThrows(T2cException.class, () -> run(otherDomain, x));
        assertTrue(ex.getMessage().contains("com.example.Quant"), ex.getMessage());
    }
}
