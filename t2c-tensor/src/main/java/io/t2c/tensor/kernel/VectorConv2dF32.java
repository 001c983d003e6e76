package io.t2c.tensor.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Conv2dF32} on the vector GEMM.
 * <ul>
 *   <li><b>General convs</b> are an implicit GEMM per (image, group): {@code Y[ocg × outH·outW] = W[ocg × cg·kh·kw] ·
 *       col}. The weights are packed once, when prepared; the column matrix is never built: in a {@link ConvGrid}
 *       copy of the input every row of {@code col} is a contiguous run, which {@link GridGemm}'s micro-kernel reads
 *       in place (padded convs), or B panels are packed from with two vector copies per row (grid as wide as the
 *       output).
 *   <li><b>Unstrided convs of whole channel blocks</b> (16-lane vectors, no groups or dilation, input channels a
 *       multiple of 16, output channels of 32, output width of 7; not 1×1 unpadded) run on {@link BlockedConv}: a
 *       direct convolution with vectors over output channels, on a channel-blocked copy of the input.
 *   <li><b>1×1, no pad</b> convs multiply the input planes directly ({@code col} is the input), or, when strided,
 *       a copy of the input elements they read.
 *   <li><b>Depthwise</b> convs ({@code groups == inChannels}, any channel multiplier) run a dedicated loop: one
 *       vector of output columns per step, all kh·kw taps accumulated in a register, reading the channel's
 *       {@link ConvGrid} contiguously.
 * </ul>
 * Threads: over (image, group) pairs when there are enough of them, else inside each GEMM (over rows or columns);
 * depthwise over (image, channel).
 */
final class VectorConv2dF32 implements Conv2dF32 {
    private static final VectorSpecies<Float> S = PanelGemm.S;
    private static final int L = PanelGemm.L;
    /** Depthwise work is memory-bound, so threads pay off earlier than for GEMM. */
    static final long DEPTHWISE_PARALLEL_MIN_WORK = 1L << 20;

    private final VectorGemmF32 gemm;

    VectorConv2dF32(VectorGemmF32 gemm) {
        this.gemm = gemm;
    }

    @Override
    public Conv2dWeights prepare(Conv2dParams p, float[] w) {
        Conv2dParams.check("w", w.length, p.weightSize());
        if (p.isDepthwise()) {
            return new Conv2dWeights(p, w, null, this);
        }
        int ocg = p.groupOutChannels();
        int k = p.groupInChannels() * p.kernelH() * p.kernelW();
        float[][] packed = new float[p.groups()][];
        for (int g = 0; g < packed.length; g++) {
            packed[g] = PanelGemm.packBlocked(w, g * ocg * k, k, ocg, k);
        }
        // Both orders (twice the memory for such weights): whether the blocked kernel runs depends on the stride and
        // on the input's size, which is not known yet (the output width must be whole tiles).
        return new Conv2dWeights(p, w, packed, BlockedConv.fits(p) ? BlockedConv.pack(p, w) : null, this);
    }

    @Override
    public void conv2d(Conv2dParams p, float[] x, Conv2dWeights w, float[] bias, float lo, float hi, float[] y) {
        w.check(p, this);
        p.checkArrays(x, w.raw, bias, y);
        if (p.batch() == 0) {
            return;
        }
        PanelGemm.Clamp clamp = new PanelGemm.Clamp(lo, hi);
        if (p.isDepthwise()) {
            depthwise(p, x, w.raw, bias, clamp, y);
        } else if (w.blocked != null && BlockedConv.eligible(p)) {
            BlockedConv.run(p, x, w.blocked, bias, clamp, y);
        } else {
            viaGemm(p, x, w.packed, bias, clamp, y);
        }
    }

    @Override
    public void weightGradient(Conv2dParams p, float[] x, float[] gy, int outH, int outW, float[] gw) {
        ConvWeightGradient.compute(p, x, gy, outH, outW, gw);
    }

    // ---- implicit GEMM ----

    private void viaGemm(Conv2dParams p, float[] x, float[][] packed, float[] bias, PanelGemm.Clamp clamp,
                         float[] y) {
        int groups = p.groups();
        int cg = p.groupInChannels();
        int ocg = p.groupOutChannels();
        int k = cg * p.kernelH() * p.kernelW();
        int oh = p.outH();
        int ow = p.outW();
        int n = oh * ow;
        int hw = p.inH() * p.inW();
        boolean oneByOne = p.isUnpadded1x1();
        boolean pointwise = oneByOne && p.strideH() == 1 && p.strideW() == 1;
        // A strided 1×1 conv reads one input element in strideH·strideW: those are gathered into a [cg × n] matrix,
        // not split into phase planes that would copy the whole input.
        boolean subsampled = oneByOne && !pointwise;
        ConvGrid grid = pointwise || subsampled ? null : new ConvGrid(cg, p.inH(), p.inW(), p.kernelH(), p.kernelW(),
                p.strideH(), p.strideW(), p.padTop(), p.padLeft(), p.padBottom(), p.padRight(), p.dilationH(),
                p.dilationW(), oh, PanelGemm.NR);
        // When the grid is as wide as the output (or there is none), the GEMM writes y directly; otherwise
        // GridGemm drops the grid's extra columns as it stores.
        boolean direct = grid == null || grid.wq == ow;
        int tasks = p.batch() * groups;
        Parallel.RangeBody body = (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                int img = t / groups;
                int g = t % groups;
                int xOff = (img * p.inChannels() + g * cg) * hw;
                int yOff = (img * p.outChannels() + g * ocg) * n;
                float[] gridBuf = null;
                if (grid != null) {
                    gridBuf = ThreadBuffers.get(ThreadBuffers.GRID, grid.length);
                    grid.fill(x, xOff, gridBuf);
                }
                if (!direct) {
                    GridGemm.run(ocg, grid.cols, k, packed[g], gridBuf, grid.taps,
                            new GridGemm.Output(y, yOff, ocg, oh, ow, grid.wq, bias, g * ocg, clamp));
                    continue;
                }
                PanelGemm.Source b;
                if (pointwise) {
                    b = new PanelGemm.MatrixB(false, x, xOff, hw);
                } else if (subsampled) {
                    float[] buf = ThreadBuffers.get(ThreadBuffers.GRID, (long) cg * n);
                    subsample(p, x, xOff, cg, buf);
                    b = new PanelGemm.MatrixB(false, buf, 0, n);
                } else {
                    b = new GridB(gridBuf, grid.taps);
                }
                PanelGemm.Source a = new PanelGemm.Blocked(packed[g], Packing.panels(ocg, PanelGemm.MR));
                // The bias is added by the micro-kernel's first store: no separate pass over y.
                PanelGemm.run(ocg, n, k, Integer.MAX_VALUE, a, b,
                        new PanelGemm.F32Sink(y, yOff, n, bias, g * ocg, clamp), false);
            }
        };
        if (splitOuter(tasks, (long) ocg * n * k)) {
            Parallel.forRange(tasks, 1, body);
        } else {
            body.run(0, tasks);
        }
    }

    /**
     * Copies input elements {@code (oy·strideH, ox·strideW)} of {@code channels} planes into
     * {@code [c][oy·outW + ox]}.
     */
    private static void subsample(Conv2dParams p, float[] x, int xOff, int channels, float[] dst) {
        int inH = p.inH();
        int inW = p.inW();
        int oh = p.outH();
        int ow = p.outW();
        int sh = p.strideH();
        int sw = p.strideW();
        Parallel.forRange(channels, Math.max(1, 16384 / Math.max(1, oh * ow)), (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                int d = c * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    int src = xOff + (c * inH + oy * sh) * inW;
                    for (int ox = 0; ox < ow; ox++) {
                        dst[d++] = x[src + ox * sw];
                    }
                }
            }
        });
    }

    /**
     * Whether to split (image, group) pairs over threads rather than parallelise each GEMM: when the pairs divide
     * evenly or are plenty, and each is worth a task.
     */
    static boolean splitOuter(int tasks, long workPerTask) {
        int threads = Parallel.threads();
        return threads > 1 && tasks > 1 && (tasks % threads == 0 || tasks >= 4 * threads)
                && workPerTask * tasks >= PanelGemm.parallelMinWork;
    }

    /** B panels from a conv grid: row {@code kk} of column panel {@code j} is {@code buf[taps[kk] + j ...]}. */
    static final class GridB extends PanelGemm.Source {
        private final float[] buf;
        private final int[] taps;

        GridB(float[] buf, int[] taps) {
            this.buf = buf;
            this.taps = taps;
        }

        @Override
        void pack(int from, int len, int k0, int kc, float[] dst) {
            int nr = PanelGemm.NR;
            // Full-width copies even for the last, partial panel: the grid's slack keeps them in bounds and the
            // extra columns are never stored.
            for (int q0 = 0; q0 < len; q0 += nr) {
                int d = (q0 / nr) * kc * nr;
                int j = from + q0;
                for (int kk = 0; kk < kc; kk++) {
                    int src = taps[k0 + kk] + j;
                    FloatVector.fromArray(S, buf, src).intoArray(dst, d);
                    FloatVector.fromArray(S, buf, src + L).intoArray(dst, d + L);
                    d += nr;
                }
            }
        }
    }

    // ---- depthwise ----

    private static void depthwise(Conv2dParams p, float[] x, float[] w, float[] bias, PanelGemm.Clamp clamp,
                                  float[] y) {
        int c = p.inChannels();
        int mult = p.outChannels() / c;
        int kk = p.kernelH() * p.kernelW();
        int oh = p.outH();
        int ow = p.outW();
        int hw = p.inH() * p.inW();
        ConvGrid grid = new ConvGrid(1, p.inH(), p.inW(), p.kernelH(), p.kernelW(), p.strideH(), p.strideW(),
                p.padTop(), p.padLeft(), p.padBottom(), p.padRight(), p.dilationH(), p.dilationW(), oh, L);
        Slots slots = new Slots(oh, ow, grid.wq);
        int tasks = p.batch() * c;
        long work = (long) tasks * mult * oh * ow * kk;
        Parallel.forRange(tasks, work < DEPTHWISE_PARALLEL_MIN_WORK ? tasks : 1, (t0, t1) -> {
            float[] buf = ThreadBuffers.get(ThreadBuffers.DEPTHWISE, grid.length);
            for (int t = t0; t < t1; t++) {
                grid.fill(x, t * hw, buf);
                int img = t / c;
                int ci = t % c;
                for (int m = 0; m < mult; m++) {
                    int o = ci * mult + m;
                    float b = bias == null ? 0f : bias[o];
                    depthwisePlane(buf, grid.taps, slots, w, o * kk, kk, b, clamp, y,
                            (img * p.outChannels() + o) * oh * ow);
                }
            }
        });
    }

    /**
     * The output plane cut into vector-wide slots: slot {@code s} covers {@code lanes[s]} output columns of one
     * row, reads the grid from {@code src[s]} and writes the plane from {@code dst[s]}. Listing the slots of all
     * rows lets the kernel run four independent accumulators even on narrow planes (7×7, 14×14).
     */
    static final class Slots {
        final int count;
        final int[] src;
        final int[] dst;
        final int[] lanes;

        Slots(int oh, int ow, int wq) {
            int perRow = (ow + L - 1) / L;
            count = oh * perRow;
            src = new int[count];
            dst = new int[count];
            lanes = new int[count];
            int s = 0;
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j += L, s++) {
                    src[s] = i * wq + j;
                    dst[s] = i * ow + j;
                    lanes[s] = Math.min(L, ow - j);
                }
            }
        }
    }

    /**
     * One output plane: four slots at a time, each with its own accumulator (a single chain of kh·kw dependent
     * FMAs would be latency-bound), all taps summed in registers. Grid reads past a row's end land in the grid's
     * next row or slack and only feed lanes that the masked store drops.
     */
    private static void depthwisePlane(float[] buf, int[] taps, Slots slots, float[] w, int wOff, int kk, float b,
                                       PanelGemm.Clamp clamp, float[] y, int yOff) {
        FloatVector bv = FloatVector.broadcast(S, b);
        int[] src = slots.src;
        int s = 0;
        for (; s + 4 <= slots.count; s += 4) {
            FloatVector a0 = bv;
            FloatVector a1 = bv;
            FloatVector a2 = bv;
            FloatVector a3 = bv;
            int s0 = src[s];
            int s1 = src[s + 1];
            int s2 = src[s + 2];
            int s3 = src[s + 3];
            for (int t = 0; t < kk; t++) {
                FloatVector wv = FloatVector.broadcast(S, w[wOff + t]);
                int tap = taps[t];
                a0 = wv.fma(FloatVector.fromArray(S, buf, tap + s0), a0);
                a1 = wv.fma(FloatVector.fromArray(S, buf, tap + s1), a1);
                a2 = wv.fma(FloatVector.fromArray(S, buf, tap + s2), a2);
                a3 = wv.fma(FloatVector.fromArray(S, buf, tap + s3), a3);
            }
            a0 = clamp.apply(a0);
            a1 = clamp.apply(a1);
            a2 = clamp.apply(a2);
            a3 = clamp.apply(a3);
            int[] lanes = slots.lanes;
            int[] dst = slots.dst;
            // Masked stores only for partial slots, with the masks made right here, never passed to a helper.
            if (lanes[s] == L) {
                a0.intoArray(y, yOff + dst[s]);
            } else {
                a0.intoArray(y, yOff + dst[s], S.indexInRange(0, lanes[s]));
            }
            if (lanes[s + 1] == L) {
                a1.intoArray(y, yOff + dst[s + 1]);
            } else {
                a1.intoArray(y, yOff + dst[s + 1], S.indexInRange(0, lanes[s + 1]));
            }
            if (lanes[s + 2] == L) {
                a2.intoArray(y, yOff + dst[s + 2]);
            } else {
                a2.intoArray(y, yOff + dst[s + 2], S.indexInRange(0, lanes[s + 2]));
            }
            if (lanes[s + 3] == L) {
                a3.intoArray(y, yOff + dst[s + 3]);
            } else {
                a3.intoArray(y, yOff + dst[s + 3], S.indexInRange(0, lanes[s + 3]));
            }
        }
        for (; s < slots.count; s++) {
            FloatVector a0 = bv;
            int s0 = src[s];
            for (int t = 0; t < kk; t++) {
                a0 = FloatVector.broadcast(S, w[wOff + t]).fma(FloatVector.fromArray(S, buf, taps[t] + s0), a0);
            }
            a0 = clamp.apply(a0);
            if (slots.lanes[s] == L) {
                a0.intoArray(y, yOff + slots.dst[s]);
            } else {
                a0.intoArray(y, yOff + slots.dst[s], S.indexInRange(0, slots.lanes[s]));
            }
        }
    }
}
