/**
 * Compute kernels over primitive arrays: float GEMM ({@link io.t2c.tensor.kernel.GemmF32}), int8 GEMM
 * ({@link io.t2c.tensor.kernel.GemmS8}), convolution and transposed convolution
 * ({@link io.t2c.tensor.kernel.Conv2dF32}, {@link io.t2c.tensor.kernel.ConvTranspose2dF32}, with the Tensor-level
 * {@link io.t2c.tensor.kernel.Convolutions}), and the thread pool ({@link io.t2c.tensor.kernel.Parallel}).
 * Each family is an interface with a plain-loop {@code Scalar*} reference and a Vector API {@code Vector*}
 * implementation; {@link io.t2c.tensor.kernel.Kernels#get()} picks one set per JVM. Ops, shapes of graphs and
 * broadcasting live in t2c-graph; this package only computes.
 */
package io.t2c.tensor.kernel;
