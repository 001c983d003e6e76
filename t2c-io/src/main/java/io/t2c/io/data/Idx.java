package io.t2c.io.data;

import io.t2c.tensor.T2cException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

/**
 * IDX files, the format of MNIST and Fashion-MNIST: an image file (magic {@code 0x00000803}: unsigned bytes, 3
 * dimensions {@code N, rows, cols}) and a label file (magic {@code 0x00000801}: unsigned bytes, 1 dimension
 * {@code N}), big-endian header, gzipped or not (recognised by content, not name). The counts must agree, the data
 * must be exactly as long as declared, and every label must be below the class count; the declared size is checked
 * against the file's size before anything is allocated.
 */
public final class Idx {
    public static final int IMAGES_MAGIC = 0x803;
    public static final int LABELS_MAGIC = 0x801;
    /** Neither MNIST-like images nor anything else sensible is larger than this per side. */
    private static final int MAX_SIDE = 1 << 14;

    private Idx() {}

    /**
     * Reads an image file and its label file into a dataset of {@code [1, rows, cols]} uint8 samples.
     *
     * @param classNames names for labels {@code 0 .. classNames.size()-1}; labels must be below its size
     */
    public static InMemoryDataset read(Path images, Path labels, String name, List<String> classNames,
            Normalization normalization) {
        DataFiles.requireFile(images, "");
        DataFiles.requireFile(labels, "");
        // Both headers are checked before either file's data is read or allocated.
        try (InputStream imgIn = DataFiles.open(images); InputStream labIn = DataFiles.open(labels)) {
            checkMagic(images, readInt(imgIn, images), IMAGES_MAGIC, "images");
            ByteBuffer h = ByteBuffer.wrap(DataFiles.readExactly(imgIn, 12, images, "IDX header"));
            int n = h.getInt();
            int rows = h.getInt();
            int cols = h.getInt();
            if (rows <= 0 || cols <= 0 || rows > MAX_SIDE || cols > MAX_SIDE) {
                throw DataFiles.error(images, "the header declares images of " + rows + "x" + cols
                        + "; the file is corrupt");
            }
            int pixelBytes = DataFiles.checkDeclared(images, n, (long) rows * cols, 16,
                    "images of " + rows + "x" + cols);
            checkMagic(labels, readInt(labIn, labels), LABELS_MAGIC, "labels");
            int m = readInt(labIn, labels);
            if (m != n) {
                throw new T2cException(labels + ": holds " + m + " labels but " + images + " holds " + n
                        + " images; the counts must agree (are the files from the same split?)");
            }
            DataFiles.checkDeclared(labels, m, 1, 8, "labels");

            byte[] pixels = DataFiles.readExactly(imgIn, pixelBytes, images, "image data");
            DataFiles.expectEnd(imgIn, images, n + " images");
            byte[] raw = DataFiles.readExactly(labIn, n, labels, "label data");
            DataFiles.expectEnd(labIn, labels, n + " labels");
            int[] lab = new int[n];
            for (int i = 0; i < n; i++) {
                lab[i] = raw[i] & 0xFF;
                if (lab[i] >= classNames.size()) {
                    throw DataFiles.error(labels, "label " + lab[i] + " of sample " + i + " is outside 0.."
                            + (classNames.size() - 1));
                }
            }
            return InMemoryDataset.ofBytes(name, new int[] {1, rows, cols}, pixels, lab, classNames.size(),
                    classNames, normalization);
        } catch (IOException e) {
            throw new T2cException(images + ", " + labels + ": cannot read: " + e, e);
        }
    }

    private static int readInt(InputStream in, Path file) {
        return ByteBuffer.wrap(DataFiles.readExactly(in, 4, file, "IDX header")).getInt();
    }

    private static void checkMagic(Path file, int magic, int expected, String what) {
        if (magic == expected) {
            return;
        }
        String hint = magic == IMAGES_MAGIC ? " (this is an IDX image file; are images and labels swapped?)"
                : magic == LABELS_MAGIC ? " (this is an IDX label file; are images and labels swapped?)"
                : (magic >>> 16) == 0 ? String.format(" (an IDX file of element type 0x%02X with %d dimensions;"
                        + " %s are unsigned bytes, type 0x08, with %d)", magic >>> 8 & 0xFF, magic & 0xFF, what,
                        expected & 0xFF)
                : "";
        throw DataFiles.error(file, String.format("not an IDX %s file: magic 0x%08X, expected 0x%08X%s", what, magic,
                expected, hint));
    }
}
