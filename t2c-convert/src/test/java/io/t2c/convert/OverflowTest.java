package io.t2c.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.graph.Attributes;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.Value;
import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A crafted 16-bit layer: declared int32 accumulation overflows and both executors say so; int64 is exact. */
class OverflowTest {
    static Graph layer(int accBits, int[] weights, int k, int n) {
        Node quantize = new Node("q", IntegerOps.QUANTIZE, List.of("x"), List.of("xq"), Attributes.of(
                IntegerOps.SCALE, 1.0, IntegerOps.Y_MIN, -32768L, IntegerOps.Y_MAX, 32767L));
        Node gemm = new Node("big_fc", IntegerOps.GEMM, List.of("xq", "w"), List.of("acc"), Attributes.of(
                IntegerOps.X_ZERO_POINT, 0L, IntegerOps.X_MIN, -32768L, IntegerOps.X_MAX, 32767L,
                IntegerOps.W_ZERO_POINT, new long[] {0}, IntegerOps.ACC_BITS, (long) accBits));
        return new Graph("overflow", List.of(new Value("x", DType.FLOAT32, new int[] {1, k})),
                List.of(new Value("acc", accBits == 64 ? DType.INT64 : DType.INT32, null)), List.of(quantize, gemm),
                Map.of("w", Tensor.ofInts(weights, n, k)), Map.of());
    }

    @Test
    void int32OverflowIsReportedWithTheLayerNameByBothExecutors() {
        int k = 8;
        int[] w = new int[k];
        Arrays.fill(w, 32767);
        float[] x = new float[k];
        Arrays.fill(x, 32767);
        Graph g = layer(32, w, k, 1);
        Map<String, Tensor> in = Map.of("x", Tensor.of(x, 1, k));
        T2cException fast = assertThrows(T2cException.class, () -> new BitExactChecker(g).runFast(in));
        assertTrue(fast.getMessage().contains("big_fc") && fast.getMessage().contains("overflow"), fast.getMessage());
        T2cException ref = assertThrows(T2cException.class, () -> ReferenceExecutor.run(g, in));
        assertTrue(ref.getMessage().contains("big_fc") && ref.getMessage().contains("overflow"), ref.getMessage());
    }

    @Test
    void int64AccumulationOfTheSameLayerIsExactAndBitExact() {
        int k = 8;
        int[] w = new int[k];
        Arrays.fill(w, 32767);
        float[] x = new float[k];
        Arrays.fill(x, 32767);
        Graph g = layer(64, w, k, 1);
        Tensor acc = new BitExactChecker(g).runFast(Map.of("x", Tensor.of(x, 1, k))).get("acc");
        assertEquals(DType.INT64, acc.dtype());
        assertEquals(8L * 32767 * 32767, acc.longs()[0]);
        assertTrue(new BitExactChecker(g).check(List.of(Tensor.of(x, 1, k))).exact());
    }

    @Test
    void randomWideLayersMatchTheReference() {
        Random rnd = new Random(3);
        for (int trial = 0; trial < 5; trial++) {
            int k = 1 + rnd.nextInt(300);
            int n = 1 + rnd.nextInt(20);
            int[] w = new int[k * n];
            for (int i = 0; i < w.length; i++) {
                w[i] = rnd.nextInt(65536) - 32768;
            }
            float[] x = new float[3 * k];
            for (int i = 0; i < x.length; i++) {
                x[i] = rnd.nextInt(65536) - 32768;
            }
            Graph g = layer(64, w, k, n);
            Graph batched = new Graph(g.name(), List.of(new Value("x", DType.FLOAT32, new int[] {-1, k})),
                    g.outputs(), g.nodes(), g.initializers(), Map.of());
            BitExactChecker.Report r = new BitExactChecker(batched).check(List.of(Tensor.of(x, 3, k)));
            assertTrue(r.exact(), r.mismatches().toString());
        }
    }
}
