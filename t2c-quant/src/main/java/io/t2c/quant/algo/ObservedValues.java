package io.t2c.quant.algo;

import io.t2c.quant.Granularity;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.Arrays;

/**
 * What a search-based calibrator keeps of the calibration data, per granule: the exact running min and max of
 * everything seen, and a bounded uniform sample of the values (reservoir sampling, Vitter's algorithm R). A granule
 * keeps every value up to {@code max(MIN_PER_GRANULE, BUDGET / granules)} values, at most {@code MAX_PER_GRANULE}
 * (16,384): a weight's output channel is usually kept whole, and an activation is sampled — enough to rank 100
 * candidate ranges, and small enough that the search costs less than the calibration forward passes. Replacement draws come from {@link CounterRandom} keyed by the granule
 * and the value's arrival number, so the sample depends only on the data and the order of the batches.
 */
final class ObservedValues {
    static final int MAX_PER_GRANULE = 1 << 14;
    static final int MIN_PER_GRANULE = 2048;
    static final int BUDGET = 1 << 20;
    private static final long RESERVOIR_SEED = 0x7432_6351L;

    private final Granularity granularity;
    private int[] paramShape;
    private int capacity;
    private double[] lo;
    private double[] hi;
    private long[] seen;
    private float[][] sample;
    private int[] kept;

    ObservedValues(Granularity granularity) {
        this.granularity = granularity;
    }

    void observe(Tensor x) {
        int[] shape = granularity.paramShape(x.shape());
        if (lo == null) {
            start(shape, granularity.count(x.shape()));
        } else if (!Arrays.equals(shape, paramShape)) {
            throw new T2cException("calibration batches disagree in the " + granularity.id() + " dimension: "
                    + Arrays.toString(paramShape) + " then " + Arrays.toString(shape));
        }
        float[] v = x.floats();
        Granularity.Indexer idx = granularity.indexer(x.shape());
        for (int i = 0; i < v.length; i++) {
            int g = idx.granule(i);
            float value = v[i];
            lo[g] = Math.min(lo[g], value);
            hi[g] = Math.max(hi[g], value);
            long arrival = seen[g]++;
            if (kept[g] < capacity) {
                if (kept[g] == sample[g].length) {
                    sample[g] = Arrays.copyOf(sample[g], Math.min(capacity, Math.max(16, 2 * kept[g])));
                }
                sample[g][kept[g]++] = value;
            } else {
                long slot = CounterRandom.uniformAtMost(CounterRandom.mix(RESERVOIR_SEED + g), arrival, arrival);
                if (slot < capacity) {
                    sample[g][(int) slot] = value;
                }
            }
        }
    }

    private void start(int[] shape, int granules) {
        paramShape = shape;
        capacity = Math.min(MAX_PER_GRANULE, Math.max(MIN_PER_GRANULE, BUDGET / granules));
        lo = new double[granules];
        hi = new double[granules];
        seen = new long[granules];
        kept = new int[granules];
        sample = new float[granules][0];
        Arrays.fill(lo, Double.POSITIVE_INFINITY);
        Arrays.fill(hi, Double.NEGATIVE_INFINITY);
    }

    int granules() {
        requireObserved();
        return lo.length;
    }

    double min(int g) {
        return lo[g];
    }

    double max(int g) {
        return hi[g];
    }

    /** Granule g's kept values (all of them while fewer than the capacity were seen), in arrival order. */
    float[] sample(int g) {
        return Arrays.copyOf(sample[g], kept[g]);
    }

    void requireObserved() {
        if (lo == null) {
            throw new T2cException("nothing was observed during calibration");
        }
    }
}
