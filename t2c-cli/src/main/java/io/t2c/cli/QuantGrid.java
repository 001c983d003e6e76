package io.t2c.cli;

import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.tensor.Tensor;

/**
 * The dequantized levels {@code scale · (q − zero_point)}, q over the integer range, of one FakeQuant node. With
 * several scales (per channel, group or token) it is the grid of the widest one, which spans every other's range.
 */
record QuantGrid(double[] levels, String caption) {
    static QuantGrid of(Node fakeQuant, Graph g) {
        int bits = fakeQuant.attributes().getInt("bits", 8);
        boolean signed = fakeQuant.attributes().getInt("signed", 1) != 0;
        boolean narrow = fakeQuant.attributes().getInt("narrow", 0) != 0;
        long qmin = signed ? -(1L << (bits - 1)) + (narrow ? 1 : 0) : 0;
        long qmax = signed ? (1L << (bits - 1)) - 1 : (1L << bits) - 1;
        Tensor scale = g.initializer(fakeQuant.input(1));
        Tensor zeroPoint = g.initializer(fakeQuant.input(2));
        if (scale == null || scale.size() == 0) {
            return new QuantGrid(new double[0], "scale computed at run time (no grid)");
        }
        float[] scales = scale.floats();
        int widest = 0;
        for (int i = 1; i < scales.length; i++) {
            if (scales[i] > scales[widest]) {
                widest = i;
            }
        }
        int[] zps = zeroPoint == null ? new int[] {0} : zeroPoint.ints();
        int zp = zps[zps.length == scales.length ? widest : 0];
        double[] levels = new double[(int) (qmax - qmin + 1)];
        for (int i = 0; i < levels.length; i++) {
            levels[i] = (double) scales[widest] * (qmin + i - zp);
        }
        String which = scales.length == 1 ? "one scale" : "grid of scale " + widest + " (the widest of " + scales.length + ")";
        return new QuantGrid(levels, String.format("q in [%d, %d], %s = %.4g, zero point %d", qmin, qmax,
                scales.length == 1 ? "scale" : which + ", scale", scales[widest], zp));
    }
}
