package io.t2c.quant.transform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.graph.Attributes;
import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.models.ModelBuilder;
import io.t2c.models.ModelConfig;
import io.t2c.models.ModelZoo;
import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SmoothQuantTest {
    private static Tensor gaussian(long seed, int... shape) {
        Random r = new Random(seed);
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return Tensor.of(v, shape);
    }

    private static double relativeDifference(Tensor a, Tensor b) {
        double diff = 0;
        double scale = 0;
        for (int i = 0; i < a.size(); i++) {
            diff = Math.max(diff, Math.abs(a.floats()[i] - b.floats()[i]));
            scale = Math.max(scale, Math.abs(a.floats()[i]));
        }
        return diff / scale;
    }

    @Test
    void vitKeepsItsFunctionAndItsLayerNormOutputsAreFlattened() {
        Graph vit = ModelZoo.build("vit_tiny_patch4_32", new ModelConfig(10, 3, 16, 11));
        List<String> values = SmoothQuant.smoothable(vit);
        assertEquals(2 * 12, values.size(), "norm1 → qkv and norm2 → fc1 of each of the 12 blocks: " + values);
        String input = vit.inputs().get(0).name();
        Tensor x = gaussian(12, 2, 3, 16, 16);
        List<Map<String, Tensor>> batches = List.of(Map.of(input, x), Map.of(input, gaussian(13, 2, 3, 16, 16)));
        Map<String, float[]> before = SmoothQuant.activationMaxima(vit, values, batches);

        SmoothQuant pass = new SmoothQuant(before, SmoothQuant.VISION_ALPHA);
        var result = pass.apply(vit);
        assertTrue(result.changed());
        Graph smoothed = result.graph();
        assertTrue(relativeDifference(new Executor(vit).run(x), new Executor(smoothed).run(x)) <= 1e-4);

        Map<String, float[]> after = SmoothQuant.activationMaxima(smoothed, values, batches);
        String norm1 = values.get(0);
        float[] s = pass.scales().get(norm1);
        float[] qkvWeight = smoothed.initializer(smoothed.consumers(norm1).get(0).input(1)).floats();
        int in = s.length;
        for (int j = 0; j < in; j++) {
            assertEquals(before.get(norm1)[j] / s[j], after.get(norm1)[j], 1e-4 * before.get(norm1)[j], "channel " + j);
            double weightMax = 0;
            for (int o = 0; o < qkvWeight.length / in; o++) {
                weightMax = Math.max(weightMax, Math.abs(qkvWeight[o * in + j]));
            }
            // α = 0.5: activation and weight column meet at √(max|X_j|·max|W_j|).
            assertEquals(after.get(norm1)[j], weightMax, 1e-4 * weightMax, "channel " + j);
        }
    }

    /** x → fc1 (Gemm, transB) → fc2 (MatMul) → y, with one loud input channel of fc2. */
    private static Graph twoLinears() {
        ModelBuilder b = new ModelBuilder("mlp", 21);
        String x = b.input("input", DType.FLOAT32, 5, 6);
        String h = b.linear("fc1", x, 4);
        String w2 = b.uniform("fc2.weight", 0.5, 4, 3);
        return b.output(b.op("fc2", "MatMul", Attributes.EMPTY, h, w2)).build();
    }

    @Test
    void foldsIntoAPrecedingLinearLayerWithAnyAlpha() {
        Graph g = twoLinears();
        List<String> values = SmoothQuant.smoothable(g);
        assertEquals(List.of("fc1"), values);
        Tensor x = gaussian(22, 5, 6);
        Map<String, float[]> maxima = SmoothQuant.activationMaxima(g, values, List.of(Map.of("input", x)));
        for (double alpha : new double[] {0, 0.5, 0.85, 1}) {
            SmoothQuant pass = new SmoothQuant(maxima, alpha);
            Graph smoothed = pass.apply(g).graph();
            assertTrue(relativeDifference(new Executor(g).run(x), new Executor(smoothed).run(x)) <= 1e-5);
            float[] after = SmoothQuant.activationMaxima(smoothed, values, List.of(Map.of("input", x))).get("fc1");
            float[] w = g.initializer("fc2.weight").floats();
            for (int j = 0; j < 4; j++) {
                double weightMax = Math.max(Math.max(Math.abs(w[j * 3]), Math.abs(w[j * 3 + 1])), Math.abs(w[j * 3 + 2]));
                double s = Math.pow(maxima.get("fc1")[j], alpha) / Math.pow(weightMax, 1 - alpha);
                assertEquals(s, pass.scales().get("fc1")[j], 1e-5 * s, "α " + alpha + " channel " + j);
                assertEquals(maxima.get("fc1")[j] / s, after[j], 1e-4 * after[j], "α " + alpha + " channel " + j);
            }
        }
    }

    @Test
    void leavesActivationsWithoutCalibrationOrWithNonLinearReadersAlone() {
        Graph g = twoLinears();
        assertFalse(new SmoothQuant(Map.of(), 0.5).apply(g).changed());
        ModelBuilder b = new ModelBuilder("gelu", 23);
        String x = b.input("input", DType.FLOAT32, 5, 6);
        String h = b.linear("fc1", x, 4);
        Graph nonLinear = b.output(b.add("sum", b.linear("fc2", h, 4), h)).build();
        assertTrue(SmoothQuant.smoothable(nonLinear).isEmpty());
        assertThrows(T2cException.class, () -> new SmoothQuant(Map.of(), 1.5));
    }
}
