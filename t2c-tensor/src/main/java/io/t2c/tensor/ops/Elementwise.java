package io.t2c.tensor.ops;

import io.t2c.tensor.ArrayPool;
import io.t2c.tensor.DType;
import io.t2c.tensor.Shapes;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.kernel.Parallel;

/**
 * Element-wise ops with ONNX semantics: broadcasting binary arithmetic, comparisons, logic, {@code Where},
 * {@code PRelu}, and unary math and activations.
 *
 * <p><b>Shared rules.</b> Binary and ternary ops broadcast numpy-style (multidirectional, right-aligned); incompatible
 * shapes throw {@link T2cException} naming the op and both shapes. Operands must have the same {@link DType} (except
 * {@link #pow} and the BOOL condition of {@link #where}); the result has that dtype. FLOAT32 is computed in float
 * (transcendental functions in double, rounded once, on the scalar path; the Vector API path is within about 1 ulp).
 * Integer types are computed on {@code long} and wrapped back to their width like C: add/sub/mul wrap, integer
 * division truncates toward zero (as ONNX Div does for integers), and dividing an integer by zero throws.
 */
public final class Elementwise {
    static final float ONE_SIXTH = 1f / 6f;
    static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
    static final double SQRT_HALF = Math.sqrt(0.5);
    /** Element count per task for transcendental unary ops (more work per element than a copy). */
    private static final int HEAVY_GRAIN = StridedLoop.GRAIN / 8;

    private Elementwise() {}

    enum BinaryOp {
        ADD, SUB, MUL, DIV, MIN, MAX, POW, MOD, FMOD, PRELU
    }

    enum CompareOp {
        EQUAL, LESS, LESS_OR_EQUAL, GREATER, GREATER_OR_EQUAL, AND, OR, XOR
    }

    enum UnaryOp {
        NEG, ABS, SQRT, EXP, LOG, TANH, ERF, RECIPROCAL, RELU, LEAKY_RELU, CLIP, HARD_SIGMOID, HARD_SWISH, SIGMOID,
        SILU, GELU, GELU_TANH, FLOOR, CEIL, ROUND, SIGN
    }

    // =====================================================================================================
    // Binary arithmetic
    // =====================================================================================================

    public static Tensor add(Tensor a, Tensor b) {
        return binary("Add", BinaryOp.ADD, a, b);
    }

    /**
     * {@code min(max(a + b, lo), hi)} for FLOAT32 tensors in one pass (a residual Add with a fused Relu); NaN stays
     * NaN.
     */
    public static Tensor addClamped(Tensor a, Tensor b, float lo, float hi) {
        requireDType("Add", a, DType.FLOAT32);
        requireDType("Add", b, DType.FLOAT32);
        return floatBinary(BinaryOp.ADD, a, b, broadcastShapes("Add", a, b), lo, hi);
    }

    public static Tensor sub(Tensor a, Tensor b) {
        return binary("Sub", BinaryOp.SUB, a, b);
    }

    public static Tensor mul(Tensor a, Tensor b) {
        return binary("Mul", BinaryOp.MUL, a, b);
    }

    /** Division; integers truncate toward zero, integer division by zero throws {@link T2cException}. */
    public static Tensor div(Tensor a, Tensor b) {
        return binary("Div", BinaryOp.DIV, a, b);
    }

    /**
     * ONNX Mod. With {@code fmod} false (integers only) the result takes the sign of the divisor, like Python's
     * {@code %}; with {@code fmod} true it takes the sign of the dividend, like C {@code fmod} (required for floats).
     */
    public static Tensor mod(Tensor a, Tensor b, boolean fmod) {
        if (!fmod && a.dtype() == DType.FLOAT32) {
            throw new T2cException("Mod: floating-point inputs require fmod=1 (ONNX), got fmod=0 for " + a + " and "
                    + b);
        }
        return binary("Mod", fmod ? BinaryOp.FMOD : BinaryOp.MOD, a, b);
    }

    /** Element-wise minimum of one or more tensors, all broadcast together (ONNX Min); NaN propagates. */
    public static Tensor min(Tensor... xs) {
        return variadic("Min", BinaryOp.MIN, xs);
    }

    /** Element-wise maximum of one or more tensors, all broadcast together (ONNX Max); NaN propagates. */
    public static Tensor max(Tensor... xs) {
        return variadic("Max", BinaryOp.MAX, xs);
    }

    /** Element-wise sum of one or more tensors (ONNX Sum). */
    public static Tensor sum(Tensor... xs) {
        return variadic("Sum", BinaryOp.ADD, xs);
    }

    /**
     * ONNX Pow: {@code x ^ y} with the dtype of {@code x}; {@code y} may have another numeric type. Float bases use
     * {@link Math#pow} rounded to float. Integer bases with integer exponents are exact (wrapping) for exponents
     * &ge; 0; otherwise the double result is truncated toward zero.
     */
    public static Tensor pow(Tensor x, Tensor y) {
        if (x.dtype() == DType.BOOL || y.dtype() == DType.BOOL) {
            throw new T2cException("Pow does not accept BOOL tensors, got " + x + " and " + y);
        }
        if (x.dtype() == DType.FLOAT32) {
            Tensor e = y.cast(DType.FLOAT32);
            if (e.size() == 1 && e.floats()[0] == 2f) {
                // x*x rounds exactly like (float) Math.pow(x, 2): the square of a float is exact in double.
                int[] out = broadcastShapes("Pow", x, y);
                return mul(x, x).reshape(out);
            }
            return binary("Pow", BinaryOp.POW, x, e);
        }
        if (y.dtype() != DType.FLOAT32) {
            return longBinary(BinaryOp.POW, x, y, broadcastShapes("Pow", x, y), x.dtype());
        }
        // Integer base, float exponent: double pow, truncated.
        int[] out = broadcastShapes("Pow", x, y);
        long[] xv = TypedArrays.widen(x);
        float[] yv = y.floats();
        long[] o = new long[Shapes.numel(out)];
        int[][] st = {StridedLoop.broadcastStrides(x.shape(), out), StridedLoop.broadcastStrides(y.shape(), out)};
        StridedLoop.run(out, new int[2], st, (pos, step, op, n) -> {
            for (int i = 0; i < n; i++) {
                o[op + i] = (long) Math.pow(xv[pos[0] + i * step[0]], yv[pos[1] + i * step[1]]);
            }
        });
        return TypedArrays.narrow(o, x.dtype(), out);
    }

    /**
     * ONNX PRelu: {@code x < 0 ? slope * x : x}, with {@code slope} unidirectionally broadcast to {@code x}'s shape.
     */
    public static Tensor prelu(Tensor x, Tensor slope) {
        int[] out = broadcastShapes("PRelu", x, slope);
        if (!java.util.Arrays.equals(out, x.shape())) {
            throw new T2cException("PRelu: slope shape " + Shapes.toString(slope.shape())
                    + " must broadcast to the input shape " + Shapes.toString(x.shape()) + " without growing it");
        }
        return binary("PRelu", BinaryOp.PRELU, x, slope);
    }

    // =====================================================================================================
    // Comparisons and logic (result BOOL)
    // =====================================================================================================

    public static Tensor equal(Tensor a, Tensor b) {
        return compare("Equal", CompareOp.EQUAL, a, b);
    }

    public static Tensor less(Tensor a, Tensor b) {
        return compare("Less", CompareOp.LESS, a, b);
    }

    public static Tensor lessOrEqual(Tensor a, Tensor b) {
        return compare("LessOrEqual", CompareOp.LESS_OR_EQUAL, a, b);
    }

    public static Tensor greater(Tensor a, Tensor b) {
        return compare("Greater", CompareOp.GREATER, a, b);
    }

    public static Tensor greaterOrEqual(Tensor a, Tensor b) {
        return compare("GreaterOrEqual", CompareOp.GREATER_OR_EQUAL, a, b);
    }

    public static Tensor and(Tensor a, Tensor b) {
        return logic("And", CompareOp.AND, a, b);
    }

    public static Tensor or(Tensor a, Tensor b) {
        return logic("Or", CompareOp.OR, a, b);
    }

    public static Tensor xor(Tensor a, Tensor b) {
        return logic("Xor", CompareOp.XOR, a, b);
    }

    public static Tensor not(Tensor x) {
        requireDType("Not", x, DType.BOOL);
        byte[] s = x.bytes();
        byte[] o = new byte[s.length];
        for (int i = 0; i < s.length; i++) {
            o[i] = (byte) (s[i] == 0 ? 1 : 0);
        }
        return Tensor.ofBytes(DType.BOOL, o, x.shape());
    }

    /** ONNX Where: {@code cond ? a : b} with all three broadcast together; {@code cond} is BOOL. */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) {
        requireDType("Where (condition)", cond, DType.BOOL);
        requireSameDType("Where", a, b);
        int[] out;
        try {
            out = Shapes.broadcast(cond.shape(), a.shape(), b.shape());
        } catch (T2cException e) {
            throw new T2cException("Where: condition " + Shapes.toString(cond.shape()) + ", X "
                    + Shapes.toString(a.shape()) + " and Y " + Shapes.toString(b.shape())
                    + " cannot be broadcast together: " + e.getMessage());
        }
        byte[] c = cond.bytes();
        int[][] st = {StridedLoop.broadcastStrides(cond.shape(), out), StridedLoop.broadcastStrides(a.shape(), out),
                StridedLoop.broadcastStrides(b.shape(), out)};
        if (a.dtype() == DType.FLOAT32) {
            float[] x = a.floats();
            float[] y = b.floats();
            float[] o = new float[Shapes.numel(out)];
            StridedLoop.run(out, new int[3], st, (pos, step, op, n) -> {
                for (int i = 0; i < n; i++) {
                    o[op + i] = c[pos[0] + i * step[0]] != 0 ? x[pos[1] + i * step[1]] : y[pos[2] + i * step[2]];
                }
            });
            return Tensor.of(o, out);
        }
        long[] x = TypedArrays.widen(a);
        long[] y = TypedArrays.widen(b);
        long[] o = new long[Shapes.numel(out)];
        StridedLoop.run(out, new int[3], st, (pos, step, op, n) -> {
            for (int i = 0; i < n; i++) {
                o[op + i] = c[pos[0] + i * step[0]] != 0 ? x[pos[1] + i * step[1]] : y[pos[2] + i * step[2]];
            }
        });
        return TypedArrays.narrow(o, a.dtype(), out);
    }

    // =====================================================================================================
    // Unary
    // =====================================================================================================

    /** Negation; FLOAT32 and signed integers (integers wrap). */
    public static Tensor neg(Tensor x) {
        return unary("Neg", UnaryOp.NEG, x, 0, 0, true);
    }

    /** Absolute value; FLOAT32 and integers (integers wrap: abs(INT8 -128) is -128). */
    public static Tensor abs(Tensor x) {
        return unary("Abs", UnaryOp.ABS, x, 0, 0, true);
    }

    /** Sign: -1, 0 or 1 (NaN stays NaN); FLOAT32 and integers. */
    public static Tensor sign(Tensor x) {
        return unary("Sign", UnaryOp.SIGN, x, 0, 0, true);
    }

    public static Tensor sqrt(Tensor x) {
        return unary("Sqrt", UnaryOp.SQRT, x, 0, 0, false);
    }

    public static Tensor exp(Tensor x) {
        return unary("Exp", UnaryOp.EXP, x, 0, 0, false);
    }

    /** Natural logarithm. */
    public static Tensor log(Tensor x) {
        return unary("Log", UnaryOp.LOG, x, 0, 0, false);
    }

    public static Tensor tanh(Tensor x) {
        return unary("Tanh", UnaryOp.TANH, x, 0, 0, false);
    }

    /** Error function, see {@link #erf(double)}. */
    public static Tensor erf(Tensor x) {
        return unary("Erf", UnaryOp.ERF, x, 0, 0, false);
    }

    public static Tensor reciprocal(Tensor x) {
        return unary("Reciprocal", UnaryOp.RECIPROCAL, x, 0, 0, false);
    }

    public static Tensor floor(Tensor x) {
        return unary("Floor", UnaryOp.FLOOR, x, 0, 0, false);
    }

    public static Tensor ceil(Tensor x) {
        return unary("Ceil", UnaryOp.CEIL, x, 0, 0, false);
    }

    /** Rounds half to even, like ONNX Round. */
    public static Tensor round(Tensor x) {
        return unary("Round", UnaryOp.ROUND, x, 0, 0, false);
    }

    /** {@code max(x, 0)}; FLOAT32 and integers. */
    public static Tensor relu(Tensor x) {
        return unary("Relu", UnaryOp.RELU, x, 0, 0, true);
    }

    /**
     * {@code lo ≤ x ≤ hi ? g : 0} for same-shape FLOAT32 tensors (NaN x gives 0): the gradient {@code g} of Relu
     * (lo = the smallest positive float) or Clip, passed where the input was not clamped.
     */
    public static Tensor passWhereInRange(Tensor x, Tensor g, float lo, float hi) {
        requireDType("passWhereInRange", x, DType.FLOAT32);
        requireDType("passWhereInRange", g, DType.FLOAT32);
        if (!java.util.Arrays.equals(x.shape(), g.shape())) {
            throw new T2cException("passWhereInRange: shapes " + Shapes.toString(x.shape()) + " and "
                    + Shapes.toString(g.shape()) + " differ");
        }
        float[] xv = x.floats();
        float[] gv = g.floats();
        float[] out = new float[xv.length];
        boolean vector = Vectorization.enabled();
        Parallel.forRange(xv.length, StridedLoop.GRAIN, (from, to) -> {
            if (vector) {
                VectorKernels.passWhereInRange(xv, gv, out, from, to - from, lo, hi);
            } else {
                for (int i = from; i < to; i++) {
                    out[i] = xv[i] >= lo && xv[i] <= hi ? gv[i] : 0f;
                }
            }
        });
        return Tensor.of(out, x.shape());
    }

    /** {@code x < 0 ? alpha * x : x} (ONNX default alpha 0.01). */
    public static Tensor leakyRelu(Tensor x, float alpha) {
        return unary("LeakyRelu", UnaryOp.LEAKY_RELU, x, alpha, 0, false);
    }

    /**
     * ONNX Clip: {@code min(max(x, lo), hi)}; a null bound is absent. Bounds are scalar tensors read in {@code x}'s
     * type; when {@code lo > hi} every element becomes {@code hi}, as the spec says. FLOAT32 and integers.
     */
    public static Tensor clip(Tensor x, Tensor min, Tensor max) {
        for (Tensor bound : new Tensor[] {min, max}) {
            if (bound != null && bound.size() != 1) {
                throw new T2cException("Clip: min and max must be scalars, got a bound of shape "
                        + Shapes.toString(bound.shape()) + " for input " + Shapes.toString(x.shape()));
            }
        }
        if (x.dtype() == DType.FLOAT32) {
            float lo = min == null ? Float.NEGATIVE_INFINITY : (float) min.getDouble(0);
            float hi = max == null ? Float.POSITIVE_INFINITY : (float) max.getDouble(0);
            return clip(x, lo, hi);
        }
        long lo = min == null ? Long.MIN_VALUE : min.getLong(0);
        long hi = max == null ? Long.MAX_VALUE : max.getLong(0);
        requireNumeric("Clip", x);
        long[] v = TypedArrays.widen(x);
        for (int i = 0; i < v.length; i++) {
            v[i] = Math.min(Math.max(v[i], lo), hi);
        }
        return TypedArrays.narrow(v, x.dtype(), x.shape());
    }

    /** Float clip with plain bounds (use infinities for absent bounds). */
    public static Tensor clip(Tensor x, float min, float max) {
        return unary("Clip", UnaryOp.CLIP, x, min, max, false);
    }

    /**
     * Clips a FLOAT32 tensor's own elements to {@code [min, max]} (a fused activation on a result nobody else holds
     * yet). NaN stays NaN; the sign of a zero at a bound of 0 may be lost.
     */
    public static void clipInPlace(Tensor x, float min, float max) {
        requireDType("Clip", x, DType.FLOAT32);
        float[] v = x.floats();
        unaryInto(UnaryOp.CLIP, v, v, min, max);
    }

    /** {@code max(0, min(1, alpha * x + beta))} (ONNX defaults alpha 0.2, beta 0.5). */
    public static Tensor hardSigmoid(Tensor x, float alpha, float beta) {
        return unary("HardSigmoid", UnaryOp.HARD_SIGMOID, x, alpha, beta, false);
    }

    /** {@code x * max(0, min(1, x / 6 + 1/2))}, with {@code 1/6} as a float, like ONNX HardSwish. */
    public static Tensor hardSwish(Tensor x) {
        return unary("HardSwish", UnaryOp.HARD_SWISH, x, 0, 0, false);
    }

    /** {@code 1 / (1 + exp(-x))}. */
    public static Tensor sigmoid(Tensor x) {
        return unary("Sigmoid", UnaryOp.SIGMOID, x, 0, 0, false);
    }

    /** SiLU / Swish: {@code x * sigmoid(x)}. */
    public static Tensor silu(Tensor x) {
        return unary("Silu", UnaryOp.SILU, x, 0, 0, false);
    }

    /** Exact GELU: {@code 0.5 * x * (1 + erf(x / sqrt(2)))} (ONNX Gelu, approximate="none"). */
    public static Tensor gelu(Tensor x) {
        return unary("Gelu", UnaryOp.GELU, x, 0, 0, false);
    }

    /**
     * Tanh-approximated GELU: {@code 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))}
     * (ONNX Gelu, approximate="tanh").
     */
    public static Tensor geluTanh(Tensor x) {
        return unary("Gelu", UnaryOp.GELU_TANH, x, 0, 0, false);
    }

    // =====================================================================================================
    // erf
    // =====================================================================================================

    /** P(z), z = x^2, |x| <= 1: erf(x) = x * P(z). Fitted by t2c-tensor/tools/fit_erf.py. */
    static final double[] ERF_P = {
        1.0595290928540348e-06, -1.3911710100609411e-05, 0.00011956948857114626, -0.0008542670802444782,
        0.005223785022074926, -0.026866133630776348, 0.11283791313594459, -0.3761263888987631, 1.1283791670946965
    };
    /** Q(t), t = 1 / (1 + a/2), 1 < a < 6: erfc(a) = exp(-a^2) * Q(t). Fitted by the same script. */
    static final double[] ERF_Q = {
        -0.028306516033726203, 0.23002442280652485, -0.7718536466463123, 1.3852389217234045, -1.4075398947486426,
        0.8228504432427897, -0.40814694348469766, 0.21758507065847985, 0.14429910502680526, 0.2522363284590565,
        0.28148288921384024, 0.2821365539771337, -1.2992275470618286e-06
    };

    /**
     * The error function in double, with absolute error below 1e-12 everywhere (see t2c-tensor/tools/fit_erf.py,
     * which derives the two least-squares polynomials against a double-precision erf and reports their error):
     * {@code x * P(x^2)} for |x| &le; 1, {@code 1 - exp(-x^2) * Q(1 / (1 + |x|/2))} for 1 &lt; |x| &lt; 6, and
     * {@code sign(x)} beyond (erfc(6) is about 2e-17).
     */
    public static double erf(double x) {
        double a = Math.abs(x);
        if (a <= 1) {
            return x * horner(ERF_P, x * x);
        }
        if (a >= 6) {
            return Double.isNaN(x) ? x : Math.copySign(1.0, x);
        }
        double r = 1 - Math.exp(-a * a) * horner(ERF_Q, 1 / (1 + 0.5 * a));
        return Math.copySign(r, x);
    }

    private static double horner(double[] c, double x) {
        double r = c[0];
        for (int i = 1; i < c.length; i++) {
            r = r * x + c[i];
        }
        return r;
    }

    // =====================================================================================================
    // Scalar formulas: the single definition of each op, used by scalar loops and vector tails
    // =====================================================================================================

    static float scalar(BinaryOp op, float a, float b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MIN -> Math.min(a, b);
            case MAX -> Math.max(a, b);
            case POW -> (float) Math.pow(a, b);
            case FMOD -> a % b;
            case MOD -> throw new IllegalStateException("float Mod needs fmod");
            case PRELU -> a < 0 ? a * b : a;
        };
    }

    static long scalar(BinaryOp op, long a, long b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> {
                if (b == 0) {
                    throw new T2cException("integer division by zero in Div");
                }
                yield a / b;
            }
            case MIN -> Math.min(a, b);
            case MAX -> Math.max(a, b);
            case POW -> intPow(a, b);
            case MOD -> {
                if (b == 0) {
                    throw new T2cException("integer division by zero in Mod");
                }
                yield Math.floorMod(a, b);
            }
            case FMOD -> {
                if (b == 0) {
                    throw new T2cException("integer division by zero in Mod");
                }
                yield a % b;
            }
            case PRELU -> a < 0 ? a * b : a;
        };
    }

    private static long intPow(long base, long e) {
        if (e < 0) {
            return (long) Math.pow(base, e);
        }
        long r = 1;
        long b = base;
        while (e > 0) {
            if ((e & 1) != 0) {
                r *= b;
            }
            b *= b;
            e >>= 1;
        }
        return r;
    }

    /** {@code p} and {@code q} are the op's parameters (alpha/beta, or clip's lo/hi); unused otherwise. */
    static float scalar(UnaryOp op, float x, float p, float q) {
        return switch (op) {
            case NEG -> -x;
            case ABS -> Math.abs(x);
            case SQRT -> (float) Math.sqrt(x);
            case EXP -> (float) Math.exp(x);
            case LOG -> (float) Math.log(x);
            case TANH -> (float) Math.tanh(x);
            case ERF -> (float) erf(x);
            case RECIPROCAL -> 1f / x;
            case RELU -> Math.max(x, 0f);
            case LEAKY_RELU -> x < 0 ? x * p : x;
            case CLIP -> Math.min(Math.max(x, p), q);
            case HARD_SIGMOID -> Math.max(Math.min(x * p + q, 1f), 0f);
            case HARD_SWISH -> x * Math.max(Math.min(x * ONE_SIXTH + 0.5f, 1f), 0f);
            case SIGMOID -> (float) (1 / (1 + Math.exp(-(double) x)));
            case SILU -> (float) (x / (1 + Math.exp(-(double) x)));
            case GELU -> (float) (0.5 * x * (1 + erf(x * SQRT_HALF)));
            case GELU_TANH -> {
                double v = x;
                yield (float) (0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v))));
            }
            case FLOOR -> (float) Math.floor(x);
            case CEIL -> (float) Math.ceil(x);
            case ROUND -> (float) Math.rint(x);
            case SIGN -> Math.signum(x);
        };
    }

    private static long scalarLong(UnaryOp op, long x) {
        return switch (op) {
            case NEG -> -x;
            case ABS -> Math.abs(x);
            case RELU -> Math.max(x, 0);
            case SIGN -> Long.signum(x);
            default -> throw new IllegalStateException(op + " has no integer form");
        };
    }

    // =====================================================================================================
    // Drivers: the broadcasting rule, applied once
    // =====================================================================================================

    private static Tensor binary(String name, BinaryOp op, Tensor a, Tensor b) {
        requireSameDType(name, a, b);
        requireNumeric(name, a);
        int[] out = broadcastShapes(name, a, b);
        if (a.dtype() == DType.FLOAT32) {
            return floatBinary(op, a, b, out, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
        }
        return longBinary(op, a, b, out, a.dtype());
    }

    private static Tensor variadic(String name, BinaryOp op, Tensor[] xs) {
        if (xs.length == 0) {
            throw new T2cException(name + " needs at least one input");
        }
        Tensor acc = xs[0];
        for (int i = 1; i < xs.length; i++) {
            acc = binary(name, op, acc, xs[i]);
        }
        return xs.length == 1 ? acc.copy() : acc;
    }

    /** The op over broadcast shapes, each result clamped to {@code [lo, hi]} (infinite bounds: no clamp). */
    private static Tensor floatBinary(BinaryOp op, Tensor a, Tensor b, int[] out, float lo, float hi) {
        float[] x = a.floats();
        float[] y = b.floats();
        float[] o = ArrayPool.floats(Shapes.numel(out)); // every element is written below
        int[][] st = {StridedLoop.broadcastStrides(a.shape(), out), StridedLoop.broadcastStrides(b.shape(), out)};
        boolean vector = Vectorization.enabled();
        int grain = op == BinaryOp.POW ? HEAVY_GRAIN : StridedLoop.GRAIN;
        boolean clamp = lo != Float.NEGATIVE_INFINITY || hi != Float.POSITIVE_INFINITY;
        StridedLoop.run(out, new int[2], st, grain, (pos, step, oo, n) -> {
            if (vector) {
                VectorKernels.binary(op, x, pos[0], step[0], y, pos[1], step[1], o, oo, n);
                if (clamp) {
                    VectorKernels.unary(UnaryOp.CLIP, o, oo, o, oo, n, lo, hi); // while the row is in L1
                }
            } else {
                int pa = pos[0];
                int pb = pos[1];
                for (int i = 0; i < n; i++) {
                    float v = scalar(op, x[pa + i * step[0]], y[pb + i * step[1]]);
                    o[oo + i] = clamp ? Math.min(Math.max(v, lo), hi) : v;
                }
            }
        });
        return Tensor.of(o, out);
    }

    private static Tensor longBinary(BinaryOp op, Tensor a, Tensor b, int[] out, DType result) {
        long[] x = TypedArrays.widen(a);
        long[] y = TypedArrays.widen(b);
        long[] o = new long[Shapes.numel(out)];
        int[][] st = {StridedLoop.broadcastStrides(a.shape(), out), StridedLoop.broadcastStrides(b.shape(), out)};
        StridedLoop.run(out, new int[2], st, (pos, step, oo, n) -> {
            for (int i = 0; i < n; i++) {
                o[oo + i] = scalar(op, x[pos[0] + i * step[0]], y[pos[1] + i * step[1]]);
            }
        });
        return TypedArrays.narrow(o, result, out);
    }

    private static Tensor compare(String name, CompareOp op, Tensor a, Tensor b) {
        requireSameDType(name, a, b);
        int[] out = broadcastShapes(name, a, b);
        byte[] o = new byte[Shapes.numel(out)];
        int[][] st = {StridedLoop.broadcastStrides(a.shape(), out), StridedLoop.broadcastStrides(b.shape(), out)};
        if (a.dtype() == DType.FLOAT32) {
            float[] x = a.floats();
            float[] y = b.floats();
            StridedLoop.run(out, new int[2], st, (pos, step, oo, n) -> {
                for (int i = 0; i < n; i++) {
                    float u = x[pos[0] + i * step[0]];
                    float v = y[pos[1] + i * step[1]];
                    boolean r = switch (op) {
                        case EQUAL -> u == v;
                        case LESS -> u < v;
                        case LESS_OR_EQUAL -> u <= v;
                        case GREATER -> u > v;
                        case GREATER_OR_EQUAL -> u >= v;
                        default -> throw new IllegalStateException(op.toString());
                    };
                    o[oo + i] = (byte) (r ? 1 : 0);
                }
            });
        } else {
            long[] x = TypedArrays.widen(a);
            long[] y = TypedArrays.widen(b);
            StridedLoop.run(out, new int[2], st, (pos, step, oo, n) -> {
                for (int i = 0; i < n; i++) {
                    long u = x[pos[0] + i * step[0]];
                    long v = y[pos[1] + i * step[1]];
                    boolean r = switch (op) {
                        case EQUAL -> u == v;
                        case LESS -> u < v;
                        case LESS_OR_EQUAL -> u <= v;
                        case GREATER -> u > v;
                        case GREATER_OR_EQUAL -> u >= v;
                        case AND -> u != 0 && v != 0;
                        case OR -> u != 0 || v != 0;
                        case XOR -> (u != 0) != (v != 0);
                    };
                    o[oo + i] = (byte) (r ? 1 : 0);
                }
            });
        }
        return Tensor.ofBytes(DType.BOOL, o, out);
    }

    private static Tensor logic(String name, CompareOp op, Tensor a, Tensor b) {
        requireDType(name, a, DType.BOOL);
        requireDType(name, b, DType.BOOL);
        return compare(name, op, a, b);
    }

    private static Tensor unary(String name, UnaryOp op, Tensor x, float p, float q, boolean integers) {
        if (x.dtype() != DType.FLOAT32) {
            if (!integers || !x.dtype().isInteger()) {
                throw new T2cException(name + " expects a FLOAT32" + (integers ? " or integer" : "") + " tensor, got "
                        + x);
            }
            long[] v = TypedArrays.widen(x);
            for (int i = 0; i < v.length; i++) {
                v[i] = scalarLong(op, v[i]);
            }
            return TypedArrays.narrow(v, x.dtype(), x.shape());
        }
        float[] s = x.floats();
        float[] o = ArrayPool.floats(s.length); // every element is written
        unaryInto(op, s, o, p, q);
        return Tensor.of(o, x.shape());
    }

    /** {@code o[i] = op(s[i])} over the whole array, threaded and vectorized; {@code o} may be {@code s}. */
    private static void unaryInto(UnaryOp op, float[] s, float[] o, float p, float q) {
        boolean vector = Vectorization.enabled();
        boolean cheap = op == UnaryOp.NEG || op == UnaryOp.ABS || op == UnaryOp.RELU || op == UnaryOp.CLIP;
        Parallel.forRange(s.length, cheap ? StridedLoop.GRAIN : HEAVY_GRAIN, (from, to) -> {
            if (vector) {
                VectorKernels.unary(op, s, from, o, from, to - from, p, q);
            } else {
                for (int i = from; i < to; i++) {
                    o[i] = scalar(op, s[i], p, q);
                }
            }
        });
    }

    // ---- checks shared by the family ----

    static int[] broadcastShapes(String name, Tensor a, Tensor b) {
        try {
            return Shapes.broadcast(a.shape(), b.shape());
        } catch (T2cException e) {
            throw new T2cException(name + ": " + e.getMessage());
        }
    }

    static void requireSameDType(String name, Tensor a, Tensor b) {
        if (a.dtype() != b.dtype()) {
            throw new T2cException(name + ": inputs must have the same type, got " + a + " and " + b);
        }
    }

    static void requireDType(String name, Tensor x, DType t) {
        if (x.dtype() != t) {
            throw new T2cException(name + " expects a " + t + " tensor, got " + x);
        }
    }

    private static void requireNumeric(String name, Tensor x) {
        if (x.dtype() == DType.BOOL) {
            throw new T2cException(name + " does not accept BOOL tensors, got " + x);
        }
    }
}
