package io.t2c.convert.extract;

import io.t2c.tensor.T2cException;

/**
 * The integer type of an extracted tensor: its bit width (1–64) and signedness, e.g. int8, uint4, int32. Files store
 * values in the smallest standard container that holds the width ({@link #storageBits()}: 8, 16, 32 or 64 bits);
 * hex files use the width itself.
 */
public record IntType(int bits, boolean signed) {
    public IntType {
        if (bits < 1 || bits > 64 || !signed && bits == 64) {
            throw new T2cException("integer type of " + bits + " bits (" + (signed ? "signed" : "unsigned")
                    + ") is not supported: 1 to 64 signed, 1 to 63 unsigned");
        }
    }

    /** Parses "int8" / "uint4" (the {@code w_type} / {@code y_type} attributes of the integer graph). */
    public static IntType parse(String s) {
        boolean unsigned = s.startsWith("uint");
        if (!unsigned && !s.startsWith("int")) {
            throw new T2cException("integer type '" + s + "': expected intB or uintB");
        }
        return new IntType(Integer.parseInt(s.substring(unsigned ? 4 : 3)), !unsigned);
    }

    /** The narrowest type holding every value of [lo, hi]: signed when lo is negative. */
    public static IntType forRange(long lo, long hi) {
        boolean signed = lo < 0;
        for (int bits = 1; ; bits++) {
            IntType t = new IntType(bits, signed);
            if (t.holds(lo, hi)) {
                return t; // terminates: int64 holds any signed range, uint63 any non-negative one
            }
        }
    }

    public long min() {
        return signed ? -(1L << (bits - 1)) : 0;
    }

    public long max() {
        return signed ? (bits == 64 ? Long.MAX_VALUE : (1L << (bits - 1)) - 1) : (1L << bits) - 1;
    }

    boolean holds(long lo, long hi) {
        return lo >= min() && hi <= max();
    }

    /** 8, 16, 32 or 64: the container of npy, bin and C files (an unsigned 32-bit value needs a 32-bit container). */
    public int storageBits() {
        return bits <= 8 ? 8 : bits <= 16 ? 16 : bits <= 32 ? 32 : 64;
    }

    /** The container's name: int8, uint16, ... (npy dtype names; the C type adds "_t"). */
    public String storageName() {
        return (signed ? "int" : "uint") + storageBits();
    }

    /** The npy descr: '|i1', '<u2', '<i4', ... */
    String npyDescr() {
        int bytes = storageBits() / 8;
        return (bytes == 1 ? "|" : "<") + (signed ? "i" : "u") + bytes;
    }

    /** Hex digits per value: ceil(bits / 4). */
    int hexDigits() {
        return (bits + 3) / 4;
    }

    /** Throws naming the tensor unless v fits this type: extraction never truncates silently. */
    void check(String tensor, long v) {
        if (v < min() || v > max()) {
            throw new T2cException("tensor " + tensor + ": value " + v + " does not fit " + this);
        }
    }

    @Override
    public String toString() {
        return (signed ? "int" : "uint") + bits;
    }
}
