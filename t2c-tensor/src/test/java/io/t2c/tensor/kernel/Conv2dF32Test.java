package io.t2c.tensor.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class Conv2dF32Test {

    static void checkOne(Conv2dF32 conv, Random r, Conv2dParams p, boolean withBias) {
        float[] x = Ref.randomFloats(r, (int) p.inputSize());
        float[] w = Ref.randomFloats(r, (int) p.weightSize());
        float[] bias = withBias ? Ref.randomFloats(r, p.outChannels()) : null;
        float[] y = Ref.randomFloats(r, (int) p.outputSize()); // garbage: must be overwritten
        conv.conv2d(p, x, w, bias, y);
        double[][] want = Ref.conv2d(p, x, w, bias);
        int depth = p.groupInChannels() * p.kernelH() * p.kernelW();
        Ref.assertClose(conv.getClass().getSimpleName() + " " + p + (withBias ? " +bias" : ""), want[0], want[1],
                depth, i -> y[i]);
    }

    @ParameterizedTest
    @MethodSource("io.t2c.tensor.kernel.Ref#both")
    void namedCases(Kernels kernels) {
        Conv2dF32 conv = kernels.conv2dF32();
        Random r = new Random(20);
        int lanes = Ref.lanes();
        // 3×3 pad 1, output widths around vector multiples.
        for (int w : new int[] {1, lanes - 1, lanes, lanes + 1, 2 * lanes + 1}) {
            checkOne(conv, r, Conv2dParams.of(1, 5, 6, w, 7, 3, 1, 1, 1, 1), true);
        }
        // 1×1 stride 1 (direct GEMM), 1×1 stride 2, 1×1 with pads.
        checkOne(conv, r, Conv2dParams.of(2, 9, 5, 7, 13, 1, 1, 0, 1, 1), true);
        checkOne(conv, r, Conv2dParams.of(1, 9, 9, 11, 8, 1, 2, 0, 1, 1), false);
        checkOne(conv, r, Conv2dParams.of(1, 4, 3, 3, 5, 1, 1, 1, 1, 1), true);
        // Strides, dilations, asymmetric pads, non-square kernels.
        checkOne(conv, r, new Conv2dParams(1, 3, 11, 13, 6, 3, 5, 2, 3, 0, 2, 1, 0, 1, 1, 1), true);
        checkOne(conv, r, new Conv2dParams(2, 4, 12, 10, 5, 3, 3, 1, 1, 2, 1, 0, 3, 2, 3, 1), false);
        checkOne(conv, r, new Conv2dParams(1, 2, 9, 17, 3, 2, 4, 3, 2, 1, 3, 2, 0, 2, 1, 1), true);
        // Stem-like: 7×7 stride 2 pad 3.
        checkOne(conv, r, Conv2dParams.of(1, 3, 20, 22, 8, 7, 2, 3, 1, 1), true);
        // Wide stem-like (output rows span several register tiles, partial row panel), and grouped, batched.
        checkOne(conv, r, Conv2dParams.of(1, 3, 15, 8 * lanes + 6, 13, 7, 2, 3, 1, 1), true);
        checkOne(conv, r, Conv2dParams.of(2, 4, 9, 4 * lanes + 1, 10, 3, 1, 1, 1, 2), false);
        // Depth over several GEMM depth blocks (partial sums kept between them), padded grid.
        checkOne(conv, r, Conv2dParams.of(1, 70, 5, 2 * lanes + 3, 9, 3, 1, 1, 1, 1), true);
        checkOne(conv, r, Conv2dParams.of(2, 64, 7, 7, 13, 3, 1, 1, 1, 1), false);
        // ... and over several column blocks (384 grid columns), each with its own partial sums.
        checkOne(conv, r, Conv2dParams.of(1, 40, 12, 30, 14, 3, 1, 1, 1, 1), true);
        // Groups (not depthwise), depthwise, depthwise with channel multiplier 2 and 3, strided depthwise.
        checkOne(conv, r, Conv2dParams.of(2, 8, 7, 9, 12, 3, 1, 1, 1, 4), true);
        checkOne(conv, r, Conv2dParams.of(2, 6, 9, 2 * lanes + 3, 6, 3, 1, 1, 1, 6), true);
        checkOne(conv, r, Conv2dParams.of(1, 4, 8, 8, 8, 3, 1, 1, 1, 4), false);
        checkOne(conv, r, new Conv2dParams(1, 3, 10, 13, 9, 5, 3, 2, 2, 2, 1, 1, 0, 1, 2, 3), true);
        checkOne(conv, r, new Conv2dParams(1, 5, 15, 15, 5, 3, 3, 2, 2, 0, 0, 1, 1, 1, 1, 5), true);
        // One input channel, one output channel.
        checkOne(conv, r, Conv2dParams.of(3, 1, 6, 6, 1, 3, 1, 0, 1, 1), true);
        // 1-D (H = 1): plain, strided + dilated + asymmetric pads, depthwise.
        checkOne(conv, r, new Conv2dParams(2, 6, 1, 50, 10, 1, 3, 1, 1, 0, 1, 0, 1, 1, 1, 1), true);
        checkOne(conv, r, new Conv2dParams(1, 4, 1, 37, 6, 1, 5, 1, 2, 0, 3, 0, 1, 1, 2, 2), true);
        checkOne(conv, r, new Conv2dParams(1, 8, 1, 40, 8, 1, 7, 1, 1, 0, 3, 0, 3, 1, 1, 8), true);
        // Channel-blocked direct conv (16-lane vectors; elsewhere the GEMM): 3×3, batched, asymmetric pads and a
        // non-square kernel, a 1×1 with padding, and a width of several 7-wide tiles.
        checkOne(conv, r, Conv2dParams.of(1, 16, 5, 7, 32, 3, 1, 1, 1, 1), true);
        checkOne(conv, r, Conv2dParams.of(2, 32, 6, 14, 64, 3, 1, 1, 1, 1), false);
        checkOne(conv, r, new Conv2dParams(1, 16, 5, 8, 32, 2, 3, 1, 1, 0, 1, 1, 0, 1, 1, 1), true);
        checkOne(conv, r, Conv2dParams.of(1, 48, 3, 5, 32, 1, 1, 1, 1, 1), true);
        checkOne(conv, r, Conv2dParams.of(1, 16, 4, 28, 32, 3, 1, 1, 1, 1), true);
        // ... and strided ones of such shapes (on the grid GEMM: see BlockedConv.eligible).
        checkOne(conv, r, Conv2dParams.of(1, 16, 14, 14, 32, 3, 2, 1, 1, 1), true);
        checkOne(conv, r, Conv2dParams.of(2, 16, 14, 14, 32, 2, 2, 0, 1, 1), false);
        checkOne(conv, r, new Conv2dParams(1, 32, 9, 13, 32, 3, 3, 1, 2, 1, 1, 1, 1, 1, 1, 1), true);
        // Kernel as large as the padded input (output 1×1).
        checkOne(conv, r, new Conv2dParams(1, 3, 4, 5, 2, 5, 6, 1, 1, 1, 1, 0, 0, 1, 1, 1), true);
    }

    @ParameterizedTest
    @MethodSource("io.t2c.tensor.kernel.Ref#both")
    void randomShapes(Kernels kernels) {
        Random r = new Random(21);
        for (int it = 0; it < 40; it++) {
            int groups = switch (r.nextInt(4)) {
                case 0 -> 1 + r.nextInt(3);
                case 1 -> 0; // depthwise, set below
                default -> 1;
            };
            int cg = 1 + r.nextInt(5);
            int c = groups == 0 ? 1 + r.nextInt(6) : cg * groups;
            if (groups == 0) {
                groups = c;
            }
            int oc = groups * (1 + r.nextInt(groups == c ? 2 : 6));
            int kh = 1 + r.nextInt(4);
            int kw = 1 + r.nextInt(4);
            int sh = 1 + r.nextInt(3);
            int sw = 1 + r.nextInt(3);
            int dh = 1 + r.nextInt(2);
            int dw = 1 + r.nextInt(2);
            int[] pads = {r.nextInt(3), r.nextInt(3), r.nextInt(3), r.nextInt(3)};
            int h = (kh - 1) * dh + 1 + r.nextInt(12);
            int w = (kw - 1) * dw + 1 + r.nextInt(30);
            Conv2dParams p = new Conv2dParams(1 + r.nextInt(2), c, h, w, oc, kh, kw, sh, sw, pads[0], pads[1],
                    pads[2], pads[3], dh, dw, groups);
            checkOne(kernels.conv2dF32(), r, p, r.nextBoolean());
        }
    }

    /**
     * A fused clamp gives exactly the clamped plain output, on every path: direct GEMM (1×1), grid GEMM with one and
     * with several depth blocks (the clamp must wait for the last), edge tiles, depthwise, and bounds on one side.
     */
    @ParameterizedTest
    @MethodSource("io.t2c.tensor.kernel.Ref#both")
    void fusedClampEqualsClampedOutput(Kernels kernels) {
        Conv2dF32 conv = kernels.conv2dF32();
        Random r = new Random(23);
        Conv2dParams[] cases = {
            new Conv2dParams(1, 16, 9, 37, 13, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1),
            new Conv2dParams(1, 5, 11, 29, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
            new Conv2dParams(2, 40, 9, 9, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
            new Conv2dParams(1, 3, 30, 30, 8, 7, 7, 2, 2, 3, 3, 3, 3, 1, 1, 1),
            new Conv2dParams(1, 6, 20, 21, 12, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 6),
            new Conv2dParams(1, 32, 7, 7, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
        };
        float[][] bounds = {{0f, Float.POSITIVE_INFINITY}, {0f, 0.25f}, {Float.NEGATIVE_INFINITY, -0.1f}};
        for (Conv2dParams p : cases) {
            float[] x = Ref.randomFloats(r, (int) p.inputSize());
            float[] w = Ref.randomFloats(r, (int) p.weightSize());
            float[] bias = Ref.randomFloats(r, p.outChannels());
            Conv2dWeights prepared = conv.prepare(p, w);
            float[] plain = new float[(int) p.outputSize()];
            conv.conv2d(p, x, prepared, bias, plain);
            for (float[] b : bounds) {
                float[] y = Ref.randomFloats(r, plain.length);
                conv.conv2d(p, x, prepared, bias, b[0], b[1], y);
                for (int i = 0; i < y.length; i++) {
                    assertEquals(Math.min(Math.max(plain[i], b[0]), b[1]), y[i], p + " clamp " + b[0] + ".." + b[1]
                            + " at " + i);
                }
            }
        }
    }

    /** Which convs the channel-blocked kernel takes (where vectors have 16 lanes); the cases above rely on it. */
    @Test
    void blockedKernelTakesUnstridedConvsOfWholeBlocks() {
        assumeTrue(BlockedConv.BLOCK == 16, "16-lane vectors only");
        assertTrue(BlockedConv.eligible(Conv2dParams.of(1, 64, 56, 56, 64, 3, 1, 1, 1, 1)));
        assertTrue(BlockedConv.eligible(Conv2dParams.of(1, 16, 5, 7, 32, 3, 1, 1, 1, 1)));
        assertTrue(BlockedConv.eligible(Conv2dParams.of(1, 48, 3, 5, 32, 1, 1, 1, 1, 1)));
        assertFalse(BlockedConv.eligible(Conv2dParams.of(1, 64, 56, 56, 128, 3, 2, 1, 1, 1)));
        assertFalse(BlockedConv.eligible(Conv2dParams.of(1, 64, 14, 14, 64, 3, 1, 2, 2, 1)));
        assertFalse(BlockedConv.eligible(Conv2dParams.of(1, 64, 14, 14, 128, 1, 2, 0, 1, 1)));
        assertFalse(BlockedConv.eligible(Conv2dParams.of(1, 64, 7, 7, 64, 1, 1, 0, 1, 1)));
        assertFalse(BlockedConv.eligible(Conv2dParams.of(1, 64, 6, 6, 64, 3, 1, 1, 1, 1)));
        assertFalse(BlockedConv.eligible(Conv2dParams.of(1, 24, 7, 7, 32, 3, 1, 1, 1, 1)));
    }

    /** Large enough for the GEMM to split over threads and to cross the K block: a small ResNet-like layer. */
    @ParameterizedTest
    @MethodSource("io.t2c.tensor.kernel.Ref#both")
    void resnetLikeLayer(Kernels kernels) {
        Random r = new Random(22);
        Ref.threaded(() -> {
            checkOne(kernels.conv2dF32(), r, Conv2dParams.of(1, 32, 14, 14, 24, 3, 1, 1, 1, 1), true);
            checkOne(kernels.conv2dF32(), r, Conv2dParams.of(1, 64, 16, 16, 40, 1, 1, 0, 1, 1), false);
            checkOne(kernels.conv2dF32(), r, Conv2dParams.of(4, 8, 9, 9, 8, 3, 1, 1, 1, 2), true);  // outer split
            // Columns split, several column blocks per thread, several depth blocks; rows split, one column panel.
            checkOne(kernels.conv2dF32(), r, Conv2dParams.of(1, 40, 20, 30, 30, 3, 1, 1, 1, 1), true);
            checkOne(kernels.conv2dF32(), r, Conv2dParams.of(1, 64, 3, 3, 60, 3, 1, 1, 1, 1), false);
            // Channel-blocked: rows of two output-channel pairs and two images over the threads.
            checkOne(kernels.conv2dF32(), r, Conv2dParams.of(2, 32, 14, 14, 64, 3, 1, 1, 1, 1), true);
            checkOne(kernels.conv2dF32(), r, Conv2dParams.of(1, 32, 28, 28, 64, 3, 2, 1, 1, 1), false);
        });
    }

    /** Weights prepared once serve inputs of other sizes and batches with the same weight shape. */
    @ParameterizedTest
    @MethodSource("io.t2c.tensor.kernel.Ref#both")
    void preparedWeightsAreReusable(Kernels kernels) {
        Conv2dF32 conv = kernels.conv2dF32();
        Random r = new Random(23);
        for (int groups : new int[] {1, 2, 6}) {
            Conv2dParams p1 = Conv2dParams.of(1, 6, 9, 11, 6, 3, 1, 1, 1, groups);
            Conv2dParams p2 = Conv2dParams.of(2, 6, 5, 20, 6, 3, 2, 1, 1, groups);
            float[] w = Ref.randomFloats(r, (int) p1.weightSize());
            Conv2dWeights prepared = conv.prepare(p1, w);
            for (Conv2dParams p : new Conv2dParams[] {p1, p2}) {
                float[] x = Ref.randomFloats(r, (int) p.inputSize());
                float[] b = Ref.randomFloats(r, p.outChannels());
                float[] y = new float[(int) p.outputSize()];
                conv.conv2d(p, x, prepared, b, y);
                double[][] want = Ref.conv2d(p, x, w, b);
                Ref.assertClose("prepared " + p, want[0], want[1], 9 * p.groupInChannels(), i -> y[i]);
            }
            Conv2dParams other = Conv2dParams.of(1, 6, 9, 11, 12, 3, 1, 1, 1, groups);
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> conv.conv2d(other, new float[(int) other.inputSize()], prepared, null,
                            new float[(int) other.outputSize()]));
        }
        Conv2dF32 foreign = (kernels.isVector() ? Kernels.scalar() : Ref.bothList().get(1)).conv2dF32();
        Conv2dParams p = Conv2dParams.of(1, 2, 4, 4, 2, 3, 1, 1, 1, 1);
        Conv2dWeights theirs = foreign.prepare(p, new float[(int) p.weightSize()]);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> conv.conv2d(p, new float[32], theirs, null, new float[32]));
    }

    static void checkWeightGradient(Conv2dF32 conv, Random r, Conv2dParams p, int outH, int outW) {
        float[] x = Ref.randomFloats(r, (int) p.inputSize());
        float[] gy = Ref.randomFloats(r, p.batch() * p.outChannels() * outH * outW);
        float[] gw = Ref.randomFloats(r, (int) p.weightSize()); // garbage: must be overwritten
        conv.weightGradient(p, x, gy, outH, outW, gw);
        double[][] want = Ref.convWeightGradient(p, x, gy, outH, outW);
        Ref.assertClose(conv.getClass().getSimpleName() + " weight gradient " + p + " over " + outH + "×" + outW,
                want[0], want[1], p.batch() * outH * outW, i -> gw[i]);
    }

    @ParameterizedTest
    @MethodSource("io.t2c.tensor.kernel.Ref#both")
    void weightGradientNamedCases(Kernels kernels) {
        Conv2dF32 conv = kernels.conv2dF32();
        Random r = new Random(24);
        for (Conv2dParams p : new Conv2dParams[] {
                Conv2dParams.of(3, 5, 7, 9, 6, 3, 1, 1, 1, 1),               // 3×3 pad 1, 4-row tile plus 2 rows
                Conv2dParams.of(2, 4, 9, 11, 8, 3, 2, 1, 1, 1),              // stride 2
                Conv2dParams.of(2, 6, 8, 8, 6, 3, 1, 1, 1, 6),               // depthwise
                Conv2dParams.of(2, 4, 9, 9, 8, 3, 2, 1, 1, 4),               // depthwise ×2, stride 2
                Conv2dParams.of(1, 8, 6, 7, 12, 3, 1, 1, 1, 2),              // groups
                Conv2dParams.of(2, 7, 5, 5, 9, 1, 1, 0, 1, 1),               // 1×1: taps in a short triple
                Conv2dParams.of(2, 7, 9, 10, 5, 1, 2, 0, 1, 1),              // 1×1 stride 2
                new Conv2dParams(2, 3, 11, 13, 6, 3, 5, 2, 3, 0, 2, 1, 0, 1, 1, 1), // asymmetric pads, 3×5
                new Conv2dParams(1, 4, 12, 10, 5, 3, 3, 1, 1, 2, 1, 0, 3, 2, 3, 1), // dilation
                new Conv2dParams(2, 6, 1, 50, 10, 1, 3, 1, 1, 0, 1, 0, 1, 1, 1, 1), // 1-D
                Conv2dParams.of(40, 3, 6, 6, 5, 3, 1, 1, 1, 1)}) {           // many samples: several chunks
            checkWeightGradient(conv, r, p, p.outH(), p.outW());
        }
        // Fewer positions than the conv reaches (a ConvTranspose's weight gradient).
        Conv2dParams p = Conv2dParams.of(2, 4, 8, 9, 6, 3, 2, 1, 1, 2);
        checkWeightGradient(conv, r, p, p.outH() - 1, p.outW() - 1);
    }

    @ParameterizedTest
    @MethodSource("io.t2c.tensor.kernel.Ref#both")
    void weightGradientRandomShapes(Kernels kernels) {
        Random r = new Random(25);
        Ref.threaded(() -> {
            for (int it = 0; it < 40; it++) {
                int groups = r.nextInt(3) == 0 ? 0 : 1 + r.nextInt(3);
                int cg = 1 + r.nextInt(5);
                int c = groups == 0 ? 1 + r.nextInt(6) : cg * groups;
                if (groups == 0) {
                    groups = c;
                }
                int oc = groups * (1 + r.nextInt(groups == c ? 2 : 6));
                int kh = 1 + r.nextInt(4);
                int kw = 1 + r.nextInt(4);
                int dh = 1 + r.nextInt(2);
                int dw = 1 + r.nextInt(2);
                int h = (kh - 1) * dh + 1 + r.nextInt(12);
                int w = (kw - 1) * dw + 1 + r.nextInt(30);
                Conv2dParams p = new Conv2dParams(1 + r.nextInt(9), c, h, w, oc, kh, kw, 1 + r.nextInt(3),
                        1 + r.nextInt(3), r.nextInt(3), r.nextInt(3), r.nextInt(3), r.nextInt(3), dh, dw, groups);
                checkWeightGradient(kernels.conv2dF32(), r, p, p.outH(), p.outW());
            }
        });
    }

    /**
     * The weight gradient is a sum over the batch: it must not depend on how many threads split it. Inside a chunk
     * of a {@link Parallel} loop, nested loops run inline, so the first call runs on one thread.
     */
    @Test
    void weightGradientIsIndependentOfThreads() {
        Conv2dF32 conv = Ref.bothList().get(1).conv2dF32();
        Conv2dParams p = Conv2dParams.of(64, 16, 14, 14, 16, 3, 1, 1, 1, 1);
        Random r = new Random(26);
        float[] x = Ref.randomFloats(r, (int) p.inputSize());
        float[] gy = Ref.randomFloats(r, (int) p.outputSize());
        float[] inline = new float[(int) p.weightSize()];
        float[] pooled = new float[inline.length];
        Parallel.forRange(Parallel.threads(), 1, (from, to) -> {
            if (from == 0) {
                conv.weightGradient(p, x, gy, p.outH(), p.outW(), inline);
            }
        });
        conv.weightGradient(p, x, gy, p.outH(), p.outW(), pooled);
        org.junit.jupiter.api.Assertions.assertArrayEquals(inline, pooled);
    }

    /**
     * Each output element is summed in one fixed order whichever thread computes it, so a conv gives the same bits
     * on one thread and split over threads by rows or by columns (the grid GEMM, the direct GEMM, strided 1×1).
     */
    @Test
    void outputIsIndependentOfThreadSplit() {
        Conv2dF32 conv = Ref.bothList().get(1).conv2dF32();
        Random r = new Random(27);
        for (Conv2dParams p : new Conv2dParams[] {
                Conv2dParams.of(1, 40, 20, 30, 30, 3, 1, 1, 1, 1),  // columns split, depth and column blocks
                Conv2dParams.of(1, 64, 3, 3, 60, 3, 1, 1, 1, 1),    // rows split
                Conv2dParams.of(1, 3, 30, 40, 16, 7, 2, 3, 1, 1),   // stem-like
                Conv2dParams.of(1, 24, 20, 20, 40, 2, 2, 0, 1, 1),  // grid as wide as the output: direct GEMM
                Conv2dParams.of(1, 32, 20, 20, 48, 1, 2, 0, 1, 1)}) { // strided 1×1
            float[] x = Ref.randomFloats(r, (int) p.inputSize());
            Conv2dWeights w = conv.prepare(p, Ref.randomFloats(r, (int) p.weightSize()));
            float[] bias = Ref.randomFloats(r, p.outChannels());
            float[] serial = new float[(int) p.outputSize()];
            float[] split = new float[serial.length];
            long saved = PanelGemm.parallelMinWork;
            PanelGemm.parallelMinWork = Long.MAX_VALUE;
            try {
                conv.conv2d(p, x, w, bias, serial);
            } finally {
                PanelGemm.parallelMinWork = saved;
            }
            Ref.threaded(() -> conv.conv2d(p, x, w, bias, split));
            org.junit.jupiter.api.Assertions.assertArrayEquals(serial, split, p.toString());
        }
    }

    @ParameterizedTest
    @MethodSource("io.t2c.tensor.kernel.Ref#both")
    void emptyBatch(Kernels kernels) {
        Conv2dParams p = Conv2dParams.of(0, 3, 5, 5, 4, 3, 1, 1, 1, 1);
        float[] y = new float[0];
        kernels.conv2dF32().conv2d(p, new float[0], new float[(int) p.weightSize()], null, y);
        assertEquals(0, y.length);
    }
}
