/**
 * Tensor operations an ONNX float executor needs, as static {@code Tensor -> Tensor} functions grouped by family:
 * {@link io.t2c.tensor.ops.Elementwise} (broadcasting arithmetic, comparisons, activations),
 * {@link io.t2c.tensor.ops.Reductions}, {@link io.t2c.tensor.ops.Movement} (transpose, slice, gather, pad, ...),
 * {@link io.t2c.tensor.ops.Pooling}, {@link io.t2c.tensor.ops.Normalization} and {@link io.t2c.tensor.ops.Resize}.
 * Semantics follow the ONNX operator specs; each family states its shared rules once (broadcasting, axes), and
 * every user-caused error is a {@link io.t2c.tensor.T2cException} naming the shapes or values involved.
 *
 * <p>Unlike the GEMM/convolution kernels, ops are not split into Scalar/Vector implementations of an interface:
 * each op is one scalar definition ({@code Elementwise.scalar}) with Vector API fast paths gathered in
 * {@code VectorKernels}, chosen once by {@code Vectorization}; the tests run both paths against float64
 * references. GEMM, convolution and integer GEMM live in {@code io.t2c.tensor.kernel}; op registration, attributes
 * and shape inference live in t2c-graph.
 */
package io.t2c.tensor.ops;
