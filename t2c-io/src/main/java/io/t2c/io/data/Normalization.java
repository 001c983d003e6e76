package io.t2c.io.data;

import java.util.Arrays;

/**
 * Per-channel normalization {@code (v - mean[c]) / std[c]} of pixel values {@code v} in {@code [0, 1]} (uint8
 * pixels are divided by 255 first). One mean/std pair applies to every channel.
 *
 * <p>The constants are the usual published ones (mean and std of the training set's pixels):
 * <ul>
 *   <li>{@link #FASHION_MNIST}: mean 0.2860, std 0.3530;</li>
 *   <li>{@link #MNIST}: mean 0.1307, std 0.3081;</li>
 *   <li>{@link #CIFAR10}: mean (0.4914, 0.4822, 0.4465), std (0.2470, 0.2435, 0.2616), RGB;</li>
 *   <li>{@link #IMAGENET}: mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225), RGB, as torchvision's models
 *       expect;</li>
 *   <li>{@link #NONE}: mean 0, std 1 (values pass through; uint8 still becomes {@code v/255}).</li>
 * </ul>
 */
public final class Normalization {
    public static final Normalization FASHION_MNIST = of(new double[] {0.2860}, new double[] {0.3530});
    public static final Normalization MNIST = of(new double[] {0.1307}, new double[] {0.3081});
    public static final Normalization CIFAR10 =
            of(new double[] {0.4914, 0.4822, 0.4465}, new double[] {0.2470, 0.2435, 0.2616});
    public static final Normalization IMAGENET =
            of(new double[] {0.485, 0.456, 0.406}, new double[] {0.229, 0.224, 0.225});
    public static final Normalization NONE = of(new double[] {0}, new double[] {1});

    private final double[] mean;
    private final double[] std;

    private Normalization(double[] mean, double[] std) {
        this.mean = mean;
        this.std = std;
    }

    /** Per-channel mean and std (same length; one entry applies to every channel); std must be positive. */
    public static Normalization of(double[] mean, double[] std) {
        if (mean.length == 0 || mean.length != std.length) {
            throw new IllegalArgumentException("mean and std need the same, non-zero length: " + Arrays.toString(mean)
                    + " / " + Arrays.toString(std));
        }
        for (int i = 0; i < mean.length; i++) {
            if (!Double.isFinite(mean[i]) || !(std[i] > 0) || !Double.isFinite(std[i])) {
                throw new IllegalArgumentException("bad mean/std " + mean[i] + "/" + std[i]);
            }
        }
        return new Normalization(mean.clone(), std.clone());
    }

    public double mean(int channel) {
        return mean[mean.length == 1 ? 0 : channel];
    }

    public double std(int channel) {
        return std[std.length == 1 ? 0 : channel];
    }

    /** Whether this normalization can apply to images with {@code channels} channels. */
    public boolean fits(int channels) {
        return mean.length == 1 || mean.length == channels;
    }

    /** {@code (v - mean) / std} for a value {@code v} in [0, 1], computed in double and rounded once to float. */
    public float apply(int channel, double v) {
        return (float) ((v - mean(channel)) / std(channel));
    }

    /** The normalized value of each uint8 pixel value {@code 0..255} in {@code channel}: a 256-entry lookup table. */
    public float[] table(int channel) {
        float[] t = new float[256];
        for (int v = 0; v < 256; v++) {
            t[v] = apply(channel, v / 255.0);
        }
        return t;
    }

    /** What a black pixel (0) becomes; the fill that reproduces torchvision's zero padding before normalization. */
    public float[] black(int channels) {
        float[] f = new float[channels];
        for (int c = 0; c < channels; c++) {
            f[c] = apply(c, 0);
        }
        return f;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Normalization n && Arrays.equals(mean, n.mean) && Arrays.equals(std, n.std);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(mean) * 31 + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return "mean " + Arrays.toString(mean) + " std " + Arrays.toString(std);
    }
}
