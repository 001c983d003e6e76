package io.t2c.io.data;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.tensor.T2cException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.function.Executable;

/** Test helpers: tiny IDX files, gzip, error assertions. */
final class DataFixtures {
    private DataFixtures() {}

    /** An IDX image file's bytes: magic 0x803, n, rows, cols, then the pixels. */
    static byte[] idxImages(int n, int rows, int cols, byte[] pixels) {
        return ByteBuffer.allocate(16 + pixels.length).putInt(Idx.IMAGES_MAGIC).putInt(n).putInt(rows).putInt(cols)
                .put(pixels).array();
    }

    /** An IDX label file's bytes: magic 0x801, n, then the labels. */
    static byte[] idxLabels(int n, byte[] labels) {
        return ByteBuffer.allocate(8 + labels.length).putInt(Idx.LABELS_MAGIC).putInt(n).put(labels).array();
    }

    static byte[] gzip(byte[] data) {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bo)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bo.toByteArray();
    }

    static Path write(Path file, byte[] data) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            return Files.write(file, data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Asserts a T2cException whose message contains every fragment. */
    static T2cException assertFails(Executable run, String... fragments) {
        T2cException e = assertThrows(T2cException.class, run);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), () -> "message lacks '" + f + "': " + e.getMessage());
        }
        return e;
    }
}
