package com.example.quant;

import io.t2c.quant.Calibrator;
import io.t2c.quant.Granularity;
import io.t2c.quant.QuantSpec;
import io.t2c.quant.Quantizer;
import io.t2c.quant.Role;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;

/**
 * A weight quantizer whose steps are powers of two, one per output channel: Δ = 2^⌈log2(max|w| / qmax)⌉, the
 * smallest power of two that keeps the channel's largest weight in range. A requantizer then needs only a shift
 * for the weight's share of the scale. Run it with {@code --wq pow2_channel --wbit 5} for 5-bit weights.
 *
 * <p>Only {@link #calibrator} is written here: the training path (fake quantization with a straight-through
 * gradient) and the integer path (codes under the spec) are the SPI's defaults, which read the spec this returns.
 */
public final class PowerOfTwoWeights implements Quantizer {
    @Override
    public String name() {
        return "pow2_channel";
    }

    @Override
    public String description() {
        return "example plug-in: power-of-two step per output channel covering max|w|";
    }

    @Override
    public Granularity granularity(Role role, int rank) {
        if (role != Role.WEIGHT) {
            throw new T2cException("pow2_channel quantizes weights; pick another activation quantizer");
        }
        return Granularity.perChannel(0);
    }

    @Override
    public Calibrator calibrator(Role role, QuantSpec template) {
        return new Calibrator() {
            private Tensor weight;

            @Override
            public void observe(Tensor w) {
                weight = w;
            }

            @Override
            public Calibration finish() {
                int channels = template.granularity().count(weight.shape());
                float[] maxAbs = new float[channels];
                float[] v = weight.floats();
                Granularity.Indexer channelOf = template.granularity().indexer(weight.shape());
                for (int i = 0; i < v.length; i++) {
                    int c = channelOf.granule(i);
                    maxAbs[c] = Math.max(maxAbs[c], Math.abs(v[i]));
                }
                float[] step = new float[channels];
                for (int c = 0; c < channels; c++) {
                    double needed = maxAbs[c] > 0 ? maxAbs[c] / template.qmax() : 1;
                    step[c] = (float) Math.pow(2, Math.ceil(Math.log(needed) / Math.log(2)));
                }
                return new Calibration(template.withPowerOfTwo(true).withValues(step, new int[channels]));
            }
        };
    }
}
