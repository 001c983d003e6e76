package io.t2c.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.t2c.tensor.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Optimizers against torch.optim: five steps from the same parameters, gradients and learning rates must give
 * torch's parameters (trajectories made by src/test/python/make_optimizer_fixtures.py with torch 1.13).
 */
class OptimizerTest {
    static final Map<String, Supplier<Optimizer>> CONFIGS = Map.of(
            "sgd_plain", () -> new Sgd(0.1, 0, false, 0),
            "sgd_momentum_wd", () -> new Sgd(0.1, 0.9, false, 5e-4),
            "sgd_nesterov", () -> new Sgd(0.1, 0.9, true, 1e-3),
            "adam", () -> Adam.adam(0.1, 0.9, 0.999, 1e-8, 1e-2),
            "adamw", () -> Adam.adamW(0.1, 0.85, 0.99, 1e-6, 0.05));

    static float[] parse(String line) {
        String[] parts = line.trim().split("\\s+");
        float[] f = new float[parts.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = Float.parseFloat(parts[i]);
        }
        return f;
    }

    @ParameterizedTest
    @ValueSource(strings = {"sgd_plain", "sgd_momentum_wd", "sgd_nesterov", "adam", "adamw"})
    void followsTorchTrajectory(String name) throws IOException {
        List<String> lines;
        try (InputStream in = getClass().getResourceAsStream(name + ".txt")) {
            lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
        Tensor p = Tensor.of(parse(lines.get(0)), 7);
        float[] lrs = parse(lines.get(1));
        Optimizer opt = CONFIGS.get(name).get();
        for (int t = 0; t < 5; t++) {
            opt.setLearningRate(lrs[t]);
            opt.step(Map.of("p", p), Map.of("p", Tensor.of(parse(lines.get(2 + 2 * t)), 7)));
            float[] want = parse(lines.get(3 + 2 * t));
            for (int i = 0; i < 7; i++) {
                assertEquals(want[i], p.floats()[i], 2e-6 * (1 + Math.abs(want[i])),
                        name + " step " + (t + 1) + " element " + i + ": " + Arrays.toString(p.floats()));
            }
        }
    }

    @Test
    void schedulesFollowTheirFormulas() {
        LearningRateSchedule step = LearningRateSchedule.step(0.1, 10, 0.5);
        assertEquals(0.1, step.at(9), 1e-12);
        assertEquals(0.05, step.at(10), 1e-12);
        LearningRateSchedule cos = LearningRateSchedule.cosine(0.1, 0.0, 100);
        assertEquals(0.1, cos.at(0), 1e-12);
        assertEquals(0.05, cos.at(50), 1e-12);
        assertEquals(0.0, cos.at(100), 1e-12);
        LearningRateSchedule warm = LearningRateSchedule.cosineWithWarmup(0.1, 0.0, 10, 110);
        assertEquals(0.01, warm.at(0), 1e-12);
        assertEquals(0.1, warm.at(9), 1e-12);
        assertEquals(0.1, warm.at(10), 1e-12);
        assertEquals(0.05, warm.at(60), 1e-12);
    }
}
