package io.t2c.io.tensorfile;

import io.t2c.tensor.T2cException;
import java.util.zip.ZipEntry;

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
        if (packed > archiveSize || (stored && size != packed) || (!stored && size > packed * MAX_DEFLATE_RATIO + 1024)) {
            throw new T2cException("zip entry " + e.getName() + " claims " + size + " bytes (" + packed
                    + " compressed) in an archive of " + archiveSize + " bytes; the archive is corrupt");
        }
        return size;
    }
}
