package io.t2c.tensor.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ConvolutionsTest {
    private final Random r = new Random(40);

    private Tensor rand(int... shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return Tensor.of(Ref.randomFloats(r, n), shape);
    }

    @Test
    void conv2dShapesAndValues() {
        Tensor x = rand(2, 4, 9, 11);
        Tensor w = rand(6, 2, 3, 3);
        Tensor b = rand(6);
        Tensor y = Convolutions.conv2d(x, w, b, new int[] {2, 1}, new int[] {1, 0, 2, 1}, new int[] {1, 2}, 2);
        Conv2dParams p = new Conv2dParams(2, 4, 9, 11, 6, 3, 3, 2, 1, 1, 0, 2, 1, 1, 2, 2);
        assertArrayEquals(new int[] {2, 6, p.outH(), p.outW()}, y.shape());
        double[][] want = Ref.conv2d(p, x.floats(), w.floats(), b.floats());
        Ref.assertClose("facade conv2d", want[0], want[1], 18, i -> y.floats()[i]);
    }

    @Test
    void conv1dIsConv2dWithHeightOne() {
        Tensor x = rand(1, 3, 30);
        Tensor w = rand(5, 3, 4);
        Tensor y = Convolutions.conv2d(x, w, null, new int[] {2}, new int[] {1, 2}, new int[] {3}, 1);
        Conv2dParams p = new Conv2dParams(1, 3, 1, 30, 5, 1, 4, 1, 2, 0, 1, 0, 2, 1, 3, 1);
        assertArrayEquals(new int[] {1, 5, p.outW()}, y.shape());
        double[][] want = Ref.conv2d(p, x.floats(), w.floats(), null);
        Ref.assertClose("facade conv1d", want[0], want[1], 12, i -> y.floats()[i]);
    }

    @Test
    void defaultsWhenAttributesAreNull() {
        Tensor y = Convolutions.conv2d(rand(1, 2, 5, 5), rand(3, 2, 3, 3), null, null, null, null, 1);
        assertArrayEquals(new int[] {1, 3, 3, 3}, y.shape());
    }

    @Test
    void convTransposeShapesAndValues() {
        Tensor x = rand(1, 4, 5, 6);
        Tensor w = rand(4, 3, 3, 4);
        Tensor b = rand(6);
        Tensor y = Convolutions.convTranspose2d(x, w, b, new int[] {2, 2}, new int[] {1, 0, 0, 2},
                new int[] {1, 1}, null, 2);
        ConvTranspose2dParams p = new ConvTranspose2dParams(1, 4, 5, 6, 6, 3, 4, 2, 2, 1, 0, 0, 2, 1, 1, 1, 1, 2);
        // ONNX: out = stride*(in-1) + output_padding + ((k-1)*dilation+1) - pad_begin - pad_end
        assertArrayEquals(new int[] {1, 6, 2 * 4 + 1 + 3 - 1, 2 * 5 + 1 + 4 - 2}, y.shape());
        double[][] want = Ref.convTranspose2d(p, x.floats(), w.floats(), b.floats());
        Ref.assertClose("facade convTranspose2d", want[0], want[1], 24, i -> y.floats()[i]);
    }

    /** Stride 1 runs as a flipped-weight conv, other strides as a transposed conv; both must give x's exact shape. */
    @Test
    void conv2dInputGradientMatchesTheScatterDefinition() {
        for (int it = 0; it < 60; it++) {
            int groups = r.nextInt(3) == 0 ? 0 : 1 + r.nextInt(3);
            int cg = 1 + r.nextInt(4);
            int c = groups == 0 ? 1 + r.nextInt(6) : cg * groups;
            if (groups == 0) {
                groups = c; // depthwise
            }
            int oc = groups * (1 + r.nextInt(groups == c ? 2 : 4));
            int kh = 1 + r.nextInt(4);
            int kw = 1 + r.nextInt(4);
            int s = it % 2 == 0 ? 1 : 1 + r.nextInt(3);
            int dh = 1 + r.nextInt(2);
            int dw = 1 + r.nextInt(2);
            int[] pads = {r.nextInt(3), r.nextInt(3), r.nextInt(3), r.nextInt(3)};
            int h = (kh - 1) * dh + 1 + r.nextInt(9);
            int w = (kw - 1) * dw + 1 + r.nextInt(20);
            Conv2dParams p = new Conv2dParams(1 + r.nextInt(3), c, h, w, oc, kh, kw, s, s, pads[0], pads[1], pads[2],
                    pads[3], dh, dw, groups);
            Tensor gy = rand(p.batch(), oc, p.outH(), p.outW());
            Tensor wt = rand(oc, c / groups, kh, kw);
            Tensor gx = Convolutions.conv2dInputGradient(gy, wt, new int[] {p.batch(), c, h, w}, new int[] {s, s},
                    pads, new int[] {dh, dw}, groups);
            assertArrayEquals(new int[] {p.batch(), c, h, w}, gx.shape());
            double[][] want = Ref.convInputGradient(p, gy.floats(), wt.floats());
            Ref.assertClose("input gradient " + p, want[0], want[1], oc * kh * kw, i -> gx.floats()[i]);
        }
        // 1-D: rank 3 with pads [begin, end].
        Conv2dParams p = new Conv2dParams(2, 4, 1, 17, 6, 1, 3, 1, 1, 0, 2, 0, 1, 1, 1, 2);
        Tensor gy = rand(2, 6, p.outW());
        Tensor wt = rand(6, 2, 3);
        Tensor gx = Convolutions.conv2dInputGradient(gy, wt, new int[] {2, 4, 17}, null, new int[] {2, 1}, null, 2);
        assertArrayEquals(new int[] {2, 4, 17}, gx.shape());
        double[][] want = Ref.convInputGradient(p, gy.floats(), wt.floats());
        Ref.assertClose("1-D input gradient", want[0], want[1], 18, i -> gx.floats()[i]);
    }

    @Test
    void channelMismatchNamesBothShapes() {
        T2cException e = assertThrows(T2cException.class,
                () -> Convolutions.conv2d(rand(1, 3, 8, 8), rand(4, 4, 3, 3), null, null, null, null, 1));
        assertTrue(e.getMessage().contains("[1, 3, 8, 8]") && e.getMessage().contains("[4, 4, 3, 3]"), e.getMessage());
        e = assertThrows(T2cException.class,
                () -> Convolutions.convTranspose2d(rand(1, 3, 8, 8), rand(4, 4, 3, 3), null, null, null, null, null, 1));
        assertTrue(e.getMessage().contains("[1, 3, 8, 8]") && e.getMessage().contains("[4, 4, 3, 3]"), e.getMessage());
        e = assertThrows(T2cException.class,
                () -> Convolutions.conv2d(rand(1, 4, 8, 8), rand(4, 4, 3, 3), rand(5), null, null, null, 1));
        assertTrue(e.getMessage().contains("[5]"), e.getMessage());
        e = assertThrows(T2cException.class,
                () -> Convolutions.conv2d(rand(1, 4, 2, 2), rand(4, 4, 3, 3), null, null, null, null, 1));
        assertTrue(e.getMessage().contains("does not fit"), e.getMessage());
        assertThrows(T2cException.class,
                () -> Convolutions.conv2d(rand(1, 4, 8, 8), rand(4, 4, 3, 3), null, new int[] {1}, null, null, 1));
    }
}
