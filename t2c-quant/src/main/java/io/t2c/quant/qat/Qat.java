package io.t2c.quant.qat;

import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.io.data.Dataset;
import io.t2c.quant.FakeQuantOp;
import io.t2c.quant.Quantizer;
import io.t2c.quant.ptq.Ptq;
import io.t2c.quant.ptq.PtqConfig;
import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Quantization-aware training starts here: a trained float model gets its quantizers exactly as PTQ places and
 * calibrates them (BatchNorm folded first, so the weights trained are the weights the integer model will hold), and
 * then trains through them — the simulate path — with the float weights and the learnable quantizer parameters
 * (LSQ steps) as trainable parameters. Fixed quantizers (min/max) keep their calibrated scales.
 */
public final class Qat {
    private Qat() {}

    /** The fake-quant graph to train and the names of its trainable parameters. */
    public record Prepared(Graph model, List<String> trainable) {}

    public static Prepared prepare(Graph floatModel, Dataset calibration, PtqConfig config) {
        for (String q : List.of(config.wq(), config.aq())) {
            if (q.startsWith("adaround")) {
                throw new T2cException("QAT trains the weights themselves; AdaRound learns the rounding of frozen"
                        + " weights (a PTQ method). Use minmax_channel, mse_channel or lsq for --qat weights");
            }
        }
        Graph quantized = Ptq.run(floatModel, calibration, config.withReconstruction(PtqConfig.Reconstruction.NONE),
                Ptq.Listener.NONE).model();
        return new Prepared(quantized, trainable(quantized));
    }

    /** Float initializers, except the scales of quantizers that do not learn them. */
    static List<String> trainable(Graph g) {
        Set<String> fixed = new HashSet<>();
        for (Node n : g.nodes()) {
            if (n.opType().equals(FakeQuantOp.NAME)) {
                Quantizer q = FakeQuantOp.quantizer(n);
                if (!q.learnsScale()) {
                    fixed.add(n.input(1));
                }
            }
        }
        List<String> out = new ArrayList<>();
        g.initializers().forEach((k, v) -> {
            if (v.dtype() == DType.FLOAT32 && !fixed.contains(k)) {
                out.add(k);
            }
        });
        return out;
    }
}
