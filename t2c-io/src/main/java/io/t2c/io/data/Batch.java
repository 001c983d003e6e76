package io.t2c.io.data;

import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;

/**
 * A mini-batch: {@code images} FLOAT32 {@code [B, C, H, W]}, already normalized, and {@code labels} INT64 {@code [B]}
 * (−1 for an unlabeled dataset).
 */
public record Batch(Tensor images, Tensor labels) {
    public Batch {
        if (images.dtype() != DType.FLOAT32 || images.rank() != 4) {
            throw new IllegalArgumentException("images must be FLOAT32 [B, C, H, W], got " + images);
        }
        if (labels.dtype() != DType.INT64 || labels.rank() != 1 || labels.dim(0) != images.dim(0)) {
            throw new IllegalArgumentException("labels must be INT64 [" + images.dim(0) + "], got " + labels);
        }
    }

    /** The number of samples, B. */
    public int size() {
        return images.dim(0);
    }
}
