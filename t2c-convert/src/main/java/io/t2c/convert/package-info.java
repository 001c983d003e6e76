/**
 * Conversion of a fake-quant graph into an integer-only graph ({@link io.t2c.convert.LowerToInteger}), the integer
 * ops it produces ({@link io.t2c.convert.IntegerOps}, fast kernels), the independent scalar
 * {@link io.t2c.convert.ReferenceExecutor} and the {@link io.t2c.convert.BitExactChecker} that compares them.
 * Quantizers and PTQ live in t2c-quant; docs/NUMERICS.md is the arithmetic this package implements.
 */
package io.t2c.convert;
