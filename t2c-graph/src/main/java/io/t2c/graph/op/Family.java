package io.t2c.graph.op;

/**
 * Kinds of op, so passes can ask "is this a movement op?" instead of listing names (tinygrad's GroupOp).
 * QUANTIZE ops (fake quantizers) round a value onto a quantization grid. MOVEMENT ops only rearrange or select elements and never compute new values, so integer tensors pass through them.
 */
public enum Family { ELEMENTWISE, REDUCE, MOVEMENT, LINEAR, POOL, NORMALIZATION, SHAPE, CONTROL, QUANTIZE }
