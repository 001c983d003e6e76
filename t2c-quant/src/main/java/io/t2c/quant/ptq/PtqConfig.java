package io.t2c.quant.ptq;

import io.t2c.quant.Rounding;
import io.t2c.tensor.T2cException;
import java.util.List;

/**
 * Everything a post-training quantization run needs: the weight and activation quantizers and their bit widths,
 * how many calibration samples in which batch size, the reconstruction (none, layer-wise or block-wise; Adam with a
 * cosine learning rate — {@code scaleLr} for learned quantizer steps, {@code lr} for the rest, since Adam's step is
 * absolute and a step size is small — over {@code epochs} passes of the calibration batches, or a fixed number of
 * {@code iterations} when positive), cross-layer equalization before and empirical bias correction during the run,
 * per-layer overrides and the seed of every random choice. {@code wideGelu} keeps GELU on the wide integer path
 * (no quantizer on its input; I-BERT's i-GELU on the accumulator) instead of the exact 256-entry table that
 * element-wise non-linearities get when activations have at most 8 bits (docs/NUMERICS.md, "Lookup tables").
 */
public record PtqConfig(String wq, String aq, int wbit, int abit, int numSamples, int batchSize,
                        Reconstruction reconstruction, double lr, double scaleLr, int epochs, int iterations,
                        Rounding rounding,
                        double dropProb, boolean crossLayerEqualization, boolean biasCorrection,
                        List<LayerOverride> overrides, long seed, boolean wideGelu) {
    public enum Reconstruction { NONE, LAYER, BLOCK }

    public PtqConfig {
        if (wbit < 1 || wbit > 16 || abit < 2 || abit > 16) {
            throw new T2cException("bit widths: weights 1–16, activations 2–16; got wbit " + wbit + ", abit " + abit);
        }
        if (numSamples < 1 || batchSize < 1) {
            throw new T2cException("calibration samples and batch size must be positive");
        }
        if (lr <= 0 || scaleLr <= 0 || epochs < 0 || iterations < 0) {
            throw new T2cException("reconstruction needs lr > 0, scale lr > 0 and non-negative epochs/iterations");
        }
        if (dropProb < 0 || dropProb > 1) {
            throw new T2cException("drop probability must lie in [0, 1], got " + dropProb);
        }
        overrides = List.copyOf(overrides);
    }

    /** Torch2Chip's shipped recipe: 1024 calibration images in batches of 64, Adam lr 1e-3, one pass per layer. */
    public static PtqConfig defaults(String wq, String aq, int wbit, int abit) {
        return new PtqConfig(wq, aq, wbit, abit, 1024, 64, Reconstruction.LAYER, 1e-3, 1e-3, 1, 0, Rounding.HALF_EVEN,
                0.5,
                false, false, List.of(), 0, false);
    }

    public PtqConfig withReconstruction(Reconstruction r) {
        return new PtqConfig(wq, aq, wbit, abit, numSamples, batchSize, r, lr, scaleLr, epochs, iterations, rounding,
                dropProb,
                crossLayerEqualization, biasCorrection, overrides, seed, wideGelu);
    }

    public PtqConfig withSamples(int n, int batch) {
        return new PtqConfig(wq, aq, wbit, abit, n, batch, reconstruction, lr, scaleLr, epochs, iterations, rounding,
                dropProb,
                crossLayerEqualization, biasCorrection, overrides, seed, wideGelu);
    }

    public PtqConfig withOverrides(List<LayerOverride> o) {
        return new PtqConfig(wq, aq, wbit, abit, numSamples, batchSize, reconstruction, lr, scaleLr, epochs, iterations,
                rounding, dropProb, crossLayerEqualization, biasCorrection, o, seed, wideGelu);
    }

    public PtqConfig withWideGelu(boolean wide) {
        return new PtqConfig(wq, aq, wbit, abit, numSamples, batchSize, reconstruction, lr, scaleLr, epochs, iterations,
                rounding, dropProb, crossLayerEqualization, biasCorrection, overrides, seed, wide);
    }

    /** The run's folder name under {@code ptq/}: {@code <wq>_<aq>}. */
    public String runName() {
        return wq + "_" + aq;
    }
}
