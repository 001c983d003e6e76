/**
 * Reverse-mode automatic differentiation over the graph IR: {@link io.t2c.autograd.Backprop} runs a graph forward
 * keeping what the backward pass needs, then walks the nodes in reverse calling each op's
 * {@link io.t2c.graph.op.OpDef#backward}. The gradient rules themselves live with the ops in
 * {@code io.t2c.graph.op}; optimizers and training loops are elsewhere.
 */
package io.t2c.autograd;
