package io.t2c.quant.algo;

import io.t2c.quant.Calibrator;
import io.t2c.quant.Granularity;
import io.t2c.quant.QuantSpec;
import io.t2c.quant.Quantizer;
import io.t2c.quant.Ranges;
import io.t2c.quant.Role;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.kernel.Parallel;
import java.util.Locale;

/**
 * MSE range search, Torch2Chip's LSQ/AdaRound observer done right: of 100 candidate ranges shrinking the observed one,
 * {@code [lo·(1 − 0.01 i), hi·(1 − 0.01 i)]} for i = 0..99, keep the one whose fake quantization reconstructs the
 * observed values with the least {@code mean |x̂ − x|^2.4}. Each candidate's scale and zero point come from
 * {@link Ranges#choose} and its reconstruction from {@link QuantSpec#quantize}, the very arithmetic of the forward
 * path (Torch2Chip's search subtracts the zero point that its forward adds, so an unsigned range with lo &lt; 0
 * loses its negative half). The search runs per granule, each granule choosing its own shrink (Torch2Chip's token
 * observer shares one shrink across tokens), over {@link ObservedValues}: the exact running min and max, and a
 * bounded sample of the values. The scales are then fixed; the gradient is the straight-through estimator.
 */
public final class Mse implements Quantizer {
    static final int CANDIDATES = 100;
    static final double SHRINK_STEP = 0.01;
    static final double LOSS_POWER = 2.4;

    private final String name;
    private final Granularity.Kind kind;

    private Mse(String name, Granularity.Kind kind) {
        this.name = name;
        this.kind = kind;
    }

    public static Mse perTensor() {
        return new Mse("mse", Granularity.Kind.TENSOR);
    }

    public static Mse perChannel() {
        return new Mse("mse_channel", Granularity.Kind.CHANNEL);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String description() {
        return "range minimising mean |x̂ − x|^2.4 over 100 shrinks of the min/max range, per "
                + kind.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public Granularity granularity(Role role, int rank) {
        return MinMax.granularityOf(kind, role, rank);
    }

    @Override
    public Calibrator calibrator(Role role, QuantSpec template) {
        return new SearchCalibrator(template);
    }

    /** The winning candidate: its range, the scale and zero point chosen from it, its index i and its loss. */
    public record Choice(double lo, double hi, float scale, int zeroPoint, int candidate, double loss) {}

    /**
     * The search over one granule's values whose observed range is [lo, hi]. Ties keep the earliest (widest)
     * candidate.
     */
    public static Choice search(QuantSpec template, float[] values, double lo, double hi) {
        float[] scales = new float[CANDIDATES];
        int[] zeroPoints = new int[CANDIDATES];
        double[] losses = new double[CANDIDATES];
        // Candidates are independent: score them on all cores; the choice below is made in candidate order.
        Parallel.forRange(CANDIDATES, 1, (from, to) -> {
            float[] scale = new float[1];
            int[] zeroPoint = new int[1];
            for (int i = from; i < to; i++) {
                double shrink = 1 - SHRINK_STEP * i;
                Ranges.choose(template, lo * shrink, hi * shrink, scale, zeroPoint, 0);
                scales[i] = scale[0];
                zeroPoints[i] = zeroPoint[0];
                losses[i] = reconstructionLoss(template.withValues(scale.clone(), zeroPoint.clone()), values);
            }
        });
        int best = 0;
        for (int i = 1; i < CANDIDATES; i++) {
            if (losses[i] < losses[best]) {
                best = i;
            }
        }
        double shrink = 1 - SHRINK_STEP * best;
        return new Choice(lo * shrink, hi * shrink, scales[best], zeroPoints[best], best, losses[best]);
    }

    /** {@code mean |x̂ − x|^2.4} of a single-granule spec over values, in double precision. */
    static double reconstructionLoss(QuantSpec spec, float[] values) {
        double sum = 0;
        for (float x : values) {
            double error = spec.dequantize(spec.quantize(x, 0), 0) - (double) x;
            sum += Math.pow(Math.abs(error), LOSS_POWER);
        }
        return values.length == 0 ? 0 : sum / values.length;
    }

    /** Runs the search on every granule of what it observed. */
    static final class SearchCalibrator implements Calibrator {
        private final QuantSpec template;
        private final ObservedValues observed;

        SearchCalibrator(QuantSpec template) {
            this.template = template;
            this.observed = new ObservedValues(template.granularity());
        }

        @Override
        public void observe(Tensor x) {
            observed.observe(x);
        }

        @Override
        public Calibration finish() {
            int n = observed.granules();
            float[] scale = new float[n];
            int[] zeroPoint = new int[n];
            for (int g = 0; g < n; g++) {
                Choice c = search(template, observed.sample(g), observed.min(g), observed.max(g));
                scale[g] = c.scale();
                zeroPoint[g] = c.zeroPoint();
            }
            return new Calibration(template.withValues(scale, zeroPoint));
        }
    }
}
