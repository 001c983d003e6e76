/**
 * Dense tensors ({@link io.t2c.tensor.Tensor}), their element types and shape arithmetic. Compute kernels live in
 * {@code io.t2c.tensor.kernel}; the graph, ops and execution are in t2c-graph.
 */
package io.t2c.tensor;
