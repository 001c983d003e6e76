package io.t2c.convert.export;

import io.t2c.graph.Graph;
import io.t2c.io.bundle.ModelBundle;
import io.t2c.tensor.T2cException;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

/**
 * Writes an integer graph (t2c convert) as a self-contained C99 reference (docs/FORMATS.md, "C reference"): a folder
 * with {@code model.h} (the API), {@code model.c} (one function per node, constants as arrays), {@code main.c} (a
 * harness reading and writing raw little-endian float32 files), a {@code Makefile} and {@code README.txt}. The C
 * reproduces the integer executor bit for bit; {@link CCheck} compiles and compares it.
 *
 * <p>The folder is written beside the target under a temporary name and moved into place only when complete (and,
 * with a check, only when the check passed), so a failure never leaves a half-written folder. Source is streamed
 * through buffered writers: a large model's weights are never one String.
 */
public final class CExport {
    /** The files of a C reference folder. */
    public static final List<String> FILES = List.of("model.h", "model.c", "main.c", "Makefile", "README.txt");

    private CExport() {}

    /**
     * {@code written}: false when the check refused the export (nothing was moved into place); {@code ops}: count of
     * each op type written as a C function; shapes of one sample.
     */
    public record Result(Path dir, boolean written, Map<String, Integer> ops, int[] inputShape, int[] outputShape) {}

    /** Decides, given the complete temporary folder, whether it may be moved into place. */
    @FunctionalInterface
    public interface Check {
        boolean accept(Path folder) throws IOException;
    }

    /** Writes the C reference into {@code dir} (replacing a previous C reference there) without a check. */
    public static Result write(Graph integer, Path dir) {
        return write(integer, dir, folder -> true);
    }

    /**
     * Writes the C reference into a temporary folder beside {@code dir}, runs {@code check} on it, and moves it to
     * {@code dir} when the check accepts. Unsupported ops fail before anything is written.
     */
    public static Result write(Graph integer, Path dir, Check check) {
        CModel model = new CModel(integer);
        Path target = dir.toAbsolutePath();
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        if (Files.exists(target) && !isCReference(target)) {
            throw new T2cException(target + " exists and is not a C reference folder; choose another --out");
        }
        try {
            ModelBundle.deleteRecursively(tmp);
            Files.createDirectories(tmp);
            writeFiles(model, integer.name(), tmp);
            if (!check.accept(tmp)) {
                return new Result(target, false, model.ops(), model.inputShape(), model.outputShape());
            }
            if (Files.exists(target)) {
                ModelBundle.deleteRecursively(target);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            return new Result(target, true, model.ops(), model.inputShape(), model.outputShape());
        } catch (IOException | UncheckedIOException e) {
            throw new T2cException("cannot write the C reference " + target + ": " + e.getMessage(), e);
        } finally {
            try {
                ModelBundle.deleteRecursively(tmp);
            } catch (IOException ignored) {
                // best effort: a leftover temporary folder is harmless
            }
        }
    }

    /** A folder this export wrote (so replacing it cannot delete something else). */
    static boolean isCReference(Path dir) {
        return Files.isDirectory(dir) && Files.exists(dir.resolve("model.c")) && Files.exists(dir.resolve("model.h"));
    }

    private static void writeFiles(CModel model, String name, Path dir) throws IOException {
        try (Writer w = writer(dir.resolve("model.c"))) {
            model.writeSource(w);
        }
        try (Writer w = writer(dir.resolve("model.h"))) {
            model.writeHeader(w);
        }
        Files.writeString(dir.resolve("main.c"), CRuntime.MAIN, StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("Makefile"), CRuntime.MAKEFILE, StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("README.txt"), CRuntime.readme(name, model.inputShape(), model.outputShape()),
                StandardCharsets.UTF_8);
    }

    private static Writer writer(Path file) throws IOException {
        return new BufferedWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8), 1 << 16);
    }
}
