package io.t2c.tensor.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A direct convolution on channel-blocked data (NCHWc with {@code c = }{@link #BLOCK}, the vector width), for the
 * unstrided, ungrouped convs that make up most of a CNN: the input is gathered once into a zero-padded
 * {@code [C/16][Hp][Wp][16]} buffer, each register tile computes 7 consecutive output positions of one row for 32
 * output channels (14 accumulators: every input value is broadcast once and feeds two FMAs, every weight vector feeds
 * seven), and each finished vector (16 channels at one position) is scattered back to the NCHW output.
 *
 * <p>Why not the implicit GEMM of {@link GridGemm}: there the vectors run along the output row, so a 7-wide row
 * padded to a 9-wide grid fills 64 vector lanes with 49 outputs, and the 14- and 28-wide stages lose 12 % and 9 %;
 * here the vectors run over output channels (a multiple of 32 in such layers) and the tiles along rows of 7, 14, 28
 * or 56 positions. The kernel alone, on blocked data, one core: 188–197 GFLOP/s on ResNet-18's four 3×3 stages.
 * Inside ResNet-18 at batch 1 (one JVM, alternating the two kernels over 381 rounds) the 56×56 convs took 3–7 % less
 * time than on the GEMM, the 28×28 and 14×14 ones 15–18 %, the 7×7 ones 19 %; the model 17.0 ms against 18.6.
 *
 * <p>Every output is summed in one fixed order (input block, kernel row, kernel column, channel in block), whatever
 * the thread split.
 */
final class BlockedConv {
    private static final VectorSpecies<Float> S = PanelGemm.S;
    /** Channels per block: one vector. */
    static final int BLOCK = S.length();
    /** Output positions per register tile. */
    static final int TILE = 7;

    private BlockedConv() {}

    /**
     * Whether weights of {@code p}'s shape can run here: AVX-512 (16 lanes: 14 accumulators, two weight vectors and a
     * broadcast fit the 32 registers), no groups, input channels a multiple of 16 and output channels of 32.
     */
    static boolean fits(Conv2dParams p) {
        return BLOCK == 16 && p.groups() == 1 && p.inChannels() % BLOCK == 0 && p.outChannels() % (2 * BLOCK) == 0;
    }

    /**
     * Whether {@code p} runs here: {@link #fits}, stride and dilation 1, an output width of whole tiles, and not an
     * unpadded 1×1 conv (a GEMM on the input as it is, with no blocked copy). Strided convs stay on the grid GEMM: a
     * window step of {@code stride × 16} floats between the tile's positions, not a constant, slowed the kernel's
     * unstrided runs by ~12 %, and a phase-split blocked layout (constant steps) by as much through its per-tap index
     * arithmetic; a precomputed tap table, as {@link ConvGrid} has, is the way to take them.
     */
    static boolean eligible(Conv2dParams p) {
        return fits(p) && !p.isUnpadded1x1() && p.strideH() == 1 && p.strideW() == 1 && p.dilationH() == 1
                && p.dilationW() == 1 && p.outW() % TILE == 0 && p.outH() > 0;
    }

    /**
     * Weights {@code [OC, C, kh, kw]} packed as {@code [OC/16][C/16][kh][kw][16 in][16 out]}: the 16 output channels
     * of one input channel and tap are one vector.
     */
    static float[] pack(Conv2dParams p, float[] w) {
        int c = p.inChannels();
        int kh = p.kernelH();
        int kw = p.kernelW();
        int cb = c / BLOCK;
        float[] dst = new float[w.length];
        for (int o = 0; o < p.outChannels(); o++) {
            for (int ci = 0; ci < c; ci++) {
                for (int u = 0; u < kh; u++) {
                    for (int v = 0; v < kw; v++) {
                        int d = (((((o / BLOCK) * cb + ci / BLOCK) * kh + u) * kw + v) * BLOCK + ci % BLOCK) * BLOCK
                                + o % BLOCK;
                        dst[d] = w[((o * c + ci) * kh + u) * kw + v];
                    }
                }
            }
        }
        return dst;
    }

    /**
     * The convolution {@code p} with weights from {@link #pack}. Images are split over threads when there are enough
     * of them (each thread then blocks and convolves its own images, in its own buffer); one image splits its rows.
     */
    static void run(Conv2dParams p, float[] x, float[] packed, float[] bias, PanelGemm.Clamp clamp, float[] y) {
        long imageWork = (long) p.outChannels() * p.outH() * p.outW() * p.inChannels() * p.kernelH() * p.kernelW();
        if (VectorConv2dF32.splitOuter(p.batch(), imageWork)) {
            Parallel.forRange(p.batch(), 1, (i0, i1) -> {
                for (int img = i0; img < i1; img++) {
                    image(p, x, img, packed, bias, clamp, y);
                }
            });
            return;
        }
        for (int img = 0; img < p.batch(); img++) {
            image(p, x, img, packed, bias, clamp, y);
        }
    }

    /** One image: blocked into this thread's buffer, then convolved; both steps split over threads when not nested. */
    private static void image(Conv2dParams p, float[] x, int img, float[] packed, float[] bias, PanelGemm.Clamp clamp,
                              float[] y) {
        int cb = p.inChannels() / BLOCK;
        int hp = p.inH() + p.padTop() + p.padBottom();
        int wp = p.inW() + p.padLeft() + p.padRight();
        float[] in = ThreadBuffers.get(ThreadBuffers.GRID, (long) cb * hp * wp * BLOCK);
        Parallel.forRange(cb * hp, Math.max(1, 8192 / (wp * BLOCK)),
                (r0, r1) -> reorder(p, x, img, in, hp, wp, r0, r1));
        int pairs = p.outChannels() / (2 * BLOCK);
        int oh = p.outH();
        long rowWork = (long) 2 * BLOCK * p.outW() * p.inChannels() * p.kernelH() * p.kernelW();
        int[] planeStride = strides(oh * p.outW());
        Parallel.forRange(pairs * oh, (int) Math.max(1, PanelGemm.parallelMinWork / rowWork), (t0, t1) -> {
            float[] sums = ThreadBuffers.get(ThreadBuffers.SMALL, 2 * BLOCK * TILE);
            for (int t = t0; t < t1; t++) {
                int ob = 2 * (t / oh);
                int oy = t % oh;
                for (int ox = 0; ox < p.outW(); ox += TILE) {
                    tile(p, in, hp, wp, packed, ob, oy, ox, sums);
                    store(p, sums, bias, clamp, y, planeStride, img, ob, oy, ox);
                }
            }
        });
    }

    /** {@code {0, stride, 2·stride, ...}}: the offsets of one block's channels in an NCHW tensor. */
    private static int[] strides(int stride) {
        int[] s = new int[BLOCK];
        for (int k = 0; k < BLOCK; k++) {
            s[k] = k * stride;
        }
        return s;
    }

    /**
     * Padded rows {@code [r0, r1)} (numbered over channel blocks and rows) of image {@code img} in blocked order:
     * element {@code (c, iy, ix)} goes to {@code [c/16][iy + padTop][ix + padLeft][c%16]}, padding is zero.
     */
    private static void reorder(Conv2dParams p, float[] x, int img, float[] in, int hp, int wp, int r0, int r1) {
        int h = p.inH();
        int w = p.inW();
        int[] channelStride = strides(h * w);
        for (int r = r0; r < r1; r++) {
            int b = r / hp;
            int iy = r % hp - p.padTop();
            int d = r * wp * BLOCK;
            if (iy < 0 || iy >= h) {
                java.util.Arrays.fill(in, d, d + wp * BLOCK, 0f);
                continue;
            }
            java.util.Arrays.fill(in, d, d + p.padLeft() * BLOCK, 0f);
            java.util.Arrays.fill(in, d + (p.padLeft() + w) * BLOCK, d + wp * BLOCK, 0f);
            int src = ((img * p.inChannels() + b * BLOCK) * h + iy) * w;
            d += p.padLeft() * BLOCK;
            for (int ix = 0; ix < w; ix++) {
                // One gather: the 16 channels of the block at this position.
                FloatVector.fromArray(S, x, src + ix, channelStride, 0).intoArray(in, d);
                d += BLOCK;
            }
        }
    }

    /**
     * The 7 × 32 register tile at output row {@code oy}, columns {@code ox...}, output blocks {@code ob} and
     * {@code ob + 1}: {@code tile[q·32 + j]} = output channel {@code ob·16 + j} at column {@code ox + q}.
     */
    private static void tile(Conv2dParams p, float[] in, int hp, int wp, float[] w, int ob, int oy, int ox,
                             float[] tile) {
        int cb = p.inChannels() / BLOCK;
        int kh = p.kernelH();
        int kw = p.kernelW();
        int wBlock = cb * kh * kw * BLOCK * BLOCK;
        FloatVector z = FloatVector.zero(S);
        FloatVector a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z;
        FloatVector a40 = z, a41 = z, a50 = z, a51 = z, a60 = z, a61 = z;
        for (int b = 0; b < cb; b++) {
            for (int u = 0; u < kh; u++) {
                for (int v = 0; v < kw; v++) {
                    int xb = ((b * hp + oy + u) * wp + ox + v) * BLOCK;
                    int wb0 = ob * wBlock + ((b * kh + u) * kw + v) * BLOCK * BLOCK;
                    int wb1 = wb0 + wBlock;
                    for (int k = 0; k < BLOCK; k++) {
                        FloatVector w0 = FloatVector.fromArray(S, w, wb0 + k * BLOCK);
                        FloatVector w1 = FloatVector.fromArray(S, w, wb1 + k * BLOCK);
                        FloatVector e = FloatVector.broadcast(S, in[xb + k]);
                        a00 = e.fma(w0, a00);
                        a01 = e.fma(w1, a01);
                        e = FloatVector.broadcast(S, in[xb + BLOCK + k]);
                        a10 = e.fma(w0, a10);
                        a11 = e.fma(w1, a11);
                        e = FloatVector.broadcast(S, in[xb + 2 * BLOCK + k]);
                        a20 = e.fma(w0, a20);
                        a21 = e.fma(w1, a21);
                        e = FloatVector.broadcast(S, in[xb + 3 * BLOCK + k]);
                        a30 = e.fma(w0, a30);
                        a31 = e.fma(w1, a31);
                        e = FloatVector.broadcast(S, in[xb + 4 * BLOCK + k]);
                        a40 = e.fma(w0, a40);
                        a41 = e.fma(w1, a41);
                        e = FloatVector.broadcast(S, in[xb + 5 * BLOCK + k]);
                        a50 = e.fma(w0, a50);
                        a51 = e.fma(w1, a51);
                        e = FloatVector.broadcast(S, in[xb + 6 * BLOCK + k]);
                        a60 = e.fma(w0, a60);
                        a61 = e.fma(w1, a61);
                    }
                }
            }
        }
        int q = 2 * BLOCK;
        a00.intoArray(tile, 0);
        a01.intoArray(tile, BLOCK);
        a10.intoArray(tile, q);
        a11.intoArray(tile, q + BLOCK);
        a20.intoArray(tile, 2 * q);
        a21.intoArray(tile, 2 * q + BLOCK);
        a30.intoArray(tile, 3 * q);
        a31.intoArray(tile, 3 * q + BLOCK);
        a40.intoArray(tile, 4 * q);
        a41.intoArray(tile, 4 * q + BLOCK);
        a50.intoArray(tile, 5 * q);
        a51.intoArray(tile, 5 * q + BLOCK);
        a60.intoArray(tile, 6 * q);
        a61.intoArray(tile, 6 * q + BLOCK);
    }

    /**
     * Writes a tile to NCHW {@code y}, adding the bias and applying the clamp: each vector (16 output channels at one
     * position) is scattered to its 16 planes.
     */
    private static void store(Conv2dParams p, float[] tile, float[] bias, PanelGemm.Clamp clamp, float[] y,
                              int[] planeStride, int img, int ob, int oy, int ox) {
        int ohw = p.outH() * p.outW();
        int d0 = (img * p.outChannels() + ob * BLOCK) * ohw + oy * p.outW() + ox;
        int d1 = d0 + BLOCK * ohw;
        FloatVector b0 = bias == null ? FloatVector.zero(S) : FloatVector.fromArray(S, bias, ob * BLOCK);
        FloatVector b1 = bias == null ? FloatVector.zero(S) : FloatVector.fromArray(S, bias, (ob + 1) * BLOCK);
        for (int q = 0; q < TILE; q++) {
            clamp.apply(FloatVector.fromArray(S, tile, q * 2 * BLOCK).add(b0)).intoArray(y, d0 + q, planeStride, 0);
            clamp.apply(FloatVector.fromArray(S, tile, q * 2 * BLOCK + BLOCK).add(b1)).intoArray(y, d1 + q,
                    planeStride, 0);
        }
    }
}
