package io.t2c.convert.export;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@link OnnxRunner} on ONNX Runtime (test scope), registered for the export checks of the test suites. */
public final class OrtRunner implements OnnxRunner {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private byte[] cachedModel;
    private OrtSession session;

    @Override
    public synchronized Map<String, Tensor> run(byte[] model, String inputName, Tensor input, List<String> outputs) {
        try {
            if (model != cachedModel) {
                if (session != null) {
                    session.close();
                    session = null;
                }
                OrtSession.SessionOptions options = new OrtSession.SessionOptions();
                options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
                session = env.createSession(model, options);
                cachedModel = model;
            }
            long[] shape = Arrays.stream(input.shape()).asLongStream().toArray();
            try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(input.floats()), shape);
                 OrtSession.Result r = session.run(Map.of(inputName, x), new HashSet<>(outputs))) {
                Map<String, Tensor> out = new LinkedHashMap<>();
                for (String name : outputs) {
                    out.put(name, toTensor((OnnxTensor) r.get(name).orElseThrow()));
                }
                return out;
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime: " + e.getMessage(), e);
        }
    }

    static Tensor toTensor(OnnxTensor t) {
        int[] shape = Arrays.stream(t.getInfo().getShape()).mapToInt(Math::toIntExact).toArray();
        return switch (t.getInfo().type) {
            case FLOAT -> {
                float[] v = new float[t.getFloatBuffer().remaining()];
                t.getFloatBuffer().get(v);
                yield Tensor.of(v, shape);
            }
            case INT8, UINT8 -> {
                byte[] v = new byte[t.getByteBuffer().remaining()];
                t.getByteBuffer().get(v);
                yield Tensor.ofBytes(t.getInfo().onnxType == ai.onnxruntime.TensorInfo.OnnxTensorType
                        .ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8 ? DType.UINT8 : DType.INT8, v, shape);
            }
            case INT32 -> {
                int[] v = new int[t.getIntBuffer().remaining()];
                t.getIntBuffer().get(v);
                yield Tensor.ofInts(v, shape);
            }
            case INT64 -> {
                long[] v = new long[t.getLongBuffer().remaining()];
                t.getLongBuffer().get(v);
                yield Tensor.ofLongs(v, shape);
            }
            default -> throw new IllegalStateException("unexpected ONNX Runtime output type " + t.getInfo().type);
        };
    }
}
