package io.t2c.convert.export;

import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.io.bundle.ModelBundle;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Compiles a C reference with gcc and runs it against our integer executor: the harness reads the samples as a raw
 * float32 file and its output file is compared with the executor's float output bit for bit, sample by sample.
 */
public final class CCheck {
    private static final long COMPILE_MINUTES = 20;
    private static final long RUN_MINUTES = 10;

    private CCheck() {}

    /**
     * {@code exactSamples}: samples whose every output float equalled ours bit for bit; {@code firstMismatch}: where
     * the first difference was (null when none); seconds spent compiling.
     */
    public record Report(int samples, int exactSamples, String firstMismatch, double compileSeconds) {
        public boolean exact() {
            return exactSamples == samples;
        }
    }

    /** The compile flags at optimisation level {@code optLevel}: C99, every warning an error. */
    public static String flags(int optLevel) {
        return "-std=c99 -O" + optLevel + " -Wall -Wextra -Werror";
    }

    /** gcc on the PATH, if any. */
    public static Optional<Path> gcc() {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, "gcc");
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /**
     * Compiles {@code folder} (a C reference) with {@code gcc -std=c99 -O<level> -Wall -Wextra -Werror} in a temporary
     * directory, runs it on {@code images} (a batch) and compares with {@link Executor} on {@code integer}. A compile
     * failure is an exception with gcc's first lines; a model error of the C (e.g. an overflow) is a mismatch.
     */
    public static Report run(Path gcc, Path folder, Graph integer, Tensor images, int optLevel) throws IOException {
        Path work = Files.createTempDirectory("t2c-c-check");
        try {
            Path binary = work.resolve("model");
            long t0 = System.nanoTime();
            List<String> cmd = new ArrayList<>();
            cmd.add(gcc.toString());
            cmd.addAll(List.of(flags(optLevel).split(" ")));
            cmd.addAll(List.of("-o", binary.toString(), folder.resolve("main.c").toString(),
                    folder.resolve("model.c").toString()));
            Process p = execute(cmd, work, COMPILE_MINUTES);
            double compileSeconds = (System.nanoTime() - t0) / 1e9;
            if (p.exitValue() != 0) {
                throw new T2cException("gcc failed to compile the C reference (exit " + p.exitValue() + "): "
                        + firstLines(work.resolve("out.txt"), 12));
            }
            Path in = work.resolve("input.bin");
            Path out = work.resolve("output.bin");
            writeFloats(in, images.floats());
            Process r = execute(List.of(binary.toString(), in.toString(), out.toString()), work, RUN_MINUTES);
            int n = images.dim(0);
            if (r.exitValue() != 0) {
                return new Report(n, 0, "the C reference failed (exit " + r.exitValue() + "): "
                        + firstLines(work.resolve("out.txt"), 3), compileSeconds);
            }
            String input = integer.inputs().get(0).name();
            Map<String, Tensor> ours = new Executor(integer).run(Map.of(input, images));
            float[] want = ours.get(integer.outputs().get(0).name()).floats();
            float[] got = readFloats(out);
            if (got.length != want.length) {
                return new Report(n, 0, "the C reference wrote " + got.length + " floats, expected " + want.length,
                        compileSeconds);
            }
            int per = want.length / n;
            int exact = 0;
            String first = null;
            for (int s = 0; s < n; s++) {
                boolean all = true;
                for (int i = s * per; i < (s + 1) * per; i++) {
                    if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(want[i])) {
                        all = false;
                        if (first == null) {
                            first = "sample " + s + ", output element " + (i - s * per) + ": C " + got[i] + ", Java "
                                    + want[i];
                        }
                    }
                }
                exact += all ? 1 : 0;
            }
            return new Report(n, exact, first, compileSeconds);
        } finally {
            ModelBundle.deleteRecursively(work);
        }
    }

    private static Process execute(List<String> cmd, Path work, long minutes) throws IOException {
        Process p = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(work.resolve("out.txt").toFile()).start();
        try {
            if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new T2cException(cmd.get(0) + " did not finish within " + minutes + " minutes");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new T2cException("interrupted while running " + cmd.get(0));
        }
        return p;
    }

    private static String firstLines(Path file, int lines) throws IOException {
        return String.join(" | ", Files.readAllLines(file, StandardCharsets.UTF_8).stream().limit(lines).toList());
    }

    /** Raw little-endian float32, the harness's input format. */
    public static void writeFloats(Path file, float[] values) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        Files.write(file, b.array());
    }

    public static float[] readFloats(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[b.remaining() / 4];
        for (int i = 0; i < v.length; i++) {
            v[i] = b.getFloat();
        }
        return v;
    }
}
