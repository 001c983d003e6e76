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
    void alignedShiftKeepsTheFineTermsPrecisionWhereOneSharedShiftLosesIt() {
        Random rnd = new Random(9);
        for (int trial = 0; trial < 500; trial++) {
            // An int8 residual (ratio ~1) plus an accumulator or constant 2^10..2^20 times finer, up to 2^20 codes.
            BigDecimal coarse = BigDecimal.valueOf(0.5 + rnd.nextDouble());
            BigDecimal fine = coarse.multiply(FixedPoint.pow2(-(10 + rnd.nextInt(11))))
                    .multiply(BigDecimal.valueOf(0.5 + rnd.nextDouble()));
            long[] bounds = {128, 1L << (10 + rnd.nextInt(11))};
            BigDecimal[] reals = {coarse, fine};
            FixedPoint.Multiplier[] aligned = FixedPoint.alignedShift(reals, bounds, 32);
            BigDecimal total = BigDecimal.ZERO;
            for (int i = 0; i < 2; i++) {
                assertEquals(aligned[0].shift(), aligned[i].shift(), "one shift for the sum");
                BigDecimal approx = new BigDecimal(aligned[i].multiplier()).divide(FixedPoint.pow2(aligned[i].shift()));
                BigDecimal relative = reals[i].subtract(approx).abs().divide(reals[i], new java.math.MathContext(20));
                // Each term as precise as a 32-bit multiplier of its own: ≤ 2^−31 relative.
                assertTrue(relative.compareTo(FixedPoint.pow2(-31)) <= 0, "term " + i + " relative error " + relative);
                total = total.add(new BigDecimal(aligned[i].multiplier()).multiply(BigDecimal.valueOf(bounds[i])));
            }
            assertTrue(total.compareTo(FixedPoint.pow2(62)) < 0, "Σ bound·M < 2^62");
        }
        // The same sum under one shared shift: the term 2^20 times finer keeps an 11-bit multiplier.
        FixedPoint.Multiplier[] shared = FixedPoint.sharedShift(new BigDecimal[] {BigDecimal.ONE,
                new BigDecimal("0.7").multiply(FixedPoint.pow2(-20))}, new long[] {128, 1L << 20}, 32);
        assertTrue(shared[1].multiplier() < 1L << 11, "shared-shift multiplier " + shared[1].multiplier());
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
