package io.t2c.io.data;

import static io.t2c.io.data.DataFixtures.assertFails;
import static io.t2c.io.data.DataFixtures.gzip;
import static io.t2c.io.data.DataFixtures.idxImages;
import static io.t2c.io.data.DataFixtures.idxLabels;
import static io.t2c.io.data.DataFixtures.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.t2c.tensor.DType;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(30)
class IdxTest {
    private static final List<String> THREE = List.of("a", "b", "c");

    @TempDir
    Path tmp;

    /** 3 images of 2x2: image i holds pixels 10i, 10i+1, 10i+2, 255; labels 2, 0, 1. */
    private Path[] tiny(boolean gz) {
        byte[] px = new byte[12];
        for (int i = 0; i < 3; i++) {
            px[4 * i] = (byte) (10 * i);
            px[4 * i + 1] = (byte) (10 * i + 1);
            px[4 * i + 2] = (byte) (10 * i + 2);
            px[4 * i + 3] = (byte) 255;
        }
        byte[] img = idxImages(3, 2, 2, px);
        byte[] lab = idxLabels(3, new byte[] {2, 0, 1});
        return new Path[] {write(tmp.resolve("img" + (gz ? ".gz" : "")), gz ? gzip(img) : img),
                write(tmp.resolve("lab" + (gz ? ".gz" : "")), gz ? gzip(lab) : lab)};
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void roundTripsRawAndGzipped(boolean gz) {
        Path[] f = tiny(gz);
        Normalization norm = Normalization.of(new double[] {0.5}, new double[] {0.25});
        InMemoryDataset d = Idx.read(f[0], f[1], "tiny", THREE, norm);
        assertEquals(3, d.size());
        assertEquals(3, d.numClasses());
        assertArrayEquals(new int[] {1, 2, 2}, d.sampleShape());
        assertEquals("tiny", d.name());
        assertEquals(THREE, d.classNames());

        Batch b = d.batch(new int[] {2, 0, 2});
        assertEquals(DType.FLOAT32, b.images().dtype());
        assertArrayEquals(new int[] {3, 1, 2, 2}, b.images().shape());
        assertEquals(DType.INT64, b.labels().dtype());
        assertArrayEquals(new long[] {1, 2, 1}, b.labels().longs());
        float[] x = b.images().floats();
        // image 2, pixel 1 = 21: (21/255 - 0.5) / 0.25
        assertEquals((float) ((21 / 255.0 - 0.5) / 0.25), x[1], 0f);
        assertEquals((float) ((255 / 255.0 - 0.5) / 0.25), x[3], 0f);
        assertEquals((float) ((0 / 255.0 - 0.5) / 0.25), x[4], 0f);
        assertArrayEquals(Arrays.copyOfRange(x, 0, 4), Arrays.copyOfRange(x, 8, 12));
    }

    @Test
    void batchOfARangeAndBadIndices() {
        Path[] f = tiny(false);
        InMemoryDataset d = Idx.read(f[0], f[1], "tiny", THREE, Normalization.NONE);
        Batch b = d.batch(1, 3);
        assertArrayEquals(new long[] {0, 1}, b.labels().longs());
        assertEquals(10 / 255f, b.images().floats()[0], 1e-7f);
        assertEquals(0, d.batch(new int[0]).size());
        org.junit.jupiter.api.Assertions.assertThrows(IndexOutOfBoundsException.class, () -> d.batch(new int[] {3}));
        org.junit.jupiter.api.Assertions.assertThrows(IndexOutOfBoundsException.class, () -> d.batch(2, 4));
    }

    // ---- hostile input ----

    @Test
    void truncatedData() {
        byte[] img = idxImages(3, 2, 2, new byte[12]);
        Path lab = write(tmp.resolve("lab"), idxLabels(3, new byte[3]));
        Path raw = write(tmp.resolve("raw"), Arrays.copyOf(img, img.length - 1));
        assertFails(() -> Idx.read(raw, lab, "t", THREE, Normalization.NONE), raw.toString(), "truncated",
                "3 images of 2x2 (12 bytes)", "only 11 bytes");
        Path gz = write(tmp.resolve("gz"), gzip(Arrays.copyOf(img, img.length - 1)));
        assertFails(() -> Idx.read(gz, lab, "t", THREE, Normalization.NONE), gz.toString(), "truncated",
                "11 of 12 bytes");
        Path header = write(tmp.resolve("header"), Arrays.copyOf(img, 10));
        assertFails(() -> Idx.read(header, lab, "t", THREE, Normalization.NONE), header.toString(),
                "ends inside the IDX header");
        // a gzip stream cut short
        byte[] z = gzip(img);
        Path cut = write(tmp.resolve("cut.gz"), Arrays.copyOf(z, z.length - 12));
        assertFails(() -> Idx.read(cut, lab, "t", THREE, Normalization.NONE), cut.toString());
    }

    @Test
    void wrongMagic() {
        Path[] f = tiny(false);
        assertFails(() -> Idx.read(f[1], f[0], "t", THREE, Normalization.NONE), f[1].toString(),
                "magic 0x00000801, expected 0x00000803", "swapped");
        byte[] floats = ByteBuffer.allocate(16 + 12 * 4).putInt(0x0D03).putInt(3).putInt(2).putInt(2).array();
        Path fl = write(tmp.resolve("floats"), floats);
        assertFails(() -> Idx.read(fl, f[1], "t", THREE, Normalization.NONE), fl.toString(), "element type 0x0D");
        Path text = write(tmp.resolve("text"), "hello, this is not IDX".getBytes());
        assertFails(() -> Idx.read(text, f[1], "t", THREE, Normalization.NONE), text.toString(), "not an IDX");
    }

    @Test
    void countsThatDisagree() {
        Path img = write(tmp.resolve("img"), idxImages(3, 2, 2, new byte[12]));
        Path lab = write(tmp.resolve("lab"), idxLabels(2, new byte[2]));
        assertFails(() -> Idx.read(img, lab, "t", THREE, Normalization.NONE), lab.toString(), img.toString(),
                "2 labels", "3 images", "must agree");
    }

    @Test
    void absurdDeclaredCountsAreRefusedBeforeAllocating() {
        Path lab = write(tmp.resolve("lab"), idxLabels(3, new byte[3]));
        // 2 billion 28x28 images: more than any array
        Path huge = write(tmp.resolve("huge"), idxImages(2_000_000_000, 28, 28, new byte[12]));
        assertFails(() -> Idx.read(huge, lab, "t", THREE, Normalization.NONE), huge.toString(), "2000000000");
        // 1 million images claimed by a 60-byte raw file, and by a tiny gzip file (bounded by the deflate ratio)
        Path lie = write(tmp.resolve("lie"), idxImages(1_000_000, 28, 28, new byte[44]));
        assertFails(() -> Idx.read(lie, lab, "t", THREE, Normalization.NONE), lie.toString(), "1000000 images",
                "only 44 bytes");
        Path lieGz = write(tmp.resolve("lie.gz"), gzip(idxImages(1_000_000, 28, 28, new byte[44])));
        assertFails(() -> Idx.read(lieGz, lab, "t", THREE, Normalization.NONE), lieGz.toString(), "gzip",
                "1000000 images");
        Path negative = write(tmp.resolve("neg"), idxImages(-5, 2, 2, new byte[0]));
        assertFails(() -> Idx.read(negative, lab, "t", THREE, Normalization.NONE), negative.toString(), "negative");
        Path side = write(tmp.resolve("side"), idxImages(1, 0, 70000, new byte[0]));
        assertFails(() -> Idx.read(side, lab, "t", THREE, Normalization.NONE), side.toString(), "0x70000");
    }

    @Test
    void extraBytesAndLabelsOutOfRange() {
        Path lab = write(tmp.resolve("lab"), idxLabels(3, new byte[] {0, 1, 2}));
        Path extra = write(tmp.resolve("extra"), idxImages(3, 2, 2, new byte[13]));
        assertFails(() -> Idx.read(extra, lab, "t", THREE, Normalization.NONE), extra.toString(), "1 bytes follow");
        Path img = write(tmp.resolve("img"), idxImages(3, 2, 2, new byte[12]));
        assertFails(() -> Idx.read(img, lab, "t", List.of("a", "b"), Normalization.NONE), lab.toString(),
                "label 2 of sample 2");
        Path missing = tmp.resolve("missing");
        assertFails(() -> Idx.read(missing, lab, "t", THREE, Normalization.NONE), missing.toString(),
                "no such file");
    }
}
