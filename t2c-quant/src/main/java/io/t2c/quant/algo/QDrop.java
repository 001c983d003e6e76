package io.t2c.quant.algo;

import io.t2c.quant.Calibrator;
import io.t2c.quant.FakeQuant;
import io.t2c.quant.Granularity;
import io.t2c.quant.QuantContext;
import io.t2c.quant.QuantSpec;
import io.t2c.quant.Quantizer;
import io.t2c.quant.Role;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;

/**
 * QDrop (Wei et al., ICLR 2022): {@link Lsq} whose quantization is randomly dropped during training. In a training
 * step each element independently takes its float value with probability p (the node's {@code drop_prob}, default
 * 0.5) and its fake-quantized value otherwise, the paper's convention ("drop the quantization with probability p").
 * Torch2Chip keeps the quantized value with probability p instead, which is the same only at p = 0.5; and its
 * token-wise QDrop ignores drop_prob, which {@code qdrop_token} honours.
 *
 * <p>The mask is a function of (the context's seed, the node's name, the element's flat index) through
 * {@link CounterRandom}: reproducible, independent of threads, and recomputed identically in backward. Backward: the
 * straight-through estimator through quantized elements, identity through dropped ones; the step's LSQ gradient
 * comes from quantized elements only. Outside training it is plain LSQ.
 */
public final class QDrop implements Quantizer {
    public static final double DEFAULT_DROP_PROB = 0.5;

    private final String name;
    private final Lsq lsq;

    private QDrop(String name, Lsq lsq) {
        this.name = name;
        this.lsq = lsq;
    }

    public static QDrop perTensor() {
        return new QDrop("qdrop", Lsq.perTensor());
    }

    public static QDrop perToken() {
        return new QDrop("qdrop_token", Lsq.perToken());
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String description() {
        return lsq.description() + ", quantization dropped per element with probability drop_prob in training";
    }

    @Override
    public Granularity granularity(Role role, int rank) {
        return lsq.granularity(role, rank);
    }

    @Override
    public Calibrator calibrator(Role role, QuantSpec template) {
        return lsq.calibrator(role, template);
    }

    @Override
    public boolean learnsScale() {
        return true;
    }

    @Override
    public Tensor simulate(QuantContext c, Tensor x) {
        Tensor quantized = FakeQuant.simulate(c.spec(), x);
        if (!c.training()) {
            return quantized;
        }
        float[] in = x.floats();
        float[] out = quantized.floats();
        boolean[] dropped = dropMask(c, in.length);
        for (int i = 0; i < out.length; i++) {
            if (dropped[i]) {
                out[i] = in[i];
            }
        }
        return quantized;
    }

    @Override
    public Gradients backward(QuantContext c, Tensor x, Tensor gradY) {
        if (!c.training()) {
            return Lsq.gradients(c, x, gradY);
        }
        float[] gy = gradY.floats();
        boolean[] dropped = dropMask(c, gy.length);
        float[] quantizedOnly = new float[gy.length];
        for (int i = 0; i < gy.length; i++) {
            quantizedOnly[i] = dropped[i] ? 0f : gy[i];
        }
        Gradients g = Lsq.gradients(c, x, Tensor.of(quantizedOnly, gradY.shape()));
        float[] gx = g.x().floats();
        for (int i = 0; i < gx.length; i++) {
            if (dropped[i]) {
                gx[i] = gy[i];
            }
        }
        return g;
    }

    /** True where element i uses its float value in this training step. */
    static boolean[] dropMask(QuantContext c, int size) {
        double p = c.attributes().getDouble("drop_prob", DEFAULT_DROP_PROB);
        if (!(p >= 0 && p <= 1)) {
            throw new T2cException("quantizer node " + c.node() + ": drop_prob must lie in [0, 1], got " + p);
        }
        long key = CounterRandom.key(c.seed(), c.node());
        boolean[] dropped = new boolean[size];
        for (int i = 0; i < size; i++) {
            dropped[i] = CounterRandom.uniform(key, i) < p;
        }
        return dropped;
    }
}
