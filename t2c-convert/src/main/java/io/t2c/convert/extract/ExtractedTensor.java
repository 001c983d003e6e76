package io.t2c.convert.extract;

/**
 * One tensor of one op as extraction writes it: its role (x, x2, w, b, acc, y, pe_x, pe_w), row-major values,
 * shape, layout (NCHW, OIHW, ...), integer type, and how to read it as real numbers (scale per channel or one,
 * zero point per channel or one; null where there is no meaningful scale).
 */
record ExtractedTensor(String role, long[] values, int[] shape, String layout, IntType type, double[] scale,
                       long[] zeroPoint) {}
