package io.t2c.convert.export;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.graph.ShapeInference;
import io.t2c.graph.TensorInfo;
import io.t2c.graph.Value;
import io.t2c.graph.op.OpRegistry;
import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs an exported model and our integer executor on the same samples. For the exact style every integer value
 * (codes and accumulators, not only the logits) and the float outputs must be equal bit for bit; for the QOperator
 * style, which requantizes in float, the top-1 agreement of the first output is what is reported.
 */
public final class ExportCheck {
    private ExportCheck() {}

    /**
     * {@code exactSamples}: samples on which every compared value equalled ours; {@code values} compared per sample;
     * {@code agreement}: top-1 agreement of the first output; {@code firstMismatch}: where they first differed, or null.
     */
    public record Report(int samples, int exactSamples, int values, double agreement, String firstMismatch) {}

    public static Report run(Graph integer, OnnxExport.Result export, Tensor images, OnnxRunner runner) {
        String input = integer.inputs().get(0).name();
        String output = integer.outputs().get(0).name();
        Map<String, TensorInfo> infos = ShapeInference.infer(integer, OpRegistry.standard(), 1);
        // Our side: the graph with every compared integer value as an extra output.
        Map<String, String> compared = new LinkedHashMap<>();
        compared.put(output, output);
        compared.putAll(export.integerValues());
        List<Value> outs = new ArrayList<>();
        compared.keySet().forEach(v -> outs.add(new Value(v, infos.get(v).dtype(), infos.get(v).shape())));
        Executor ours = new Executor(new Graph(integer.name(), integer.inputs(), outs, integer.nodes(),
                integer.initializers(), integer.metadata()));
        // Their side: the same values as outputs of the ONNX model.
        ModelProto.Builder model = export.model().toBuilder();
        for (String onnxName : compared.values()) {
            if (model.getGraph().getOutputList().stream().noneMatch(o -> o.getName().equals(onnxName))) {
                model.getGraphBuilder().addOutput(ValueInfoProto.newBuilder().setName(onnxName));
            }
        }
        byte[] bytes = model.build().toByteArray();
        int n = images.dim(0);
        int exact = 0;
        int agree = 0;
        String firstMismatch = null;
        for (int i = 0; i < n; i++) {
            Tensor x = sample(images, i);
            Map<String, Tensor> mine = ours.run(Map.of(input, x));
            Map<String, Tensor> theirs = runner.run(bytes, input, x, List.copyOf(compared.values()));
            boolean all = true;
            for (Map.Entry<String, String> e : compared.entrySet()) {
                if (!equal(mine.get(e.getKey()), theirs.get(e.getValue()))) {
                    all = false;
                    if (firstMismatch == null) {
                        firstMismatch = "sample " + i + ": " + e.getKey();
                    }
                }
            }
            exact += all ? 1 : 0;
            agree += argmax(mine.get(output)) == argmax(theirs.get(output)) ? 1 : 0;
        }
        return new Report(n, exact, compared.size(), agree / (double) n, firstMismatch);
    }

    /** Equal shapes and equal values: floats bit for bit, integers as numbers whatever type holds them. */
    static boolean equal(Tensor a, Tensor b) {
        if (a == null || b == null || !java.util.Arrays.equals(a.shape(), b.shape())) {
            return false;
        }
        if (a.dtype() == DType.FLOAT32 || b.dtype() == DType.FLOAT32) {
            if (a.dtype() != b.dtype()) {
                return false;
            }
            float[] x = a.floats();
            float[] y = b.floats();
            for (int i = 0; i < x.length; i++) {
                if (Float.floatToRawIntBits(x[i]) != Float.floatToRawIntBits(y[i])) {
                    return false;
                }
            }
            return true;
        }
        for (int i = 0; i < a.size(); i++) {
            if (a.getLong(i) != b.getLong(i)) {
                return false;
            }
        }
        return true;
    }

    /** Sample {@code i} of a batch as a batch of one. */
    static Tensor sample(Tensor images, int i) {
        int per = images.size() / images.dim(0);
        int[] shape = images.shape();
        shape[0] = 1;
        return Tensor.of(java.util.Arrays.copyOfRange(images.floats(), i * per, (i + 1) * per), shape);
    }

    private static int argmax(Tensor logits) {
        float[] v = logits.floats();
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
