package io.t2c.io.data;

import static io.t2c.io.data.DataFixtures.assertFails;
import static io.t2c.io.data.DataFixtures.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.t2c.io.tensorfile.Npy;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.IntBinaryOperator;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class ImageFolderTest {
    @TempDir
    Path tmp;

    private static Path png(Path file, int w, int h, int type, IntBinaryOperator argb) {
        BufferedImage img = new BufferedImage(w, h, type);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, argb.applyAsInt(x, y));
            }
        }
        return writeImage(file, img);
    }

    private static Path writeImage(Path file, BufferedImage img) {
        try {
            Files.createDirectories(file.getParent());
            ImageIO.write(img, "png", file.toFile());
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int rgb(int r, int g, int b) {
        return 0xFF000000 | r << 16 | g << 8 | b;
    }

    private static float imagenet(int c, int v) {
        return Normalization.IMAGENET.apply(c, v / 255.0);
    }

    @Test
    void resizesCropsAndNormalizesAsComputedByHand() {
        // zebra/ sorts after ant/, so ant = 0, zebra = 1.
        // ant/a1.png: 8 wide, 4 tall, red = 16x, green = 255 - 16x, blue = 100, the same in every row.
        png(tmp.resolve("ant/a1.png"), 8, 4, BufferedImage.TYPE_INT_RGB, (x, y) -> rgb(16 * x, 255 - 16 * x, 100));
        // ant/a2.png: 3x3 grayscale 77 (replicated to RGB, not gamma-converted)
        BufferedImage gray = new BufferedImage(3, 3, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 3; x++) {
                gray.getRaster().setSample(x, y, 0, 77);
            }
        }
        writeImage(tmp.resolve("ant/sub/a2.png"), gray);
        // zebra/z1.png: the transpose of a1, 4 wide, 8 tall, red = 16y
        png(tmp.resolve("zebra/z1.png"), 4, 8, BufferedImage.TYPE_INT_RGB, (x, y) -> rgb(16 * y, 255 - 16 * y, 100));
        // zebra/z2.png: translucent (10, 20, 30); alpha is dropped
        png(tmp.resolve("zebra/z2.png"), 5, 5, BufferedImage.TYPE_INT_ARGB, (x, y) -> 0x800A141E);
        write(tmp.resolve("zebra/notes.txt"), new byte[] {1});
        write(tmp.resolve("zebra/.hidden.png"), new byte[] {1});
        write(tmp.resolve(".cache/x.png"), new byte[] {1});

        ImageFolder d = ImageFolder.open(tmp, 2, 2);
        assertEquals(List.of("ant", "zebra"), d.classNames());
        assertEquals(4, d.size());
        assertArrayEquals(new int[] {3, 2, 2}, d.sampleShape());
        assertEquals(tmp.resolve("ant/a1.png"), d.file(0));
        Batch b = d.batch(new int[] {0, 1, 2, 3});
        assertArrayEquals(new long[] {0, 0, 1, 1}, b.labels().longs());
        assertArrayEquals(new int[] {4, 3, 2, 2}, b.images().shape());
        float[] x = b.images().floats();

        // a1: 8x4 -> 4x2 (shorter side 4 -> 2, longer 8 * 2 / 4), then columns 1..2 (left = round((4 - 2) / 2)).
        // Shrinking by 2 widens the triangle filter to support 2: output column 1 (centre 3.0 in input
        // coordinates) takes input columns 1..4 with weights 1/8, 3/8, 3/8, 1/8; column 2 takes 3..6.
        // red: 16 * (1 + 2*3 + 3*3 + 4) / 8 = 40 and 16 * (3 + 4*3 + 5*3 + 6) / 8 = 72; rows are constant.
        int[][] a1 = {{40, 72}, {215, 183}, {100, 100}};
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 2; y++) {
                for (int xx = 0; xx < 2; xx++) {
                    assertEquals(imagenet(c, a1[c][xx]), x[(0 * 3 + c) * 4 + y * 2 + xx], 0f, "a1 c" + c);
                    // z1 is the transpose: rows 1..2 of 2x4
                    assertEquals(imagenet(c, a1[c][y]), x[(2 * 3 + c) * 4 + y * 2 + xx], 0f, "z1 c" + c);
                }
            }
        }
        int[] z2 = {10, 20, 30};
        for (int c = 0; c < 3; c++) {
            for (int p = 0; p < 4; p++) {
                assertEquals(imagenet(c, 77), x[(1 * 3 + c) * 4 + p], 0f, "gray");
                assertEquals(imagenet(c, z2[c]), x[(3 * 3 + c) * 4 + p], 0f, "alpha");
            }
        }
        // imagenet() itself: (40/255 - 0.485) / 0.229
        assertEquals((float) ((40 / 255.0 - 0.485) / 0.229), imagenet(0, 40), 0f);
    }

    @Test
    void defaultsGive224AndUpscale() {
        png(tmp.resolve("a/x.png"), 30, 20, BufferedImage.TYPE_INT_RGB, (x, y) -> rgb(200, 100, 50));
        ImageFolder d = ImageFolder.open(tmp);
        Batch b = d.batch(new int[] {0});
        assertArrayEquals(new int[] {1, 3, 224, 224}, b.images().shape());
        float[] x = b.images().floats();
        int[] v = {200, 100, 50};
        for (int c = 0; c < 3; c++) {
            for (int p = 0; p < 224 * 224; p += 997) {
                assertEquals(imagenet(c, v[c]), x[c * 224 * 224 + p], 0f);
            }
        }
        assertEquals("imagefolder:" + tmp, d.name());
    }

    /**
     * Against torchvision itself: {@code Resize(20), CenterCrop(16), ToTensor(), Normalize(ImageNet)} on committed
     * PNGs (see src/test/python/make_imagefolder_fixture.py). PIL works in 22-bit fixed point exactly as this
     * reader does, so the uint8 pixels agree exactly and the floats to rounding.
     */
    @Test
    void matchesTorchvision() throws Exception {
        Path root = Path.of(ImageFolderTest.class.getResource("imagefolder/images").toURI());
        ImageFolder d = ImageFolder.open(root, 20, 16);
        assertEquals(List.of("gray", "rgb"), d.classNames());
        float[] expected = Npy.read(root.resolveSibling("expected.npy")).floats();
        float[] got = d.batch(0, d.size()).images().floats();
        assertEquals(expected.length, got.length);
        for (int i = 0; i < got.length; i++) {
            assertEquals(expected[i], got[i], 1e-5f, "element " + i);
        }
    }

    @Test
    void hostileFolders() {
        Path empty = tmp.resolve("empty");
        write(empty.resolve("loose.png"), new byte[] {1});
        assertFails(() -> ImageFolder.open(empty), empty.toString(), "no class folders");
        Path noImages = tmp.resolve("noimages");
        write(noImages.resolve("cls/readme.txt"), new byte[] {1});
        assertFails(() -> ImageFolder.open(noImages), noImages.resolve("cls").toString(), "holds no images");
        assertFails(() -> ImageFolder.open(tmp.resolve("missing")), "no such directory");
        assertFails(() -> ImageFolder.open(empty, 100, 224), "resize >= crop");

        Path broken = tmp.resolve("broken");
        Path bad = write(broken.resolve("cls/bad.png"), "not a png".getBytes());
        ImageFolder d = ImageFolder.open(broken, 8, 8);
        assertFails(() -> d.batch(new int[] {0}), bad.toString(), "javax.imageio can read");
        byte[] png = imageBytes("png");
        write(bad, java.util.Arrays.copyOf(png, png.length / 2));
        assertFails(() -> d.batch(new int[] {0}), bad.toString(), "cannot decode");

        Path truncatedJpeg = tmp.resolve("jpeg");
        byte[] jpg = imageBytes("jpg");
        Path cut = write(truncatedJpeg.resolve("cls/cut.jpg"), java.util.Arrays.copyOf(jpg, jpg.length - 20));
        assertFails(() -> ImageFolder.open(truncatedJpeg, 8, 8).batch(new int[] {0}), cut.toString(), "truncated");
        write(cut, jpg);
        assertEquals(1, ImageFolder.open(truncatedJpeg, 8, 8).batch(new int[] {0}).size());
    }

    @Test
    void refusesHugeDeclaredDimensions() throws Exception {
        // A PNG header declaring 100000 x 100000 pixels: refused from the header, nothing allocated.
        byte[] png = imageBytes("png");
        java.nio.ByteBuffer.wrap(png, 16, 8).putInt(100_000).putInt(100_000);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(png, 12, 17);
        java.nio.ByteBuffer.wrap(png, 29, 4).putInt((int) crc.getValue());
        Path f = write(tmp.resolve("bomb/cls/big.png"), png);
        ImageFolder d = ImageFolder.open(tmp.resolve("bomb"), 8, 8);
        assertFails(() -> d.batch(new int[] {0}), f.toString(), "100000x100000", "refused");
    }

    /** A 40x40 image of seeded noise in the given format. */
    private static byte[] imageBytes(String format) {
        BufferedImage img = new BufferedImage(40, 40, BufferedImage.TYPE_INT_RGB);
        java.util.Random r = new java.util.Random(1);
        for (int y = 0; y < 40; y++) {
            for (int x = 0; x < 40; x++) {
                img.setRGB(x, y, r.nextInt());
            }
        }
        try {
            java.io.ByteArrayOutputStream bo = new java.io.ByteArrayOutputStream();
            ImageIO.write(img, format, bo);
            return bo.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
