package io.t2c.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.convert.export.ExportCheck;
import io.t2c.convert.export.OnnxExport;
import io.t2c.graph.Attributes;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.Value;
import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The integer Softmax, LayerNorm and GELU against float64 on seeded random inputs (max and mean error in real units,
 * the figures of docs/NUMERICS.md), the fast kernels against the scalar reference, bit for bit, and the exact ONNX
 * export in ONNX Runtime against our executor, bit for bit. Attributes are built as {@link LowerToInteger} builds
 * them.
 */
class IntegerNonLinearTest {
    static final int ROWS = 200;

    /** Runs node n on x in the scalar reference (x as a constant of a one-node graph). */
    static long[] reference(Node n, Tensor x) {
        Graph g = new Graph("one", List.of(), List.of(new Value(n.output(0), DType.INT32, null)), List.of(n),
                Map.of(n.input(0), x), Map.of());
        return ReferenceExecutor.run(g, Map.of()).get(n.output(0)).ints();
    }

    /**
     * Node n exported (exact style) behind an IntQuantize of scale 1, whose {@code codeType} codes equal the float
     * input x, and run in ONNX Runtime: the codes and n's output equal our executor's bit for bit.
     */
    static void assertOnnxExportEqualsOurs(Node n, Tensor x, String codeType) {
        boolean signed = !codeType.startsWith("u");
        int bits = Integer.parseInt(codeType.substring(signed ? 3 : 4));
        long lo = signed ? -(1L << (bits - 1)) : 0;
        int[] shape = new int[x.rank() + 1];
        shape[0] = 1;
        System.arraycopy(x.shape(), 0, shape, 1, x.rank());
        Node quantize = new Node("quantize", IntegerOps.QUANTIZE, List.of("image"), List.of(n.input(0)),
                Attributes.of(IntegerOps.SCALE, 1.0, IntegerOps.Y_MIN, lo, IntegerOps.Y_MAX, lo + (1L << bits) - 1,
                        IntegerOps.Y_TYPE, codeType));
        Node dequantize = new Node("dequantize", IntegerOps.DEQUANTIZE, List.of(n.output(0)), List.of("out"),
                Attributes.of(IntegerOps.SCALE, new double[] {1}));
        Graph g = new Graph("one", List.of(new Value("image", DType.FLOAT32, shape)), List.of(new Value("out",
                DType.FLOAT32, shape)), List.of(quantize, n, dequantize), Map.of(), Map.of());
        long[] codes = x.toLongArray();
        float[] image = new float[codes.length];
        for (int i = 0; i < codes.length; i++) {
            image[i] = codes[i];
        }
        ExportCheck.Report r = ExportCheck.run(g, OnnxExport.export(g, OnnxExport.Style.EXACT), Tensor.of(image,
                shape), OnnxExportTest.ORT);
        assertNull(r.firstMismatch());
        assertEquals(1, r.exactSamples());
    }

    static long[] asLongs(Tensor t) {
        return t.toLongArray();
    }

    static void report(String op, double[] err, double step) {
        double max = 0;
        double sum = 0;
        for (double e : err) {
            max = Math.max(max, Math.abs(e));
            sum += Math.abs(e);
        }
        System.out.printf("%s: max |error| %.5f, mean %.5f (output step %.5f)%n", op, max, sum / err.length, step);
    }

    static double maxAbs(double[] err) {
        double m = 0;
        for (double e : err) {
            m = Math.max(m, Math.abs(e));
        }
        return m;
    }

    @Test
    void softmaxMatchesFloatAndReference() {
        Random rnd = new Random(3);
        int cols = 65;
        double accScale = 0.0021;
        int[] x = new int[ROWS * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = rnd.nextInt(8001) - 4000;
        }
        double dy = 1.0 / 255;
        int f = LowerToInteger.SOFTMAX_FRAC_BITS;
        FixedPoint.Multiplier in = FixedPoint.sharedShift(new BigDecimal[] {FixedPoint.ratio(accScale, 1,
                Math.scalb(1.0, -f))}, new long[] {16000}, 32)[0];
        FixedPoint.Multiplier out = FixedPoint.multiplierAndShift(FixedPoint.ratio(1, 1, dy), 24);
        Node n = new Node("softmax", IntegerOps.SOFTMAX, List.of("x"), List.of("y"), Attributes.of(
                IntegerOps.X_MULTIPLIER, new long[] {in.multiplier()}, IntegerOps.X_SHIFT, new long[] {in.shift()},
                IntegerOps.FRAC_BITS, (long) f, IntegerOps.EXP_LN2, Math.round(Math.log(2) * Math.scalb(1.0, f)),
                IntegerOps.EXP_COEFFS, LowerToInteger.taylorCoefficients(LowerToInteger.SOFTMAX_EXP_DEGREE, f),
                IntegerOps.MULTIPLIER, new long[] {out.multiplier()}, IntegerOps.SHIFT, new long[] {out.shift()},
                IntegerOps.Y_ZERO_POINT, 0L, IntegerOps.Y_MIN, 0L, IntegerOps.Y_MAX, 255L));
        Tensor input = Tensor.ofInts(x, ROWS, cols);
        long[] fast = asLongs(NonLinearKernels.softmax(n, input));
        assertArrayEquals(reference(n, input), fast);
        double[] err = new double[x.length];
        for (int r = 0; r < ROWS; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) {
                max = Math.max(max, x[r * cols + j] * accScale);
            }
            double sum = 0;
            for (int j = 0; j < cols; j++) {
                sum += Math.exp(x[r * cols + j] * accScale - max);
            }
            for (int j = 0; j < cols; j++) {
                int i = r * cols + j;
                err[i] = fast[i] * dy - Math.exp(x[i] * accScale - max) / sum;
            }
        }
        report("softmax", err, dy);
        // Half an output step of rounding; the exponent itself is good to ~10^−8.
        assertTrue(maxAbs(err) <= dy / 2 + 1e-6, "softmax max error " + maxAbs(err));
        // The export also on int16 rows up to 16× as spread, where 2^−z underflows (z ≥ 63 gives e = 0).
        int[] wide = new int[ROWS * cols];
        for (int i = 0; i < wide.length; i++) {
            wide[i] = rnd.nextInt(1 << (i / cols % 16 + 1)) - (1 << (i / cols % 16));
        }
        assertOnnxExportEqualsOurs(n, input, "int16");
        assertOnnxExportEqualsOurs(n, Tensor.ofInts(wide, ROWS, cols), "int16");
    }

    @Test
    void layerNormMatchesFloatAndReference() {
        Random rnd = new Random(5);
        int d = 96;
        double dx = 0.05;
        double dy = 0.03;
        int[] x = new int[ROWS * d];
        for (int i = 0; i < x.length; i++) {
            x[i] = (int) Math.max(-128, Math.min(127, Math.round(rnd.nextGaussian() * 30 + (i / d % 7) * 5)));
        }
        double[] gamma = new double[d];
        double[] beta = new double[d];
        long[] m = new long[d];
        long[] sh = new long[d];
        long[] b = new long[d];
        long rBound = (long) Math.ceil(Math.sqrt(d)) << 14;
        for (int c = 0; c < d; c++) {
            gamma[c] = (float) (rnd.nextGaussian() * 0.5 + 1);
            beta[c] = (float) (rnd.nextGaussian() * 0.3);
            FixedPoint.Multiplier mc = FixedPoint.sharedShift(new BigDecimal[] {FixedPoint.ratio(Math.abs(gamma[c]),
                    Math.scalb(1.0, -14), dy)}, new long[] {2 * rBound}, 32)[0];
            m[c] = gamma[c] < 0 ? -mc.multiplier() : mc.multiplier();
            sh[c] = mc.shift();
            b[c] = FixedPoint.ratio(beta[c], 1, dy).multiply(FixedPoint.pow2(mc.shift()))
                    .setScale(0, java.math.RoundingMode.HALF_EVEN).longValueExact();
        }
        double eps = 1e-6;
        long epsCodes = Math.round(eps * d * d / (dx * dx));
        Node n = new Node("ln", IntegerOps.LAYER_NORM, List.of("x"), List.of("y"), Attributes.of(
                IntegerOps.X_ZERO_POINT, 0L, IntegerOps.FRAC_BITS, 14L, IntegerOps.EPS_CODES, epsCodes,
                IntegerOps.SQRT_SHIFT, 16L, IntegerOps.BIAS_CODES, b, IntegerOps.MULTIPLIER, m, IntegerOps.SHIFT, sh,
                IntegerOps.Y_ZERO_POINT, 0L, IntegerOps.Y_MIN, -32768L, IntegerOps.Y_MAX, 32767L));
        Tensor input = Tensor.ofInts(x, ROWS, d);
        long[] fast = asLongs(NonLinearKernels.layerNorm(n, input));
        assertArrayEquals(reference(n, input), fast);
        double[] err = new double[x.length];
        for (int r = 0; r < ROWS; r++) {
            double mean = 0;
            for (int j = 0; j < d; j++) {
                mean += x[r * d + j] * dx / d;
            }
            double var = 0;
            for (int j = 0; j < d; j++) {
                var += Math.pow(x[r * d + j] * dx - mean, 2) / d;
            }
            for (int j = 0; j < d; j++) {
                int i = r * d + j;
                double want = (x[i] * dx - mean) / Math.sqrt(var + eps) * gamma[j] + beta[j];
                err[i] = fast[i] * dy - want;
            }
        }
        report("layernorm", err, dy);
        assertOnnxExportEqualsOurs(n, input, "int8");
        // Half an output step, plus the floor of the normalized value at 2^−14 times |γ| (≤ ~2.5 here).
        assertTrue(maxAbs(err) <= dy / 2 + 2e-4, "layernorm max error " + maxAbs(err));
    }

    /** erf by Abramowitz–Stegun 7.1.26 refined: |error| < 1.5e-7, far below the steps tested here. */
    static double erf(double z) {
        double t = 1 / (1 + 0.3275911 * Math.abs(z));
        double y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t
                + 0.254829592) * t * Math.exp(-z * z);
        return Math.signum(z) * y;
    }

    @Test
    void geluMatchesFloatAndReference() {
        Random rnd = new Random(9);
        int channels = 32;
        double[] accScale = new double[channels];
        long[] mx = new long[channels];
        long[] sx = new long[channels];
        long bound = 6000;
        for (int c = 0; c < channels; c++) {
            accScale[c] = (float) (0.0005 + rnd.nextDouble() * 0.001);
            FixedPoint.Multiplier m = FixedPoint.sharedShift(new BigDecimal[] {FixedPoint.ratio(accScale[c], 1,
                    Math.scalb(1.0, -14))}, new long[] {bound}, 32)[0];
            mx[c] = m.multiplier();
            sx[c] = m.shift();
        }
        double dy = 0.02;
        FixedPoint.Multiplier out = FixedPoint.sharedShift(new BigDecimal[] {FixedPoint.ratio(Math.scalb(1.0, -14),
                1, dy)}, new long[] {1L << 20}, 32)[0];
        int[] x = new int[ROWS * channels];
        for (int i = 0; i < x.length; i++) {
            x[i] = (int) (rnd.nextInt((int) (2 * bound + 1)) - bound);
        }
        Node n = new Node("gelu", IntegerOps.GELU, List.of("x"), List.of("y"), Attributes.of(
                IntegerOps.X_ZERO_POINT, 0L, IntegerOps.X_MULTIPLIER, mx, IntegerOps.X_SHIFT, sx,
                IntegerOps.FRAC_BITS, 14L, IntegerOps.ERF_A, Math.round(0.2888 * 16384), IntegerOps.ERF_B,
                Math.round(1.769 * 16384), IntegerOps.INV_SQRT2_Q16, Math.round(65536 / Math.sqrt(2)),
                IntegerOps.MULTIPLIER, new long[] {out.multiplier()}, IntegerOps.SHIFT, new long[] {out.shift()},
                IntegerOps.Y_ZERO_POINT, 0L, IntegerOps.Y_MIN, -32768L, IntegerOps.Y_MAX, 32767L,
                IntegerOps.Y_AXIS, -1L));
        Tensor input = Tensor.ofInts(x, ROWS, channels);
        long[] fast = asLongs(NonLinearKernels.gelu(n, input));
        assertArrayEquals(reference(n, input), fast);
        double[] err = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double v = x[i] * accScale[i % channels];
            err[i] = fast[i] * dy - v / 2 * (1 + erf(v / Math.sqrt(2)));
        }
        report("gelu", err, dy);
        assertOnnxExportEqualsOurs(n, input, "int16");
        // I-BERT's second-order erf is within ~0.02 of GELU on |x| ≤ 9; plus half an output step.
        assertTrue(maxAbs(err) <= dy / 2 + 0.025, "gelu max error " + maxAbs(err));
    }
}
