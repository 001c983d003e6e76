package io.t2c.tensor.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The "phase grid" layout that turns any strided, dilated, padded convolution window into contiguous reads.
 *
 * <p>The zero-padded input plane {@code [Hp = inH + padTop + padBottom, Wp = inW + padLeft + padRight]} is split
 * into {@code strideH × strideW} phase planes of {@code Hq × Wq} ({@code Hq = ceil(Hp / strideH)},
 * {@code Wq = ceil(Wp / strideW)}): phase {@code (py, px)} holds padded elements {@code (Y·sH + py, X·sW + px)}.
 * Output position {@code (oy, ox)} is then placed at grid column {@code oy·Wq + ox}, and kernel tap {@code (u, v)}
 * reads, for every output position at once, the contiguous run starting at
 * {@code tap(u, v) = phase((u·dH) % sH, (v·dW) % sW) + ((u·dH) / sH)·Wq + (v·dW) / sW}. Grid columns with
 * {@code ox ≥ outW} are computed and thrown away ({@code (Wq − outW) / Wq} of the work: 2/58 for a 3×3 pad-1 conv on
 * a 56-wide image). For a valid output position the run never wraps into the next row: the last tap of the last
 * output column is inside the padded width by the definition of outW.
 */
final class ConvGrid {
    final int channels;
    final int inH;
    final int inW;
    final int strideH;
    final int strideW;
    final int padTop;
    final int padLeft;
    final int hq;
    final int wq;
    /** Floats per phase plane. */
    final int plane;
    /** Grid columns: outH·Wq. */
    final int cols;
    /** Start of each (channel, u, v) tap run, in the order of a weight row [c, u, v]. */
    final int[] taps;
    /** Floats to allocate: all planes, plus slack so full vectors past the last grid column stay in bounds. */
    final int length;

    ConvGrid(int channels, int inH, int inW, int kernelH, int kernelW, int strideH, int strideW, int padTop,
             int padLeft, int padBottom, int padRight, int dilationH, int dilationW, int outH, int slack) {
        this.channels = channels;
        this.inH = inH;
        this.inW = inW;
        this.strideH = strideH;
        this.strideW = strideW;
        this.padTop = padTop;
        this.padLeft = padLeft;
        int hp = inH + padTop + padBottom;
        int wp = inW + padLeft + padRight;
        this.hq = (hp + strideH - 1) / strideH;
        this.wq = (wp + strideW - 1) / strideW;
        this.plane = hq * wq;
        this.cols = outH * wq;
        // The taps of channel 0; channel c's are the same shifted by c whole channels of phase planes.
        int window = kernelH * kernelW;
        this.taps = new int[channels * window];
        int t = 0;
        for (int u = 0; u < kernelH; u++) {
            int dy = u * dilationH;
            for (int v = 0; v < kernelW; v++) {
                int dx = v * dilationW;
                int phase = (dy % strideH) * strideW + dx % strideW;
                taps[t++] = phase * plane + (dy / strideH) * wq + dx / strideW;
            }
        }
        int channelFloats = strideH * strideW * plane;
        for (int c = 1; c < channels; c++) {
            for (int i = 0; i < window; i++) {
                taps[t++] = taps[i] + c * channelFloats;
            }
        }
        int maxTap = 0;
        for (int i = 0; i < window; i++) {
            maxTap = Math.max(maxTap, taps[i] + (channels - 1) * channelFloats);
        }
        this.length = Math.max(channels * strideH * strideW * plane, maxTap + cols + slack);
    }

    /**
     * Fills {@code buf[0, length)} with the phase planes of {@code channels} input planes at {@code x[xOff...]}.
     * Channels are split over threads when each part moves at least ~32 K floats (inline inside a pool task).
     */
    void fill(float[] x, int xOff, float[] buf) {
        int perChannel = strideH * strideW * plane;
        Parallel.forRange(channels, Math.max(1, 32768 / Math.max(1, perChannel)),
                (c0, c1) -> fillChannels(x, xOff, buf, c0, c1));
        java.util.Arrays.fill(buf, channels * perChannel, length, 0f);
    }

    private void fillChannels(float[] x, int xOff, float[] buf, int c0, int c1) {
        if (strideH == 1 && strideW == 1) {
            fillUnstrided(x, xOff, buf, c0, c1);
            return;
        }
        int perChannel = strideH * strideW * plane;
        java.util.Arrays.fill(buf, c0 * perChannel, c1 * perChannel, 0f);
        for (int c = c0; c < c1; c++) {
            for (int iy = 0; iy < inH; iy++) {
                int yp = iy + padTop;
                int rowBase = (c * strideH + yp % strideH) * strideW * plane + (yp / strideH) * wq;
                int src = xOff + (c * inH + iy) * inW;
                if (strideW == 2) {
                    splitPairs(x, src, buf, rowBase);
                    continue;
                }
                // One pass per column phase, so the inner loop has no division.
                for (int px = 0; px < strideW; px++) {
                    int ix0 = Math.floorMod(px - padLeft, strideW);
                    int dst = rowBase + px * plane + (ix0 + padLeft) / strideW;
                    for (int ix = ix0; ix < inW; ix += strideW) {
                        buf[dst++] = x[src + ix];
                    }
                }
            }
        }
    }

    private static final VectorSpecies<Float> S = VectorConstants.FLOAT;
    private static final int L = VectorConstants.FLOAT_LANES;

    /**
     * Horizontal stride 2: splits one input row into its even and odd columns, two vectors in, two permutes, two
     * vectors out (the scalar split costs about 1 ns per element, this about 0.1).
     */
    private void splitPairs(float[] x, int src, float[] buf, int rowBase) {
        // Input column ix lands in phase (ix + padLeft) & 1 at X = (ix + padLeft) >> 1.
        int even = rowBase + (padLeft & 1) * plane + (padLeft >> 1);
        int odd = rowBase + ((padLeft + 1) & 1) * plane + ((padLeft + 1) >> 1);
        int ix = 0;
        for (; ix + 2 * L <= inW; ix += 2 * L) {
            FloatVector v0 = FloatVector.fromArray(S, x, src + ix);
            FloatVector v1 = FloatVector.fromArray(S, x, src + ix + L);
            v0.rearrange(VectorConstants.EVEN, v1).intoArray(buf, even + ix / 2);
            v0.rearrange(VectorConstants.ODD, v1).intoArray(buf, odd + ix / 2);
        }
        for (; ix < inW; ix += 2) {
            buf[even + ix / 2] = x[src + ix];
            if (ix + 1 < inW) {
                buf[odd + ix / 2] = x[src + ix + 1];
            }
        }
    }

    /** Stride 1: one plane per channel; copy the rows and zero only the padding around them. */
    private void fillUnstrided(float[] x, int xOff, float[] buf, int c0, int c1) {
        int right = wq - padLeft - inW;
        for (int c = c0; c < c1; c++) {
            int p0 = c * plane;
            java.util.Arrays.fill(buf, p0, p0 + padTop * wq, 0f);
            for (int iy = 0; iy < inH; iy++) {
                int row = p0 + (iy + padTop) * wq;
                java.util.Arrays.fill(buf, row, row + padLeft, 0f);
                System.arraycopy(x, xOff + (c * inH + iy) * inW, buf, row + padLeft, inW);
                java.util.Arrays.fill(buf, row + padLeft + inW, row + padLeft + inW + right, 0f);
            }
            java.util.Arrays.fill(buf, p0 + (padTop + inH) * wq, p0 + plane, 0f);
        }
    }
}
