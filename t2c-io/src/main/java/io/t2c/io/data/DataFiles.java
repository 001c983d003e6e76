package io.t2c.io.data;

import io.t2c.tensor.Shapes;
import io.t2c.tensor.T2cException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * File checks shared by the readers, in one place: opening (gzip or not), bounding what a file can hold before
 * anything is allocated, reading exactly what a header declares, and error messages that name the file.
 */
final class DataFiles {
    /**
     * Deflate cannot compress better than about 1032:1, so a gzip file of {@code s} bytes decompresses to at most
     * about {@code 1032 s}; the margin covers headers. Used to refuse absurd declared sizes before allocating.
     */
    private static final long GZIP_MAX_RATIO = 1100;
    /** A read never allocates more than this ahead of the data that actually arrived. */
    private static final int CHUNK = 1 << 22;

    private DataFiles() {}

    static T2cException error(Path file, String problem) {
        return new T2cException(file + ": " + problem);
    }

    static T2cException error(Path file, String problem, Throwable cause) {
        return new T2cException(file + ": " + problem, cause);
    }

    static Path requireFile(Path file, String hint) {
        if (!Files.isRegularFile(file)) {
            throw error(file, (Files.exists(file) ? "not a regular file" : "no such file") + hint);
        }
        return file;
    }

    static Path requireDir(Path dir, String hint) {
        if (!Files.isDirectory(dir)) {
            throw error(dir, (Files.exists(dir) ? "not a directory" : "no such directory") + hint);
        }
        return dir;
    }

    /** Whether the file starts with the gzip magic bytes 1f 8b (the name does not matter). */
    static boolean isGzip(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return in.read() == 0x1f && in.read() == 0x8b;
        } catch (IOException e) {
            throw error(file, "cannot read: " + e, e);
        }
    }

    /** An upper bound on the bytes the file holds after decompression: its size, or the gzip bound. */
    static long maxContentBytes(Path file) {
        try {
            long size = Files.size(file);
            return isGzip(file) ? size * GZIP_MAX_RATIO : size;
        } catch (IOException e) {
            throw error(file, "cannot read: " + e, e);
        }
    }

    /** Opens the file for reading, decompressing it if it is gzip. */
    static InputStream open(Path file) {
        try {
            InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
            return isGzip(file) ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw;
        } catch (IOException e) {
            throw error(file, "cannot read: " + e, e);
        }
    }

    /**
     * Checks that {@code count} records of {@code recordBytes} each (as a header declares) can be held in one array
     * and fit in what the file can hold after {@code headerBytes}; called before allocating.
     */
    static int checkDeclared(Path file, long count, long recordBytes, long headerBytes, String what) {
        if (count < 0 || recordBytes < 0) {
            throw error(file, "the header declares a negative size: " + count + " " + what);
        }
        long need = Math.multiplyHigh(count, recordBytes) != 0 ? Long.MAX_VALUE : count * recordBytes;
        if (need > Shapes.MAX_ELEMENTS) {
            throw error(file, "the header declares " + count + " " + what + " (" + need
                    + " bytes), more than one array can hold (" + Shapes.MAX_ELEMENTS + "); the file is corrupt");
        }
        long max = maxContentBytes(file) - headerBytes;
        if (need > max) {
            throw error(file, "truncated or corrupt: the header declares " + count + " " + what + " (" + need
                    + " bytes) but " + (isGzip(file) ? "a gzip file of this size holds at most about " + max
                    : "only " + Math.max(0, max)) + " bytes follow the header");
        }
        return (int) need;
    }

    /**
     * Reads exactly {@code n} bytes. Memory grows with the data that arrives (never more than one chunk ahead), so a
     * header that lies about a compressed file's size cannot make it allocate much more than the file holds.
     */
    static byte[] readExactly(InputStream in, int n, Path file, String what) {
        byte[] buf = new byte[Math.min(n, CHUNK)];
        int got = 0;
        try {
            while (got < n) {
                if (got == buf.length) {
                    buf = Arrays.copyOf(buf, (int) Math.min(n, Math.max((long) buf.length * 2, CHUNK)));
                }
                int r = in.read(buf, got, buf.length - got);
                if (r < 0) {
                    throw error(file, "truncated: the file ends inside the " + what + " (" + got + " of " + n
                            + " bytes)");
                }
                got += r;
            }
        } catch (IOException e) {
            throw error(file, "truncated or corrupt inside the " + what + ": " + e.getMessage(), e);
        }
        return buf;
    }

    /** Checks that nothing follows the declared data (a wrong count would otherwise go unnoticed). */
    static void expectEnd(InputStream in, Path file, String declared) {
        try {
            long extra = in.skip(Long.MAX_VALUE);
            while (in.read() >= 0) {
                extra += 1 + in.skip(Long.MAX_VALUE);
            }
            if (extra > 0) {
                throw error(file, extra + " bytes follow the " + declared + " the header declares; the file is"
                        + " corrupt or its header count is wrong");
            }
        } catch (IOException e) {
            throw error(file, "corrupt after the declared data: " + e.getMessage(), e);
        }
    }
}
