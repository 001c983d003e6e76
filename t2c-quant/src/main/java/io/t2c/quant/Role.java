package io.t2c.quant;

/** What a quantizer sits on: a layer's weight (static, seen once) or an activation (seen batch after batch). */
public enum Role { WEIGHT, ACTIVATION }
