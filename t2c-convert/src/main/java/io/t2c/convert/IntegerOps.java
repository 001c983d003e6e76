package io.t2c.convert;

import static io.t2c.graph.op.AttrSpec.Kind.FLOAT;
import static io.t2c.graph.op.AttrSpec.Kind.FLOATS;
import static io.t2c.graph.op.AttrSpec.Kind.INT;
import static io.t2c.graph.op.AttrSpec.Kind.INTS;
import static io.t2c.graph.op.AttrSpec.Kind.STRING;
import static io.t2c.graph.op.AttrSpec.optional;
import static io.t2c.graph.op.AttrSpec.required;

import io.t2c.graph.Node;
import io.t2c.graph.TensorInfo;
import io.t2c.graph.op.AttrSpec;
import io.t2c.graph.op.Family;
import io.t2c.graph.op.Op;
import io.t2c.graph.op.OpDef;
import io.t2c.graph.op.OpProvider;
import io.t2c.quant.Rounding;
import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The integer-only ops of a converted graph (docs/NUMERICS.md states their arithmetic). Every tensor between
 * {@code IntQuantize} and {@code IntDequantize} is INT32 (codes and 32-bit accumulators) or INT64 (64-bit
 * accumulators); weights and biases are INT32/INT64 initializers; multipliers, shifts, zero points, clamp bounds and
 * the rounding mode are attributes. The forwards here are the fast path ({@link FastKernels}); the independent
 * scalar reference is {@link ReferenceExecutor}. Flatten, Reshape and Transpose stay the standard movement ops.
 */
public final class IntegerOps {
    public static final String QUANTIZE = "IntQuantize";
    public static final String CONV = "IntConv";
    public static final String GEMM = "IntGemm";
    public static final String ADD = "IntAdd";
    public static final String AVERAGE_POOL = "IntAveragePool";
    public static final String MAX_POOL = "IntMaxPool";
    public static final String DEQUANTIZE = "IntDequantize";
    public static final String REQUANTIZE = "IntRequantize";
    public static final String CONCAT = "IntConcat";
    public static final String MATMUL = "IntMatMul";
    public static final String SOFTMAX = "IntSoftmax";
    public static final String LAYER_NORM = "IntLayerNorm";
    public static final String GELU = "IntGelu";
    public static final String LUT = "IntLut";

    // Attribute names shared by the converter, the fast ops and the reference.
    public static final String X_ZERO_POINT = "x_zero_point";
    public static final String X_MIN = "x_min";
    public static final String X_MAX = "x_max";
    public static final String W_ZERO_POINT = "w_zero_point";
    public static final String ACC_BITS = "acc_bits";
    public static final String MULTIPLIER = "multiplier";
    public static final String SHIFT = "shift";
    public static final String Y_ZERO_POINT = "y_zero_point";
    public static final String Y_MIN = "y_min";
    public static final String Y_MAX = "y_max";
    public static final String ROUNDING = "rounding";
    /** Dequantization scale of the output, per channel along {@link #Y_AXIS} (or one): how reports read the codes. */
    public static final String Y_SCALE = "y_scale";
    public static final String Y_AXIS = "y_axis";
    public static final String B_ZERO_POINT = "b_zero_point";
    public static final String B_MULTIPLIER = "b_multiplier";
    public static final String A_MULTIPLIER = "a_multiplier";
    public static final String SCALE = "scale";
    public static final String ZERO_POINT = "zero_point";
    /**
     * Code types of the quantizer specs, "int8" / "uint4" style: {@link #W_TYPE} of the weight, {@link #Y_TYPE} of
     * the output codes. The clamp bounds may be narrower (a fused ReLU), so they cannot tell a testbench the width.
     */
    public static final String W_TYPE = "w_type";
    public static final String Y_TYPE = "y_type";
    /** The weight's float scale, per output channel or one: metadata for extraction, not used by the arithmetic. */
    public static final String W_SCALE = "w_scale";
    /**
     * 1 when an average pool reads an accumulator with per-channel scales: its multiplier/shift arrays then hold one
     * row of (taps + 1) entries per channel, index c·(taps + 1) + count.
     */
    public static final String POOL_PER_CHANNEL = "per_channel";
    /** Zero point of each Concat operand, in input order. */
    public static final String X_ZERO_POINTS = "x_zero_points";
    /**
     * Multipliers per Concat operand: 1 (codes, per tensor) or its extent along the axis (an accumulator with
     * per-channel scales); operand i's multipliers follow those of operands 0..i−1.
     */
    public static final String X_CHANNELS = "x_channels";

    /**
     * Per-channel multiplier and shift (along {@link #Y_AXIS}, or one) taking an input to the op's internal fixed
     * point: Softmax's max-subtracted input, GELU's input, at scale 2^−{@link #FRAC_BITS}.
     */
    public static final String X_MULTIPLIER = "x_multiplier";
    public static final String X_SHIFT = "x_shift";
    /** Fraction bits of an op's internal fixed-point values. */
    public static final String FRAC_BITS = "frac_bits";
    /** Softmax's exponent constants at scale 2^−F: round(ln 2·2^F), and c_k = round(2^F/k!) for k = 0..n. */
    public static final String EXP_LN2 = "exp_ln2";
    public static final String EXP_COEFFS = "exp_coeffs";
    /** GELU i-erf constants at scale 2^−F: round(0.2888·2^F), round(1.769·2^F); 1/√2 as round(2^16/√2). */
    public static final String ERF_A = "erf_a";
    public static final String ERF_B = "erf_b";
    public static final String INV_SQRT2_Q16 = "inv_sqrt2_q16";
    /** LayerNorm: ε in squared code units times D², and the left shift k of the variance before its square root. */
    public static final String EPS_CODES = "eps_codes";
    public static final String SQRT_SHIFT = "sqrt_shift";
    /** LayerNorm: per-channel β as codes at 2^−shift_c output steps, added before the rounding. */
    public static final String BIAS_CODES = "bias_codes";
    /** IntLut: what its table computes, e.g. "Mul(x, Sigmoid(x))" (documentation for reports and extraction). */
    public static final String FUNCTION = "function";

    private IntegerOps() {}

    /** Registers the integer ops with {@link io.t2c.graph.op.OpRegistry#standard()}. */
    public static final class Provider implements OpProvider {
        @Override
        public List<OpDef> ops() {
            return List.of(new QuantizeOp(), new ConvOp(), new GemmOp(), new AddOp(), new AveragePoolOp(),
                    new MaxPoolOp(), new DequantizeOp(), new RequantizeOp(), new ConcatOp(), new MatMulOp(), new SoftmaxOp(), new LayerNormOp(), new GeluOp(),
                    new LutOp());
        }
    }

    private static final AttrSpec[] REQUANT = {optional(MULTIPLIER, INTS, null), optional(SHIFT, INTS, null),
        optional(Y_ZERO_POINT, INT, 0L), optional(Y_MIN, INT, null), optional(Y_MAX, INT, null),
        optional(ROUNDING, STRING, "half-up"), optional(Y_SCALE, FLOATS, null), optional(Y_AXIS, INT, 1L),
        optional(Y_TYPE, STRING, null)};

    private static AttrSpec[] with(AttrSpec[] extra, AttrSpec... own) {
        List<AttrSpec> all = new ArrayList<>(List.of(own));
        all.addAll(List.of(extra));
        return all.toArray(AttrSpec[]::new);
    }

    /** The output element type: codes are INT32, raw accumulators INT32 or INT64 by {@link #ACC_BITS}. */
    static DType outputType(Node n) {
        return Requant.of(n) == null && n.attributes().getInt(ACC_BITS, 32) == 64 ? DType.INT64 : DType.INT32;
    }

    /** {@code IntQuantize(x float) → codes}: q = clamp(round(x/Δ) + zp), Δ the float scale, the spec's rounding. */
    static final class QuantizeOp extends Op {
        QuantizeOp() {
            super(QUANTIZE, Family.QUANTIZE, 1, 1, required(SCALE, FLOAT), optional(ZERO_POINT, INT, 0L),
                    required(Y_MIN, INT), required(Y_MAX, INT), optional(ROUNDING, STRING, "half-even"),
                    optional(Y_SCALE, FLOATS, null), optional(Y_TYPE, STRING, null));
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            return List.of(TensorInfo.of(DType.INT32, in.get(0).shape()));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(FastKernels.quantize(node, in.get(0)));
        }
    }

    /** {@code IntConv(x, w, b?)}: 2-D convolution of codes, groups and depthwise included, then requant or raw acc. */
    static final class ConvOp extends Op {
        ConvOp() {
            super(CONV, Family.LINEAR, 2, 3, with(REQUANT, required(X_ZERO_POINT, INT), required(X_MIN, INT),
                    required(X_MAX, INT), required(W_ZERO_POINT, INTS), optional(ACC_BITS, INT, 32L),
                    optional(W_TYPE, STRING, null), optional(W_SCALE, FLOATS, null), optional("group", INT, 1L), optional("strides", INTS, null), optional("pads", INTS, null),
                    optional("dilations", INTS, null)));
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            ConvGeometry g = ConvGeometry.of(node, in.get(0).shape(), in.get(1).shape());
            return List.of(TensorInfo.of(outputType(node), g.batch(), g.outChannels(), g.outH(), g.outW()));
        }

        @Override
        public Prepared prepare(Node node, List<Tensor> constants) {
            if (constants.get(1) == null) {
                return super.prepare(node, constants);
            }
            FastKernels.Conv conv = new FastKernels.Conv(node, constants.get(1),
                    constants.size() > 2 ? constants.get(2) : null);
            return in -> List.of(conv.run(in.get(0)));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(new FastKernels.Conv(node, in.get(1), in.size() > 2 ? in.get(2) : null).run(in.get(0)));
        }
    }

    /**
     * {@code IntGemm(x[…, K], w[N, K], b?)}: a linear layer (Gemm, or MatMul by a constant) on codes; the weight is
     * stored output-major whatever the float op's layout; output channels on the last axis.
     */
    static final class GemmOp extends Op {
        GemmOp() {
            super(GEMM, Family.LINEAR, 2, 3, with(REQUANT, required(X_ZERO_POINT, INT), required(X_MIN, INT),
                    required(X_MAX, INT), required(W_ZERO_POINT, INTS), optional(ACC_BITS, INT, 32L),
                    optional(W_TYPE, STRING, null), optional(W_SCALE, FLOATS, null)));
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            int[] s = in.get(0).shape();
            s[s.length - 1] = in.get(1).dim(0);
            return List.of(TensorInfo.of(outputType(node), s));
        }

        @Override
        public Prepared prepare(Node node, List<Tensor> constants) {
            if (constants.get(1) == null) {
                return super.prepare(node, constants);
            }
            FastKernels.Linear linear = new FastKernels.Linear(node, constants.get(1),
                    constants.size() > 2 ? constants.get(2) : null);
            return in -> List.of(linear.run(in.get(0)));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(new FastKernels.Linear(node, in.get(1), in.size() > 2 ? in.get(2) : null).run(in.get(0)));
        }
    }

    /**
     * {@code IntAdd(a, b)}: y = clamp(zy + roundShift((a − za)·Ma_c + (b − zb)·Mb_c, s_c)), one rounding for the sum
     * (Sub has a negative Mb); operands are codes or accumulators, multipliers per channel on {@link #Y_AXIS}.
     */
    static final class AddOp extends Op {
        AddOp() {
            super(ADD, Family.ELEMENTWISE, 2, 2, with(REQUANT, optional(X_ZERO_POINT, INT, 0L),
                    optional(B_ZERO_POINT, INT, 0L), required(A_MULTIPLIER, INTS), required(B_MULTIPLIER, INTS)));
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            return List.of(TensorInfo.of(DType.INT32, in.get(0).shape()));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(FastKernels.add(node, in.get(0), in.get(1)));
        }
    }

    /**
     * {@code IntAveragePool(x)} (also global, {@code global = 1}): the window sum of x − zx, times the multiplier
     * of the window's tap count (multiplier/shift arrays are indexed by count), rounded once.
     */
    static final class AveragePoolOp extends Op {
        AveragePoolOp() {
            super(AVERAGE_POOL, Family.POOL, 1, 1, with(REQUANT, optional(X_ZERO_POINT, INT, 0L),
                    optional("global", INT, 0L), optional(POOL_PER_CHANNEL, INT, 0L),
                    optional("kernel_shape", INTS, null), optional("strides", INTS, null),
                    optional("pads", INTS, null), optional("count_include_pad", INT, 0L)));
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            PoolGeometry g = PoolGeometry.of(node, in.get(0).shape());
            return List.of(TensorInfo.of(DType.INT32, g.batch(), g.channels(), g.outH(), g.outW()));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(FastKernels.averagePool(node, in.get(0)));
        }
    }

    /** {@code IntMaxPool(x)}: the window maximum of integers (padding never wins); a pass-through of codes. */
    static final class MaxPoolOp extends Op {
        MaxPoolOp() {
            super(MAX_POOL, Family.POOL, 1, 1, required("kernel_shape", INTS), optional("strides", INTS, null),
                    optional("pads", INTS, null), optional("dilations", INTS, null));
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            PoolGeometry g = PoolGeometry.of(node, in.get(0).shape());
            return List.of(TensorInfo.of(in.get(0).dtype(), g.batch(), g.channels(), g.outH(), g.outW()));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(FastKernels.maxPool(node, in.get(0)));
        }
    }

    /**
     * {@code IntRequantize(x)}: codes or accumulators to the codes of another spec,
     * y = clamp(zy + roundShift((x − zx)·M_c, s_c)); where a quantizer reads a value that is already integer.
     */
    static final class RequantizeOp extends Op {
        RequantizeOp() {
            super(REQUANTIZE, Family.QUANTIZE, 1, 1, with(REQUANT, optional(X_ZERO_POINT, INT, 0L)));
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            return List.of(TensorInfo.of(DType.INT32, in.get(0).shape()));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(FastKernels.requantize(node, in.get(0)));
        }
    }

    /**
     * {@code IntConcat(x_0, …)} along {@code axis}: operand i rescaled to the output spec,
     * y = clamp(zy + roundShift((x − z_i)·M_i,c, s_i,c)); c the channel along the axis for per-channel operands.
     */
    static final class ConcatOp extends Op {
        ConcatOp() {
            super(CONCAT, Family.QUANTIZE, 1, Integer.MAX_VALUE, with(REQUANT, required("axis", INT),
                    required(X_ZERO_POINTS, INTS), required(X_CHANNELS, INTS)));
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            int[] s = in.get(0).shape();
            int axis = Math.floorMod(node.attributes().getInt("axis", 0), s.length);
            for (int i = 1; i < in.size(); i++) {
                s[axis] += in.get(i).dim(axis);
            }
            return List.of(TensorInfo.of(DType.INT32, s));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(FastKernels.concat(node, in));
        }
    }

    /**
     * {@code IntMatMul(a[…, M, K], b[…, K, N])}: the product of two activations' codes (attention's Q·Kᵀ and P·V),
     * acc = Σ (a − za)(b − zb) over K for each of the equal leading (batch) indices, then requant or raw acc.
     */
    static final class MatMulOp extends Op {
        MatMulOp() {
            super(MATMUL, Family.LINEAR, 2, 2, with(REQUANT, required(X_ZERO_POINT, INT), required(B_ZERO_POINT, INT),
                    optional(ACC_BITS, INT, 32L)));
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            int[] s = in.get(0).shape();
            s[s.length - 1] = in.get(1).dim(in.get(1).rank() - 1);
            return List.of(TensorInfo.of(outputType(node), s));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(FastKernels.matMul(node, in.get(0), in.get(1)));
        }
    }

    /**
     * {@code IntSoftmax(x)} over the last axis: t = roundShift((x − max_row)·Mx, sx) ≤ 0 at scale 2^−F (the
     * attention scale is folded into x_multiplier/x_shift); u = −t, z = ⌊u / ln2⌋, q = u − z·ln2 ∈ [0, ln2);
     * e^−q by Horner on the Taylor coefficients, h = c_n, h = c_k − ((q·h) >> F) for k = n−1..0; e = h >> z
     * (0 for z > 62); y = clamp(zy + round_half_up(e·M / (Σe·2^s))), M/2^s ≈ 1/Δy.
     */
    static final class SoftmaxOp extends Op {
        SoftmaxOp() {
            super(SOFTMAX, Family.ELEMENTWISE, 1, 1, with(REQUANT, required(X_MULTIPLIER, INTS), required(X_SHIFT,
                    INTS), required(FRAC_BITS, INT), required(EXP_LN2, INT), required(EXP_COEFFS,
                    INTS)));
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            return List.of(TensorInfo.of(DType.INT32, in.get(0).shape()));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(NonLinearKernels.softmax(node, in.get(0)));
        }
    }

    /**
     * {@code IntLayerNorm(x)} over the last axis of codes: s1 = Σ(x − zx), s2 = Σ(x − zx)², sd = ⌊√((D·s2 − s1² + ε)
     * ·4^k)⌋, r = ⌊(D·(x − zx) − s1)·2^(k+F) / sd⌋ (the normalized value at 2^−F), y = clamp(zy + roundShift(r·M_c +
     * β_c, s_c)) with M_c/2^s_c ≈ γ_c·2^−F/Δy.
     */
    static final class LayerNormOp extends Op {
        LayerNormOp() {
            super(LAYER_NORM, Family.ELEMENTWISE, 1, 1, with(REQUANT, optional(X_ZERO_POINT, INT, 0L),
                    required(FRAC_BITS, INT), required(EPS_CODES, INT), required(SQRT_SHIFT, INT),
                    required(BIAS_CODES, INTS)));
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            return List.of(TensorInfo.of(DType.INT32, in.get(0).shape()));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(NonLinearKernels.layerNorm(node, in.get(0)));
        }
    }

    /**
     * {@code IntGelu(x)} (I-BERT i-GELU): x_f = roundShift((x − zx)·Mx_c, sx_c) at 2^−F; u = min(|x_f|·inv√2 >> 16,
     * b); erf = 2^F − (a·(b − u)² >> 2F); g = x_f·(2^F + sign(x)·erf) >> (F + 1); y = clamp(zy + roundShift(g·M, s)).
     */
    static final class GeluOp extends Op {
        GeluOp() {
            super(GELU, Family.ELEMENTWISE, 1, 1, with(REQUANT, optional(X_ZERO_POINT, INT, 0L),
                    required(X_MULTIPLIER, INTS), required(X_SHIFT, INTS), required(FRAC_BITS, INT),
                    required(ERF_A, INT), required(ERF_B, INT), required(INV_SQRT2_Q16, INT)));
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            return List.of(TensorInfo.of(DType.INT32, in.get(0).shape()));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(NonLinearKernels.gelu(node, in.get(0)));
        }
    }

    /**
     * {@code IntLut(x, table)}: y = table[x − x_min] for input codes x in [x_min, x_max] (a code outside is an error);
     * the INT32 table holds x_max − x_min + 1 output codes, built at conversion from the fake-quant graph's own float
     * kernel and quantizers (docs/NUMERICS.md, "Lookup tables"), clamps after the function already folded in.
     */
    static final class LutOp extends Op {
        LutOp() {
            super(LUT, Family.ELEMENTWISE, 2, 2, required(X_MIN, INT), required(X_MAX, INT),
                    optional(X_ZERO_POINT, INT, 0L), optional(Y_ZERO_POINT, INT, 0L), optional(Y_SCALE, FLOATS, null),
                    optional(Y_AXIS, INT, -1L), optional(Y_TYPE, STRING, null), optional(FUNCTION, STRING, null));
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            return List.of(TensorInfo.of(DType.INT32, in.get(0).shape()));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(FastKernels.lookup(node, in.get(0), in.get(1)));
        }
    }

    /** {@code IntDequantize(q) → float}: (q − zp)·scale_c in double, rounded once to float; scale per channel. */
    static final class DequantizeOp extends Op {
        DequantizeOp() {
            super(DEQUANTIZE, Family.QUANTIZE, 1, 1, required(SCALE, FLOATS), optional(ZERO_POINT, INT, 0L),
                    optional(Y_AXIS, INT, 1L));
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            return List.of(TensorInfo.of(DType.FLOAT32, in.get(0).shape()));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(FastKernels.dequantize(node, in.get(0)));
        }
    }

    /** Values of an INT32 or INT64 tensor as longs (a copy for INT32). */
    static long[] longs(Node node, Tensor t) {
        return switch (t.dtype()) {
            case INT64 -> t.longs();
            case INT32 -> {
                int[] v = t.ints();
                long[] out = new long[v.length];
                for (int i = 0; i < v.length; i++) {
                    out[i] = v[i];
                }
                yield out;
            }
            default -> throw new T2cException("node " + node.label() + ": expects INT32 or INT64 input, got "
                    + t.dtype());
        };
    }

    static Rounding rounding(Node n) {
        return Rounding.parse(n.attributes().getString(ROUNDING, "half-up"));
    }
}
