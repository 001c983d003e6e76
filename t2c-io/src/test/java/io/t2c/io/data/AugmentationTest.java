package io.t2c.io.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.t2c.tensor.Tensor;
import java.util.Arrays;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class AugmentationTest {
    /** {@code n} images of {@code c x h x w} with distinct values (index + 1), labels 0..n-1. */
    private static Batch batch(int n, int c, int h, int w) {
        float[] v = new float[n * c * h * w];
        for (int i = 0; i < v.length; i++) {
            v[i] = i + 1;
        }
        long[] l = new long[n];
        for (int i = 0; i < n; i++) {
            l[i] = i;
        }
        return new Batch(Tensor.of(v, n, c, h, w), Tensor.ofLongs(l, n));
    }

    @Test
    void sameSeedSameBatchAndTheInputIsUntouched() {
        Batch in = batch(16, 3, 8, 8);
        float[] before = in.images().floats().clone();
        Augmentation aug = Augmentation.cropAndFlip(4);
        Batch a = aug.apply(in, new SplittableRandom(42));
        Batch b = aug.apply(in, new SplittableRandom(42));
        Batch c = aug.apply(in, new SplittableRandom(43));
        assertArrayEquals(a.images().floats(), b.images().floats());
        assertFalse(Arrays.equals(a.images().floats(), c.images().floats()));
        assertArrayEquals(before, in.images().floats());
        assertSame(in.labels(), a.labels());
        assertArrayEquals(in.images().shape(), a.images().shape());
        // java.util.Random works as well, and is just as deterministic
        assertArrayEquals(aug.apply(in, new Random(5)).images().floats(), aug.apply(in, new Random(5)).images().floats());
    }

    @Test
    void flipMirrorsEachRow() {
        Batch in = batch(2, 2, 3, 4);
        float[] x = in.images().floats();
        float[] f = Augmentation.horizontalFlip(1).apply(in, new SplittableRandom(1)).images().floats();
        for (int row = 0; row < 2 * 2 * 3; row++) {
            for (int col = 0; col < 4; col++) {
                assertEquals(x[row * 4 + 3 - col], f[row * 4 + col], 0f);
            }
        }
        assertArrayEquals(x, Augmentation.horizontalFlip(0).apply(in, new SplittableRandom(1)).images().floats());
        Batch twice = Augmentation.horizontalFlip(1).andThen(Augmentation.horizontalFlip(1))
                .apply(in, new SplittableRandom(1));
        assertArrayEquals(x, twice.images().floats());
    }

    @Test
    void flipHappensAboutHalfTheTime() {
        Batch in = batch(2000, 1, 1, 2);
        float[] f = Augmentation.horizontalFlip(0.5).apply(in, new SplittableRandom(3)).images().floats();
        int flipped = 0;
        for (int i = 0; i < 2000; i++) {
            flipped += f[2 * i] > f[2 * i + 1] ? 1 : 0;
        }
        assertEquals(1000, flipped, 100);
    }

    @Test
    void cropShiftsWithZeroPaddingAndKeepsTheShape() {
        int pad = 4;
        Batch in = batch(8, 2, 6, 5);
        float[] x = in.images().floats();
        float[] fill = {-7, -9};
        for (float[] f : new float[][] {null, fill}) {
            Batch out = Augmentation.randomCrop(pad, f).apply(in, new SplittableRandom(9));
            assertArrayEquals(new int[] {8, 2, 6, 5}, out.images().shape());
            float[] y = out.images().floats();
            // replay the documented draws: per image, row offset then column offset
            SplittableRandom replay = new SplittableRandom(9);
            boolean padded = false;
            for (int i = 0; i < 8; i++) {
                int dy = replay.nextInt(2 * pad + 1) - pad;
                int dx = replay.nextInt(2 * pad + 1) - pad;
                for (int c = 0; c < 2; c++) {
                    for (int r = 0; r < 6; r++) {
                        for (int col = 0; col < 5; col++) {
                            int sr = r + dy;
                            int sc = col + dx;
                            boolean inside = sr >= 0 && sr < 6 && sc >= 0 && sc < 5;
                            padded |= !inside;
                            float expected = inside ? x[((i * 2 + c) * 6 + sr) * 5 + sc] : f == null ? 0 : f[c];
                            assertEquals(expected, y[((i * 2 + c) * 6 + r) * 5 + col], 0f);
                        }
                    }
                }
            }
            assertEquals(true, padded);
        }
        assertArrayEquals(x, Augmentation.randomCrop(0).apply(in, new SplittableRandom(1)).images().floats());
    }

    @Test
    void blackFillIsTheNormalizedZero() {
        float[] black = Normalization.CIFAR10.black(3);
        assertEquals((float) (-0.4914 / 0.2470), black[0], 0f);
        assertEquals((float) (-0.4465 / 0.2616), black[2], 0f);
    }
}
