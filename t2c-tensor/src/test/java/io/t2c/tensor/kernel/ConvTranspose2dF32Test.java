package io.t2c.tensor.kernel;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ConvTranspose2dF32Test {

    static void checkOne(ConvTranspose2dF32 conv, Random r, ConvTranspose2dParams p, boolean withBias) {
        float[] x = Ref.randomFloats(r, (int) p.inputSize());
        float[] w = Ref.randomFloats(r, (int) p.weightSize());
        float[] bias = withBias ? Ref.randomFloats(r, p.outChannels()) : null;
        float[] y = Ref.randomFloats(r, (int) p.outputSize());
        conv.convTranspose2d(p, x, w, bias, y);
        double[][] want = Ref.convTranspose2d(p, x, w, bias);
        int depth = p.groupInChannels() * p.kernelH() * p.kernelW();
        Ref.assertClose(conv.getClass().getSimpleName() + " " + p + (withBias ? " +bias" : ""), want[0], want[1],
                depth, i -> y[i]);
    }

    @ParameterizedTest
    @MethodSource("io.t2c.tensor.kernel.Ref#both")
    void namedCases(Kernels kernels) {
        ConvTranspose2dF32 conv = kernels.convTranspose2dF32();
        Random r = new Random(30);
        // Upsampling 2×: kernel 4 stride 2 pad 1, and kernel 2 stride 2.
        checkOne(conv, r, new ConvTranspose2dParams(1, 6, 5, 7, 4, 4, 4, 2, 2, 1, 1, 1, 1, 0, 0, 1, 1, 1), true);
        checkOne(conv, r, new ConvTranspose2dParams(2, 3, 4, 4, 5, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 1, 1, 1), false);
        // Output padding, asymmetric pads, dilation, groups.
        checkOne(conv, r, new ConvTranspose2dParams(1, 4, 5, 6, 6, 3, 3, 2, 3, 1, 0, 2, 1, 1, 2, 1, 1, 2), true);
        checkOne(conv, r, new ConvTranspose2dParams(1, 4, 6, 5, 4, 3, 2, 1, 2, 0, 1, 1, 0, 0, 1, 2, 2, 4), true);
        // Stride 1 (vector col2im path) with width around vector multiples.
        for (int w : new int[] {Ref.lanes() - 3, Ref.lanes() + 5}) {
            checkOne(conv, r, new ConvTranspose2dParams(1, 3, 3, w, 5, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1), true);
        }
        // 1-D.
        checkOne(conv, r, new ConvTranspose2dParams(2, 4, 1, 20, 3, 1, 5, 1, 2, 0, 2, 0, 1, 0, 1, 1, 1, 1), true);
        // Threaded GEMM and col2im; and (image, group) pairs split over threads.
        Ref.threaded(() -> {
            checkOne(conv, r, new ConvTranspose2dParams(1, 32, 12, 12, 16, 4, 4, 2, 2, 1, 1, 1, 1, 0, 0, 1, 1, 1), true);
            checkOne(conv, r, new ConvTranspose2dParams(4, 8, 5, 5, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 2), true);
        });
    }

    @ParameterizedTest
    @MethodSource("io.t2c.tensor.kernel.Ref#both")
    void randomShapes(Kernels kernels) {
        Random r = new Random(31);
        for (int it = 0; it < 30; it++) {
            int groups = 1 + r.nextInt(3);
            int c = groups * (1 + r.nextInt(4));
            int oc = groups * (1 + r.nextInt(4));
            int kh = 1 + r.nextInt(4);
            int kw = 1 + r.nextInt(4);
            int sh = 1 + r.nextInt(3);
            int sw = 1 + r.nextInt(3);
            int dh = 1 + r.nextInt(2);
            int dw = 1 + r.nextInt(2);
            int oph = r.nextInt(Math.max(sh, dh));
            int opw = r.nextInt(Math.max(sw, dw));
            int h = 1 + r.nextInt(8);
            int w = 1 + r.nextInt(20);
            int fullH = sh * (h - 1) + oph + (kh - 1) * dh + 1;
            int fullW = sw * (w - 1) + opw + (kw - 1) * dw + 1;
            int pt = r.nextInt(Math.min(3, fullH));
            int pb = r.nextInt(Math.min(3, fullH - pt));
            int pl = r.nextInt(Math.min(3, fullW));
            int pr = r.nextInt(Math.min(3, fullW - pl));
            ConvTranspose2dParams p = new ConvTranspose2dParams(1 + r.nextInt(2), c, h, w, oc, kh, kw, sh, sw, pt,
                    pl, pb, pr, oph, opw, dh, dw, groups);
            checkOne(kernels.convTranspose2dF32(), r, p, r.nextBoolean());
        }
    }
}
