package io.t2c.io.data;

import io.t2c.tensor.Tensor;
import java.util.random.RandomGenerator;

/**
 * A random transformation of a training {@link Batch}, applied after normalization. It returns a new batch (the
 * input is not changed) with the same shape and labels, and draws from the generator passed in, in a documented
 * order, so the same generator state gives the same result: seed a {@code SplittableRandom} or {@code Random} per
 * epoch (or per step) for reproducible training.
 */
@FunctionalInterface
public interface Augmentation {
    /** Transforms {@code batch} using draws from {@code rng}. */
    Batch apply(Batch batch, RandomGenerator rng);

    /** This, then {@code next}. */
    default Augmentation andThen(Augmentation next) {
        return (b, rng) -> next.apply(apply(b, rng), rng);
    }

    /** Leaves batches as they are. */
    static Augmentation none() {
        return (b, rng) -> b;
    }

    /**
     * Random crop with zero padding, as torchvision's {@code RandomCrop(size, padding)}: each image is padded by
     * {@code padding} on every side with 0 and cropped back to its size at a random offset. Because it runs after
     * normalization, 0 is the dataset mean; for torchvision's padding with black use
     * {@code randomCrop(padding, dataset.normalization().black(C))}. Draws per image, in batch order:
     * {@code nextInt(2*padding+1)} for the row offset, then for the column offset.
     */
    static Augmentation randomCrop(int padding) {
        return randomCrop(padding, null);
    }

    /** As {@link #randomCrop(int)}, padding channel {@code c} with {@code fill[c]} (null: 0). */
    static Augmentation randomCrop(int padding, float[] fill) {
        if (padding < 0) {
            throw new IllegalArgumentException("padding must be >= 0, got " + padding);
        }
        float[] f = fill == null ? null : fill.clone();
        return (b, rng) -> crop(b, padding, f, rng);
    }

    /**
     * Mirrors each image left-right with probability {@code p}. Draws one {@code nextDouble()} per image, in batch
     * order; the image flips when it is below {@code p}.
     */
    static Augmentation horizontalFlip(double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("p must be in [0, 1], got " + p);
        }
        return (b, rng) -> flip(b, p, rng);
    }

    /** The usual CIFAR-style recipe: {@code randomCrop(padding)} then {@code horizontalFlip(0.5)}. */
    static Augmentation cropAndFlip(int padding) {
        return randomCrop(padding).andThen(horizontalFlip(0.5));
    }

    private static Batch crop(Batch batch, int pad, float[] fill, RandomGenerator rng) {
        Tensor x = batch.images();
        int n = x.dim(0);
        int c = x.dim(1);
        int h = x.dim(2);
        int w = x.dim(3);
        if (fill != null && fill.length != c) {
            throw new IllegalArgumentException(fill.length + " fill values for " + c + " channels");
        }
        float[] in = x.floats();
        float[] out = new float[in.length];
        for (int i = 0; i < n; i++) {
            int dy = rng.nextInt(2 * pad + 1) - pad;
            int dx = rng.nextInt(2 * pad + 1) - pad;
            for (int ch = 0; ch < c; ch++) {
                int base = (i * c + ch) * h * w;
                float v0 = fill == null ? 0f : fill[ch];
                for (int y = 0; y < h; y++) {
                    int sy = y + dy;
                    for (int xx = 0; xx < w; xx++) {
                        int sx = xx + dx;
                        out[base + y * w + xx] = sy >= 0 && sy < h && sx >= 0 && sx < w
                                ? in[base + sy * w + sx] : v0;
                    }
                }
            }
        }
        return new Batch(Tensor.of(out, n, c, h, w), batch.labels());
    }

    private static Batch flip(Batch batch, double p, RandomGenerator rng) {
        Tensor x = batch.images();
        int n = x.dim(0);
        int c = x.dim(1);
        int h = x.dim(2);
        int w = x.dim(3);
        float[] in = x.floats();
        float[] out = in.clone();
        for (int i = 0; i < n; i++) {
            if (rng.nextDouble() < p) {
                for (int row = 0; row < c * h; row++) {
                    int base = (i * c * h + row) * w;
                    for (int xx = 0; xx < w; xx++) {
                        out[base + xx] = in[base + w - 1 - xx];
                    }
                }
            }
        }
        return new Batch(Tensor.of(out, n, c, h, w), batch.labels());
    }
}
