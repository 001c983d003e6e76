package io.t2c.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.t2c.graph.Attributes;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.Value;
import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The fast conv kernels (im2col + int8 or wide GEMM) against the scalar reference on random integer convs: strides,
 * asymmetric pads, dilations, groups and depthwise, odd sizes, 4- and 8-bit signed and unsigned inputs with zero
 * points, per-channel weight zero points, requantized or raw accumulator outputs, every rounding mode.
 */
class RandomConvReferenceTest {
    static final String[] ROUNDINGS = {"half-up", "half-even", "half-away", "floor"};

    /** IntQuantize(image) → IntConv with random geometry and codes; the float input is drawn to cover the code range. */
    static Graph randomConv(Random rnd, int[] inputShape) {
        int bits = rnd.nextBoolean() ? 8 : 4;
        boolean signed = rnd.nextBoolean();
        long qmin = signed ? -(1L << (bits - 1)) : 0;
        long qmax = signed ? (1L << (bits - 1)) - 1 : (1L << bits) - 1;
        long zx = qmin + rnd.nextInt((int) (qmax - qmin + 1));
        int cin = inputShape[1];
        int[] groupChoices = {1, cin, cin % 2 == 0 ? 2 : 1};
        int group = groupChoices[rnd.nextInt(groupChoices.length)];
        int cout = group * (1 + rnd.nextInt(3));
        int kh = 1 + rnd.nextInt(3);
        int kw = 1 + rnd.nextInt(3);
        int[] strides = {1 + rnd.nextInt(2), 1 + rnd.nextInt(3)};
        int[] dilations = {1 + rnd.nextInt(2), 1 + rnd.nextInt(2)};
        int[] pads = {rnd.nextInt(3), rnd.nextInt(2), rnd.nextInt(3), rnd.nextInt(2)};
        int wbits = rnd.nextBoolean() ? 8 : 4;
        int wmax = (1 << (wbits - 1)) - 1;
        int[] w = new int[cout * (cin / group) * kh * kw];
        for (int i = 0; i < w.length; i++) {
            w[i] = rnd.nextInt(2 * wmax + 2) - wmax - 1;
        }
        long[] zw = new long[cout];
        long[] multiplier = new long[cout];
        long[] shift = new long[cout];
        int[] bias = new int[cout];
        for (int c = 0; c < cout; c++) {
            zw[c] = rnd.nextInt(4) == 0 ? rnd.nextInt(7) - 3 : 0;
            multiplier[c] = (1L << 30) + rnd.nextInt(1 << 30);
            shift[c] = 36 + rnd.nextInt(8);
            bias[c] = rnd.nextInt(20001) - 10000;
        }
        String mode = ROUNDINGS[rnd.nextInt(ROUNDINGS.length)];
        Attributes conv = Attributes.of(IntegerOps.X_ZERO_POINT, zx, IntegerOps.X_MIN, qmin, IntegerOps.X_MAX, qmax,
                IntegerOps.W_ZERO_POINT, zw, IntegerOps.ACC_BITS, 32L, "group", (long) group, "strides", strides,
                "pads", pads, "dilations", dilations);
        if (rnd.nextInt(3) > 0) {
            long zy = rnd.nextInt(11) - 5;
            conv = new Requant(multiplier, toInts(shift), zy, zy - 60 + rnd.nextInt(30), zy + 60, io.t2c.quant.Rounding
                    .parse(mode)).into(conv);
        }
        Map<String, Tensor> init = new LinkedHashMap<>();
        init.put("w", Tensor.ofInts(w, cout, cin / group, kh, kw));
        init.put("b", Tensor.ofInts(bias, cout));
        Node quantize = new Node("q", IntegerOps.QUANTIZE, List.of("x"), List.of("xq"), Attributes.of(IntegerOps.SCALE,
                1.0, IntegerOps.ZERO_POINT, zx, IntegerOps.Y_MIN, qmin, IntegerOps.Y_MAX, qmax, IntegerOps.ROUNDING,
                mode));
        Node c = new Node("conv", IntegerOps.CONV, List.of("xq", "w", "b"), List.of("y"), conv);
        return new Graph("random-conv", List.of(new Value("x", DType.FLOAT32, inputShape)),
                List.of(new Value("y", DType.INT32, null)), List.of(quantize, c), init, Map.of());
    }

    private static int[] toInts(long[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (int) v[i];
        }
        return out;
    }

    @Test
    void fastConvMatchesTheReferenceOnRandomGeometriesAndCodes() {
        Random rnd = new Random(2024);
        for (int trial = 0; trial < 60; trial++) {
            int[] shape = {1 + rnd.nextInt(3), 1 + rnd.nextInt(6), 5 + rnd.nextInt(8), 5 + rnd.nextInt(8)};
            Graph g = randomConv(rnd, shape);
            float[] x = new float[shape[0] * shape[1] * shape[2] * shape[3]];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (rnd.nextGaussian() * 80);
            }
            BitExactChecker.Report r = new BitExactChecker(g).check(List.of(Tensor.of(x, shape)));
            assertEquals(r.ops(), r.exactOps(), "trial " + trial + " " + g.nodes().get(1).attributes() + ": "
                    + r.mismatches());
        }
    }
}
