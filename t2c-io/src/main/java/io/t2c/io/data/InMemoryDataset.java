package io.t2c.io.data;

import io.t2c.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * A dataset held in memory: uint8 pixels (image datasets, 1 byte per value) or float32 values, normalized per batch.
 * Immutable after construction, so reads are thread-safe. The arrays passed in are taken over, not copied.
 */
public final class InMemoryDataset implements Dataset {
    private final String name;
    private final int[] sampleShape;
    private final int sampleSize;
    private final byte[] pixels; // uint8 storage, or null
    private final float[] values; // float32 storage, or null
    private final int[] labels;
    private final int numClasses;
    private final List<String> classNames;
    private final Normalization normalization;
    /** For uint8 storage: normalized value per channel and pixel value. */
    private final float[][] tables;

    private InMemoryDataset(String name, int[] sampleShape, byte[] pixels, float[] values, int[] labels,
            int numClasses, List<String> classNames, Normalization normalization) {
        if (sampleShape.length != 3 || sampleShape[0] <= 0 || sampleShape[1] <= 0 || sampleShape[2] <= 0) {
            throw new IllegalArgumentException("sample shape must be [C, H, W], got " + Arrays.toString(sampleShape));
        }
        long sample = (long) sampleShape[0] * sampleShape[1] * sampleShape[2];
        long stored = pixels != null ? pixels.length : values.length;
        if (sample * labels.length != stored) {
            throw new IllegalArgumentException(labels.length + " samples of " + Arrays.toString(sampleShape)
                    + " need " + sample * labels.length + " values, got " + stored);
        }
        if (!normalization.fits(sampleShape[0])) {
            throw new IllegalArgumentException(normalization + " does not fit " + sampleShape[0] + " channels");
        }
        if (classNames != null && classNames.size() != numClasses) {
            throw new IllegalArgumentException(classNames.size() + " class names for " + numClasses + " classes");
        }
        for (int i = 0; i < labels.length; i++) {
            boolean ok = numClasses == 0 ? labels[i] == -1 : labels[i] >= 0 && labels[i] < numClasses;
            if (!ok) {
                throw new IllegalArgumentException("label " + labels[i] + " of sample " + i + " is outside 0.."
                        + (numClasses - 1));
            }
        }
        this.name = name;
        this.sampleShape = sampleShape.clone();
        this.sampleSize = (int) sample;
        this.pixels = pixels;
        this.values = values;
        this.labels = labels;
        this.numClasses = numClasses;
        this.classNames = classNames == null ? null : List.copyOf(classNames);
        this.normalization = normalization;
        if (pixels != null) {
            tables = new float[sampleShape[0]][];
            for (int c = 0; c < tables.length; c++) {
                tables[c] = normalization.table(c);
            }
        } else {
            tables = null;
        }
    }

    /**
     * A dataset of uint8 pixels, {@code pixels[i * C*H*W + ...]} holding sample {@code i} in CHW order; batches are
     * {@code (p/255 - mean[c]) / std[c]}. {@code labels[i]} lies in {@code 0 .. numClasses-1}, or is −1 everywhere
     * with {@code numClasses == 0}. {@code classNames} may be null (then "0", "1", ...).
     */
    public static InMemoryDataset ofBytes(String name, int[] sampleShape, byte[] pixels, int[] labels, int numClasses,
            List<String> classNames, Normalization normalization) {
        return new InMemoryDataset(name, sampleShape, pixels, null, labels, numClasses, classNames, normalization);
    }

    /** A dataset of float values, laid out as in {@link #ofBytes}; batches are {@code (v - mean[c]) / std[c]}. */
    public static InMemoryDataset ofFloats(String name, int[] sampleShape, float[] values, int[] labels,
            int numClasses, List<String> classNames, Normalization normalization) {
        return new InMemoryDataset(name, sampleShape, null, values, labels, numClasses, classNames, normalization);
    }

    @Override
    public int size() {
        return labels.length;
    }

    @Override
    public int[] sampleShape() {
        return sampleShape.clone();
    }

    @Override
    public int numClasses() {
        return numClasses;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Normalization normalization() {
        return normalization;
    }

    @Override
    public List<String> classNames() {
        return classNames != null ? classNames : Dataset.super.classNames();
    }

    /** The label of sample {@code i}. */
    public int label(int i) {
        return labels[i];
    }

    @Override
    public Batch batch(int[] indices) {
        int b = indices.length;
        int channels = sampleShape[0];
        int plane = sampleSize / channels;
        float[] out = new float[b * sampleSize];
        long[] lab = new long[b];
        for (int s = 0; s < b; s++) {
            int i = indices[s];
            if (i < 0 || i >= labels.length) {
                throw new IndexOutOfBoundsException("sample " + i + " of " + name + " (" + labels.length + " samples)");
            }
            lab[s] = labels[i];
            int src = i * sampleSize;
            int dst = s * sampleSize;
            for (int c = 0; c < channels; c++) {
                int from = src + c * plane;
                int to = dst + c * plane;
                if (pixels != null) {
                    float[] t = tables[c];
                    for (int p = 0; p < plane; p++) {
                        out[to + p] = t[pixels[from + p] & 0xFF];
                    }
                } else {
                    float mean = (float) normalization.mean(c);
                    float std = (float) normalization.std(c);
                    for (int p = 0; p < plane; p++) {
                        out[to + p] = (values[from + p] - mean) / std;
                    }
                }
            }
        }
        return new Batch(Tensor.of(out, b, sampleShape[0], sampleShape[1], sampleShape[2]),
                Tensor.ofLongs(lab, b));
    }

    @Override
    public String toString() {
        return name + " (" + size() + " samples of " + Arrays.toString(sampleShape) + ")";
    }
}
