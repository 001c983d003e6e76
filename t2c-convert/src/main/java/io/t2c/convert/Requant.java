package io.t2c.convert;

import io.t2c.graph.Attributes;
import io.t2c.graph.Node;
import io.t2c.quant.Rounding;
import io.t2c.tensor.T2cException;

/**
 * The requantization epilogue of an integer op as its attributes hold it: per channel multiplier M and shift s, the
 * output zero point and the clamp bounds (the output range with any fused ReLU/ReLU6 folded in), and the rounding
 * mode of the shift: {@code y = clamp(zy + roundShift(v·M_c, s_c), lo, hi)}. Absent ({@link #of} returns null) when
 * the op outputs its raw accumulator.
 */
record Requant(long[] multiplier, int[] shift, long zeroPoint, long min, long max, Rounding rounding) {
    static Requant of(Node node) {
        Attributes a = node.attributes();
        if (!a.has(IntegerOps.MULTIPLIER)) {
            return null;
        }
        return new Requant(a.getLongs(IntegerOps.MULTIPLIER), a.getInts(IntegerOps.SHIFT, null),
                a.getLong(IntegerOps.Y_ZERO_POINT, 0), a.getLong(IntegerOps.Y_MIN, 0), a.getLong(IntegerOps.Y_MAX, 0),
                Rounding.parse(a.getString(IntegerOps.ROUNDING, "half-up")));
    }

    /** Writes these parameters into a node's attributes. */
    Attributes into(Attributes a) {
        long[] shifts = new long[shift.length];
        for (int i = 0; i < shift.length; i++) {
            shifts[i] = shift[i];
        }
        return a.with(IntegerOps.MULTIPLIER, multiplier).with(IntegerOps.SHIFT, shifts)
                .with(IntegerOps.Y_ZERO_POINT, zeroPoint).with(IntegerOps.Y_MIN, min).with(IntegerOps.Y_MAX, max)
                .with(IntegerOps.ROUNDING, rounding.id());
    }

    /** The code of accumulator value {@code acc} of channel {@code c} (arrays of length 1 apply to all channels). */
    long apply(long acc, int c) {
        int i = multiplier.length == 1 ? 0 : c;
        long y = zeroPoint + FixedPoint.roundShift(acc * multiplier[i], shift[i], rounding);
        return y < min ? min : Math.min(y, max);
    }

    static T2cException overflow(Node node, long value, int accBits) {
        return new T2cException("node " + node.label() + ": accumulator value " + value + " does not fit in int"
                + accBits + " (overflow detected, not wrapped); reconvert so the layer accumulates in int64");
    }
}
