package io.t2c.tensor.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector {@link Conv2dF32#weightGradient}: dot products of contiguous runs, with no im2col and no packing.
 *
 * <p>ȳ and x are copied into layouts where the sum over (sample, output position) is one contiguous index t. Row o
 * of the ȳ grid holds each sample's ȳ plane in an {@code Hq × Wq} plane (zero outside {@code outH × outW}). Row
 * (c, phase) of the x grid holds, sample after sample, that channel's {@link ConvGrid} phase plane of the zero-padded
 * input, also {@code Hq × Wq}. Tap (u, v) of channel c then reads the x row at {@code t + offset(u, v)} for every t,
 * so {@code gw[o, c, u, v] = Σ_t ȳ[o][t] · x[c, phase(u, v)][t + offset(u, v)]}: zero ȳ entries cancel the grid
 * columns and planes that are not output positions ((Hq·Wq − outH·outW) / (Hq·Wq) of the work, 14% for a 3×3 pad-1
 * conv on 28×28).
 *
 * <p>Register tile: 4 output channels × 3 taps, twelve accumulators; per vector step 4 + 3 loads and 12 FMAs.
 * t is cut into pieces of {@link #PIECE}, so a piece's ȳ and x rows stay in L2. For a result
 * independent of the thread count, consecutive pieces form at most {@link #CHUNKS} chunks (from the shape only), each
 * chunk sums into its own partial gradient in order, threads take whole chunks, and partials are added in order.
 */
final class ConvWeightGradient {
    private static final VectorSpecies<Float> S = VectorConstants.FLOAT;
    private static final int L = VectorConstants.FLOAT_LANES;
    /** Floats of t per piece: a multiple of twice every species length. */
    static final int PIECE = 2048;
    /** Most partial gradients kept (one per chunk of pieces): enough to balance a few threads. */
    static final int CHUNKS = 8;

    private ConvWeightGradient() {}

    static void compute(Conv2dParams p, float[] x, float[] gy, int outH, int outW, float[] gw) {
        p.checkWeightGradient(x, gy, outH, outW, gw);
        int sH = p.strideH();
        int sW = p.strideW();
        int phases = sH * sW;
        int hq = (p.inH() + p.padTop() + p.padBottom() + sH - 1) / sH;
        int wq = (p.inW() + p.padLeft() + p.padRight() + sW - 1) / sW;
        int plane = hq * wq;
        int kk = p.kernelH() * p.kernelW();
        int[] tapPhase = new int[kk];
        int[] tapOffset = new int[kk];
        int maxOffset = 0;
        for (int u = 0; u < p.kernelH(); u++) {
            for (int v = 0; v < p.kernelW(); v++) {
                int dy = u * p.dilationH();
                int dx = v * p.dilationW();
                tapPhase[u * p.kernelW() + v] = (dy % sH) * sW + dx % sW;
                tapOffset[u * p.kernelW() + v] = (dy / sH) * wq + dx / sW;
                maxOffset = Math.max(maxOffset, tapOffset[u * p.kernelW() + v]);
            }
        }
        // Rows are whole double vectors (zero ȳ past the last sample); the last piece may be shorter than PIECE.
        long positions = (long) p.batch() * plane;
        int rowLength = Math.toIntExact((positions + 2 * L - 1) / (2 * L) * (2 * L));
        int pieces = (rowLength + PIECE - 1) / PIECE;
        if (pieces == 0) {
            java.util.Arrays.fill(gw, 0f);
            return;
        }
        int xRowLength = rowLength + maxOffset;
        // Reused scratch (fresh megabyte arrays cost page faults that outweigh the copies), zeroed per row range.
        float[] gyGrid = ThreadBuffers.get(ThreadBuffers.WEIGHT_GRADIENT_OUTPUT, (long) p.outChannels() * rowLength);
        float[] xGrid = ThreadBuffers.get(ThreadBuffers.WEIGHT_GRADIENT_INPUT,
                (long) p.inChannels() * phases * xRowLength);
        Parallel.forRange(p.outChannels(), 1, (o0, o1) -> {
            java.util.Arrays.fill(gyGrid, o0 * rowLength, o1 * rowLength, 0f);
            for (int o = o0; o < o1; o++) {
                for (int n = 0; n < p.batch(); n++) {
                    for (int i = 0; i < outH; i++) {
                        System.arraycopy(gy, ((n * p.outChannels() + o) * outH + i) * outW, gyGrid,
                                o * rowLength + n * plane + i * wq, outW);
                    }
                }
            }
        });
        Parallel.forRange(p.inChannels(), 1, (c0, c1) -> fillInput(p, x, c0, c1, hq, wq, xGrid, xRowLength));

        int chunks = Math.min(CHUNKS, pieces);
        float[][] partial = new float[chunks][gw.length];
        Parallel.forRange(chunks, 1, (j0, j1) -> {
            float[] sums = new float[12];
            float[] lanes = new float[12 * L];
            for (int j = j0; j < j1; j++) {
                for (int piece = pieces * j / chunks; piece < pieces * (j + 1) / chunks; piece++) {
                    accumulatePiece(p, gyGrid, rowLength, xGrid, xRowLength, phases, tapPhase, tapOffset,
                            piece * PIECE, Math.min(PIECE, rowLength - piece * PIECE), partial[j], lanes, sums);
                }
            }
        });
        System.arraycopy(partial[0], 0, gw, 0, gw.length);
        for (int j = 1; j < chunks; j++) {
            for (int i = 0; i < gw.length; i++) {
                gw[i] += partial[j][i];
            }
        }
    }

    /** Zeroes the rows of input channels [c0, c1) and copies every sample's values into their phase planes. */
    private static void fillInput(Conv2dParams p, float[] x, int c0, int c1, int hq, int wq, float[] xGrid,
                                  int xRowLength) {
        int sH = p.strideH();
        int sW = p.strideW();
        int plane = hq * wq;
        java.util.Arrays.fill(xGrid, c0 * sH * sW * xRowLength, c1 * sH * sW * xRowLength, 0f);
        for (int c = c0; c < c1; c++) {
            for (int n = 0; n < p.batch(); n++) {
                for (int iy = 0; iy < p.inH(); iy++) {
                    int yp = iy + p.padTop();
                    int src = ((n * p.inChannels() + c) * p.inH() + iy) * p.inW();
                    int rowOfPhase = (c * sH + yp % sH) * sW;
                    int dst = n * plane + (yp / sH) * wq;
                    if (sW == 1) {
                        System.arraycopy(x, src, xGrid, rowOfPhase * xRowLength + dst + p.padLeft(), p.inW());
                        continue;
                    }
                    // One pass per column phase, so the inner loop has no division.
                    for (int px = 0; px < sW; px++) {
                        int ix0 = Math.floorMod(px - p.padLeft(), sW);
                        int to = (rowOfPhase + px) * xRowLength + dst + (ix0 + p.padLeft()) / sW;
                        for (int ix = ix0; ix < p.inW(); ix += sW) {
                            xGrid[to++] = x[src + ix];
                        }
                    }
                }
            }
        }
    }

    /**
     * Adds, for every weight, the dot product over {@code t ∈ [t0, t0 + len)} into {@code gw}. Output channels go
     * four at a time (the last 1–3 one at a time; their ȳ rows stay in L1 while the x rows stream from L2), a group's
     * taps three at a time (a short last triple repeats its last tap and drops the repeats).
     */
    private static void accumulatePiece(Conv2dParams p, float[] gyGrid, int rowLength, float[] xGrid, int xRowLength,
                                        int phases, int[] tapPhase, int[] tapOffset, int t0, int len,
                                        float[] gw, float[] lanes, float[] sums) {
        int cg = p.groupInChannels();
        int ocg = p.groupOutChannels();
        int kk = tapPhase.length;
        int taps = cg * kk;
        for (int g = 0; g < p.groups(); g++) {
            for (int o = g * ocg; o < (g + 1) * ocg; o += 4) {
                boolean four = o + 4 <= (g + 1) * ocg;
                for (int t = 0; t < taps; t += 3) {
                    int last = Math.min(t + 3, taps) - 1;
                    int b0 = tapStart(g * cg, t, kk, phases, tapPhase, tapOffset, xRowLength) + t0;
                    int b1 = tapStart(g * cg, Math.min(t + 1, last), kk, phases, tapPhase, tapOffset, xRowLength) + t0;
                    int b2 = tapStart(g * cg, last, kk, phases, tapPhase, tapOffset, xRowLength) + t0;
                    int valid = last - t + 1;
                    if (four) {
                        dots4x3(gyGrid, o * rowLength + t0, rowLength, xGrid, b0, b1, b2, len, lanes, sums);
                        for (int r = 0; r < 4; r++) {
                            for (int k = 0; k < valid; k++) {
                                gw[(o + r) * taps + t + k] += sums[r * 3 + k];
                            }
                        }
                        continue;
                    }
                    for (int r = o; r < (g + 1) * ocg; r++) {
                        dots1x3(gyGrid, r * rowLength + t0, xGrid, b0, b1, b2, len, lanes, sums);
                        for (int k = 0; k < valid; k++) {
                            gw[r * taps + t + k] += sums[k];
                        }
                    }
                }
            }
        }
    }

    /** Start in the x grid of tap {@code t} (weight-row order [c, u, v]) of the group whose first channel is c0. */
    private static int tapStart(int c0, int t, int kk, int phases, int[] tapPhase, int[] tapOffset, int xRowLength) {
        int c = c0 + t / kk;
        int tap = t % kk;
        return (c * phases + tapPhase[tap]) * xRowLength + tapOffset[tap];
    }

    private static void dots4x3(float[] a, int a0, int lda, float[] b, int b0, int b1, int b2, int len,
                                float[] lanes, float[] sums) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = FloatVector.zero(S);
        FloatVector c02 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c11 = FloatVector.zero(S);
        FloatVector c12 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c21 = FloatVector.zero(S);
        FloatVector c22 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        FloatVector c31 = FloatVector.zero(S);
        FloatVector c32 = FloatVector.zero(S);
        for (int k = 0; k < len; k += L) {
            FloatVector x0 = FloatVector.fromArray(S, b, b0 + k);
            FloatVector x1 = FloatVector.fromArray(S, b, b1 + k);
            FloatVector x2 = FloatVector.fromArray(S, b, b2 + k);
            FloatVector y = FloatVector.fromArray(S, a, a0 + k);
            c00 = y.fma(x0, c00);
            c01 = y.fma(x1, c01);
            c02 = y.fma(x2, c02);
            y = FloatVector.fromArray(S, a, a0 + lda + k);
            c10 = y.fma(x0, c10);
            c11 = y.fma(x1, c11);
            c12 = y.fma(x2, c12);
            y = FloatVector.fromArray(S, a, a0 + 2 * lda + k);
            c20 = y.fma(x0, c20);
            c21 = y.fma(x1, c21);
            c22 = y.fma(x2, c22);
            y = FloatVector.fromArray(S, a, a0 + 3 * lda + k);
            c30 = y.fma(x0, c30);
            c31 = y.fma(x1, c31);
            c32 = y.fma(x2, c32);
        }
        c00.intoArray(lanes, 0);
        c01.intoArray(lanes, L);
        c02.intoArray(lanes, 2 * L);
        c10.intoArray(lanes, 3 * L);
        c11.intoArray(lanes, 4 * L);
        c12.intoArray(lanes, 5 * L);
        c20.intoArray(lanes, 6 * L);
        c21.intoArray(lanes, 7 * L);
        c22.intoArray(lanes, 8 * L);
        c30.intoArray(lanes, 9 * L);
        c31.intoArray(lanes, 10 * L);
        c32.intoArray(lanes, 11 * L);
        sumLanes(lanes, 12, sums);
    }

    /** One output channel, three taps; two accumulators per tap so the FMA chains hide their latency. */
    private static void dots1x3(float[] a, int a0, float[] b, int b0, int b1, int b2, int len,
                                float[] lanes, float[] sums) {
        FloatVector c0 = FloatVector.zero(S);
        FloatVector c1 = FloatVector.zero(S);
        FloatVector c2 = FloatVector.zero(S);
        FloatVector d0 = FloatVector.zero(S);
        FloatVector d1 = FloatVector.zero(S);
        FloatVector d2 = FloatVector.zero(S);
        for (int k = 0; k < len; k += 2 * L) {
            FloatVector y = FloatVector.fromArray(S, a, a0 + k);
            c0 = y.fma(FloatVector.fromArray(S, b, b0 + k), c0);
            c1 = y.fma(FloatVector.fromArray(S, b, b1 + k), c1);
            c2 = y.fma(FloatVector.fromArray(S, b, b2 + k), c2);
            y = FloatVector.fromArray(S, a, a0 + k + L);
            d0 = y.fma(FloatVector.fromArray(S, b, b0 + k + L), d0);
            d1 = y.fma(FloatVector.fromArray(S, b, b1 + k + L), d1);
            d2 = y.fma(FloatVector.fromArray(S, b, b2 + k + L), d2);
        }
        c0.add(d0).intoArray(lanes, 0);
        c1.add(d1).intoArray(lanes, L);
        c2.add(d2).intoArray(lanes, 2 * L);
        sumLanes(lanes, 3, sums);
    }

    /**
     * Sums each of {@code count} vectors stored in {@code lanes} (overwriting them) in a fixed order: reduceLanes may
     * add in a different order compiled than interpreted, and training must give the same bits on every run. Pairwise,
     * all vectors level by level, so the adds are independent (a lane-by-lane chain is latency-bound).
     */
    private static void sumLanes(float[] lanes, int count, float[] sums) {
        for (int width = L / 2; width >= 1; width /= 2) {
            for (int base = 0; base < count * L; base += L) {
                for (int i = 0; i < width; i++) {
                    lanes[base + i] = lanes[base + 2 * i] + lanes[base + 2 * i + 1];
                }
            }
        }
        for (int r = 0; r < count; r++) {
            sums[r] = lanes[r * L];
        }
    }
}
