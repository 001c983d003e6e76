package io.t2c.io.data;

import java.util.ArrayList;
import java.util.List;

/**
 * A labelled set of images, read by index in mini-batches.
 *
 * <p>Contract:
 * <ul>
 *   <li>Samples are numbered {@code 0 .. size()-1} in a fixed order: the same files give the same order on every
 *       run and machine.</li>
 *   <li>Every sample has the shape {@link #sampleShape()}, {@code [C, H, W]}.</li>
 *   <li>{@link #batch(int[])} returns the samples at {@code indices}, in that order (repeats allowed), as FLOAT32
 *       {@code [B, C, H, W]} already normalized with {@link #normalization()}, and their labels as INT64 {@code [B]}
 *       in {@code 0 .. numClasses()-1}. An unlabeled dataset has {@code numClasses() == 0} and labels −1.</li>
 *   <li>The returned tensors are new; the dataset never changes after it is opened, so any number of threads may
 *       call {@code batch} at once.</li>
 *   <li>An index outside {@code 0 .. size()-1} is a programming error ({@link IndexOutOfBoundsException}); a file
 *       that cannot be decoded (only lazily decoding datasets read files in {@code batch}) is a
 *       {@link io.t2c.tensor.T2cException} naming the file.</li>
 * </ul>
 */
public interface Dataset {
    /** The number of samples. */
    int size();

    /** The shape of one sample, {@code [C, H, W]} (a copy). */
    int[] sampleShape();

    /** The number of classes; labels lie in {@code 0 .. numClasses()-1}. 0 for an unlabeled dataset. */
    int numClasses();

    /** A short human-readable name, e.g. {@code fashion-mnist:test}, saying what was loaded (subsets included). */
    String name();

    /** The mean/std that {@link #batch} applies to pixel values scaled to {@code [0, 1]}. */
    Normalization normalization();

    /** The samples at {@code indices}, normalized, with their labels. */
    Batch batch(int[] indices);

    /** Samples {@code from .. to-1}. */
    default Batch batch(int from, int to) {
        if (from < 0 || to > size() || from > to) {
            throw new IndexOutOfBoundsException("range [" + from + ", " + to + ") of a dataset of " + size());
        }
        int[] idx = new int[to - from];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = from + i;
        }
        return batch(idx);
    }

    /** A name per class, index = label; {@code "0", "1", ...} unless the format says better. */
    default List<String> classNames() {
        List<String> names = new ArrayList<>(numClasses());
        for (int i = 0; i < numClasses(); i++) {
            names.add(Integer.toString(i));
        }
        return names;
    }
}
