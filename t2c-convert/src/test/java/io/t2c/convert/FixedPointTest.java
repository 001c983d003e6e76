package io.t2c.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.quant.Rounding;
import java.math.BigDecimal;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FixedPointTest {
    @Test
    void multiplierAndShiftIsTheNearestWordBitsFractionOfTheExactRatio() {
        Random rnd = new Random(5);
        for (int wordBits : new int[] {32, 16}) {
            for (int trial = 0; trial < 2000; trial++) {
                float dx = (float) Math.scalb(1 + rnd.nextDouble(), -rnd.nextInt(12));
                float dw = (float) Math.scalb(1 + rnd.nextDouble(), -rnd.nextInt(12));
                float dy = (float) Math.scalb(1 + rnd.nextDouble(), -rnd.nextInt(6));
                BigDecimal exact = new BigDecimal(dx).multiply(new BigDecimal(dw)).divide(new BigDecimal(dy),
                        new java.math.MathContext(100));
                FixedPoint.Multiplier m = FixedPoint.multiplierAndShift(FixedPoint.ratio(dx, dw, dy), wordBits);
                assertTrue(m.multiplier() >= 1L << (wordBits - 2) && m.multiplier() < 1L << (wordBits - 1),
                        "M = " + m.multiplier() + " must carry exactly " + (wordBits - 1) + " bits");
                BigDecimal approx = new BigDecimal(m.multiplier()).divide(FixedPoint.pow2(m.shift()));
                BigDecimal halfStep = FixedPoint.pow2(-m.shift() - 1);
                assertTrue(exact.subtract(approx).abs().compareTo(halfStep) <= 0,
                        "|r − M·2^−s| ≤ 2^−(s+1) for r = " + exact + ", M = " + m.multiplier() + ", s = " + m.shift());
            }
        }
    }

    @Test
    void powersOfTwoAreExact() {
        FixedPoint.Multiplier m = FixedPoint.multiplierAndShift(new BigDecimal("0.25"), 32);
        assertEquals(1L << 30, m.multiplier());
        assertEquals(32, m.shift());
    }

    @Test
    void everyRoundingModeResolvesTiesItsOwnWay() {
        // v / 2^2 for v = 10 (2.5), -10 (-2.5), 6 (1.5), -6 (-1.5), 9 (2.25), -9 (-2.25)
        long[] v = {10, -10, 6, -6, 9, -9};
        long[][] expected = {
            {3, -2, 2, -1, 2, -2}, // half-up: ties towards +∞
            {2, -2, 2, -2, 2, -2}, // half-even
            {3, -3, 2, -2, 2, -2}, // half-away
            {2, -3, 1, -2, 2, -3}, // floor
        };
        Rounding[] modes = {Rounding.HALF_UP, Rounding.HALF_EVEN, Rounding.HALF_AWAY, Rounding.FLOOR};
        for (int m = 0; m < modes.length; m++) {
            for (int i = 0; i < v.length; i++) {
                assertEquals(expected[m][i], FixedPoint.roundShift(v[i], 2, modes[m]), modes[m] + " of " + v[i]);
                assertEquals(expected[m][i], ReferenceExecutor.divideByPowerOfTwo(v[i], 2, modes[m].id()),
                        "reference " + modes[m] + " of " + v[i]);
            }
        }
    }

    @Test
    void fastAndReferenceShiftsAgreeOnRandomProducts() {
        Random rnd = new Random(11);
        for (Rounding mode : Rounding.values()) {
            for (int i = 0; i < 20000; i++) {
                long p = rnd.nextLong() >> (2 + rnd.nextInt(30));
                int s = 1 + rnd.nextInt(40);
                assertEquals(ReferenceExecutor.divideByPowerOfTwo(p, s, mode.id()), FixedPoint.roundShift(p, s, mode),
                        mode + " " + p + " >> " + s);
            }
        }
    }
}
