package io.t2c.io.data;

import static io.t2c.io.data.DataFixtures.assertFails;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.t2c.io.tensorfile.Npy;
import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class NpyPairTest {
    @TempDir
    Path tmp;

    private Path npy(String name, Tensor t) {
        Path p = tmp.resolve(name);
        Npy.write(p, t);
        return p;
    }

    @Test
    void floatImagesPassThroughUnchanged() {
        float[] v = new float[2 * 3 * 2 * 2];
        for (int i = 0; i < v.length; i++) {
            v[i] = i * 0.5f - 3;
        }
        Path x = npy("x.npy", Tensor.of(v, 2, 3, 2, 2));
        Path y = npy("y.npy", Tensor.ofLongs(new long[] {4, 1}, 2));
        InMemoryDataset d = NpyPair.read(x, y);
        assertEquals(2, d.size());
        assertEquals(5, d.numClasses());
        assertArrayEquals(new int[] {3, 2, 2}, d.sampleShape());
        Batch b = d.batch(new int[] {1, 0});
        assertArrayEquals(new long[] {1, 4}, b.labels().longs());
        float[] got = b.images().floats();
        for (int i = 0; i < 12; i++) {
            assertEquals(v[12 + i], got[i], 0f);
            assertEquals(v[i], got[12 + i], 0f);
        }
    }

    @Test
    void uint8ImagesOfRankThreeAreScaledAndUnlabeledWithoutY() {
        byte[] px = {0, (byte) 255, 51, 102, 1, 2, 3, 4};
        Path x = npy("x.npy", Tensor.ofBytes(DType.UINT8, px, 2, 2, 2));
        InMemoryDataset d = NpyPair.read(x, null);
        assertArrayEquals(new int[] {1, 2, 2}, d.sampleShape());
        assertEquals(0, d.numClasses());
        Batch b = d.batch(0, 2);
        assertArrayEquals(new long[] {-1, -1}, b.labels().longs());
        assertEquals(1f, b.images().floats()[1], 0f);
        assertEquals(0.2f, b.images().floats()[2], 0f);
        // int32 labels shaped [N, 1] are fine too
        Path y = npy("y.npy", Tensor.ofInts(new int[] {0, 2}, 2, 1));
        assertEquals(3, NpyPair.read(x, y).numClasses());
    }

    @Test
    void hostilePairs() {
        Path x = npy("x.npy", Tensor.zeros(DType.FLOAT32, 3, 1, 2, 2));
        Path y2 = npy("y2.npy", Tensor.ofLongs(new long[] {0, 1}, 2));
        assertFails(() -> NpyPair.read(x, y2), y2.toString(), x.toString(), "2 labels", "3 images");
        Path yf = npy("yf.npy", Tensor.of(new float[] {0, 1, 2}, 3));
        assertFails(() -> NpyPair.read(x, yf), yf.toString(), "integers");
        Path yneg = npy("yneg.npy", Tensor.ofLongs(new long[] {0, -1, 2}, 3));
        assertFails(() -> NpyPair.read(x, yneg), yneg.toString(), "label -1 at index 1");
        Path x2 = npy("x2.npy", Tensor.zeros(DType.FLOAT32, 3, 4));
        assertFails(() -> NpyPair.read(x2, null), x2.toString(), "[N, C, H, W] or [N, H, W]");
        Path xi = npy("xi.npy", Tensor.zeros(DType.INT32, 3, 2, 2));
        assertFails(() -> NpyPair.read(xi, null), xi.toString(), "float32 or uint8");
        Path missing = tmp.resolve("missing.npy");
        assertFails(() -> NpyPair.read(missing, null), missing.toString(), "no such file");
    }
}
