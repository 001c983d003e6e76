package io.t2c.graph.op;

import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;

/** ONNX TensorProto.DataType codes ↔ {@link DType}. FLOAT16/BFLOAT16/DOUBLE values are held as FLOAT32. */
public final class OnnxTypes {
    private OnnxTypes() {}

    public static DType dtype(int onnxType, String where) {
        return switch (onnxType) {
            case 1, 10, 11, 16 -> DType.FLOAT32; // FLOAT, FLOAT16, DOUBLE, BFLOAT16: computed in float32
            case 2 -> DType.UINT8;
            case 3 -> DType.INT8;
            case 5 -> DType.INT16;
            case 6 -> DType.INT32;
            case 7 -> DType.INT64;
            case 9 -> DType.BOOL;
            default -> throw new T2cException(where + ": ONNX element type " + onnxType + " (" + name(onnxType)
                    + ") is not supported; supported: float, float16, bfloat16, double, int8, uint8, int16, int32, int64, bool");
        };
    }

    public static int onnxType(DType t) {
        return switch (t) {
            case FLOAT32 -> 1;
            case UINT8 -> 2;
            case INT8 -> 3;
            case INT16 -> 5;
            case INT32 -> 6;
            case INT64 -> 7;
            case BOOL -> 9;
        };
    }

    public static String name(int onnxType) {
        return switch (onnxType) {
            case 1 -> "float";
            case 2 -> "uint8";
            case 3 -> "int8";
            case 4 -> "uint16";
            case 5 -> "int16";
            case 6 -> "int32";
            case 7 -> "int64";
            case 8 -> "string";
            case 9 -> "bool";
            case 10 -> "float16";
            case 11 -> "double";
            case 12 -> "uint32";
            case 13 -> "uint64";
            case 14 -> "complex64";
            case 15 -> "complex128";
            case 16 -> "bfloat16";
            default -> "type " + onnxType;
        };
    }
}
