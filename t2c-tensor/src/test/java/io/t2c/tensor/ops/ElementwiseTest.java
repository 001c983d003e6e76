package io.t2c.tensor.ops;

import static io.t2c.tensor.ops.OpsTesting.assertClose;
import static io.t2c.tensor.ops.OpsTesting.assertFloats;
import static io.t2c.tensor.ops.OpsTesting.assertLongs;
import static io.t2c.tensor.ops.OpsTesting.assertT2c;
import static io.t2c.tensor.ops.OpsTesting.bothPaths;
import static io.t2c.tensor.ops.OpsTesting.broadcastIndex;
import static io.t2c.tensor.ops.OpsTesting.randomFloats;
import static io.t2c.tensor.ops.OpsTesting.randomInts;
import static io.t2c.tensor.ops.OpsTesting.unravel;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.tensor.DType;
import io.t2c.tensor.Shapes;
import io.t2c.tensor.Tensor;
import java.util.Random;
import java.util.function.BinaryOperator;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.LongBinaryOperator;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class ElementwiseTest {
    /** Shape pairs: same shape (odd, vector-length multiples +-1, parallel-sized), scalar, rank mismatch, size-1. */
    private static final int[][][] SHAPES = {
        {{1}, {1}}, {{7}, {7}}, {{15}, {15}}, {{16}, {16}}, {{17}, {17}}, {{33}, {33}}, {{3, 5, 7}, {3, 5, 7}},
        {{100_003}, {100_003}}, {{}, {4, 5}}, {{4, 5}, {}}, {{9}, {1}}, {{1}, {9}}, {{2, 3, 5, 7}, {3, 1, 1}},
        {{4, 6}, {6}}, {{3, 1, 5}, {4, 1}}, {{2, 1, 3}, {1, 4, 1}}, {{5, 1}, {1, 19}}, {{1, 1, 17}, {2, 3, 1}},
        {{2, 1, 40_000}, {2, 3, 1}}, {{0, 3}, {1, 3}}
    };

    private static Tensor binaryRef(Tensor a, Tensor b, DoubleBinaryOperator f) {
        int[] out = Shapes.broadcast(a.shape(), b.shape());
        Tensor r = Tensor.zeros(DType.FLOAT32, out);
        for (int i = 0; i < r.size(); i++) {
            int[] idx = unravel(i, out);
            r.floats()[i] = (float) f.applyAsDouble(a.getDouble(broadcastIndex(idx, a.shape())),
                    b.getDouble(broadcastIndex(idx, b.shape())));
        }
        return r;
    }

    /** Relu/Clip gradient masks: the bounds are inclusive, NaN inputs block the gradient, odd and parallel sizes. */
    @Test
    void passWhereInRangeKeepsTheGradientInsideTheBoundsOnBothPaths() {
        Random r = new Random(7);
        bothPaths(() -> {
            for (int n : new int[] {0, 1, 15, 16, 17, 33, 100_003}) {
                Tensor x = randomFloats(r, -2, 2, n);
                Tensor g = randomFloats(r, -3, 3, n);
                if (n > 3) {
                    x.floats()[0] = Float.NaN;
                    x.floats()[1] = -1f;
                    x.floats()[2] = 1f;
                    x.floats()[3] = 0f;
                }
                for (float[] bounds : new float[][] {{Float.MIN_VALUE, Float.POSITIVE_INFINITY}, {-1f, 1f}}) {
                    Tensor got = Elementwise.passWhereInRange(x, g, bounds[0], bounds[1]);
                    for (int i = 0; i < n; i++) {
                        double v = x.floats()[i];
                        float want = v >= bounds[0] && v <= bounds[1] ? g.floats()[i] : 0f;
                        assertEquals(want, got.floats()[i], "element " + i + " of " + n + " with x = " + v);
                    }
                }
            }
        });
    }

    @Test
    void floatBinaryOpsMatchFloat64ExactlyOnBothPaths() {
        // For + - * / min max, the float64 result rounded to float equals the float op bit for bit.
        Object[][] ops = {
            {"add", (BinaryOperator<Tensor>) Elementwise::add, (DoubleBinaryOperator) Double::sum},
            {"sub", (BinaryOperator<Tensor>) Elementwise::sub, (DoubleBinaryOperator) (x, y) -> x - y},
            {"mul", (BinaryOperator<Tensor>) Elementwise::mul, (DoubleBinaryOperator) (x, y) -> x * y},
            {"div", (BinaryOperator<Tensor>) Elementwise::div, (DoubleBinaryOperator) (x, y) -> x / y},
            {"min", (BinaryOperator<Tensor>) (x, y) -> Elementwise.min(x, y), (DoubleBinaryOperator) Math::min},
            {"max", (BinaryOperator<Tensor>) (x, y) -> Elementwise.max(x, y), (DoubleBinaryOperator) Math::max},
        };
        Random r = new Random(1);
        bothPaths(() -> {
            for (int[][] s : SHAPES) {
                Tensor a = randomFloats(r, -3, 3, s[0]);
                Tensor b = randomFloats(r, 0.5, 4, s[1]);
                for (Object[] op : ops) {
                    @SuppressWarnings("unchecked")
                    Tensor got = ((BinaryOperator<Tensor>) op[1]).apply(a, b);
                    Tensor want = binaryRef(a, b, (DoubleBinaryOperator) op[2]);
                    assertArrayEquals(want.shape(), got.shape(), op[0] + " shape");
                    assertArrayEquals(want.floats(), got.floats(), 0f, op[0] + " " + Shapes.toString(s[0]) + " vs "
                            + Shapes.toString(s[1]));
                }
            }
        });
    }

    @Test
    void powFollowsMathPowAndSquaresExactly() {
        Random r = new Random(2);
        Tensor a = randomFloats(r, 0.1, 3, 5, 7);
        Tensor e = randomFloats(r, -2, 2, 7);
        assertClose(i -> binaryRef(a, e, Math::pow).getDouble(i), Elementwise.pow(a, e), 0, 1e-6, "pow");
        Tensor neg = randomFloats(r, -3, 3, 4, 33);
        Tensor two = Tensor.scalar(2f);
        Tensor sq = Elementwise.pow(neg, two);
        for (int i = 0; i < sq.size(); i++) {
            assertEquals((float) Math.pow(neg.floats()[i], 2), sq.floats()[i]);
        }
        // exponent of another type, scalar of higher rank
        Tensor ie = Tensor.ofInts(new int[] {3}, 1, 1, 1);
        Tensor cube = Elementwise.pow(neg, ie);
        assertArrayEquals(new int[] {1, 4, 33}, cube.shape());
        assertClose(i -> Math.pow(neg.floats()[i], 3), cube, 0, 1e-6, "cube");
        // integer base: exact integer power; float exponent truncates
        assertLongs(new long[] {1, 8, 81, -27}, Elementwise.pow(Tensor.vector(1, 2, 3, -3),
                Tensor.vector(5, 3, 4, 3)), 4);
        assertLongs(new long[] {2, 5}, Elementwise.pow(Tensor.ofInts(new int[] {4, 27}, 2),
                Tensor.of(new float[] {0.5f, 0.5f}, 2)), 2);
        assertEquals(DType.INT32, Elementwise.pow(Tensor.ofInts(new int[] {4}, 1), Tensor.scalar(2f)).dtype());
    }

    @Test
    void integerArithmeticWrapsAndTruncates() {
        Tensor a8 = Tensor.ofBytes(DType.INT8, new byte[] {100, -100, 7, -7}, 4);
        Tensor b8 = Tensor.ofBytes(DType.INT8, new byte[] {100, -100, 2, 2}, 4);
        assertLongs(new long[] {-56, 56, 9, -5}, Elementwise.add(a8, b8), 4);
        assertLongs(new long[] {1, 1, 3, -3}, Elementwise.div(a8, b8), 4);
        Tensor u8 = Tensor.ofBytes(DType.UINT8, new byte[] {(byte) 200, 3}, 2);
        Tensor v8 = Tensor.ofBytes(DType.UINT8, new byte[] {100, (byte) 250}, 2);
        assertLongs(new long[] {44, 253}, Elementwise.add(u8, v8), 2);
        assertLongs(new long[] {2, 0}, Elementwise.div(u8, v8), 2);
        assertLongs(new long[] {100, 3}, Elementwise.min(u8, v8), 2);
        assertLongs(new long[] {Long.MIN_VALUE}, Elementwise.add(Tensor.vector(Long.MAX_VALUE), Tensor.vector(1)), 1);
        // Mod: fmod=0 takes the divisor's sign (Python), fmod=1 the dividend's (C)
        Tensor x = Tensor.ofInts(new int[] {-4, 7, 5, -9}, 4);
        Tensor y = Tensor.ofInts(new int[] {3, -3, 8, 4}, 4);
        assertLongs(new long[] {2, -2, 5, 3}, Elementwise.mod(x, y, false), 4);
        assertLongs(new long[] {-1, 1, 5, -1}, Elementwise.mod(x, y, true), 4);
        assertFloats(new float[] {-1.5f, 1f}, Elementwise.mod(Tensor.of(new float[] {-5.5f, 7f}, 2),
                Tensor.of(new float[] {2f, -3f}, 2), true), 2);
        assertT2c(() -> Elementwise.div(Tensor.vector(1), Tensor.vector(0)), "division by zero");
        assertT2c(() -> Elementwise.mod(Tensor.scalar(1f), Tensor.scalar(2f), false), "fmod");
    }

    @Test
    void integerBinaryOpsMatchLongReferenceWithBroadcasting() {
        Random r = new Random(3);
        Object[][] ops = {
            {(BinaryOperator<Tensor>) Elementwise::add, (LongBinaryOperator) Long::sum},
            {(BinaryOperator<Tensor>) Elementwise::sub, (LongBinaryOperator) (p, q) -> p - q},
            {(BinaryOperator<Tensor>) Elementwise::mul, (LongBinaryOperator) (p, q) -> p * q},
            {(BinaryOperator<Tensor>) (p, q) -> Elementwise.max(p, q), (LongBinaryOperator) Math::max},
        };
        for (DType t : new DType[] {DType.INT8, DType.UINT8, DType.INT16, DType.INT32, DType.INT64}) {
            Tensor a = randomInts(r, t, -50, 50, 3, 1, 5);
            Tensor b = randomInts(r, t, -50, 50, 4, 1);
            for (Object[] op : ops) {
                @SuppressWarnings("unchecked")
                Tensor got = ((BinaryOperator<Tensor>) op[0]).apply(a, b);
                assertEquals(t, got.dtype());
                int[] out = {3, 4, 5};
                assertArrayEquals(out, got.shape());
                Tensor want = Tensor.zeros(t, out);
                for (int i = 0; i < want.size(); i++) {
                    int[] idx = unravel(i, out);
                    OpsTesting.set(want, i, ((LongBinaryOperator) op[1]).applyAsLong(
                            a.getLong(broadcastIndex(idx, a.shape())), b.getLong(broadcastIndex(idx, b.shape()))));
                }
                assertArrayEquals(want.toLongArray(), got.toLongArray(), t.toString());
            }
        }
    }

    @Test
    void comparisonsAndLogicGiveBool() {
        Tensor a = Tensor.of(new float[] {1, 2, 3, Float.NaN, 5, 6}, 2, 3);
        Tensor b = Tensor.of(new float[] {2, 2, 2}, 3);
        assertEquals(DType.BOOL, Elementwise.equal(a, b).dtype());
        assertLongs(new long[] {0, 1, 0, 0, 0, 0}, Elementwise.equal(a, b), 2, 3);
        assertLongs(new long[] {1, 0, 0, 0, 0, 0}, Elementwise.less(a, b), 2, 3);
        assertLongs(new long[] {1, 1, 0, 0, 0, 0}, Elementwise.lessOrEqual(a, b), 2, 3);
        assertLongs(new long[] {0, 0, 1, 0, 1, 1}, Elementwise.greater(a, b), 2, 3);
        assertLongs(new long[] {0, 1, 1, 0, 1, 1}, Elementwise.greaterOrEqual(a, b), 2, 3);
        Tensor u = Tensor.ofBytes(DType.UINT8, new byte[] {(byte) 255, 1}, 2);
        Tensor u128 = Tensor.ofBytes(DType.UINT8, new byte[] {(byte) 128}, 1);
        assertLongs(new long[] {1, 0}, Elementwise.greater(u, u128), 2);
        Tensor p = Tensor.ofBytes(DType.BOOL, new byte[] {0, 0, 1, 1}, 2, 2);
        Tensor q = Tensor.ofBytes(DType.BOOL, new byte[] {0, 1}, 2);
        assertLongs(new long[] {0, 0, 0, 1}, Elementwise.and(p, q), 2, 2);
        assertLongs(new long[] {0, 1, 1, 1}, Elementwise.or(p, q), 2, 2);
        assertLongs(new long[] {0, 1, 1, 0}, Elementwise.xor(p, q), 2, 2);
        assertLongs(new long[] {1, 1, 0, 0}, Elementwise.not(p), 2, 2);
        assertT2c(() -> Elementwise.and(a, a), "BOOL");
    }

    @Test
    void whereBroadcastsThreeWays() {
        Random r = new Random(4);
        Tensor cond = randomInts(r, DType.BOOL, 0, 1, 3, 1, 1);
        Tensor a = randomFloats(r, -1, 1, 1, 4, 5);
        Tensor b = randomFloats(r, -1, 1, 5);
        Tensor got = Elementwise.where(cond, a, b);
        int[] out = {3, 4, 5};
        assertArrayEquals(out, got.shape());
        for (int i = 0; i < got.size(); i++) {
            int[] idx = unravel(i, out);
            float want = cond.getLong(broadcastIndex(idx, cond.shape())) != 0
                    ? a.floats()[broadcastIndex(idx, a.shape())] : b.floats()[broadcastIndex(idx, b.shape())];
            assertEquals(want, got.floats()[i]);
        }
        Tensor li = Elementwise.where(Tensor.ofBytes(DType.BOOL, new byte[] {1, 0}, 2), Tensor.vector(1, 2),
                Tensor.vector(9));
        assertLongs(new long[] {1, 9}, li, 2);
        assertT2c(() -> Elementwise.where(cond, a, Tensor.zeros(DType.FLOAT32, 3)), "Where", "[3, 1, 1]",
                "[1, 4, 5]", "[3]");
        assertT2c(() -> Elementwise.where(a, a, b), "BOOL");
    }

    @Test
    void preluBroadcastsSlopeOntoInput() {
        Random r = new Random(5);
        Tensor x = randomFloats(r, -2, 2, 2, 3, 4, 5);
        Tensor slope = randomFloats(r, 0, 1, 3, 1, 1);
        Tensor got = Elementwise.prelu(x, slope);
        assertClose(i -> {
            int[] idx = unravel(i, x.shape());
            double v = x.floats()[i];
            return v < 0 ? (float) (v * slope.floats()[broadcastIndex(idx, slope.shape())]) : v;
        }, got, 0, 0, "prelu");
        assertLongs(new long[] {-6, 4}, Elementwise.prelu(Tensor.vector(-2, 4), Tensor.vector(3)), 2);
        assertT2c(() -> Elementwise.prelu(Tensor.zeros(DType.FLOAT32, 3), Tensor.zeros(DType.FLOAT32, 2, 3)),
                "PRelu", "[2, 3]", "[3]");
    }

    @Test
    void variadicMinMaxSum() {
        Tensor a = Tensor.of(new float[] {1, 5, 3}, 3);
        Tensor b = Tensor.of(new float[] {4}, 1);
        Tensor c = Tensor.of(new float[] {2, 2, 2, 9, 0, 1}, 2, 3);
        assertFloats(new float[] {4, 5, 4, 9, 5, 4}, Elementwise.max(a, b, c), 2, 3);
        assertFloats(new float[] {1, 2, 2, 1, 0, 1}, Elementwise.min(a, b, c), 2, 3);
        assertFloats(new float[] {7, 11, 9, 14, 9, 8}, Elementwise.sum(a, b, c), 2, 3);
        assertFloats(new float[] {1, 5, 3}, Elementwise.max(a), 3);
        assertTrue(Float.isNaN(Elementwise.max(Tensor.scalar(Float.NaN), Tensor.scalar(1f)).floats()[0]));
        assertTrue(Float.isNaN(Elementwise.min(Tensor.scalar(1f), Tensor.scalar(Float.NaN)).floats()[0]));
    }

    // ---- unary ----

    /** erf in double from its Taylor series (|x| < 2.5) or the continued fraction of erfc (beyond). */
    static double referenceErf(double x) {
        double a = Math.abs(x);
        double r;
        if (a < 2.5) {
            double term = a;
            double sum = a;
            for (int n = 1; n < 200; n++) {
                term *= -a * a / n;
                double t = term / (2 * n + 1);
                sum += t;
                if (Math.abs(t) < 1e-18) {
                    break;
                }
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            // erfc(a) = exp(-a^2)/sqrt(pi) * 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + ...))))), evaluated backward
            double f = a;
            for (int k = 120; k >= 1; k--) {
                f = a + (k / 2.0) / f;
            }
            r = 1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
        }
        return Math.copySign(r, x);
    }

    @Test
    void erfIsAccurateToBetterThan1e12() {
        double worst = 0;
        for (double x = -7; x <= 7; x += 1.0 / 1024) {
            worst = Math.max(worst, Math.abs(Elementwise.erf(x) - referenceErf(x)));
        }
        assertTrue(worst < 2e-12, "max |erf error| = " + worst);
        assertEquals(0.0, Elementwise.erf(0.0));
        assertEquals(1.0, Elementwise.erf(Double.POSITIVE_INFINITY));
        assertEquals(-1.0, Elementwise.erf(-40));
        assertTrue(Double.isNaN(Elementwise.erf(Double.NaN)));
    }

    @Test
    void floatErfAndGeluStayWithin1e7OfExactOnBothPaths() {
        float[] grid = new float[200_001];
        for (int i = 0; i < grid.length; i++) {
            grid[i] = (float) (-8 + 16.0 * i / (grid.length - 1));
        }
        Tensor x = Tensor.of(grid, grid.length);
        bothPaths(() -> {
            Tensor e = Elementwise.erf(x);
            Tensor g = Elementwise.gelu(x);
            double worstErf = 0;
            double worstGelu = 0;
            for (int i = 0; i < grid.length; i++) {
                double v = grid[i];
                worstErf = Math.max(worstErf, Math.abs(e.floats()[i] - referenceErf(v)));
                double gelu = 0.5 * v * (1 + referenceErf(v / Math.sqrt(2)));
                worstGelu = Math.max(worstGelu, Math.abs(g.floats()[i] - gelu) / Math.max(1, Math.abs(gelu)));
            }
            assertTrue(worstErf <= 1e-7, "erf max abs error " + worstErf);
            assertTrue(worstGelu <= 1e-7, "gelu max error " + worstGelu);
        });
    }

    private record Unary(String name, UnaryOperator<Tensor> op, DoubleUnaryOperator ref, double lo, double hi) {}

    @Test
    void floatUnaryOpsMatchFloat64ReferenceOnBothPaths() {
        double c = Math.sqrt(2 / Math.PI);
        Unary[] ops = {
            new Unary("neg", Elementwise::neg, v -> -v, -5, 5),
            new Unary("abs", Elementwise::abs, Math::abs, -5, 5),
            new Unary("sqrt", Elementwise::sqrt, Math::sqrt, 0, 50),
            new Unary("exp", Elementwise::exp, Math::exp, -80, 80),
            new Unary("log", Elementwise::log, Math::log, 1e-6, 1e6),
            new Unary("tanh", Elementwise::tanh, Math::tanh, -10, 10),
            new Unary("erf", Elementwise::erf, ElementwiseTest::referenceErf, -5, 5),
            new Unary("reciprocal", Elementwise::reciprocal, v -> 1 / v, 0.01, 100),
            new Unary("relu", Elementwise::relu, v -> Math.max(v, 0), -5, 5),
            new Unary("leakyRelu", x -> Elementwise.leakyRelu(x, 0.1f), v -> v < 0 ? 0.1f * v : v, -5, 5),
            new Unary("clip", x -> Elementwise.clip(x, -1.5f, 2.25f), v -> Math.min(Math.max(v, -1.5), 2.25), -5, 5),
            new Unary("hardSigmoid", x -> Elementwise.hardSigmoid(x, 0.2f, 0.5f),
                    v -> Math.max(0, Math.min(1, 0.2f * v + 0.5)), -5, 5),
            new Unary("hardSwish", Elementwise::hardSwish, v -> v * Math.max(0, Math.min(1, v / 6 + 0.5)), -5, 5),
            new Unary("sigmoid", Elementwise::sigmoid, v -> 1 / (1 + Math.exp(-v)), -30, 30),
            new Unary("silu", Elementwise::silu, v -> v / (1 + Math.exp(-v)), -30, 30),
            new Unary("gelu", Elementwise::gelu, v -> 0.5 * v * (1 + referenceErf(v / Math.sqrt(2))), -6, 6),
            new Unary("geluTanh", Elementwise::geluTanh,
                    v -> 0.5 * v * (1 + Math.tanh(c * (v + 0.044715 * v * v * v))), -6, 6),
            new Unary("floor", Elementwise::floor, Math::floor, -5, 5),
            new Unary("ceil", Elementwise::ceil, Math::ceil, -5, 5),
            new Unary("round", Elementwise::round, Math::rint, -5, 5),
            new Unary("sign", Elementwise::sign, Math::signum, -5, 5),
        };
        Random r = new Random(6);
        bothPaths(() -> {
            for (int n : new int[] {1, 15, 16, 17, 31, 33, 1000, 70_001}) {
                for (Unary u : ops) {
                    Tensor x = randomFloats(r, u.lo(), u.hi(), n);
                    Tensor got = u.op().apply(x);
                    // ~1e-6 relative; the absolute term covers results near 0 computed by cancellation
                    // (hardSwish's x/6 in float, 1 + tanh for very negative gelu arguments).
                    assertClose(i -> u.ref().applyAsDouble(x.floats()[i]), got, 1e-6, 1e-6,
                            u.name() + " n=" + n + (Vectorization.enabled() ? " vector" : " scalar"));
                }
            }
        });
        // half to even, edge values
        assertFloats(new float[] {2, -2, 0, 4, -0f}, Elementwise.round(Tensor.of(new float[] {2.5f, -2.5f, 0.5f,
                3.5f, -0.4f}, 5)), 5);
        assertTrue(Float.isNaN(Elementwise.relu(Tensor.scalar(Float.NaN)).floats()[0]));
        assertFloats(new float[] {1, 0, 1}, Elementwise.sigmoid(Tensor.of(new float[] {200, -200, Float.POSITIVE_INFINITY},
                3)), 3);
    }

    @Test
    void integerUnaryOps() {
        Tensor x = Tensor.ofBytes(DType.INT8, new byte[] {-128, -3, 0, 5, 127}, 5);
        assertLongs(new long[] {-128, 3, 0, 5, 127}, Elementwise.abs(x), 5);
        assertLongs(new long[] {-128, 3, 0, -5, -127}, Elementwise.neg(x), 5);
        assertLongs(new long[] {0, 0, 0, 5, 127}, Elementwise.relu(x), 5);
        assertLongs(new long[] {-1, -1, 0, 1, 1}, Elementwise.sign(x), 5);
        assertLongs(new long[] {-2, -2, 0, 4, 4}, Elementwise.clip(x, Tensor.ofBytes(DType.INT8, new byte[] {-2}),
                Tensor.ofBytes(DType.INT8, new byte[] {4})), 5);
        assertLongs(new long[] {0, 0, 0, 5, 127}, Elementwise.clip(x, Tensor.ofBytes(DType.INT8, new byte[] {0}),
                null), 5);
        // min > max: everything becomes max
        assertLongs(new long[] {1, 1, 1}, Elementwise.clip(Tensor.vector(-5, 0, 5), Tensor.scalarLong(3),
                Tensor.scalarLong(1)), 3);
        assertFloats(new float[] {1, 1}, Elementwise.clip(Tensor.of(new float[] {-5, 5}, 2), Tensor.scalar(3f),
                Tensor.scalar(1f)), 2);
        assertT2c(() -> Elementwise.exp(Tensor.vector(1)), "Exp", "FLOAT32", "INT64");
        assertT2c(() -> Elementwise.clip(x, Tensor.vector(1, 2), null), "Clip", "scalar");
    }

    @Test
    void shapeAndTypeErrorsNameBothOperands() {
        Tensor a = Tensor.zeros(DType.FLOAT32, 2, 3);
        Tensor b = Tensor.zeros(DType.FLOAT32, 4);
        assertT2c(() -> Elementwise.add(a, b), "Add", "[2, 3]", "[4]");
        assertT2c(() -> Elementwise.mul(a, Tensor.zeros(DType.FLOAT32, 2, 2)), "Mul", "[2, 3]", "[2, 2]");
        assertT2c(() -> Elementwise.equal(a, b), "Equal", "[2, 3]", "[4]");
        assertT2c(() -> Elementwise.add(a, Tensor.zeros(DType.INT32, 2, 3)), "Add", "FLOAT32", "INT32");
        assertT2c(() -> Elementwise.add(Tensor.zeros(DType.BOOL, 1), Tensor.zeros(DType.BOOL, 1)), "BOOL");
        assertT2c(Elementwise::max, "at least one");
    }

    /** The fused residual Add + Relu/Clip equals Clip(Add) element for element, broadcasting included. */
    @Test
    void addClampedEqualsClippedSum() {
        Random r = new Random(77);
        int[][][] shapes = {{{2, 3, 37}, {2, 3, 37}}, {{4, 50}, {1, 50}}, {{3, 1, 70}, {5, 1}}};
        bothPaths(() -> {
            for (int[][] sh : shapes) {
                Tensor a = randomFloats(r, -2, 2, sh[0]);
                Tensor b = randomFloats(r, -2, 2, sh[1]);
                for (float[] bounds : new float[][] {{0f, Float.POSITIVE_INFINITY}, {-0.5f, 1f}}) {
                    Tensor want = Elementwise.clip(Elementwise.add(a, b), bounds[0], bounds[1]);
                    Tensor got = Elementwise.addClamped(a, b, bounds[0], bounds[1]);
                    assertArrayEquals(want.shape(), got.shape());
                    assertArrayEquals(want.floats(), got.floats());
                }
            }
        });
    }
}
