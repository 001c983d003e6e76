package io.t2c.convert.export;

import io.t2c.graph.Attributes;
import io.t2c.io.onnx.OnnxBuilder;
import io.t2c.quant.Rounding;
import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;

/**
 * Our fixed-point requantization {@code y = clamp(zy + roundShift(v·M_c, s_c), lo, hi)} written with standard
 * INT64 ONNX ops, equal to {@link io.t2c.convert.FixedPoint#roundShift} for every rounding mode.
 *
 * <p>ONNX has no arithmetic right shift on signed integers (BitShift is unsigned-only in ONNX Runtime) and integer
 * Div truncates towards zero, so every mode is reduced to one floor division by D = 2^s:
 * {@code roundShift(p, s) = floor((p + a) / D)} with an addend a that depends on the mode (H = 2^(s−1) for s ≥ 1):
 * floor a = 0; half-up a = H; half-away a = H − [p < 0] (for p < 0, −floor((−p + H)/D) = floor((p + H − 1)/D)
 * because D − H = H); half-even a = H − 1 + (floor(p/D) mod 2) (remainders below H stay, above H go up, and a tie
 * reaches the next multiple only when the lower quotient is odd). For s = 0 every addend is 0. The floor division
 * itself is {@code (a − Mod(a, D)) / D}: ONNX Mod with fmod = 0 takes the divisor's sign, so Mod(a, D) ∈ [0, D) and
 * the remaining Div is exact, whatever its rounding. With |p| < 2^62 (the converter's bound) nothing overflows.
 */
public final class FixedPointOnnx {
    private FixedPointOnnx() {}

    /**
     * Emits the requantization of INT64 value {@code v} (already {@code x − zx} or a sum of scaled operands);
     * per-channel arrays broadcast with {@code channelShape} (e.g. [C, 1, 1] for NCHW, [C] for the last axis),
     * arrays of length one apply to all. Returns the INT64 codes.
     */
    public static String requantize(OnnxBuilder b, String v, long[] multiplier, int[] shift, Rounding mode,
                                    long zeroPoint, long min, long max, int[] channelShape) {
        String product = b.node("Mul", v, longs(b, "multiplier", multiplier, channelShape));
        return shiftToCodes(b, product, shift, mode, zeroPoint, min, max, channelShape);
    }

    /** {@code clamp(zy + roundShift(p, s_c), lo, hi)} of an INT64 product {@code p} (LayerNorm adds β first). */
    static String shiftToCodes(OnnxBuilder b, String p, int[] shift, Rounding mode, long zeroPoint, long min,
                               long max, int[] channelShape) {
        String shifted = roundShift(b, p, shift, mode, channelShape);
        String y = zeroPoint == 0 ? shifted : b.node("Add", shifted, scalar(b, "y_zero_point", zeroPoint));
        return clamp(b, y, min, max);
    }

    /**
     * {@code min(max(v, lo), hi)} on INT64 as Where(Less)/Where(Greater): ONNX Runtime 1.23's int64 Clip and
     * Max/Min left values ≥ 2^31 unclamped in our test.
     */
    static String clamp(OnnxBuilder b, String v, long min, long max) {
        String lo = scalar(b, "min", min);
        String atLeastMin = b.node("Where", b.node("Less", v, lo), lo, v);
        return atMost(b, atLeastMin, max);
    }

    /** {@code min(v, hi)} on INT64 (Where, for the reason in {@link #clamp}). */
    static String atMost(OnnxBuilder b, String v, long max) {
        String hi = scalar(b, "max", max);
        return b.node("Where", b.node("Greater", v, hi), hi, v);
    }

    /** Emits {@code roundShift(p, s_c)} on INT64 {@code p} by the formulation in the class comment. */
    public static String roundShift(OnnxBuilder b, String p, int[] shift, Rounding mode, int[] channelShape) {
        long[] divisor = new long[shift.length];
        long[] half = new long[shift.length];
        long[] roundsAtAll = new long[shift.length];
        for (int i = 0; i < shift.length; i++) {
            divisor[i] = 1L << shift[i];
            half[i] = shift[i] == 0 ? 0 : 1L << (shift[i] - 1);
            roundsAtAll[i] = shift[i] == 0 ? 0 : 1;
        }
        String d = longs(b, "divisor", divisor, channelShape);
        String addend = switch (mode) {
            case FLOOR -> null;
            case HALF_UP -> longs(b, "half", half, channelShape);
            case HALF_AWAY -> {
                String negative = b.node("Cast", Attributes.of("to", 7), b.node("Less", p, scalar(b, "zero", 0)));
                yield b.node("Sub", longs(b, "half", half, channelShape),
                        b.node("Mul", negative, longs(b, "rounds", roundsAtAll, channelShape)));
            }
            case HALF_EVEN -> {
                long[] halfMinusOne = new long[shift.length];
                for (int i = 0; i < shift.length; i++) {
                    halfMinusOne[i] = half[i] - roundsAtAll[i];
                }
                String oddQuotient = b.node("Mod", floorDiv(b, p, d), scalar(b, "two", 2));
                yield b.node("Add", longs(b, "half_minus_one", halfMinusOne, channelShape),
                        b.node("Mul", oddQuotient, longs(b, "rounds", roundsAtAll, channelShape)));
            }
        };
        return floorDiv(b, addend == null ? p : b.node("Add", p, addend), d);
    }

    /**
     * ⌊a / d⌋ for any d ≠ 0 (ONNX's integer Div truncates towards zero): Mod with fmod = 0 takes the divisor's sign,
     * so a − Mod(a, d) is a multiple of d on the floor side and the Div is exact.
     */
    static String floorDiv(OnnxBuilder b, String a, String d) {
        return b.node("Div", b.node("Sub", a, b.node("Mod", a, d)), d);
    }

    /** round(num / den) half-up for den > 0, as our reference: ⌊num / den⌋ plus one when 2·remainder ≥ den. */
    static String divideHalfUp(OnnxBuilder b, String num, String den) {
        String rem = b.node("Mod", num, den);
        String quotient = b.node("Div", b.node("Sub", num, rem), den);
        String up = b.node("Not", b.node("Less", b.node("Mul", rem, scalar(b, "two", 2)), den));
        return b.node("Add", quotient, b.node("Cast", Attributes.of("to", 7), up));
    }

    static String longs(OnnxBuilder b, String name, long[] values, int[] channelShape) {
        return b.constant(name, Tensor.ofLongs(values.clone(), values.length == 1 ? new int[] {1} : channelShape));
    }

    static String scalar(OnnxBuilder b, String name, long value) {
        return b.constant(name, Tensor.ofLongs(new long[] {value}, 1));
    }

    /** The ONNX element type number of a DType, for Cast's {@code to}. */
    static int onnxType(DType t) {
        return io.t2c.graph.op.OnnxTypes.onnxType(t);
    }
}
