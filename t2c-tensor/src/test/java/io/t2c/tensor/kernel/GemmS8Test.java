package io.t2c.tensor.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class GemmS8Test {

    /** Exact reference in long arithmetic, cast to int (wrapping) at the end. */
    static int[] reference(int m, int n, int k, byte[] a, int aOff, int lda, boolean au, int za,
                           byte[] b, int bOff, int ldb, boolean bu, int[] zb) {
        int[] c = new int[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                long s = 0;
                int z = zb == null ? 0 : zb.length == 1 ? zb[0] : zb[j];
                for (int p = 0; p < k; p++) {
                    long av = au ? Byte.toUnsignedInt(a[aOff + i * lda + p]) : a[aOff + i * lda + p];
                    long bv = bu ? Byte.toUnsignedInt(b[bOff + p * ldb + j]) : b[bOff + p * ldb + j];
                    s += (av - za) * (bv - z);
                }
                c[i * n + j] = (int) s;
            }
        }
        return c;
    }

    static void checkOne(GemmS8 gemm, Random r, int m, int n, int k, byte[] a, byte[] b, boolean au, int za,
                         boolean bu, int[] zb) {
        int ldc = n + 2;
        int[] c = new int[m * ldc + 1];
        Arrays.fill(c, 0x5A5A5A5A);
        gemm.gemm(m, n, k, a, 0, k, au, za, b, 0, n, bu, zb, c, 1, ldc);
        int[] want = reference(m, n, k, a, 0, k, au, za, b, 0, n, bu, zb);
        String what = gemm.getClass().getSimpleName() + " " + m + "x" + n + "x" + k + (au ? " u8" : " s8") + "-" + za
                + (bu ? " u8" : " s8") + "-" + Arrays.toString(zb);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                assertEquals(want[i * n + j], c[1 + i * ldc + j], what + " at (" + i + ", " + j + ")");
            }
            if (n + 2 <= ldc) {
                assertEquals(0x5A5A5A5A, c[1 + i * ldc + n], what + ": wrote outside C");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("io.t2c.tensor.kernel.Ref#both")
    void edgeSizes(Kernels kernels) {
        Random r = new Random(10);
        int lanes = Ref.lanes();
        for (int m : new int[] {0, 1, 5, 6, 7}) {
            for (int n : new int[] {0, 1, lanes - 1, lanes + 1, 2 * lanes - 1, 2 * lanes, 2 * lanes + 1}) {
                for (int k : new int[] {0, 1, 7, lanes + 1}) {
                    checkOne(kernels.gemmS8(), r, m, n, k, Ref.randomBytes(r, m * k), Ref.randomBytes(r, k * n),
                            false, 0, false, null);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("io.t2c.tensor.kernel.Ref#both")
    void randomShapesSignednessAndZeroPoints(Kernels kernels) {
        Random r = new Random(11);
        for (int it = 0; it < 30; it++) {
            int m = 1 + r.nextInt(40);
            int n = 1 + r.nextInt(80);
            int k = 1 + r.nextInt(it < 25 ? 100 : 400);
            boolean au = r.nextBoolean();
            boolean bu = r.nextBoolean();
            int za = r.nextInt(384) - 128;
            int[] zb = switch (it % 3) {
                case 0 -> null;
                case 1 -> new int[] {r.nextInt(384) - 128};
                default -> r.ints(n, -128, 256).toArray();
            };
            checkOne(kernels.gemmS8(), r, m, n, k, Ref.randomBytes(r, m * k), Ref.randomBytes(r, k * n), au, za, bu,
                    zb);
        }
    }

    /**
     * Boundary fills at depths past the float-exactness chunk (1024 for s8×s8, ~114 with extreme zero points):
     * a missing or wrong chunking shows up as an off-by-some sum.
     */
    @ParameterizedTest
    @MethodSource("io.t2c.tensor.kernel.Ref#both")
    void boundaryFillsAreExact(Kernels kernels) {
        Random r = new Random(12);
        byte[][] fills = {{-128}, {127}, {-128, 127}};
        for (byte[] fa : fills) {
            for (byte[] fb : fills) {
                int m = 7;
                int n = 2 * Ref.lanes() + 3;
                int k = 2100;
                byte[] a = new byte[m * k];
                byte[] b = new byte[k * n];
                for (int i = 0; i < a.length; i++) {
                    a[i] = fa[fa.length == 1 ? 0 : r.nextInt(2)];
                }
                for (int i = 0; i < b.length; i++) {
                    b[i] = fb[fb.length == 1 ? 0 : r.nextInt(2)];
                }
                checkOne(kernels.gemmS8(), r, m, n, k, a, b, false, 0, false, null);
                // Largest magnitudes allowed: 255 − (−128) = 383 on both sides.
                checkOne(kernels.gemmS8(), r, m, n, 300, a, b, true, -128, true, new int[] {-128});
            }
        }
    }

    /** Sums past 2^31 wrap like int arithmetic, identically in every implementation. */
    @ParameterizedTest
    @MethodSource("io.t2c.tensor.kernel.Ref#both")
    void overflowWrapsModulo2To32(Kernels kernels) {
        int k = 140_000;
        byte[] a = new byte[k];
        byte[] b = new byte[k];
        Arrays.fill(a, (byte) -128);
        Arrays.fill(b, (byte) -128);
        int[] c = new int[1];
        kernels.gemmS8().gemm(1, 1, k, a, 0, k, b, 0, 1, c, 0, 1);
        assertEquals((int) (16384L * k), c[0]);
    }

    @ParameterizedTest
    @MethodSource("io.t2c.tensor.kernel.Ref#both")
    void largeEnoughToSplitOverThreads(Kernels kernels) {
        Random r = new Random(13);
        int m = 70;
        int n = 150;
        int k = 160;
        byte[] a = Ref.randomBytes(r, m * k);
        byte[] b = Ref.randomBytes(r, k * n);
        int[] c = new int[m * n];
        Ref.threaded(() -> kernels.gemmS8().gemm(m, n, k, a, 0, k, b, 0, n, c, 0, n));
        assertArrayEquals(reference(m, n, k, a, 0, k, false, 0, b, 0, n, false, null), c);
    }

    @ParameterizedTest
    @MethodSource("io.t2c.tensor.kernel.Ref#both")
    void badZeroPointsAreRejected(Kernels kernels) {
        int[] c = new int[1];
        assertThrows(IllegalArgumentException.class, () -> kernels.gemmS8()
                .gemm(1, 1, 1, new byte[1], 0, 1, false, 300, new byte[1], 0, 1, false, null, c, 0, 1));
        int[] c2 = new int[2];
        assertThrows(IllegalArgumentException.class, () -> kernels.gemmS8()
                .gemm(1, 2, 1, new byte[1], 0, 1, false, 0, new byte[2], 0, 2, false, new int[3], c2, 0, 2));
    }
}
