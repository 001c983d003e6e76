package io.t2c.quant;

import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;

/**
 * The shrinking-range search of Torch2Chip's LSQ and AdaRound observers: for each granule, try the ranges
 * {@code [lo·(1 − k/100), hi·(1 − k/100)]} for k = 0..99, quantize with each and keep the one whose reconstruction
 * error {@code mean |x̂ − x|^p} is smallest (p = 2.4 as published). Unlike Torch2Chip, each granule searches its own
 * shrink factor (Torch2Chip shares one across a per-token tensor), and a candidate is scored with the same
 * {@code +zp} the forward path uses (Torch2Chip's search subtracts zp, which is wrong for unsigned ranges with lo < 0).
 */
public final class RangeSearch {
    public static final int CANDIDATES = 100;
    public static final double PUBLISHED_EXPONENT = 2.4;

    private RangeSearch() {}

    /** The calibrated spec of {@code template} for x, chosen granule by granule by the shrink search. */
    public static QuantSpec shrinkSearch(QuantSpec template, Tensor x, double exponent) {
        float[] v = x.floats();
        Granularity.Indexer idx = template.granularity().indexer(x.shape());
        int n = template.granularity().count(x.shape());
        double[] lo = new double[n];
        double[] hi = new double[n];
        int[] count = new int[n];
        java.util.Arrays.fill(lo, Double.POSITIVE_INFINITY);
        java.util.Arrays.fill(hi, Double.NEGATIVE_INFINITY);
        for (int i = 0; i < v.length; i++) {
            int g = idx.granule(i);
            lo[g] = Math.min(lo[g], v[i]);
            hi[g] = Math.max(hi[g], v[i]);
            count[g]++;
        }
        // Group the elements by granule once, so each candidate scans only its granule.
        int[] start = new int[n + 1];
        for (int g = 0; g < n; g++) {
            start[g + 1] = start[g] + count[g];
        }
        float[] byGranule = new float[v.length];
        int[] fill = start.clone();
        for (int i = 0; i < v.length; i++) {
            byGranule[fill[idx.granule(i)]++] = v[i];
        }
        float[] scale = new float[n];
        int[] zp = new int[n];
        float[] candScale = new float[1];
        int[] candZp = new int[1];
        for (int g = 0; g < n; g++) {
            if (count[g] == 0) {
                throw new T2cException("granule " + g + " of " + template + " holds no elements");
            }
            double best = Double.POSITIVE_INFINITY;
            for (int k = 0; k < CANDIDATES; k++) {
                double shrink = 1 - 0.01 * k;
                Ranges.choose(template, lo[g] * shrink, hi[g] * shrink, candScale, candZp, 0);
                QuantSpec cand = template.withValues(candScale, candZp);
                double err = 0;
                for (int i = start[g]; i < start[g + 1]; i++) {
                    float xi = byGranule[i];
                    err += Math.pow(Math.abs(cand.dequantize(cand.quantize(xi, 0), 0) - (double) xi), exponent);
                }
                // Strictly smaller: ties keep the wider range, as torch's argmin keeps the first.
                if (err < best) {
                    best = err;
                    scale[g] = candScale[0];
                    zp[g] = candZp[0];
                }
            }
        }
        return template.withValues(scale, zp);
    }
}
