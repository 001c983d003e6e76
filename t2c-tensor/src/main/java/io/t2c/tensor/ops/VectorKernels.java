package io.t2c.tensor.ops;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Every Vector API loop of the ops package, and the one place holding the species. Only called when
 * {@link Vectorization#enabled()}; nothing else in the package refers to a Vector API class.
 *
 * <p>Each loop has the same shape: a vector body to {@code F.loopBound(n)}, then a scalar tail that uses the same
 * formula as the scalar path ({@link Elementwise#scalar}), so results differ from the scalar path only where the
 * vector transcendental functions (EXP, LOG, TANH: about 1 ulp) differ from {@code Math}. Every operator is a
 * constant at its call site: a {@code lanewise(op)} with a non-constant {@code op} is not intrinsified and runs
 * tens of times slower, so loops are written out per operator.
 */
final class VectorKernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Doubles for erf/GELU, and the float species with the same lane count (half the bits) that feeds them. */
    static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> FD =
            FloatVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(D.vectorBitSize() / 2));

    private VectorKernels() {}

    static int floatLanes() {
        return L;
    }

    /** {@code o[i] = lo ≤ x[i] ≤ hi ? g[i] : 0} for i in [off, off + n). */
    static void passWhereInRange(float[] x, float[] g, float[] o, int off, int n, float lo, float hi) {
        int ub = off + F.loopBound(n);
        int i = off;
        FloatVector zero = FloatVector.zero(F);
        for (; i < ub; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, i);
            VectorMask<Float> pass = v.compare(VectorOperators.GE, lo).and(v.compare(VectorOperators.LE, hi));
            zero.blend(FloatVector.fromArray(F, g, i), pass).intoArray(o, i);
        }
        for (; i < off + n; i++) {
            o[i] = x[i] >= lo && x[i] <= hi ? g[i] : 0f;
        }
    }

    // ---- binary, one row: o[i] = a[ao + i*as] op b[bo + i*bs], strides 0 or 1 ----

    static void binary(Elementwise.BinaryOp op, float[] a, int ao, int as, float[] b, int bo, int bs,
            float[] o, int oo, int n) {
        int done = switch (op) {
            case ADD -> add(a, ao, as, b, bo, bs, o, oo, n);
            case SUB -> sub(a, ao, as, b, bo, bs, o, oo, n);
            case MUL -> mul(a, ao, as, b, bo, bs, o, oo, n);
            case DIV -> div(a, ao, as, b, bo, bs, o, oo, n);
            case MIN -> min(a, ao, as, b, bo, bs, o, oo, n);
            case MAX -> max(a, ao, as, b, bo, bs, o, oo, n);
            default -> 0;
        };
        for (int i = done; i < n; i++) {
            o[oo + i] = Elementwise.scalar(op, a[ao + i * as], b[bo + i * bs]);
        }
    }

    /** Floats per vector. */
    static int lanes() {
        return L;
    }

    /** Even and odd lanes of two concatenated vectors ({@code a.rearrange(EVEN, b)} = a0 a2 … b0 b2 …). */
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(F, i -> 2 * i);
    private static final VectorShuffle<Float> ODD = VectorShuffle.fromOp(F, i -> 2 * i + 1);

    /** {@code acc[a + i] = max(acc[a + i], x[b + i])} for {@code i < n}. */
    static void maxInto(float[] acc, int a, float[] x, int b, int n) {
        int ub = F.loopBound(n);
        int i = 0;
        for (; i < ub; i += L) {
            FloatVector.fromArray(F, acc, a + i).max(FloatVector.fromArray(F, x, b + i)).intoArray(acc, a + i);
        }
        for (; i < n; i++) {
            acc[a + i] = Math.max(acc[a + i], x[b + i]);
        }
    }

    /**
     * {@code dst[o + j] = max(row[j·stride + t], t < k)} for {@code j < n}. {@code row} must extend at least
     * {@code 2·L·(stride + 1) + k} floats past the last window; {@code scratch} is as long as {@code row}. Stride 1
     * maxes shifted vectors; stride 2 first splits the row into its even and odd elements, so tap {@code t} becomes
     * the contiguous run {@code phase[t % 2]} from {@code t / 2}; other strides go scalar.
     */
    static void maxWindows(float[] row, int n, int stride, int k, float[] scratch, float[] dst, int o) {
        int j = 0;
        // The last, partial vector of windows is computed whole (the slack keeps its reads in bounds) and stored
        // under a mask: a scalar tail of Math.max calls cost as much as the vector part at 56 outputs per row.
        if (stride == 1) {
            for (; j < n; j += L) {
                FloatVector m = FloatVector.fromArray(F, row, j);
                for (int t = 1; t < k; t++) {
                    m = m.max(FloatVector.fromArray(F, row, j + t));
                }
                storeWindows(m, dst, o, j, n);
            }
        } else if (stride == 2) {
            int half = scratch.length / 2;
            int pairs = n + k / 2 + L;
            for (int q = 0; q < pairs; q += L) {
                FloatVector v0 = FloatVector.fromArray(F, row, 2 * q);
                FloatVector v1 = FloatVector.fromArray(F, row, 2 * q + L);
                v0.rearrange(EVEN, v1).intoArray(scratch, q);
                v0.rearrange(ODD, v1).intoArray(scratch, half + q);
            }
            for (; j < n; j += L) {
                FloatVector m = FloatVector.fromArray(F, scratch, j);
                for (int t = 1; t < k; t++) {
                    m = m.max(FloatVector.fromArray(F, scratch, (t & 1) * half + j + (t >> 1)));
                }
                storeWindows(m, dst, o, j, n);
            }
        }
        for (; j < n; j++) {
            float m = Float.NEGATIVE_INFINITY;
            for (int t = 0; t < k; t++) {
                m = Math.max(m, row[j * stride + t]);
            }
            dst[o + j] = m;
        }
    }

    /** Stores windows {@code j...} of {@code n}: a whole vector, or the lanes below {@code n} for the last one. */
    private static void storeWindows(FloatVector m, float[] dst, int o, int j, int n) {
        if (j + L <= n) {
            m.intoArray(dst, o + j);
        } else {
            m.intoArray(dst, o + j, F.indexInRange(j, n));
        }
    }

    // Each returns how many leading elements it handled; the caller finishes the tail.
    // Stride pairs other than (1,1), (1,0), (0,1) are left entirely to the scalar tail.

    private static int add(float[] a, int ao, int as, float[] b, int bo, int bs, float[] o, int oo, int n) {
        int ub = F.loopBound(n);
        int i = 0;
        if (as == 1 && bs == 1) {
            for (; i < ub; i += L) {
                FloatVector.fromArray(F, a, ao + i).add(FloatVector.fromArray(F, b, bo + i)).intoArray(o, oo + i);
            }
        } else if (as == 1 && bs == 0) {
            FloatVector vb = FloatVector.broadcast(F, b[bo]);
            for (; i < ub; i += L) {
                FloatVector.fromArray(F, a, ao + i).add(vb).intoArray(o, oo + i);
            }
        } else if (as == 0 && bs == 1) {
            FloatVector va = FloatVector.broadcast(F, a[ao]);
            for (; i < ub; i += L) {
                va.add(FloatVector.fromArray(F, b, bo + i)).intoArray(o, oo + i);
            }
        }
        return i;
    }

    private static int sub(float[] a, int ao, int as, float[] b, int bo, int bs, float[] o, int oo, int n) {
        int ub = F.loopBound(n);
        int i = 0;
        if (as == 1 && bs == 1) {
            for (; i < ub; i += L) {
                FloatVector.fromArray(F, a, ao + i).sub(FloatVector.fromArray(F, b, bo + i)).intoArray(o, oo + i);
            }
        } else if (as == 1 && bs == 0) {
            FloatVector vb = FloatVector.broadcast(F, b[bo]);
            for (; i < ub; i += L) {
                FloatVector.fromArray(F, a, ao + i).sub(vb).intoArray(o, oo + i);
            }
        } else if (as == 0 && bs == 1) {
            FloatVector va = FloatVector.broadcast(F, a[ao]);
            for (; i < ub; i += L) {
                va.sub(FloatVector.fromArray(F, b, bo + i)).intoArray(o, oo + i);
            }
        }
        return i;
    }

    private static int mul(float[] a, int ao, int as, float[] b, int bo, int bs, float[] o, int oo, int n) {
        int ub = F.loopBound(n);
        int i = 0;
        if (as == 1 && bs == 1) {
            for (; i < ub; i += L) {
                FloatVector.fromArray(F, a, ao + i).mul(FloatVector.fromArray(F, b, bo + i)).intoArray(o, oo + i);
            }
        } else if (as == 1 && bs == 0) {
            FloatVector vb = FloatVector.broadcast(F, b[bo]);
            for (; i < ub; i += L) {
                FloatVector.fromArray(F, a, ao + i).mul(vb).intoArray(o, oo + i);
            }
        } else if (as == 0 && bs == 1) {
            FloatVector va = FloatVector.broadcast(F, a[ao]);
            for (; i < ub; i += L) {
                va.mul(FloatVector.fromArray(F, b, bo + i)).intoArray(o, oo + i);
            }
        }
        return i;
    }

    private static int div(float[] a, int ao, int as, float[] b, int bo, int bs, float[] o, int oo, int n) {
        int ub = F.loopBound(n);
        int i = 0;
        if (as == 1 && bs == 1) {
            for (; i < ub; i += L) {
                FloatVector.fromArray(F, a, ao + i).div(FloatVector.fromArray(F, b, bo + i)).intoArray(o, oo + i);
            }
        } else if (as == 1 && bs == 0) {
            // Divide, not multiply by the reciprocal: keeps results identical to the scalar path.
            FloatVector vb = FloatVector.broadcast(F, b[bo]);
            for (; i < ub; i += L) {
                FloatVector.fromArray(F, a, ao + i).div(vb).intoArray(o, oo + i);
            }
        } else if (as == 0 && bs == 1) {
            FloatVector va = FloatVector.broadcast(F, a[ao]);
            for (; i < ub; i += L) {
                va.div(FloatVector.fromArray(F, b, bo + i)).intoArray(o, oo + i);
            }
        }
        return i;
    }

    private static int min(float[] a, int ao, int as, float[] b, int bo, int bs, float[] o, int oo, int n) {
        int ub = F.loopBound(n);
        int i = 0;
        if (as == 1 && bs == 1) {
            for (; i < ub; i += L) {
                FloatVector.fromArray(F, a, ao + i).min(FloatVector.fromArray(F, b, bo + i)).intoArray(o, oo + i);
            }
        } else if (as == 1 && bs == 0) {
            FloatVector vb = FloatVector.broadcast(F, b[bo]);
            for (; i < ub; i += L) {
                FloatVector.fromArray(F, a, ao + i).min(vb).intoArray(o, oo + i);
            }
        } else if (as == 0 && bs == 1) {
            FloatVector va = FloatVector.broadcast(F, a[ao]);
            for (; i < ub; i += L) {
                va.min(FloatVector.fromArray(F, b, bo + i)).intoArray(o, oo + i);
            }
        }
        return i;
    }

    private static int max(float[] a, int ao, int as, float[] b, int bo, int bs, float[] o, int oo, int n) {
        int ub = F.loopBound(n);
        int i = 0;
        if (as == 1 && bs == 1) {
            for (; i < ub; i += L) {
                FloatVector.fromArray(F, a, ao + i).max(FloatVector.fromArray(F, b, bo + i)).intoArray(o, oo + i);
            }
        } else if (as == 1 && bs == 0) {
            FloatVector vb = FloatVector.broadcast(F, b[bo]);
            for (; i < ub; i += L) {
                FloatVector.fromArray(F, a, ao + i).max(vb).intoArray(o, oo + i);
            }
        } else if (as == 0 && bs == 1) {
            FloatVector va = FloatVector.broadcast(F, a[ao]);
            for (; i < ub; i += L) {
                va.max(FloatVector.fromArray(F, b, bo + i)).intoArray(o, oo + i);
            }
        }
        return i;
    }

    // ---- unary: y[yo + i] = f(x[xo + i]) ----

    static void unary(Elementwise.UnaryOp op, float[] x, int xo, float[] y, int yo, int n, float p, float q) {
        int ub = F.loopBound(n);
        int i = 0;
        switch (op) {
            case NEG -> {
                for (; i < ub; i += L) {
                    FloatVector.fromArray(F, x, xo + i).neg().intoArray(y, yo + i);
                }
            }
            case ABS -> {
                for (; i < ub; i += L) {
                    FloatVector.fromArray(F, x, xo + i).abs().intoArray(y, yo + i);
                }
            }
            case SQRT -> {
                for (; i < ub; i += L) {
                    FloatVector.fromArray(F, x, xo + i).sqrt().intoArray(y, yo + i);
                }
            }
            case EXP -> {
                for (; i < ub; i += L) {
                    FloatVector.fromArray(F, x, xo + i).lanewise(VectorOperators.EXP).intoArray(y, yo + i);
                }
            }
            case LOG -> {
                for (; i < ub; i += L) {
                    FloatVector.fromArray(F, x, xo + i).lanewise(VectorOperators.LOG).intoArray(y, yo + i);
                }
            }
            case TANH -> {
                for (; i < ub; i += L) {
                    FloatVector.fromArray(F, x, xo + i).lanewise(VectorOperators.TANH).intoArray(y, yo + i);
                }
            }
            case RECIPROCAL -> {
                FloatVector one = FloatVector.broadcast(F, 1f);
                for (; i < ub; i += L) {
                    one.div(FloatVector.fromArray(F, x, xo + i)).intoArray(y, yo + i);
                }
            }
            case RELU -> {
                for (; i < ub; i += L) {
                    FloatVector.fromArray(F, x, xo + i).max(0f).intoArray(y, yo + i);
                }
            }
            case LEAKY_RELU -> {
                for (; i < ub; i += L) {
                    FloatVector v = FloatVector.fromArray(F, x, xo + i);
                    VectorMask<Float> neg = v.lt(0f);
                    v.blend(v.mul(p), neg).intoArray(y, yo + i);
                }
            }
            case CLIP -> {
                for (; i < ub; i += L) {
                    FloatVector.fromArray(F, x, xo + i).max(p).min(q).intoArray(y, yo + i);
                }
            }
            case HARD_SIGMOID -> {
                for (; i < ub; i += L) {
                    FloatVector.fromArray(F, x, xo + i).mul(p).add(q).min(1f).max(0f).intoArray(y, yo + i);
                }
            }
            case HARD_SWISH -> {
                for (; i < ub; i += L) {
                    FloatVector v = FloatVector.fromArray(F, x, xo + i);
                    v.mul(v.mul(Elementwise.ONE_SIXTH).add(0.5f).min(1f).max(0f)).intoArray(y, yo + i);
                }
            }
            case SIGMOID -> {
                FloatVector one = FloatVector.broadcast(F, 1f);
                for (; i < ub; i += L) {
                    FloatVector v = FloatVector.fromArray(F, x, xo + i);
                    one.div(one.add(v.neg().lanewise(VectorOperators.EXP))).intoArray(y, yo + i);
                }
            }
            case SILU -> {
                FloatVector one = FloatVector.broadcast(F, 1f);
                for (; i < ub; i += L) {
                    FloatVector v = FloatVector.fromArray(F, x, xo + i);
                    v.div(one.add(v.neg().lanewise(VectorOperators.EXP))).intoArray(y, yo + i);
                }
            }
            case GELU_TANH -> {
                FloatVector one = FloatVector.broadcast(F, 1f);
                float c = (float) Elementwise.SQRT_2_OVER_PI;
                for (; i < ub; i += L) {
                    FloatVector v = FloatVector.fromArray(F, x, xo + i);
                    FloatVector inner = v.mul(v).mul(v).mul(0.044715f).add(v).mul(c);
                    FloatVector t = inner.lanewise(VectorOperators.TANH);
                    v.mul(0.5f).mul(one.add(t)).intoArray(y, yo + i);
                }
            }
            case ERF, GELU -> i = erf(x, xo, y, yo, n, op == Elementwise.UnaryOp.GELU);
            default -> {
                // No vector form (floor, ceil, round, sign): the scalar loop below does the whole row.
            }
        }
        for (; i < n; i++) {
            y[yo + i] = Elementwise.scalar(op, x[xo + i], p, q);
        }
    }

    /**
     * erf (or exact GELU) over the row in double lanes, with the polynomials of {@link Elementwise#erf(double)}:
     * both branches are evaluated and blended ({@code |x| <= 1} or not); beyond |x| = 6 the second branch is 1 to
     * double precision, as exp(-x^2) underflows the correction. Returns how many elements it handled.
     */
    private static int erf(float[] x, int xo, float[] y, int yo, int n, boolean gelu) {
        int lanes = D.length();
        int ub = FD.loopBound(n);
        int i = 0;
        for (; i < ub; i += lanes) {
            DoubleVector v = (DoubleVector) FloatVector.fromArray(FD, x, xo + i).convertShape(VectorOperators.F2D, D, 0);
            DoubleVector e = erf(gelu ? v.mul(Elementwise.SQRT_HALF) : v);
            DoubleVector r = gelu ? v.mul(0.5).mul(e.add(1.0)) : e;
            ((FloatVector) r.convertShape(VectorOperators.D2F, FD, 0)).intoArray(y, yo + i);
        }
        return i;
    }

    private static DoubleVector erf(DoubleVector x) {
        DoubleVector a = x.abs();
        DoubleVector z = x.mul(x);
        DoubleVector p = DoubleVector.broadcast(D, Elementwise.ERF_P[0]);
        for (int k = 1; k < Elementwise.ERF_P.length; k++) {
            p = p.mul(z).add(Elementwise.ERF_P[k]);
        }
        p = p.mul(x);
        DoubleVector t = DoubleVector.broadcast(D, 1.0).div(a.mul(0.5).add(1.0));
        DoubleVector q = DoubleVector.broadcast(D, Elementwise.ERF_Q[0]);
        for (int k = 1; k < Elementwise.ERF_Q.length; k++) {
            q = q.mul(t).add(Elementwise.ERF_Q[k]);
        }
        q = DoubleVector.broadcast(D, 1.0).sub(q.mul(z.neg().lanewise(VectorOperators.EXP)));
        q = q.blend(q.neg(), x.lt(0.0));
        return p.blend(q, a.compare(VectorOperators.GT, 1.0));
    }

    // ---- row reductions ----

    /**
     * Sum of {@code x[off, off + n)} in double. Vector lanes accumulate in float for blocks of at most
     * {@code 64 * L} elements (so each lane adds at most 64 terms), and block sums are added in double, lanes in a
     * fixed order (BatchNorm statistics in training must not depend on whether this runs compiled).
     */
    static double sum(float[] x, int off, int n) {
        int ub = F.loopBound(n);
        int block = 64 * L;
        float[] lanes = new float[L];
        double total = 0;
        int i = 0;
        while (i < ub) {
            int end = Math.min(ub, i + block);
            FloatVector acc = FloatVector.zero(F);
            for (; i < end; i += L) {
                acc = acc.add(FloatVector.fromArray(F, x, off + i));
            }
            total += orderedLaneSum(acc, lanes);
        }
        for (; i < n; i++) {
            total += x[off + i];
        }
        return total;
    }

    /**
     * {@code Σ (x − mu)²} over {@code x[off, off + n)}, blocked like {@link #sum}; lanes are added in a fixed order
     * (training must give the same bits whether this runs interpreted or compiled, and reduceLanes may differ).
     */
    static double sumSquaredDeviations(float[] x, int off, int n, float mu) {
        int ub = F.loopBound(n);
        int block = 64 * L;
        FloatVector m = FloatVector.broadcast(F, mu);
        float[] lanes = new float[L];
        double total = 0;
        int i = 0;
        while (i < ub) {
            int end = Math.min(ub, i + block);
            FloatVector acc = FloatVector.zero(F);
            for (; i < end; i += L) {
                FloatVector d = FloatVector.fromArray(F, x, off + i).sub(m);
                acc = d.fma(d, acc);
            }
            total += orderedLaneSum(acc, lanes);
        }
        for (; i < n; i++) {
            float d = x[off + i] - mu;
            total += d * d;
        }
        return total;
    }

    /**
     * Adds {@code Σ g} to {@code sums[0]} and {@code Σ g·(x − mu)} to {@code sums[1]} over {@code [off, off + n)}
     * (the two reductions of a BatchNormalization gradient), blocked and ordered like {@link #sumSquaredDeviations}.
     */
    static void gradientSums(float[] g, float[] x, int off, int n, float mu, double[] sums) {
        int ub = F.loopBound(n);
        int block = 64 * L;
        FloatVector m = FloatVector.broadcast(F, mu);
        float[] lanes = new float[L];
        int i = 0;
        while (i < ub) {
            int end = Math.min(ub, i + block);
            FloatVector sg = FloatVector.zero(F);
            FloatVector sgx = FloatVector.zero(F);
            for (; i < end; i += L) {
                FloatVector gv = FloatVector.fromArray(F, g, off + i);
                sg = sg.add(gv);
                sgx = gv.fma(FloatVector.fromArray(F, x, off + i).sub(m), sgx);
            }
            sums[0] += orderedLaneSum(sg, lanes);
            sums[1] += orderedLaneSum(sgx, lanes);
        }
        for (; i < n; i++) {
            sums[0] += g[off + i];
            sums[1] += g[off + i] * (x[off + i] - mu);
        }
    }

    private static double orderedLaneSum(FloatVector v, float[] lanes) {
        v.intoArray(lanes, 0);
        double s = 0;
        for (float f : lanes) {
            s += f;
        }
        return s;
    }

    /** {@code o[i] = a·g[i] + b·x[i] + c} over {@code [off, off + n)}. */
    static void linearCombination(float[] g, float[] x, float[] o, int off, int n, float a, float b, float c) {
        int ub = off + F.loopBound(n);
        FloatVector av = FloatVector.broadcast(F, a);
        FloatVector bv = FloatVector.broadcast(F, b);
        FloatVector cv = FloatVector.broadcast(F, c);
        int i = off;
        for (; i < ub; i += L) {
            FloatVector.fromArray(F, x, i).fma(bv, cv).add(FloatVector.fromArray(F, g, i).mul(av)).intoArray(o, i);
        }
        for (; i < off + n; i++) {
            o[i] = a * g[i] + Math.fma(b, x[i], c);
        }
    }

    /** Sum of squares of {@code x[off, off + n)}, blocked like {@link #sum}. */
    static double sumSquares(float[] x, int off, int n) {
        int ub = F.loopBound(n);
        int block = 64 * L;
        double total = 0;
        int i = 0;
        while (i < ub) {
            int end = Math.min(ub, i + block);
            FloatVector acc = FloatVector.zero(F);
            for (; i < end; i += L) {
                FloatVector v = FloatVector.fromArray(F, x, off + i);
                acc = v.fma(v, acc);
            }
            total += acc.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            double v = x[off + i];
            total += v * v;
        }
        return total;
    }

    /** Largest element of {@code x[off, off + n)} ({@code Math.max} semantics: NaN wins); -inf when n == 0. */
    static float max(float[] x, int off, int n) {
        int ub = F.loopBound(n);
        int i = 0;
        float m = Float.NEGATIVE_INFINITY;
        if (ub > 0) {
            FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            for (; i < ub; i += L) {
                acc = acc.max(FloatVector.fromArray(F, x, off + i));
            }
            m = acc.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) {
            m = Math.max(m, x[off + i]);
        }
        return m;
    }

    /** Smallest element of {@code x[off, off + n)}; +inf when n == 0. */
    static float min(float[] x, int off, int n) {
        int ub = F.loopBound(n);
        int i = 0;
        float m = Float.POSITIVE_INFINITY;
        if (ub > 0) {
            FloatVector acc = FloatVector.broadcast(F, Float.POSITIVE_INFINITY);
            for (; i < ub; i += L) {
                acc = acc.min(FloatVector.fromArray(F, x, off + i));
            }
            m = acc.reduceLanes(VectorOperators.MIN);
        }
        for (; i < n; i++) {
            m = Math.min(m, x[off + i]);
        }
        return m;
    }

    // ---- softmax and normalization rows ----

    /** {@code y[i] = exp(x[i] - shift)} over the row; returns the sum of the y values (float lanes, double blocks). */
    static double expShiftSum(float[] x, int xo, float[] y, int yo, int n, float shift) {
        int ub = F.loopBound(n);
        int block = 64 * L;
        double total = 0;
        int i = 0;
        while (i < ub) {
            int end = Math.min(ub, i + block);
            FloatVector acc = FloatVector.zero(F);
            for (; i < end; i += L) {
                FloatVector e = FloatVector.fromArray(F, x, xo + i).sub(shift).lanewise(VectorOperators.EXP);
                e.intoArray(y, yo + i);
                acc = acc.add(e);
            }
            total += acc.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            float e = (float) Math.exp(x[xo + i] - shift);
            y[yo + i] = e;
            total += e;
        }
        return total;
    }

    /**
     * Softmax (or log-softmax) of one {@code [d, inner]} block along d, lanes running across {@code inner}
     * (rows at {@code off + j * inner}). Per-column max and sums live in the scratch arrays (length &ge; inner); the
     * sums accumulate in float lanes.
     */
    static void softmaxColumns(float[] x, float[] y, int off, int d, int inner, boolean log, float[] max,
            float[] sum) {
        int ub = F.loopBound(inner);
        java.util.Arrays.fill(max, 0, inner, Float.NEGATIVE_INFINITY);
        java.util.Arrays.fill(sum, 0, inner, 0f);
        for (int j = 0; j < d; j++) {
            int row = off + j * inner;
            int i = 0;
            for (; i < ub; i += L) {
                FloatVector.fromArray(F, max, i).max(FloatVector.fromArray(F, x, row + i)).intoArray(max, i);
            }
            for (; i < inner; i++) {
                max[i] = Math.max(max[i], x[row + i]);
            }
        }
        for (int j = 0; j < d; j++) {
            int row = off + j * inner;
            int i = 0;
            for (; i < ub; i += L) {
                FloatVector e = FloatVector.fromArray(F, x, row + i).sub(FloatVector.fromArray(F, max, i))
                        .lanewise(VectorOperators.EXP);
                e.intoArray(y, row + i);
                FloatVector.fromArray(F, sum, i).add(e).intoArray(sum, i);
            }
            for (; i < inner; i++) {
                float e = (float) Math.exp(x[row + i] - max[i]);
                y[row + i] = e;
                sum[i] += e;
            }
        }
        // sum becomes the per-column factor (1 / sum) or offset (log sum)
        for (int i = 0; i < inner; i++) {
            sum[i] = log ? (float) Math.log(sum[i]) : 1f / sum[i];
        }
        for (int j = 0; j < d; j++) {
            int row = off + j * inner;
            int i = 0;
            if (log) {
                for (; i < ub; i += L) {
                    FloatVector.fromArray(F, x, row + i).sub(FloatVector.fromArray(F, max, i))
                            .sub(FloatVector.fromArray(F, sum, i)).intoArray(y, row + i);
                }
                for (; i < inner; i++) {
                    y[row + i] = (x[row + i] - max[i]) - sum[i];
                }
            } else {
                for (; i < ub; i += L) {
                    FloatVector.fromArray(F, y, row + i).mul(FloatVector.fromArray(F, sum, i)).intoArray(y, row + i);
                }
                for (; i < inner; i++) {
                    y[row + i] *= sum[i];
                }
            }
        }
    }

    /** {@code y[i] = x[i] * a + b} over the row (multiply, then add: no fused rounding). */
    static void scaleShift(float[] x, int xo, float[] y, int yo, int n, float a, float b) {
        int ub = F.loopBound(n);
        int i = 0;
        for (; i < ub; i += L) {
            FloatVector.fromArray(F, x, xo + i).mul(a).add(b).intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] = x[xo + i] * a + b;
        }
    }

    /**
     * Layer-norm row: {@code y[i] = (x[i] - mean) * invStd * scale[i] + bias[i]} ({@code bias} may be null).
     */
    static void normalizeAffine(float[] x, int xo, float[] y, int yo, int n, float mean, float invStd,
            float[] scale, float[] bias) {
        int ub = F.loopBound(n);
        int i = 0;
        if (bias != null) {
            for (; i < ub; i += L) {
                FloatVector.fromArray(F, x, xo + i).sub(mean).mul(invStd).mul(FloatVector.fromArray(F, scale, i))
                        .add(FloatVector.fromArray(F, bias, i)).intoArray(y, yo + i);
            }
        } else {
            for (; i < ub; i += L) {
                FloatVector.fromArray(F, x, xo + i).sub(mean).mul(invStd).mul(FloatVector.fromArray(F, scale, i))
                        .intoArray(y, yo + i);
            }
        }
        for (; i < n; i++) {
            float v = (x[xo + i] - mean) * invStd * scale[i];
            y[yo + i] = bias != null ? v + bias[i] : v;
        }
    }
}
