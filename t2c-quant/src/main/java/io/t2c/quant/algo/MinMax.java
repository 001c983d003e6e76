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

/**
 * Min/max calibration: the range of everything seen during calibration (running min and max across batches, then
 * frozen), per tensor, per channel or per token. Per-token ranges are per token position, each sample's tokens
 * counted as their own (Torch2Chip's token observer reshapes (B, T, C) so that rows mix samples when B > 1).
 * {@code minmax_exact_min} (per tensor) puts the minimum of an asymmetric range exactly on the grid
 * ({@link Ranges#chooseExactLow}), for a network input whose minimum many elements share. For 1-bit weights the
 * scale is the mean magnitude of the granule (binary-weight networks' optimal ±Δ).
 */
public final class MinMax implements Quantizer {
    private final String name;
    private final Granularity.Kind kind;
    private final boolean exactMin;

    private MinMax(String name, Granularity.Kind kind, boolean exactMin) {
        this.name = name;
        this.kind = kind;
        this.exactMin = exactMin;
    }

    public static MinMax perTensor() {
        return new MinMax("minmax", Granularity.Kind.TENSOR, false);
    }

    public static MinMax perChannel() {
        return new MinMax("minmax_channel", Granularity.Kind.CHANNEL, false);
    }

    public static MinMax perToken() {
        return new MinMax("minmax_token", Granularity.Kind.TOKEN, false);
    }

    /** Per tensor, an asymmetric range's minimum exactly on the grid. */
    public static MinMax perTensorExactMin() {
        return new MinMax("minmax_exact_min", Granularity.Kind.TENSOR, true);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String description() {
        return "min/max range per " + kind.name().toLowerCase(java.util.Locale.ROOT)
                + ", running over calibration batches" + (exactMin ? "; an asymmetric range's minimum exactly on the"
                + " grid (a network input whose minimum many elements share, like an image background)" : "");
    }

    @Override
    public Granularity granularity(Role role, int rank) {
        return granularityOf(kind, role, rank);
    }

    /**
     * Where a kind of granularity lies: channels are axis 0 of a weight, axis 1 of an NC… activation and the last
     * axis of a (B, T, C) activation; tokens are axis 1 of (B, T, C) and axis 2 of (B, H, T, D).
     */
    public static Granularity granularityOf(Granularity.Kind kind, Role role, int rank) {
        return switch (kind) {
            case TENSOR -> Granularity.perTensor();
            case CHANNEL -> Granularity.perChannel(role == Role.WEIGHT ? 0 : rank == 3 ? 2 : 1);
            case TOKEN -> {
                if (rank < 3) {
                    throw new T2cException("per-token quantization needs a (batch, tokens, …) tensor; got rank " + rank);
                }
                yield Granularity.perToken(rank - 2);
            }
            case GROUP -> throw new T2cException("group granularity needs a group size; use mxint");
        };
    }

    @Override
    public Calibrator calibrator(Role role, QuantSpec template) {
        return new RangeCalibrator(template, exactMin);
    }

    /** Running per-granule min and max (and mean magnitude, for binary). */
    static final class RangeCalibrator implements Calibrator {
        private final QuantSpec template;
        private final boolean exactMin;
        private double[] lo;
        private double[] hi;
        private double[] absSum;
        private long[] count;
        private int[] paramShape;

        RangeCalibrator(QuantSpec template, boolean exactMin) {
            this.template = template;
            this.exactMin = exactMin;
        }

        @Override
        public void observe(Tensor x) {
            int[] shape = template.granularity().paramShape(x.shape());
            if (lo == null) {
                paramShape = shape;
                int n = template.granularity().count(x.shape());
                lo = new double[n];
                hi = new double[n];
                absSum = new double[n];
                count = new long[n];
                Arrays.fill(lo, Double.POSITIVE_INFINITY);
                Arrays.fill(hi, Double.NEGATIVE_INFINITY);
            } else if (!Arrays.equals(shape, paramShape)) {
                throw new T2cException("calibration batches disagree in the " + template.granularity().id()
                        + " dimension: " + Arrays.toString(paramShape) + " then " + Arrays.toString(shape));
            }
            float[] v = x.floats();
            var idx = template.granularity().indexer(x.shape());
            for (int i = 0; i < v.length; i++) {
                int g = idx.granule(i);
                lo[g] = Math.min(lo[g], v[i]);
                hi[g] = Math.max(hi[g], v[i]);
                absSum[g] += Math.abs(v[i]);
                count[g]++;
            }
        }

        @Override
        public Calibration finish() {
            if (lo == null) {
                throw new T2cException("nothing was observed during calibration");
            }
            float[] scale = new float[lo.length];
            int[] zp = new int[lo.length];
            for (int g = 0; g < lo.length; g++) {
                if (template.bits() == 1) {
                    scale[g] = count[g] == 0 || absSum[g] == 0 ? 1f : (float) (absSum[g] / count[g]);
                } else if (exactMin) {
                    Ranges.chooseExactLow(template, lo[g], hi[g], scale, zp, g);
                } else {
                    Ranges.choose(template, lo[g], hi[g], scale, zp, g);
                }
            }
            return new Calibration(template.withValues(scale, zp));
        }
    }
}
