package io.t2c.quant;

import io.t2c.tensor.Tensor;
import java.util.Map;

/**
 * Collects what a quantizer needs to choose its parameters: it sees the weight once, or each calibration batch of an
 * activation in turn, then {@link #finish} returns the calibrated spec and any learnable extras (AdaRound's α).
 * Statistics never mix the samples of a batch where the granularity is per token or per channel.
 */
public interface Calibrator {
    void observe(Tensor x);

    Calibration finish();

    /** A calibrated spec and the quantizer's extra parameters by name (empty for most). */
    record Calibration(QuantSpec spec, Map<String, Tensor> extras) {
        public Calibration(QuantSpec spec) {
            this(spec, Map.of());
        }
    }
}
