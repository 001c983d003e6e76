package io.t2c.io.data;

import io.t2c.io.tensorfile.Npy;
import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Images and labels as {@code .npy} files ({@code npy:X.npy[,Y.npy]}). X is float32 (float64/float16 are converted
 * on read) or uint8, shaped {@code [N, C, H, W]} or {@code [N, H, W]} (one channel). Float X is taken as already
 * normalized ({@link Normalization#NONE}); uint8 X is divided by 255 and nothing more. Y holds N integer labels
 * ({@code [N]} or {@code [N, 1]}, any integer dtype), each ≥ 0; the class count is the largest label + 1. Without Y
 * the dataset is unlabeled: {@code numClasses() == 0} and every label is −1.
 */
public final class NpyPair {
    private NpyPair() {}

    /** Reads {@code x} and, if not null, {@code y}. */
    public static InMemoryDataset read(Path x, Path y) {
        Tensor xs = Npy.read(DataFiles.requireFile(x, ""));
        int[] s = xs.shape();
        if (s.length == 3) {
            s = new int[] {s[0], 1, s[1], s[2]};
        }
        if (s.length != 4 || s[1] == 0 || s[2] == 0 || s[3] == 0) {
            throw DataFiles.error(x, "images must be shaped [N, C, H, W] or [N, H, W], got "
                    + Arrays.toString(xs.shape()));
        }
        if (xs.dtype() != DType.FLOAT32 && xs.dtype() != DType.UINT8) {
            throw DataFiles.error(x, "images must be float32 or uint8, got " + xs.dtype()
                    + " (convert with x.astype(np.float32))");
        }
        int n = s[0];
        int[] labels = new int[n];
        int numClasses = 0;
        if (y == null) {
            Arrays.fill(labels, -1);
        } else {
            Tensor ys = Npy.read(DataFiles.requireFile(y, ""));
            int[] ysh = ys.shape();
            boolean shapeOk = ysh.length == 1 || ysh.length == 2 && ysh[1] == 1;
            if (!ys.dtype().isInteger() || !shapeOk) {
                throw DataFiles.error(y, "labels must be integers shaped [N] or [N, 1], got " + ys.dtype() + " "
                        + Arrays.toString(ysh));
            }
            if (ysh[0] != n) {
                throw new T2cException(y + ": holds " + ysh[0] + " labels but " + x + " holds " + n
                        + " images; the counts must agree");
            }
            for (int i = 0; i < n; i++) {
                long v = ys.getLong(i);
                if (v < 0 || v >= 1 << 16) {
                    throw DataFiles.error(y, "label " + v + " at index " + i + " is outside 0..65535");
                }
                labels[i] = (int) v;
                numClasses = Math.max(numClasses, labels[i] + 1);
            }
        }
        String name = "npy:" + x + (y == null ? "" : "," + y);
        int[] sample = {s[1], s[2], s[3]};
        return xs.dtype() == DType.UINT8
                ? InMemoryDataset.ofBytes(name, sample, xs.bytes(), labels, numClasses, null, Normalization.NONE)
                : InMemoryDataset.ofFloats(name, sample, xs.floats(), labels, numClasses, null, Normalization.NONE);
    }
}
