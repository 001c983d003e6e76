package io.t2c.convert.extract;

import io.t2c.tensor.T2cException;

/**
 * A conv or linear layer as the GEMM a weight-stationary systolic array of R×C processing elements computes, and its
 * operands cut into R×C tiles (docs/FORMATS.md, "PE tiling"). Per group g: {@code A} is M×K (for conv the im2col
 * view of the input: row m = (n·outH + oy)·outW + ox, column k = (ci·kh + ky)·kw + kx, the weight's own flattening),
 * {@code B} is K×N (the weight transposed: B[k][j] = w[g·N + j][k]). Operands are zero-point corrected (x − zx,
 * w − zw), so zero padding adds nothing and Σ A·B + b equals the layer's accumulator exactly.
 */
public record PeTiling(int groups, int m, int k, int n, long[] a, long[] b) {
    /** An "RxC" array size, e.g. "16x16". */
    public record ArraySize(int rows, int cols) {
        public static ArraySize parse(String s) {
            String[] p = s.toLowerCase(java.util.Locale.ROOT).split("x");
            try {
                if (p.length == 2) {
                    ArraySize size = new ArraySize(Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim()));
                    if (size.rows >= 1 && size.cols >= 1 && size.rows <= 4096 && size.cols <= 4096) {
                        return size;
                    }
                }
            } catch (NumberFormatException e) {
                // falls through to the message below
            }
            throw new T2cException("--pe expects RxC with 1 ≤ R, C ≤ 4096 (e.g. 16x16), got '" + s + "'");
        }

        @Override
        public String toString() {
            return rows + "x" + cols;
        }
    }

    /** The GEMM of a grouped 2-D convolution: x [N, Cin, H, W], w [Cout, Cin/group, kh, kw]. */
    public static PeTiling ofConv(long[] x, int[] xs, long zx, long[] w, int[] ws, long[] zw, int[] strides,
                                  int[] pads, int[] dilations, int group) {
        int cg = ws[1];
        int kh = ws[2];
        int kw = ws[3];
        int oh = (xs[2] + pads[0] + pads[2] - dilations[0] * (kh - 1) - 1) / strides[0] + 1;
        int ow = (xs[3] + pads[1] + pads[3] - dilations[1] * (kw - 1) - 1) / strides[1] + 1;
        int m = xs[0] * oh * ow;
        int k = cg * kh * kw;
        int n = ws[0] / group;
        long[] a = new long[group * m * k];
        for (int g = 0; g < group; g++) {
            for (int row = 0; row < m; row++) {
                int img = row / (oh * ow);
                int oy = row / ow % oh;
                int ox = row % ow;
                for (int col = 0; col < k; col++) {
                    int ci = col / (kh * kw);
                    int ky = col / kw % kh;
                    int kx = col % kw;
                    int iy = oy * strides[0] - pads[0] + ky * dilations[0];
                    int ix = ox * strides[1] - pads[1] + kx * dilations[1];
                    boolean inside = iy >= 0 && iy < xs[2] && ix >= 0 && ix < xs[3];
                    a[(g * m + row) * k + col] = inside
                            ? x[((img * xs[1] + g * cg + ci) * xs[2] + iy) * xs[3] + ix] - zx : 0;
                }
            }
        }
        return new PeTiling(group, m, k, n, a, transposedWeight(w, zw, group, k, n));
    }

    /** The GEMM of a linear layer: x [..., K] (all leading axes are rows), w [N, K] output-major. */
    public static PeTiling ofLinear(long[] x, long zx, long[] w, int[] ws, long[] zw) {
        int k = ws[1];
        int m = x.length / k;
        long[] a = new long[x.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = x[i] - zx;
        }
        return new PeTiling(1, m, k, ws[0], a, transposedWeight(w, zw, 1, k, ws[0]));
    }

    private static long[] transposedWeight(long[] w, long[] zw, int groups, int k, int n) {
        long[] b = new long[groups * k * n];
        for (int g = 0; g < groups; g++) {
            for (int j = 0; j < n; j++) {
                int out = g * n + j;
                long z = zw[zw.length == 1 ? 0 : out];
                for (int t = 0; t < k; t++) {
                    b[(g * k + t) * n + j] = w[out * k + t] - z;
                }
            }
        }
        return b;
    }

    public int reductionTiles(ArraySize pe) {
        return ceilDiv(k, pe.rows());
    }

    public int outputTiles(ArraySize pe) {
        return ceilDiv(n, pe.cols());
    }

    public int rowTiles(ArraySize pe) {
        return ceilDiv(m, pe.cols());
    }

    /** Shape [G, NT, KT, R, C] of {@link #weightTiles}. */
    public int[] weightTileShape(ArraySize pe) {
        return new int[] {groups, outputTiles(pe), reductionTiles(pe), pe.rows(), pe.cols()};
    }

    /** Shape [G, KT, MT, R, C] of {@link #inputTiles}. */
    public int[] inputTileShape(ArraySize pe) {
        return new int[] {groups, reductionTiles(pe), rowTiles(pe), pe.rows(), pe.cols()};
    }

    /** Tile [g][nt][kt] holds B[kt·R + r][nt·C + c] at [r][c] (zero beyond K or N): what PE (r, c) keeps. */
    public long[] weightTiles(ArraySize pe) {
        int nt = outputTiles(pe);
        int kt = reductionTiles(pe);
        int r = pe.rows();
        int c = pe.cols();
        long[] out = new long[groups * nt * kt * r * c];
        for (int g = 0; g < groups; g++) {
            for (int j = 0; j < nt; j++) {
                for (int t = 0; t < kt; t++) {
                    int base = (((g * nt + j) * kt) + t) * r * c;
                    for (int row = 0; row < r; row++) {
                        for (int col = 0; col < c; col++) {
                            int kk = t * r + row;
                            int nn = j * c + col;
                            out[base + row * c + col] = kk < k && nn < n ? b[(g * k + kk) * n + nn] : 0;
                        }
                    }
                }
            }
        }
        return out;
    }

    /**
     * Tile [g][kt][mt] holds A[mt·C + c][kt·R + r] at [r][c] (zero beyond M or K): column c is what enters the
     * array's R rows at step c while weight tile kt is resident.
     */
    public long[] inputTiles(ArraySize pe) {
        int kt = reductionTiles(pe);
        int mt = rowTiles(pe);
        int r = pe.rows();
        int c = pe.cols();
        long[] out = new long[groups * kt * mt * r * c];
        for (int g = 0; g < groups; g++) {
            for (int t = 0; t < kt; t++) {
                for (int s = 0; s < mt; s++) {
                    int base = (((g * kt + t) * mt) + s) * r * c;
                    for (int row = 0; row < r; row++) {
                        for (int col = 0; col < c; col++) {
                            int kk = t * r + row;
                            int mm = s * c + col;
                            out[base + row * c + col] = kk < k && mm < m ? a[(g * m + mm) * k + kk] : 0;
                        }
                    }
                }
            }
        }
        return out;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
