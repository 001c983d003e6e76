package io.t2c.quant.algo;

import io.t2c.quant.Calibrator;
import io.t2c.quant.FakeQuant;
import io.t2c.quant.Granularity;
import io.t2c.quant.QuantContext;
import io.t2c.quant.QuantSpec;
import io.t2c.quant.Quantizer;
import io.t2c.quant.Role;
import io.t2c.tensor.Tensor;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * Learned step size quantization (LSQ, Esser et al., ICLR 2020). The step Δ of each granule is a trained parameter,
 * initialised by the {@link Mse} search as Torch2Chip does; the zero point stays as calibrated. The forward is plain
 * fake quantization; backward gives x the straight-through estimator and Δ the LSQ gradient
 * ({@link FakeQuant#lsqScaleGradient}) times {@code g = 1/√(N·Qp)}, with Qp = qmax and N the number of elements one
 * step governs in one sample: for an activation, the granule's elements within one sample (a whole sample per tensor,
 * one token's features per token); for a weight, the granule's elements. Torch2Chip computes g but assigns the
 * scaled step to {@code .data}, which drops it from the gradient; here it is applied.
 *
 * <p>{@code lsq_token} learns one step per token position; the granule of token t holds token t of every sample of a
 * batch, each sample's values counted as its own (never mixed with other tokens), and N is one token's features.
 */
public final class Lsq implements Quantizer {
    private final String name;
    private final Granularity.Kind kind;

    private Lsq(String name, Granularity.Kind kind) {
        this.name = name;
        this.kind = kind;
    }

    public static Lsq perTensor() {
        return new Lsq("lsq", Granularity.Kind.TENSOR);
    }

    public static Lsq perToken() {
        return new Lsq("lsq_token", Granularity.Kind.TOKEN);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String description() {
        return "learned step size (LSQ) per " + kind.name().toLowerCase(Locale.ROOT) + ", initialised by MSE search";
    }

    @Override
    public Granularity granularity(Role role, int rank) {
        return MinMax.granularityOf(kind, role, rank);
    }

    @Override
    public Calibrator calibrator(Role role, QuantSpec template) {
        return new Mse.SearchCalibrator(template);
    }

    @Override
    public boolean learnsScale() {
        return true;
    }

    @Override
    public Gradients backward(QuantContext c, Tensor x, Tensor gradY) {
        return gradients(c, x, gradY);
    }

    /** The STE gradient for x and the scaled LSQ gradient for "scale", from gradY as given. */
    static Gradients gradients(QuantContext c, Tensor x, Tensor gradY) {
        QuantSpec spec = c.spec();
        float[] scaleGradient = FakeQuant.lsqScaleGradient(spec, x, gradY, gradientScales(c.role(), spec, x.shape()));
        return new Gradients(FakeQuant.steGradient(spec, x, gradY),
                Map.of("scale", Tensor.of(scaleGradient, scaleGradient.length)));
    }

    /**
     * LSQ's {@code g = 1/√(N·Qp)} per granule. N counts the granule's elements, divided for an activation by the
     * number of samples (indices of axis 0) it spans, so the step's gradient does not grow with the batch.
     */
    static double[] gradientScales(Role role, QuantSpec spec, int[] shape) {
        int granules = spec.scale().length;
        long[] elements = new long[granules];
        long[] samples = new long[granules];
        long[] lastSample = new long[granules];
        Arrays.fill(lastSample, -1);
        int total = 1;
        for (int d : shape) {
            total *= d;
        }
        int perSample = role == Role.ACTIVATION && shape.length > 0 && shape[0] > 0 ? total / shape[0] : total;
        Granularity.Indexer idx = spec.granularity().indexer(shape);
        for (int i = 0; i < total; i++) {
            int g = idx.granule(i);
            elements[g]++;
            int sample = i / perSample;
            if (sample != lastSample[g]) {
                lastSample[g] = sample;
                samples[g]++;
            }
        }
        double[] g = new double[granules];
        for (int k = 0; k < granules; k++) {
            double perStep = samples[k] == 0 ? 1 : (double) elements[k] / samples[k];
            g[k] = 1 / Math.sqrt(perStep * spec.qmax());
        }
        return g;
    }
}
