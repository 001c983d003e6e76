package io.t2c.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.t2c.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The shared arithmetic: the range rules, rounding on ties, binary quantization. */
class FakeQuantTest {
    static QuantSpec calibrated(QuantSpec template, double lo, double hi) {
        float[] scale = new float[1];
        int[] zp = new int[1];
        Ranges.choose(template, lo, hi, scale, zp, 0);
        return template.withValues(scale, zp);
    }

    @Test
    void signedSymmetricMapsPlusAndMinusMaxToTheExtremeCodes() {
        QuantSpec spec = calibrated(QuantSpec.template(8, true, Granularity.perTensor()), -1.7, 3.3);
        assertEquals(127, spec.quantize(3.3f, 0));
        assertEquals(-127, spec.quantize(-3.3f, 0));
        assertEquals(0, spec.zeroPoint()[0]);
        assertEquals(3.3f, spec.dequantize(127, 0), 1e-6f);
    }

    @Test
    void unsignedZeroPointRepresentsZeroExactly() {
        QuantSpec spec = calibrated(QuantSpec.template(8, false, Granularity.perTensor()), -1.3, 5.7);
        int zeroCode = spec.quantize(0f, 0);
        assertEquals(spec.zeroPoint()[0], zeroCode);
        assertEquals(0f, spec.dequantize(zeroCode, 0));
        assertEquals(0, spec.quantize(-1.3f, 0));
        assertEquals(255, spec.quantize(5.7f, 0));
    }

    @Test
    void roundingModesDifferOnTies() {
        QuantSpec unit = QuantSpec.template(8, true, Granularity.perTensor()).withValues(new float[] {1f}, new int[] {0});
        float[] ties = {2.5f, -2.5f, 3.5f, -0.5f};
        assertArrayEquals(new int[] {2, -2, 4, 0}, codes(unit.withRounding(Rounding.HALF_EVEN), ties));
        assertArrayEquals(new int[] {3, -2, 4, 0}, codes(unit.withRounding(Rounding.HALF_UP), ties));
        assertArrayEquals(new int[] {3, -3, 4, -1}, codes(unit.withRounding(Rounding.HALF_AWAY), ties));
        assertArrayEquals(new int[] {2, -3, 3, -1}, codes(unit.withRounding(Rounding.FLOOR), ties));
    }

    private static int[] codes(QuantSpec spec, float[] x) {
        return FakeQuant.toInteger(spec, Tensor.of(x, x.length)).ints();
    }

    @Test
    void binaryQuantizesBySignToPlusMinusDelta() {
        QuantSpec spec = QuantSpec.template(1, true, Granularity.perTensor()).withValues(new float[] {0.5f}, new int[] {0});
        Tensor x = Tensor.of(new float[] {-2f, -0.1f, 0f, 0.3f, 4f}, 5);
        assertArrayEquals(new int[] {-1, -1, 1, 1, 1}, FakeQuant.toInteger(spec, x).ints());
        assertArrayEquals(new float[] {-0.5f, -0.5f, 0.5f, 0.5f, 0.5f}, FakeQuant.simulate(spec, x).floats());
        // STE passes only where |x| ≤ Δ.
        Tensor ones = Tensor.of(new float[] {1, 1, 1, 1, 1}, 5);
        assertArrayEquals(new float[] {0, 1, 1, 1, 0}, FakeQuant.steGradient(spec, x, ones).floats());
    }
}
