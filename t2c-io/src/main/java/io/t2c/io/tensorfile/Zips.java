package io.t2c.io.tensorfile;

import io.t2c.tensor.T2cException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/** Checks on zip entries (npz and torch archives) that must hold before an entry's declared size is trusted. */
final class Zips {
    /** Deflate cannot expand data more than about 1032 to 1; a larger claim is a corrupt or hostile archive. */
    private static final long MAX_DEFLATE_RATIO = 1032;

    private Zips() {}

    /**
     * Returns the entry's uncompressed size after checking it is known and plausible: a stored entry must fit in the
     * archive file, a compressed one must not claim more than deflate can produce from its compressed bytes.
     */
    static long checkedSize(ZipEntry e, long archiveSize) {
        long size = e.getSize();
        long packed = e.getCompressedSize();
        if (size < 0 || packed < 0) {
            throw new T2cException("zip entry " + e.getName() + " has no recorded size");
        }
        boolean stored = e.getMethod() == ZipEntry.STORED;
        boolean implausible = stored ? size != packed : size > packed * MAX_DEFLATE_RATIO + 1024;
        if (packed > archiveSize || implausible) {
            throw new T2cException("zip entry " + e.getName() + " claims " + size + " bytes (" + packed
                    + " compressed) in an archive of " + archiveSize + " bytes; the archive is corrupt");
        }
        return size;
    }

    /** Reads part of an entry. */
    interface Reader<T> {
        T read(InputStream in) throws IOException;
    }

    /**
     * Reads an entry with {@code reader}, then checks the CRC-32 of the whole entry: {@link ZipFile} does not, and a
     * flipped bit in a weight would otherwise go unnoticed.
     */
    static <T> T read(ZipFile zip, ZipEntry e, Reader<T> reader) throws IOException {
        try (CheckedInputStream in = new CheckedInputStream(zip.getInputStream(e), new CRC32())) {
            T value = reader.read(in);
            in.transferTo(OutputStream.nullOutputStream());
            if (e.getCrc() != -1 && in.getChecksum().getValue() != e.getCrc()) {
                throw new ZipException("CRC-32 mismatch in entry " + e.getName() + ": the archive is corrupt");
            }
            return value;
        }
    }
}
