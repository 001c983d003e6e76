package io.t2c.quant.algo;

import io.t2c.quant.Calibrator;
import io.t2c.quant.Granularity;
import io.t2c.quant.QuantSpec;
import io.t2c.quant.Quantizer;
import io.t2c.quant.Ranges;
import io.t2c.quant.Role;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.Arrays;
import java.util.Locale;

/**
 * Percentile calibration: the range is the (100 − p)-th and p-th percentiles of the observed values (p = 99.99 by
 * default), which clips rare outliers that would otherwise stretch the step. Percentiles are read from the
 * {@link ObservedValues} sample of each granule, sorted, with linear interpolation between neighbouring order
 * statistics (numpy's default): exact while a granule's values fit the sample, an unbiased estimate beyond. The
 * scale and zero point then follow {@link Ranges#choose}; they are fixed, and the gradient is the straight-through
 * estimator. The percentile is a property of the quantizer (a calibrator sees no node attributes): build another
 * with {@link #of}.
 */
public final class Percentile implements Quantizer {
    public static final double DEFAULT_PERCENTILE = 99.99;

    private final String name;
    private final Granularity.Kind kind;
    private final double percentile;

    private Percentile(String name, Granularity.Kind kind, double percentile) {
        if (!(percentile >= 50 && percentile <= 100)) {
            throw new T2cException("percentile must lie in [50, 100], got " + percentile);
        }
        this.name = name;
        this.kind = kind;
        this.percentile = percentile;
    }

    /** {@code percentile}: per tensor, p = 99.99. */
    public static Percentile perTensor() {
        return new Percentile("percentile", Granularity.Kind.TENSOR, DEFAULT_PERCENTILE);
    }

    /** A percentile quantizer under its own registry name, granularity and p (in [50, 100]). */
    public static Percentile of(String name, Granularity.Kind kind, double percentile) {
        return new Percentile(name, kind, percentile);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String description() {
        return String.format(Locale.ROOT, "range from the %.4g-th to the %.4g-th percentile, per ", 100 - percentile,
                percentile)
                + kind.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public Granularity granularity(Role role, int rank) {
        return MinMax.granularityOf(kind, role, rank);
    }

    @Override
    public Calibrator calibrator(Role role, QuantSpec template) {
        ObservedValues observed = new ObservedValues(template.granularity());
        return new Calibrator() {
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
                    float[] sorted = observed.sample(g);
                    Arrays.sort(sorted);
                    Ranges.choose(template, at(sorted, 100 - percentile), at(sorted, percentile), scale, zeroPoint, g);
                }
                return new Calibration(template.withValues(scale, zeroPoint));
            }
        };
    }

    /** The p-th percentile of sorted values, interpolating linearly between order statistics. */
    static double at(float[] sorted, double p) {
        double rank = p / 100 * (sorted.length - 1);
        int below = (int) Math.floor(rank);
        int above = Math.min(below + 1, sorted.length - 1);
        double fraction = rank - below;
        return sorted[below] + fraction * ((double) sorted[above] - sorted[below]);
    }
}
