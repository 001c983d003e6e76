package io.t2c.io.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The real Fashion-MNIST: skipped when neither Debian's package nor the repository copy is present. */
@Timeout(30)
class FashionMnistTest {
    private static final Path DEBIAN = Path.of(Datasets.DEBIAN_FASHION_MNIST);

    private static boolean debian() {
        return Datasets.idxPair(DEBIAN, "t10k") != null && Datasets.idxPair(DEBIAN, "train") != null;
    }

    private static Path repoCopy() {
        Path root = Datasets.repoRoot();
        return root != null && Files.isDirectory(root.resolve("data/fashion-mnist")) ? root : null;
    }

    @Test
    void testSetHas1000PerClassAndThePublishedStatistics() {
        assumeTrue(debian() || repoCopy() != null, "no Fashion-MNIST (apt-get install dataset-fashion-mnist)");
        Dataset d = Datasets.open("fashion-mnist");
        assertEquals("fashion-mnist:test", d.name());
        assertEquals(10_000, d.size());
        assertArrayEquals(new int[] {1, 28, 28}, d.sampleShape());
        assertEquals(10, d.numClasses());

        Batch all = d.batch(0, d.size());
        int[] histogram = new int[10];
        for (long l : all.labels().longs()) {
            histogram[(int) l]++;
        }
        assertArrayEquals(new int[] {1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000}, histogram);

        // Normalized with the training set's mean 0.2860 and std 0.3530; the test set's own are 0.2868 / 0.3524.
        double sum = 0;
        double sq = 0;
        float[] x = all.images().floats();
        for (float v : x) {
            double raw = v * 0.3530 + 0.2860;
            sum += raw;
            sq += raw * raw;
        }
        double mean = sum / x.length;
        double std = Math.sqrt(sq / x.length - mean * mean);
        assertEquals(0.2860, mean, 0.002, "pixel mean");
        assertEquals(0.3530, std, 0.002, "pixel std");
    }

    @Test
    void repositoryCopyIsTheDebianTestSetAndTheFirst5000TrainingImages() {
        Path repo = repoCopy();
        assumeTrue(repo != null, "no data/fashion-mnist found from " + Path.of("").toAbsolutePath());
        Path noDebian = repo.resolve("no-such-debian-folder");
        Dataset test = Datasets.fashionMnist(false, noDebian, repo);
        Dataset train = Datasets.fashionMnist(true, noDebian, repo);
        assertEquals(10_000, test.size());
        assertEquals(5_000, train.size());
        assertTrue(train.name().contains("5000-image subset"), train.name());
        int[] histogram = new int[10];
        for (long l : train.batch(0, train.size()).labels().longs()) {
            histogram[(int) l]++;
        }
        assertArrayEquals(new int[] {457, 556, 504, 501, 488, 493, 493, 512, 490, 506}, histogram);

        assumeTrue(debian(), "Debian's dataset-fashion-mnist is not installed");
        Dataset debTest = Datasets.fashionMnist(false, DEBIAN, null);
        Dataset debTrain = Datasets.fashionMnist(true, DEBIAN, null);
        assertEquals(60_000, debTrain.size());
        assertBatchesEqual(debTest.batch(0, 10_000), test.batch(0, 10_000));
        assertBatchesEqual(debTrain.batch(0, 5_000), train.batch(0, 5_000));
    }

    private static void assertBatchesEqual(Batch a, Batch b) {
        assertArrayEquals(a.labels().longs(), b.labels().longs());
        assertArrayEquals(a.images().floats(), b.images().floats());
    }
}
