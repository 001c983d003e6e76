package io.t2c.io.data;

import static io.t2c.io.data.DataFixtures.assertFails;
import static io.t2c.io.data.DataFixtures.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class Cifar10Test {
    @TempDir
    Path tmp;

    /** {@code n} records: label (first + i) % 10; red plane = i, green = 100 + i, blue = 200 + pixel index % 50. */
    private static byte[] records(int n, int first) {
        byte[] b = new byte[n * Cifar10.RECORD_BYTES];
        for (int i = 0; i < n; i++) {
            int o = i * Cifar10.RECORD_BYTES;
            b[o] = (byte) ((first + i) % 10);
            for (int p = 0; p < 1024; p++) {
                b[o + 1 + p] = (byte) i;
                b[o + 1 + 1024 + p] = (byte) (100 + i);
                b[o + 1 + 2048 + p] = (byte) (200 + p % 50);
            }
        }
        return b;
    }

    @Test
    void readsTestAndTrainSplits() {
        Path dir = tmp.resolve("cifar-10-batches-bin");
        write(dir.resolve("test_batch.bin"), records(3, 7));
        for (int k = 1; k <= 5; k++) {
            write(dir.resolve("data_batch_" + k + ".bin"), records(2, k));
        }
        // the parent folder works too
        InMemoryDataset test = Cifar10.read(tmp, false);
        assertEquals(3, test.size());
        assertEquals("cifar10:test", test.name());
        assertArrayEquals(new int[] {3, 32, 32}, test.sampleShape());
        assertEquals(10, test.numClasses());
        assertEquals("truck", test.classNames().get(9));
        Batch b = test.batch(new int[] {2});
        assertArrayEquals(new long[] {9}, b.labels().longs());
        float[] x = b.images().floats();
        assertEquals((float) ((2 / 255.0 - 0.4914) / 0.2470), x[0], 0f);
        assertEquals((float) ((102 / 255.0 - 0.4822) / 0.2435), x[1024 + 5], 0f);
        assertEquals((float) ((207 / 255.0 - 0.4465) / 0.2616), x[2048 + 57], 0f);

        InMemoryDataset train = Cifar10.read(dir, true);
        assertEquals(10, train.size());
        long[] labels = train.batch(0, 10).labels().longs();
        assertArrayEquals(new long[] {1, 2, 2, 3, 3, 4, 4, 5, 5, 6}, labels);
    }

    @Test
    void hostileFiles() throws Exception {
        Path odd = write(tmp.resolve("test_batch.bin"), Arrays.copyOf(records(2, 0), 2 * 3073 - 100));
        assertFails(() -> Cifar10.read(tmp, false), odd.toString(), "not a positive multiple of the 3073");
        write(odd, new byte[0]);
        assertFails(() -> Cifar10.read(tmp, false), odd.toString(), "size 0");
        byte[] bad = records(2, 0);
        bad[3073] = 10;
        write(odd, bad);
        assertFails(() -> Cifar10.read(tmp, false), odd.toString(), "record 1 has label 10");
        assertFails(() -> Cifar10.read(tmp, true), "missing data_batch_1.bin, data_batch_2.bin");
        Files.delete(odd);
        assertFails(() -> Cifar10.read(tmp, false), "missing test_batch.bin");
        assertFails(() -> Cifar10.read(tmp.resolve("nope"), false), "no such directory");
    }
}
