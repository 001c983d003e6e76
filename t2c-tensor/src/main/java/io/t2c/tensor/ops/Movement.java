package io.t2c.tensor.ops;

import io.t2c.tensor.DType;
import io.t2c.tensor.Shapes;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.kernel.Parallel;
import java.util.Arrays;

/**
 * Ops that move elements without computing on them, for every {@link DType}: transpose, concat, split, slice,
 * gather, pad, expand, tile, and the shape-only reshape/squeeze/unsqueeze/flatten (which share the input's array).
 *
 * <p><b>Shared rules.</b> Axes may be negative (counted from the end) and are checked against the rank once
 * ({@link Shapes#axis}, {@link Shapes#axes}). Values ONNX passes as int64 tensors (starts, ends, pads, shapes,
 * repeats) are {@code long[]}. Every strided copy goes through one loop ({@link StridedLoop}); pad and nearest resize
 * go through one index-map gather ({@link #gatherByMaps}).
 */
public final class Movement {
    private Movement() {}

    /** Padding modes of ONNX Pad ({@code wrap} is opset 19). */
    public enum PadMode {
        CONSTANT, REFLECT, EDGE, WRAP;

        /** Parses the ONNX attribute value ("constant", "reflect", "edge", "wrap"). */
        public static PadMode of(String onnxName) {
            for (PadMode m : values()) {
                if (m.name().equalsIgnoreCase(onnxName)) {
                    return m;
                }
            }
            throw new T2cException("Pad: unknown mode '" + onnxName + "' (expected constant, reflect, edge or wrap)");
        }
    }

    // ---- transpose ----

    /** Permutes axes: output axis {@code i} is input axis {@code perm[i]}; null or empty {@code perm} reverses them. */
    public static Tensor transpose(Tensor x, int... perm) {
        int rank = x.rank();
        int[] p = perm == null || perm.length == 0 ? reversed(rank) : perm;
        if (p.length != rank) {
            throw new T2cException("Transpose: perm " + Arrays.toString(p) + " has " + p.length
                    + " entries for a tensor of shape " + Shapes.toString(x.shape()));
        }
        int[] norm = Shapes.axes(p, rank); // checks range and duplicates
        if (norm.length != rank) {
            throw new T2cException("Transpose: perm " + Arrays.toString(p) + " is not a permutation");
        }
        int[] in = x.shape();
        int[] inStrides = Shapes.strides(in);
        int[] out = new int[rank];
        int[] st = new int[rank];
        for (int i = 0; i < rank; i++) {
            int a = p[i] < 0 ? p[i] + rank : p[i];
            out[i] = in[a];
            st[i] = inStrides[a];
        }
        int u = -1;
        for (int i = 0; i < rank - 1; i++) {
            if (st[i] == 1 && out[i] > 1) {
                u = i;
            }
        }
        if (u >= 0 && out[rank - 1] > 1 && (long) out[u] * out[rank - 1] >= TILE * TILE) {
            return tiledTranspose(x, out, st, u);
        }
        return strided(x, 0, out, st);
    }

    /** Tile edge for {@link #tiledTranspose}: a tile of floats is 1 KiB, and reads 16 lines of one 4 KiB set. */
    private static final int TILE = 16;

    /**
     * Transpose whose last output axis is strided in the input while output axis {@code u} is the input's
     * contiguous axis (e.g. NCHW to NHWC): copies {@code [out[u], out[last]]} planes in square tiles so both the
     * strided reads and the strided writes stay in cache, instead of one strided element per step.
     */
    private static Tensor tiledTranspose(Tensor x, int[] out, int[] srcStrides, int u) {
        int rank = out.length;
        int last = rank - 1;
        int[] dstStrides = Shapes.strides(out);
        int ni = out[u];
        int nj = out[last];
        int srcJ = srcStrides[last];
        int dstI = dstStrides[u];
        // The other axes form an outer walk; their product is the number of planes.
        int[] outerShape = out.clone();
        outerShape[u] = 1;
        outerShape[last] = 1;
        int planes = Shapes.numel(outerShape);
        Object src = x.data();
        Object dst = TypedArrays.newArray(x.dtype(), Shapes.numel(out));
        Parallel.forRange(planes, Math.max(1, StridedLoop.GRAIN / Math.max(1, ni * nj)), (from, to) -> {
            for (int p = from; p < to; p++) {
                int rem = p;
                int sBase = 0;
                int dBase = 0;
                for (int d = rank - 1; d >= 0; d--) {
                    int c = rem % outerShape[d];
                    rem /= outerShape[d];
                    sBase += c * srcStrides[d];
                    dBase += c * dstStrides[d];
                }
                for (int i0 = 0; i0 < ni; i0 += TILE) {
                    int ti = Math.min(TILE, ni - i0);
                    for (int j0 = 0; j0 < nj; j0 += TILE) {
                        int tj = Math.min(TILE, nj - j0);
                        TypedArrays.copyTile(src, sBase + i0 + j0 * srcJ, srcJ, dst, dBase + i0 * dstI + j0, dstI, ti,
                                tj);
                    }
                }
            }
        });
        return Tensor.wrap(x.dtype(), dst, out);
    }

    private static int[] reversed(int rank) {
        int[] p = new int[rank];
        for (int i = 0; i < rank; i++) {
            p[i] = rank - 1 - i;
        }
        return p;
    }

    // ---- concat / split ----

    /** Joins tensors along {@code axis}; all must share dtype, rank and every other dimension. */
    public static Tensor concat(int axis, Tensor... xs) {
        if (xs.length == 0) {
            throw new T2cException("Concat needs at least one input");
        }
        Tensor first = xs[0];
        int rank = first.rank();
        int a = Shapes.axis(axis, rank);
        int[] out = first.shape();
        out[a] = 0;
        for (Tensor t : xs) {
            int[] s = t.shape();
            boolean ok = t.dtype() == first.dtype() && s.length == rank;
            for (int d = 0; ok && d < rank; d++) {
                ok = d == a || s[d] == first.shape()[d];
            }
            if (!ok) {
                throw new T2cException("Concat along axis " + axis + ": " + t + " does not match " + first
                        + " (same dtype, rank and dimensions other than the axis required)");
            }
            out[a] += s[a];
        }
        int outer = Shapes.product(out, 0, a);
        int inner = Shapes.product(out, a + 1, rank);
        Object dst = TypedArrays.newArray(first.dtype(), Shapes.numel(out));
        int rowLen = out[a] * inner;
        int off = 0;
        for (Tensor t : xs) {
            int chunk = t.shape()[a] * inner;
            Object src = t.data();
            for (int o = 0; o < outer; o++) {
                System.arraycopy(src, o * chunk, dst, o * rowLen + off, chunk);
            }
            off += chunk;
        }
        return Tensor.wrap(first.dtype(), dst, out);
    }

    /** Splits along {@code axis} into pieces of the given sizes, which must sum to the axis length. */
    public static Tensor[] split(Tensor x, int axis, int... sizes) {
        int[] shape = x.shape();
        int a = Shapes.axis(axis, shape.length);
        long total = 0;
        for (int s : sizes) {
            if (s < 0) {
                throw new T2cException("Split: negative size in " + Arrays.toString(sizes));
            }
            total += s;
        }
        if (total != shape[a]) {
            throw new T2cException("Split: sizes " + Arrays.toString(sizes) + " sum to " + total + " but axis " + axis
                    + " of " + Shapes.toString(shape) + " has length " + shape[a]);
        }
        Tensor[] out = new Tensor[sizes.length];
        int start = 0;
        for (int i = 0; i < sizes.length; i++) {
            out[i] = sliceAxis(x, a, start, sizes[i]);
            start += sizes[i];
        }
        return out;
    }

    /**
     * Splits along {@code axis} into {@code parts} pieces of {@code ceil(len / parts)}, the last one smaller when the
     * length does not divide (ONNX Split-18 {@code num_outputs}).
     */
    public static Tensor[] splitEqual(Tensor x, int axis, int parts) {
        int a = Shapes.axis(axis, x.rank());
        int len = x.shape()[a];
        if (parts <= 0 || parts > Math.max(len, 1)) {
            throw new T2cException("Split: cannot split axis " + axis + " of length " + len + " of "
                    + Shapes.toString(x.shape()) + " into " + parts + " parts");
        }
        int chunk = (len + parts - 1) / parts;
        int[] sizes = new int[parts];
        for (int i = 0; i < parts; i++) {
            sizes[i] = Math.max(0, Math.min(chunk, len - i * chunk));
        }
        return split(x, a, sizes);
    }

    private static Tensor sliceAxis(Tensor x, int a, int start, int len) {
        int[] shape = x.shape();
        int[] st = Shapes.strides(shape);
        int[] out = shape.clone();
        out[a] = len;
        return strided(x, start * st[a], out, st);
    }

    // ---- slice ----

    /**
     * ONNX Slice. {@code axes} (null: 0, 1, ...) and {@code steps} (null: all 1) match {@code starts}/{@code ends}
     * in length. Negative starts/ends count from the end; then, for a positive step, start and end are clamped to
     * [0, dim]; for a negative step, start to [0, dim-1] and end to [-1, dim-1]. A step of 0 is an error.
     */
    public static Tensor slice(Tensor x, long[] starts, long[] ends, int[] axes, long[] steps) {
        int rank = x.rank();
        int n = starts.length;
        int[] ax = axes != null ? axes : range(n);
        if (ends.length != n || ax.length != n || (steps != null && steps.length != n)) {
            throw new T2cException("Slice: starts " + Arrays.toString(starts) + ", ends " + Arrays.toString(ends)
                    + ", axes " + Arrays.toString(ax) + " and steps " + Arrays.toString(steps)
                    + " must have the same length");
        }
        Shapes.axes(ax, rank); // range and duplicate check
        int[] shape = x.shape();
        int[] inStrides = Shapes.strides(shape);
        int[] out = shape.clone();
        int[] st = inStrides.clone();
        long base = 0;
        for (int i = 0; i < n; i++) {
            int a = ax[i] < 0 ? ax[i] + rank : ax[i];
            long step = steps == null ? 1 : steps[i];
            if (step == 0) {
                throw new T2cException("Slice: step 0 on axis " + ax[i] + " of " + Shapes.toString(shape));
            }
            long dim = shape[a];
            long s = starts[i] < 0 ? starts[i] + dim : starts[i];
            long e = ends[i] < 0 ? ends[i] + dim : ends[i];
            long len;
            if (step > 0) {
                s = clamp(s, 0, dim);
                e = clamp(e, 0, dim);
                len = e > s ? (e - s + step - 1) / step : 0;
            } else {
                s = clamp(s, 0, dim - 1);
                e = clamp(e, -1, dim - 1);
                len = s > e ? (s - e - step - 1) / -step : 0;
            }
            if (dim == 0) {
                len = 0;
                s = 0;
            }
            out[a] = (int) len;
            // len > 1 implies |step| < dim, so the stride fits an int; a single element never moves.
            st[a] = len > 1 ? (int) (inStrides[a] * step) : inStrides[a];
            if (len > 0) {
                base += s * inStrides[a];
            }
        }
        return strided(x, (int) base, out, st);
    }

    private static long clamp(long v, long lo, long hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    private static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }

    // ---- gather ----

    /**
     * ONNX Gather: picks entries of {@code data} along {@code axis} with {@code indices} (INT32 or INT64, any rank,
     * negative values count from the end). Output shape is {@code data[:axis] + indices.shape + data[axis+1:]}.
     */
    public static Tensor gather(Tensor data, Tensor indices, int axis) {
        int[] ds = data.shape();
        int a = Shapes.axis(axis, ds.length);
        int[] idx = checkedIndices("Gather", indices, ds[a], a, ds);
        int[] is = indices.shape();
        int[] out = new int[ds.length - 1 + is.length];
        System.arraycopy(ds, 0, out, 0, a);
        System.arraycopy(is, 0, out, a, is.length);
        System.arraycopy(ds, a + 1, out, a + is.length, ds.length - a - 1);
        int outer = Shapes.product(ds, 0, a);
        int inner = Shapes.product(ds, a + 1, ds.length);
        int dim = ds[a];
        int count = idx.length;
        Object src = data.data();
        Object dst = TypedArrays.newArray(data.dtype(), Shapes.numel(out));
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < count; j++) {
                System.arraycopy(src, (o * dim + idx[j]) * inner, dst, (o * count + j) * inner, inner);
            }
        }
        return Tensor.wrap(data.dtype(), dst, out);
    }

    /**
     * ONNX GatherElements: {@code out[i][j]... = data[...][indices[i][j]...][...]} along {@code axis}; indices have
     * the rank of data and, off the axis, dimensions no larger than data's.
     */
    public static Tensor gatherElements(Tensor data, Tensor indices, int axis) {
        int[] ds = data.shape();
        int[] is = indices.shape();
        int a = Shapes.axis(axis, ds.length);
        if (is.length != ds.length) {
            throw new T2cException("GatherElements: indices " + Shapes.toString(is) + " and data "
                    + Shapes.toString(ds) + " must have the same rank");
        }
        for (int d = 0; d < ds.length; d++) {
            if (d != a && is[d] > ds[d]) {
                throw new T2cException("GatherElements: indices " + Shapes.toString(is) + " exceed data "
                        + Shapes.toString(ds) + " on axis " + d);
            }
        }
        int[] idx = checkedIndices("GatherElements", indices, ds[a], a, ds);
        int[] dStrides = Shapes.strides(ds);
        int[] iStrides = Shapes.strides(is);
        Object src = data.data();
        Object dst = TypedArrays.newArray(data.dtype(), idx.length);
        for (int i = 0; i < idx.length; i++) {
            int rem = i;
            int off = 0;
            for (int d = 0; d < is.length; d++) {
                int c = rem / iStrides[d];
                rem -= c * iStrides[d];
                off += (d == a ? idx[i] : c) * dStrides[d];
            }
            TypedArrays.copy(src, off, 1, dst, i, 1);
        }
        return Tensor.wrap(data.dtype(), dst, is);
    }

    private static int[] checkedIndices(String op, Tensor indices, int dim, int axis, int[] dataShape) {
        if (indices.dtype() != DType.INT64 && indices.dtype() != DType.INT32) {
            throw new T2cException(op + ": indices must be INT32 or INT64, got " + indices);
        }
        int n = indices.size();
        int[] idx = new int[n];
        for (int j = 0; j < n; j++) {
            long v = indices.getLong(j);
            long w = v < 0 ? v + dim : v;
            if (w < 0 || w >= dim) {
                throw new T2cException(op + ": index " + v + " is out of range for axis " + axis + " (size " + dim
                        + ") of data " + Shapes.toString(dataShape));
            }
            idx[j] = (int) w;
        }
        return idx;
    }

    // ---- pad ----

    /**
     * ONNX Pad. {@code pads} is {@code [x1_begin, x2_begin, ..., x1_end, x2_end, ...]} for the listed {@code axes}
     * (null: every axis, in order). Negative pads crop. {@code value} fills CONSTANT padding (converted to the
     * tensor's type like Cast). REFLECT mirrors without repeating the edge (numpy "reflect", repeated as needed),
     * EDGE repeats the edge, WRAP wraps around.
     */
    public static Tensor pad(Tensor x, long[] pads, PadMode mode, double value, int[] axes) {
        int rank = x.rank();
        int[] ax = axes != null ? axes : range(rank);
        Shapes.axes(ax, rank);
        if (pads.length != 2 * ax.length) {
            throw new T2cException("Pad: " + pads.length + " pads " + Arrays.toString(pads) + " for " + ax.length
                    + " axes of " + Shapes.toString(x.shape()) + "; expected 2 per axis (all begins, then all ends)");
        }
        int[] in = x.shape();
        long[] begin = new long[rank];
        long[] end = new long[rank];
        for (int i = 0; i < ax.length; i++) {
            int a = ax[i] < 0 ? ax[i] + rank : ax[i];
            begin[a] = pads[i];
            end[a] = pads[i + ax.length];
        }
        int[][] maps = new int[rank][];
        for (int d = 0; d < rank; d++) {
            long len = in[d] + begin[d] + end[d];
            if (len > Integer.MAX_VALUE) {
                throw new T2cException("Pad: pads " + Arrays.toString(pads) + " make axis " + d + " of "
                        + Shapes.toString(in) + " longer than " + Integer.MAX_VALUE);
            }
            if (len < 0) {
                throw new T2cException("Pad: pads " + Arrays.toString(pads) + " crop axis " + d + " of "
                        + Shapes.toString(in) + " below zero length");
            }
            int n = in[d];
            if (n == 0 && len > 0 && mode != PadMode.CONSTANT) {
                throw new T2cException("Pad: mode " + mode + " cannot pad the empty axis " + d + " of "
                        + Shapes.toString(in));
            }
            int[] map = new int[(int) len];
            for (int o = 0; o < map.length; o++) {
                long i = o - begin[d];
                map[o] = (int) (i >= 0 && i < n ? i : switch (mode) {
                    case CONSTANT -> -1;
                    case EDGE -> clamp(i, 0, n - 1);
                    case WRAP -> Math.floorMod(i, n);
                    case REFLECT -> reflect(i, n);
                });
            }
            maps[d] = map;
        }
        return gatherByMaps(x, maps, TypedArrays.scalarArray(x.dtype(), value));
    }

    /** Mirror index without repeating the edge: ..., 2, 1, [0, 1, ..., n-1], n-2, n-3, ... */
    private static long reflect(long i, long n) {
        if (n == 1) {
            return 0;
        }
        long period = 2 * (n - 1);
        long m = Math.floorMod(i, period);
        return m < n ? m : period - m;
    }

    /**
     * Builds a tensor whose element at {@code (o_0, ..., o_r)} is {@code x[maps[0][o_0], ..., maps[r][o_r]]}, or
     * {@code constant[0]} when any map entry is negative. The output shape is the map lengths.
     */
    static Tensor gatherByMaps(Tensor x, int[][] maps, Object constant) {
        int rank = x.rank();
        int[] out = new int[rank];
        for (int d = 0; d < rank; d++) {
            out[d] = maps[d].length;
        }
        int total = Shapes.numel(out);
        Object src = x.data();
        Object dst = TypedArrays.newArray(x.dtype(), total);
        if (total == 0) {
            return Tensor.wrap(x.dtype(), dst, out);
        }
        if (rank == 0) {
            TypedArrays.copy(src, 0, 1, dst, 0, 1);
            return Tensor.wrap(x.dtype(), dst, out);
        }
        int[] st = Shapes.strides(x.shape());
        int[] last = maps[rank - 1];
        int inner = last.length;
        int rows = total / inner;
        Parallel.forRange(rows, Math.max(1, StridedLoop.GRAIN / inner), (from, to) -> {
            int[] idx = new int[rank];
            int r = from;
            for (int d = rank - 2; d >= 0; d--) {
                idx[d] = r % out[d];
                r /= out[d];
            }
            for (int row = from; row < to; row++) {
                int base = 0;
                boolean outside = false;
                for (int d = 0; d < rank - 1; d++) {
                    int m = maps[d][idx[d]];
                    outside |= m < 0;
                    base += m * st[d];
                }
                if (outside) {
                    TypedArrays.fill(dst, row * inner, (row + 1) * inner, constant);
                } else {
                    TypedArrays.mapCopy(src, base, last, dst, row * inner, constant);
                }
                for (int d = rank - 2; d >= 0; d--) {
                    if (++idx[d] < out[d]) {
                        break;
                    }
                    idx[d] = 0;
                }
            }
        });
        return Tensor.wrap(x.dtype(), dst, out);
    }

    // ---- expand / tile ----

    /** ONNX Expand: broadcasts {@code x} and {@code shape} together (bidirectionally) and copies x into the result. */
    public static Tensor expand(Tensor x, long[] shape) {
        int[] target = toIntShape("Expand", shape);
        int[] out;
        try {
            out = Shapes.broadcast(x.shape(), target);
        } catch (T2cException e) {
            throw new T2cException("Expand: input " + Shapes.toString(x.shape()) + " cannot be expanded to "
                    + Arrays.toString(shape) + ": " + e.getMessage());
        }
        return strided(x, 0, out, StridedLoop.broadcastStrides(x.shape(), out));
    }

    /** ONNX Tile: repeats {@code x} {@code repeats[d]} times along each axis d. */
    public static Tensor tile(Tensor x, long[] repeats) {
        int rank = x.rank();
        if (repeats.length != rank) {
            throw new T2cException("Tile: " + repeats.length + " repeats " + Arrays.toString(repeats)
                    + " for a tensor of shape " + Shapes.toString(x.shape()));
        }
        int[] in = x.shape();
        int[] inStrides = Shapes.strides(in);
        int[] view = new int[2 * rank];
        int[] st = new int[2 * rank];
        int[] out = new int[rank];
        for (int d = 0; d < rank; d++) {
            if (repeats[d] < 0) {
                throw new T2cException("Tile: negative repeat in " + Arrays.toString(repeats));
            }
            view[2 * d] = (int) repeats[d];
            view[2 * d + 1] = in[d];
            st[2 * d + 1] = inStrides[d];
            out[d] = Math.multiplyExact(in[d], (int) repeats[d]);
        }
        Shapes.numel(out);
        return strided(x, 0, view, st).reshape(out);
    }

    /** Copies the strided view {@code x.data[base + sum idx[d] * strides[d]]} of shape {@code shape} into a tensor. */
    static Tensor strided(Tensor x, int base, int[] shape, int[] strides) {
        Object src = x.data();
        Object dst = TypedArrays.newArray(x.dtype(), Shapes.numel(shape));
        StridedLoop.run(shape, new int[] {base}, new int[][] {strides},
                (pos, step, oo, n) -> TypedArrays.copy(src, pos[0], step[0], dst, oo, n));
        return Tensor.wrap(x.dtype(), dst, shape);
    }

    // ---- shape-only ops (share the input's array) ----

    /**
     * ONNX Reshape: a 0 copies the input dimension at that position (unless {@code allowZero}, where 0 means an
     * empty dimension) and one -1 is inferred from the element count.
     */
    public static Tensor reshape(Tensor x, long[] shape, boolean allowZero) {
        int[] in = x.shape();
        int[] out = new int[shape.length];
        int infer = -1;
        long known = 1;
        for (int i = 0; i < shape.length; i++) {
            long s = shape[i];
            if (s == -1) {
                if (infer >= 0) {
                    throw new T2cException("Reshape: more than one -1 in " + Arrays.toString(shape));
                }
                infer = i;
                continue;
            }
            if (s == 0 && !allowZero) {
                if (i >= in.length) {
                    throw new T2cException("Reshape: 0 at position " + i + " of " + Arrays.toString(shape)
                            + " has no input dimension to copy from " + Shapes.toString(in));
                }
                s = in[i];
            }
            if (s < 0 || s > Integer.MAX_VALUE) {
                throw new T2cException("Reshape: invalid dimension " + shape[i] + " in " + Arrays.toString(shape));
            }
            out[i] = (int) s;
            known *= s;
        }
        if (infer >= 0) {
            if (known == 0 || x.size() % known != 0) {
                throw new T2cException("Reshape: cannot infer the -1 in " + Arrays.toString(shape) + " for input "
                        + Shapes.toString(in) + " (" + x.size() + " elements)");
            }
            out[infer] = (int) (x.size() / known);
        }
        return x.reshape(out);
    }

    /** ONNX Flatten: a 2-D view {@code [prod(dims[:axis]), prod(dims[axis:])]}; axis in [-rank, rank]. */
    public static Tensor flatten(Tensor x, int axis) {
        int rank = x.rank();
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a > rank) {
            throw new T2cException("Flatten: axis " + axis + " is out of range for shape " + Shapes.toString(x.shape()));
        }
        int[] s = x.shape();
        return x.reshape(Shapes.product(s, 0, a), Shapes.product(s, a, rank));
    }

    /** ONNX Squeeze: removes the listed axes, which must have size 1; null or empty removes every size-1 axis. */
    public static Tensor squeeze(Tensor x, int... axes) {
        int[] s = x.shape();
        boolean[] drop = new boolean[s.length];
        if (axes == null || axes.length == 0) {
            for (int d = 0; d < s.length; d++) {
                drop[d] = s[d] == 1;
            }
        } else {
            for (int a : Shapes.axes(axes, s.length)) {
                if (s[a] != 1) {
                    throw new T2cException("Squeeze: axis " + a + " of " + Shapes.toString(s) + " has size " + s[a]
                            + ", not 1");
                }
                drop[a] = true;
            }
        }
        int[] out = new int[s.length];
        int k = 0;
        for (int d = 0; d < s.length; d++) {
            if (!drop[d]) {
                out[k++] = s[d];
            }
        }
        return x.reshape(Arrays.copyOf(out, k));
    }

    /** ONNX Unsqueeze: inserts size-1 axes at the listed positions of the output (rank + axes.length). */
    public static Tensor unsqueeze(Tensor x, int... axes) {
        int[] s = x.shape();
        int rank = s.length + axes.length;
        boolean[] ins = new boolean[rank];
        for (int a : Shapes.axes(axes, rank)) {
            ins[a] = true;
        }
        int[] out = new int[rank];
        int k = 0;
        for (int d = 0; d < rank; d++) {
            out[d] = ins[d] ? 1 : s[k++];
        }
        return x.reshape(out);
    }

    static int[] toIntShape(String op, long[] shape) {
        int[] s = new int[shape.length];
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0 || shape[i] > Integer.MAX_VALUE) {
                throw new T2cException(op + ": invalid dimension " + shape[i] + " in " + Arrays.toString(shape));
            }
            s[i] = (int) shape[i];
        }
        return s;
    }
}
