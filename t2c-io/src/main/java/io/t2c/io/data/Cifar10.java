package io.t2c.io.data;

import io.t2c.tensor.T2cException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * CIFAR-10 in its binary version ({@code cifar-10-binary.tar.gz}): {@code data_batch_1.bin .. data_batch_5.bin}
 * (training, 50,000 images) and {@code test_batch.bin} (10,000). Each file is a sequence of 3073-byte records: one
 * label byte (0–9), then 1024 red, 1024 green and 1024 blue bytes of a 32×32 image, row-major, which is already
 * the {@code [3, 32, 32]} CHW layout. Normalized with {@link Normalization#CIFAR10}.
 */
public final class Cifar10 {
    public static final int RECORD_BYTES = 1 + 3 * 32 * 32;
    public static final List<String> CLASSES = List.of("airplane", "automobile", "bird", "cat", "deer", "dog",
            "frog", "horse", "ship", "truck");
    private static final String LAYOUT = " (expected CIFAR-10 binary: data_batch_1.bin .. data_batch_5.bin and"
            + " test_batch.bin, as unpacked from cifar-10-binary.tar.gz)";

    private Cifar10() {}

    /** The batch files of a split, in order; {@code dir} may also be the folder holding {@code cifar-10-batches-bin}. */
    public static List<Path> files(Path dir, boolean train) {
        DataFiles.requireDir(dir, LAYOUT);
        Path d = Files.isDirectory(dir.resolve("cifar-10-batches-bin")) ? dir.resolve("cifar-10-batches-bin") : dir;
        List<Path> files = new ArrayList<>();
        if (train) {
            for (int i = 1; i <= 5; i++) {
                files.add(d.resolve("data_batch_" + i + ".bin"));
            }
        } else {
            files.add(d.resolve("test_batch.bin"));
        }
        List<String> missing = new ArrayList<>();
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                missing.add(f.getFileName().toString());
            }
        }
        if (!missing.isEmpty()) {
            throw DataFiles.error(d, "missing " + String.join(", ", missing) + LAYOUT);
        }
        return files;
    }

    /** Reads the training or test split from {@code dir}. */
    public static InMemoryDataset read(Path dir, boolean train) {
        return read(files(dir, train), "cifar10:" + (train ? "train" : "test"));
    }

    /** Reads the given batch files, in order, into one dataset. */
    public static InMemoryDataset read(List<Path> files, String name) {
        long total = 0;
        for (Path f : files) {
            long size;
            try {
                size = Files.size(DataFiles.requireFile(f, LAYOUT));
            } catch (IOException e) {
                throw DataFiles.error(f, "cannot read: " + e, e);
            }
            if (size == 0 || size % RECORD_BYTES != 0) {
                throw DataFiles.error(f, "size " + size + " is not a positive multiple of the " + RECORD_BYTES
                        + "-byte CIFAR-10 record (label + 32x32x3); the file is truncated or not CIFAR-10 binary"
                        + (f.toString().endsWith(".gz") ? " (unpack it first)" : ""));
            }
            total += size / RECORD_BYTES;
        }
        if (total * (RECORD_BYTES - 1) > Integer.MAX_VALUE - 8) {
            throw new T2cException(files + ": " + total + " CIFAR-10 records are more than one array holds");
        }
        int n = (int) total;
        byte[] pixels = new byte[n * (RECORD_BYTES - 1)];
        int[] labels = new int[n];
        int i = 0;
        for (Path f : files) {
            try (InputStream in = Files.newInputStream(f)) {
                byte[] all = in.readAllBytes();
                if (all.length % RECORD_BYTES != 0) {
                    throw DataFiles.error(f, "changed size while being read");
                }
                for (int r = 0; r < all.length / RECORD_BYTES; r++, i++) {
                    int label = all[r * RECORD_BYTES] & 0xFF;
                    if (label >= CLASSES.size()) {
                        throw DataFiles.error(f, "record " + r + " has label " + label + ", outside 0..9; not a"
                                + " CIFAR-10 binary file (CIFAR-100's has two label bytes)");
                    }
                    labels[i] = label;
                    System.arraycopy(all, r * RECORD_BYTES + 1, pixels, i * (RECORD_BYTES - 1), RECORD_BYTES - 1);
                }
            } catch (IOException e) {
                throw DataFiles.error(f, "cannot read: " + e, e);
            }
        }
        if (i != n) {
            throw new T2cException(files + ": the files changed while being read");
        }
        return InMemoryDataset.ofBytes(name, new int[] {3, 32, 32}, pixels, labels, CLASSES.size(), CLASSES,
                Normalization.CIFAR10);
    }
}
