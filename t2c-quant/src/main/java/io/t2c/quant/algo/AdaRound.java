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
import java.util.List;
import java.util.Map;

/**
 * AdaRound (Nagel et al., 2020, "Up or Down? Adaptive Rounding for Post-Training Quantization"): a weight quantizer
 * that learns, per element, whether to round down or up. The step size comes from the shrinking-range MSE search
 * ({@link Mse}, p = 2.4, 100 candidates) and stays fixed; the learned parameter {@code alpha} has the
 * weight's shape and chooses the rounding through the rectified sigmoid
 * {@code h(α) = clamp(σ(α)(ζ − γ) + γ, 0, 1)} with γ = −0.1, ζ = 1.1.
 *
 * <ul>
 * <li>Training: {@code ŵ = (clamp(floor(W/Δ) + h(α) + zp) − zp)·Δ} (soft rounding, differentiable in α).
 * <li>Evaluation and integer path: {@code floor(W/Δ) + [α ≥ 0]} (hard rounding).
 * <li>Initialization: α such that h(α) is the fractional part of W/Δ, so the soft weight equals the float weight and
 *     the hard rounding equals round-to-nearest with ties up.
 * <li>Regularizer ({@link #regularize}): {@code λ·Σ(1 − |2h(α) − 1|^β)} pushes h to 0 or 1; none during the first
 *     20 % of training, then β decays linearly from 20 to 2 (the schedule of the paper's code, {@code LinearTempDecay}).
 * </ul>
 *
 * <p>λ is the node attribute {@value #WEIGHT_ATTRIBUTE}, default {@value #DEFAULT_REGULARIZER_WEIGHT} as published.
 * That value is calibrated against a reconstruction loss that is summed over the output features (the channel axis)
 * and averaged over the batch and spatial positions ({@code (ŷ − y)².sum(1).mean()} in the paper's code); a
 * reconstruction engine that averages over features as well must scale λ down by the feature count.
 *
 * <p>Two names: {@code adaround} with a step per output channel (axis 0), and {@code adaround_tensor} with one step
 * per weight tensor, as Torch2Chip's AdaRound.
 */
public final class AdaRound implements Quantizer {
    public static final String ALPHA = "alpha";
    public static final String WEIGHT_ATTRIBUTE = "round_reg_weight";
    public static final double DEFAULT_REGULARIZER_WEIGHT = 0.01;
    static final double GAMMA = -0.1;
    static final double ZETA = 1.1;
    /** Fraction of training without the regularizer, and the β range annealed over the rest. */
    public static final double WARMUP = 0.2;
    public static final double BETA_START = 20;
    public static final double BETA_END = 2;

    private final String name;
    private final Granularity.Kind kind;

    private AdaRound(String name, Granularity.Kind kind) {
        this.name = name;
        this.kind = kind;
    }

    public static AdaRound perChannel() {
        return new AdaRound("adaround", Granularity.Kind.CHANNEL);
    }

    public static AdaRound perTensor() {
        return new AdaRound("adaround_tensor", Granularity.Kind.TENSOR);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String description() {
        return "AdaRound: learned up/down rounding of weights, MSE-searched step per "
                + (kind == Granularity.Kind.CHANNEL ? "output channel" : "tensor");
    }

    @Override
    public Granularity granularity(Role role, int rank) {
        requireWeight(role);
        return MinMax.granularityOf(kind, role, rank);
    }

    @Override
    public List<String> extras() {
        return List.of(ALPHA);
    }

    @Override
    public Calibrator calibrator(Role role, QuantSpec template) {
        requireWeight(role);
        return new Calibrator() {
            private Tensor weight;

            @Override
            public void observe(Tensor x) {
                if (weight != null) {
                    throw new T2cException("AdaRound calibrates a weight, seen once; got a second tensor");
                }
                weight = x;
            }

            @Override
            public Calibration finish() {
                if (weight == null) {
                    throw new T2cException("nothing was observed during calibration");
                }
                Calibrator search = new Mse.SearchCalibrator(template);
                search.observe(weight);
                QuantSpec spec = search.finish().spec();
                return new Calibration(spec, Map.of(ALPHA, initialAlpha(spec, weight)));
            }
        };
    }

    /** α with h(α) = W/Δ − floor(W/Δ): the inverse of the rectified sigmoid on its unclamped part, log((f − γ)/(ζ − f)). */
    static Tensor initialAlpha(QuantSpec spec, Tensor w) {
        float[] v = w.floats();
        float[] alpha = new float[v.length];
        Granularity.Indexer idx = spec.granularity().indexer(w.shape());
        for (int i = 0; i < v.length; i++) {
            double scaled = (double) v[i] / spec.scale()[idx.granule(i)];
            double frac = scaled - Math.floor(scaled);
            float a = (float) Math.log((frac - GAMMA) / (ZETA - frac));
            // Hard rounding reads the sign of α; the logarithm's rounding must not flip a tie (frac = 0.5 rounds up)
            // nor let a fraction just below one half become α = −0, which reads as ≥ 0.
            if (frac >= 0.5 && a < 0) {
                a = 0;
            } else if (frac < 0.5 && a >= 0) {
                a = -Float.MIN_VALUE;
            }
            alpha[i] = a;
        }
        return Tensor.of(alpha, w.shape());
    }

    static double sigmoid(double a) {
        return 1 / (1 + Math.exp(-a));
    }

    /** The rectified sigmoid h(α). */
    public static double h(double alpha) {
        return Math.max(0, Math.min(1, sigmoid(alpha) * (ZETA - GAMMA) + GAMMA));
    }

    /** dh/dα: zero where the rectification clamps. */
    static double hGradient(double alpha) {
        double s = sigmoid(alpha);
        double raw = s * (ZETA - GAMMA) + GAMMA;
        return raw <= 0 || raw >= 1 ? 0 : s * (1 - s) * (ZETA - GAMMA);
    }

    /** The regularizer's exponent at training progress t: 20 until the warm-up ends, then linearly down to 2. */
    public static double beta(double t) {
        if (t < WARMUP) {
            return BETA_START;
        }
        double rel = (t - WARMUP) / (1 - WARMUP);
        return BETA_END + (BETA_START - BETA_END) * Math.max(0, 1 - rel);
    }

    /** The unclamped code floor(W/Δ) + h(α) (soft) or + [α ≥ 0] (hard), plus the zero point. */
    private static double code(QuantSpec spec, float w, float alpha, int g, boolean soft) {
        return Math.floor((double) w / spec.scale()[g]) + (soft ? h(alpha) : alpha >= 0 ? 1 : 0) + spec.zeroPoint()[g];
    }

    @Override
    public Tensor simulate(QuantContext c, Tensor w) {
        QuantSpec spec = c.spec();
        float[] v = w.floats();
        float[] alpha = c.extra(ALPHA).floats();
        float[] out = new float[v.length];
        Granularity.Indexer idx = spec.granularity().indexer(w.shape());
        for (int i = 0; i < v.length; i++) {
            int g = idx.granule(i);
            double code = code(spec, v[i], alpha[i], g, c.training());
            double clamped = Math.max(spec.qmin(), Math.min(spec.qmax(), code));
            out[i] = (float) ((clamped - spec.zeroPoint()[g]) * spec.scale()[g]);
        }
        return Tensor.of(out, w.shape());
    }

    /**
     * ∂loss/∂α = gradY·Δ·h'(α), zero where h clamps or the code lies outside [qmin, qmax]. This is the derivative of the soft (training)
     * forward, the only one with a useful gradient; the hard forward is piecewise constant. The weight itself is
     * frozen during reconstruction, but x still gets the clipped straight-through estimate for callers that ask.
     */
    @Override
    public Gradients backward(QuantContext c, Tensor w, Tensor gradY) {
        QuantSpec spec = c.spec();
        float[] v = w.floats();
        float[] alpha = c.extra(ALPHA).floats();
        float[] gy = gradY.floats();
        float[] ga = new float[v.length];
        Granularity.Indexer idx = spec.granularity().indexer(w.shape());
        for (int i = 0; i < v.length; i++) {
            int g = idx.granule(i);
            double code = code(spec, v[i], alpha[i], g, true);
            // Inclusive, as torch.clamp's gradient: the channel's largest weight starts exactly on qmax and must
            // stay free to round down.
            if (code >= spec.qmin() && code <= spec.qmax()) {
                ga[i] = (float) (gy[i] * spec.scale()[g] * hGradient(alpha[i]));
            }
        }
        return new Gradients(FakeQuant.steGradient(spec, w, gradY), Map.of(ALPHA, Tensor.of(ga, w.shape())));
    }

    /** Hard rounding: {@code clamp(floor(W/Δ) + [α ≥ 0] + zp)}. */
    @Override
    public Tensor toInteger(QuantContext c, Tensor w) {
        QuantSpec spec = c.spec();
        float[] v = w.floats();
        float[] alpha = c.extra(ALPHA).floats();
        int[] out = new int[v.length];
        Granularity.Indexer idx = spec.granularity().indexer(w.shape());
        for (int i = 0; i < v.length; i++) {
            int g = idx.granule(i);
            double code = code(spec, v[i], alpha[i], g, false);
            out[i] = (int) Math.max(spec.qmin(), Math.min(spec.qmax(), code));
        }
        return Tensor.ofInts(out, w.shape());
    }

    /**
     * λ·Σ(1 − |2h(α) − 1|^β(t)) after the warm-up (zero before it); adds
     * ∂/∂α = −λ·β·|2h − 1|^(β−1)·sign(2h − 1)·2h'(α) into {@code gradients["alpha"]}.
     */
    @Override
    public double regularize(QuantContext c, double t, Map<String, Tensor> gradients) {
        if (t < WARMUP) {
            return 0;
        }
        double lambda = c.attributes().getFloat(WEIGHT_ATTRIBUTE, (float) DEFAULT_REGULARIZER_WEIGHT);
        double b = beta(t);
        Tensor alphaTensor = c.extra(ALPHA);
        float[] alpha = alphaTensor.floats();
        Tensor grad = gradients.computeIfAbsent(ALPHA, k -> Tensor.of(new float[alpha.length], alphaTensor.shape()));
        float[] g = grad.floats();
        double total = 0;
        for (int i = 0; i < alpha.length; i++) {
            double d = 2 * h(alpha[i]) - 1;
            double ad = Math.abs(d);
            total += 1 - Math.pow(ad, b);
            g[i] += (float) (-lambda * b * Math.pow(ad, b - 1) * Math.signum(d) * 2 * hGradient(alpha[i]));
        }
        return lambda * total;
    }

    private void requireWeight(Role role) {
        if (role != Role.WEIGHT) {
            throw new T2cException(name + " quantizes weights only (it learns a rounding per weight element)");
        }
    }
}
