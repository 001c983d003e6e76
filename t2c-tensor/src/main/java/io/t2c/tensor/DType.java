package io.t2c.tensor;

/**
 * Element types a {@link Tensor} can hold, with the Java array that stores each.
 * FLOAT32 in {@code float[]}; INT8, UINT8 and BOOL in {@code byte[]} (UINT8 read as {@code b & 0xFF}, BOOL as 0/1);
 * INT16 in {@code short[]}; INT32 in {@code int[]}; INT64 in {@code long[]}.
 */
public enum DType {
    FLOAT32(4, true), INT8(1, false), UINT8(1, false), INT16(2, false), INT32(4, false), INT64(8, false),
    BOOL(1, false);

    private final int byteSize;
    private final boolean floating;

    DType(int byteSize, boolean floating) {
        this.byteSize = byteSize;
        this.floating = floating;
    }

    public int byteSize() {
        return byteSize;
    }

    public boolean isFloating() {
        return floating;
    }

    public boolean isInteger() {
        return !floating && this != BOOL;
    }

    /** Allocates the backing array for {@code n} elements of this type. */
    Object newArray(int n) {
        return switch (this) {
            case FLOAT32 -> new float[n];
            case INT8, UINT8, BOOL -> new byte[n];
            case INT16 -> new short[n];
            case INT32 -> new int[n];
            case INT64 -> new long[n];
        };
    }
}
