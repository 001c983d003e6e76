package io.t2c.io.tensorfile;

import io.t2c.tensor.DType;
import io.t2c.tensor.Shapes;
import io.t2c.tensor.T2cException;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.Arrays;

/**
 * Element types as stored in tensor files, each with the {@link DType} it is read into. The three formats share this
 * table so that conversions (float16, bfloat16 and float64 become FLOAT32) live in one place.
 */
enum ElementType {
    F64(8, DType.FLOAT32), F32(4, DType.FLOAT32), F16(2, DType.FLOAT32), BF16(2, DType.FLOAT32),
    I64(8, DType.INT64), I32(4, DType.INT32), I16(2, DType.INT16), I8(1, DType.INT8), U8(1, DType.UINT8),
    BOOL(1, DType.BOOL);

    /** Streaming buffer size: big enough for bulk conversions, small next to the tensors it fills. */
    private static final int CHUNK_BYTES = 1 << 20;

    final int byteSize;
    /** The type the elements are converted to on read. */
    final DType dtype;

    ElementType(int byteSize, DType dtype) {
        this.byteSize = byteSize;
        this.dtype = dtype;
    }

    /** The file type that stores a tensor of {@code t} without conversion (used by the writers). */
    static ElementType of(DType t) {
        return switch (t) {
            case FLOAT32 -> F32;
            case INT8 -> I8;
            case UINT8 -> U8;
            case INT16 -> I16;
            case INT32 -> I32;
            case INT64 -> I64;
            case BOOL -> BOOL;
        };
    }

    /** {@code numel * byteSize}; callers have already bounded numel by {@link Shapes#MAX_ELEMENTS}. */
    long bytesFor(long numel) {
        return numel * byteSize;
    }

    /**
     * Reads {@code count} elements from the channel's current position and returns them converted, in a new array of
     * {@link #dtype}'s storage type. Reads in chunks so that a large tensor needs only its own array in memory.
     *
     * @throws EOFException if the channel ends early
     */
    Object read(ReadableByteChannel in, ByteOrder order, int count) throws IOException {
        Object dst = newArray(dtype, count);
        int perChunk = CHUNK_BYTES / byteSize;
        ByteBuffer buf = ByteBuffer.allocate(Math.min(count, perChunk) * byteSize).order(order);
        for (int done = 0; done < count; ) {
            int n = Math.min(count - done, perChunk);
            buf.clear().limit(n * byteSize);
            while (buf.hasRemaining()) {
                if (in.read(buf) < 0) {
                    throw new EOFException("data ends after " + ((long) done * byteSize + buf.position())
                            + " of " + (long) count * byteSize + " bytes");
                }
            }
            buf.flip();
            decode(buf, dst, done, n);
            done += n;
        }
        return dst;
    }

    /** Writes the array {@code src} ({@link #dtype}'s storage type, no conversion) in this type's byte layout. */
    void write(WritableByteChannel out, ByteOrder order, Object src, int count) throws IOException {
        int perChunk = CHUNK_BYTES / byteSize;
        ByteBuffer buf = ByteBuffer.allocate(Math.max(1, Math.min(count, perChunk)) * byteSize).order(order);
        for (int done = 0; done < count; ) {
            int n = Math.min(count - done, perChunk);
            buf.clear();
            encode(src, done, n, buf);
            buf.flip();
            while (buf.hasRemaining()) {
                out.write(buf);
            }
            done += n;
        }
    }

    private void decode(ByteBuffer src, Object dst, int off, int n) {
        switch (this) {
            case F32 -> src.asFloatBuffer().get((float[]) dst, off, n);
            case F64 -> {
                float[] f = (float[]) dst;
                for (int i = 0; i < n; i++) {
                    f[off + i] = (float) src.getDouble(i * 8);
                }
            }
            case F16 -> {
                float[] f = (float[]) dst;
                for (int i = 0; i < n; i++) {
                    f[off + i] = Float.float16ToFloat(src.getShort(i * 2));
                }
            }
            // bfloat16 is the top half of a float32, so widening is exact.
            case BF16 -> {
                float[] f = (float[]) dst;
                for (int i = 0; i < n; i++) {
                    f[off + i] = Float.intBitsToFloat((src.getShort(i * 2) & 0xFFFF) << 16);
                }
            }
            case I64 -> src.asLongBuffer().get((long[]) dst, off, n);
            case I32 -> src.asIntBuffer().get((int[]) dst, off, n);
            case I16 -> src.asShortBuffer().get((short[]) dst, off, n);
            case I8, U8 -> src.get((byte[]) dst, off, n);
            // Any non-zero byte is true; store the canonical 0/1 that BOOL tensors promise.
            case BOOL -> {
                byte[] b = (byte[]) dst;
                src.get(b, off, n);
                for (int i = off; i < off + n; i++) {
                    b[i] = (byte) (b[i] != 0 ? 1 : 0);
                }
            }
        }
    }

    private void encode(Object src, int off, int n, ByteBuffer dst) {
        switch (this) {
            case F32 -> dst.asFloatBuffer().put((float[]) src, off, n);
            case I64 -> dst.asLongBuffer().put((long[]) src, off, n);
            case I32 -> dst.asIntBuffer().put((int[]) src, off, n);
            case I16 -> dst.asShortBuffer().put((short[]) src, off, n);
            case I8, U8 -> dst.put((byte[]) src, off, n);
            case BOOL -> {
                byte[] b = (byte[]) src;
                for (int i = off; i < off + n; i++) {
                    dst.put((byte) (b[i] != 0 ? 1 : 0));
                }
            }
            case F64, F16, BF16 -> throw new IllegalStateException("no tensor is stored as " + this);
        }
        // The typed views above do not move dst's position.
        dst.position(n * byteSize);
    }

    /**
     * Checks dimensions read from a file and returns them as a tensor shape: each must be in [0, 2^31) and their
     * product at most {@link Shapes#MAX_ELEMENTS}. Runs before anything is allocated for the tensor.
     */
    static int[] toShape(long[] dims) {
        int[] shape = new int[dims.length];
        long n = 1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0 || dims[i] > Integer.MAX_VALUE) {
                throw new T2cException("shape " + Arrays.toString(dims) + " has an invalid dimension " + dims[i]);
            }
            shape[i] = (int) dims[i];
        }
        for (long d : dims) {
            if (d == 0) {
                return shape;
            }
        }
        for (long d : dims) {
            n *= d; // no overflow: n <= MAX_ELEMENTS < 2^31 and d < 2^31 before each step
            if (n > Shapes.MAX_ELEMENTS) {
                throw new T2cException("shape " + Arrays.toString(dims) + " has more than " + Shapes.MAX_ELEMENTS
                        + " elements, more than one tensor can hold");
            }
        }
        return shape;
    }

    static Object newArray(DType t, int n) {
        return switch (t) {
            case FLOAT32 -> new float[n];
            case INT8, UINT8, BOOL -> new byte[n];
            case INT16 -> new short[n];
            case INT32 -> new int[n];
            case INT64 -> new long[n];
        };
    }

    /**
     * Copies a strided view of {@code src} into a new dense row-major array: element {@code (i0, i1, ...)} of the
     * result is {@code src[offset + i0*stride[0] + i1*stride[1] + ...]}. Callers have checked every index is in range.
     */
    static Object gather(DType t, Object src, int[] shape, long[] stride, long offset) {
        int n = Shapes.numel(shape);
        Object dst = newArray(t, n);
        if (n == 0) {
            return dst;
        }
        int rank = shape.length;
        if (rank == 0) {
            System.arraycopy(src, (int) offset, dst, 0, 1);
            return dst;
        }
        int inner = shape[rank - 1];
        long innerStride = stride[rank - 1];
        int[] idx = new int[rank];
        long base = offset;
        for (int out = 0; out < n; out += inner) {
            if (innerStride == 1) {
                System.arraycopy(src, (int) base, dst, out, inner);
            } else {
                copyStrided(src, base, innerStride, dst, out, inner);
            }
            // Advance the outer index like an odometer, keeping base in step.
            for (int d = rank - 2; d >= 0; d--) {
                base += stride[d];
                if (++idx[d] < shape[d]) {
                    break;
                }
                base -= stride[d] * shape[d];
                idx[d] = 0;
            }
        }
        return dst;
    }

    private static void copyStrided(Object src, long from, long step, Object dst, int to, int n) {
        switch (dst) {
            case float[] d -> {
                float[] s = (float[]) src;
                for (int i = 0; i < n; i++) d[to + i] = s[(int) (from + i * step)];
            }
            case byte[] d -> {
                byte[] s = (byte[]) src;
                for (int i = 0; i < n; i++) d[to + i] = s[(int) (from + i * step)];
            }
            case short[] d -> {
                short[] s = (short[]) src;
                for (int i = 0; i < n; i++) d[to + i] = s[(int) (from + i * step)];
            }
            case int[] d -> {
                int[] s = (int[]) src;
                for (int i = 0; i < n; i++) d[to + i] = s[(int) (from + i * step)];
            }
            case long[] d -> {
                long[] s = (long[]) src;
                for (int i = 0; i < n; i++) d[to + i] = s[(int) (from + i * step)];
            }
            default -> throw new IllegalStateException("unexpected array " + dst.getClass());
        }
    }
}
