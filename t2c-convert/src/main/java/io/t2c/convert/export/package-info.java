/**
 * Export of integer graphs to ONNX: the exact style (integer ONNX ops, bit-exact with our executors), the QOperator
 * style (QLinearConv and Quantize/DequantizeLinear, float requantization), and the check that runs an export against
 * our integer executor. ONNX Runtime itself is not a dependency; a runner is found on the class path (tests).
 */
package io.t2c.convert.export;
