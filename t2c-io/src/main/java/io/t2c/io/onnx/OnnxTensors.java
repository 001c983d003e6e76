package io.t2c.io.onnx;

import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import io.t2c.graph.op.OnnxTypes;
import io.t2c.tensor.DType;
import io.t2c.tensor.Shapes;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Converts ONNX TensorProtos to {@link Tensor}s and back. Reads {@code raw_data} and the typed fields; double,
 * float16 and bfloat16 become float32. Declared sizes are checked against the bytes present before anything is
 * allocated, and external-data tensors are refused.
 */
public final class OnnxTensors {
    private OnnxTensors() {}

    public static Tensor toTensor(TensorProto p, String where) {
        String what = where + ": tensor '" + p.getName() + "'";
        if (p.getDataLocation() == TensorProto.DataLocation.EXTERNAL || p.getExternalDataCount() > 0) {
            throw new T2cException(what + " keeps its data in an external file, which is not supported;"
                    + " re-export the model with the weights inside the .onnx file (save_as_external_data=False)");
        }
        int[] shape = new int[p.getDimsCount()];
        for (int i = 0; i < shape.length; i++) {
            long d = p.getDims(i);
            if (d < 0 || d > Shapes.MAX_ELEMENTS) {
                throw new T2cException(what + " declares an invalid shape " + p.getDimsList());
            }
            shape[i] = (int) d;
        }
        int n;
        try {
            n = Shapes.numel(shape);
        } catch (T2cException e) {
            throw new T2cException(what + ": " + e.getMessage());
        }
        int type = p.getDataType();
        DType dtype = OnnxTypes.dtype(type, what);
        int storedBytes = storedElementSize(type);
        if (p.hasRawData() || !p.getRawData().isEmpty()) {
            ByteString raw = p.getRawData();
            if ((long) n * storedBytes != raw.size()) {
                throw new T2cException(what + " declares shape " + Arrays.toString(shape) + " (" + n + " elements of "
                        + OnnxTypes.name(type) + ") but holds " + raw.size() + " bytes; the file is corrupt");
            }
            return fromRaw(raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN), type, dtype, n, shape);
        }
        int count = switch (type) {
            case 1 -> p.getFloatDataCount();
            case 11 -> p.getDoubleDataCount();
            case 7 -> p.getInt64DataCount();
            default -> p.getInt32DataCount();
        };
        if (count != n) {
            throw new T2cException(what + " declares shape " + Arrays.toString(shape) + " (" + n + " elements) but holds "
                    + count + " values; the file is corrupt");
        }
        Tensor t = Tensor.zeros(dtype, shape);
        for (int i = 0; i < n; i++) {
            switch (type) {
                case 1 -> t.floats()[i] = p.getFloatData(i);
                case 11 -> t.floats()[i] = (float) p.getDoubleData(i);
                case 10 -> t.floats()[i] = Float.float16ToFloat((short) p.getInt32Data(i));
                case 16 -> t.floats()[i] = Float.intBitsToFloat(p.getInt32Data(i) << 16);
                case 7 -> t.longs()[i] = p.getInt64Data(i);
                case 6 -> t.ints()[i] = p.getInt32Data(i);
                case 5 -> t.shorts()[i] = (short) p.getInt32Data(i);
                case 2, 3, 9 -> t.bytes()[i] = (byte) p.getInt32Data(i);
                default -> throw new IllegalStateException("unhandled type " + type);
            }
        }
        return t;
    }

    private static int storedElementSize(int onnxType) {
        return switch (onnxType) {
            case 2, 3, 9 -> 1;
            case 5, 10, 16 -> 2;
            case 1, 6 -> 4;
            case 7, 11 -> 8;
            default -> throw new IllegalStateException("unhandled type " + onnxType);
        };
    }

    private static Tensor fromRaw(ByteBuffer b, int type, DType dtype, int n, int[] shape) {
        Tensor t = Tensor.zeros(dtype, shape);
        switch (type) {
            case 1 -> b.asFloatBuffer().get(t.floats());
            case 11 -> {
                float[] f = t.floats();
                for (int i = 0; i < n; i++) {
                    f[i] = (float) b.getDouble(i * 8);
                }
            }
            case 10 -> {
                float[] f = t.floats();
                for (int i = 0; i < n; i++) {
                    f[i] = Float.float16ToFloat(b.getShort(i * 2));
                }
            }
            case 16 -> {
                float[] f = t.floats();
                for (int i = 0; i < n; i++) {
                    f[i] = Float.intBitsToFloat((b.getShort(i * 2) & 0xFFFF) << 16);
                }
            }
            case 7 -> b.asLongBuffer().get(t.longs());
            case 6 -> b.asIntBuffer().get(t.ints());
            case 5 -> b.asShortBuffer().get(t.shorts());
            case 2, 3, 9 -> b.get(t.bytes());
            default -> throw new IllegalStateException("unhandled type " + type);
        }
        return t;
    }

    /** Serializes a tensor as a TensorProto with raw little-endian data. */
    public static TensorProto toProto(String name, Tensor t) {
        ByteBuffer b = ByteBuffer.allocate(t.size() * t.dtype().byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        switch (t.dtype()) {
            case FLOAT32 -> b.asFloatBuffer().put(t.floats());
            case INT64 -> b.asLongBuffer().put(t.longs());
            case INT32 -> b.asIntBuffer().put(t.ints());
            case INT16 -> b.asShortBuffer().put(t.shorts());
            case INT8, UINT8, BOOL -> b.put(t.bytes());
        }
        TensorProto.Builder p = TensorProto.newBuilder().setName(name).setDataType(OnnxTypes.onnxType(t.dtype()))
                .setRawData(ByteString.copyFrom(b.array()));
        for (int d : t.shape()) {
            p.addDims(d);
        }
        return p.build();
    }
}
