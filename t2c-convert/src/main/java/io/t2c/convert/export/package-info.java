/**
 * Export of integer graphs: to ONNX in the exact style (integer ONNX ops, bit-exact with our executors) or the
 * QOperator style (QLinearConv and Quantize/DequantizeLinear, float requantization), with the check that runs an export
 * against our integer executor; and to a self-contained C99 reference ({@link io.t2c.convert.export.CExport}), checked
 * by compiling it with gcc ({@link io.t2c.convert.export.CCheck}). Neither ONNX Runtime nor gcc is a dependency: a
 * runner is found on the class path (tests), gcc on the PATH. Also the fake-quant model (not the integer one) as
 * QONNX for FINN ({@link io.t2c.convert.export.QonnxExport}).
 */
package io.t2c.convert.export;
