package io.t2c.io.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.t2c.graph.Attributes;
import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.graph.op.OpRegistry;
import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Whole models built in code, run by our importer + executor and by ONNX Runtime on the same seeded inputs:
 * max |ours − ORT| / max |ORT| must stay ≤ 1e-4, at two batch sizes (the batch is dynamic).
 */
class OrtWholeModelTest {
    static final double TOLERANCE = 1e-4;

    @Test
    void resnetStyleCnnMatchesOrt() throws OrtException {
        OnnxLayers m = new OnnxLayers(new Random(1), 17);
        String x = m.b.input("x", DType.FLOAT32, -1, 3, 32, 32);
        String h = m.relu(m.bn(m.conv(x, 3, 16, 3, 1, 1, 1), 16));
        h = m.residual(h, 16, 16, 1);
        h = m.residual(h, 16, 32, 2);
        h = m.b.node("GlobalAveragePool", h);
        h = m.b.node("Flatten", Attributes.of("axis", 1), h);
        String y = m.b.node("Gemm", Attributes.of("transB", 1), h, m.param("fc_w", 0.2f, 10, 32), m.param("fc_b", 0.1f, 10));
        m.b.output(y, DType.FLOAT32, -1, 10);
        check(m.b.build(), "x", new int[] {3, 32, 32});
    }

    @Test
    void depthwiseSeparableCnnWithSqueezeExciteMatchesOrt() throws OrtException {
        OnnxLayers m = new OnnxLayers(new Random(2), 17);
        String x = m.b.input("x", DType.FLOAT32, -1, 3, 40, 40);
        String h = m.hardSwish(m.bn(m.conv(x, 3, 16, 3, 2, 1, 1), 16));
        // depthwise 3×3 + BN + HardSwish, then squeeze-excite, then pointwise 1×1
        h = m.hardSwish(m.bn(m.conv(h, 16, 16, 3, 1, 1, 16), 16));
        String se = m.b.node("GlobalAveragePool", h);
        se = m.relu(m.convBias(se, 16, 8, 1));
        se = m.b.node("HardSigmoid", Attributes.of("alpha", 1.0 / 6, "beta", 0.5), m.convBias(se, 8, 16, 1));
        h = m.b.node("Mul", h, se);
        h = m.hardSwish(m.bn(m.conv(h, 16, 24, 1, 1, 0, 1), 24));
        h = m.b.node("Clip", h, m.b.constant("zero", Tensor.scalar(0f).reshape()), m.b.constant("six", Tensor.scalar(6f).reshape()));
        h = m.b.node("MaxPool", Attributes.of("kernel_shape", new long[] {3, 3}, "strides", new long[] {2, 2},
                "pads", new long[] {1, 1, 1, 1}), h);
        h = m.b.node("GlobalAveragePool", h);
        h = m.b.node("Flatten", Attributes.of("axis", 1), h);
        String y = m.b.node("Gemm", Attributes.of("transB", 1), h, m.param("fc_w", 0.2f, 10, 24), m.param("fc_b", 0.1f, 10));
        m.b.output(y, DType.FLOAT32, -1, 10);
        check(m.b.build(), "x", new int[] {3, 40, 40});
    }

    /** Patch embedding, one pre-norm transformer block (4 heads, erf-GELU MLP), as torch exports ViTs. */
    @Test
    void vitBlockMatchesOrt() throws OrtException {
        int d = 64;
        int heads = 4;
        int dh = d / heads;
        OnnxLayers m = new OnnxLayers(new Random(3), 17);
        String x = m.b.input("x", DType.FLOAT32, -1, 3, 32, 32);
        String p = m.convBias(x, 3, d, 8, 8); // 4×4 patches of 8×8
        p = m.b.node("Reshape", p, m.b.constant("to_tokens", Tensor.vector(0, d, -1)));
        p = m.b.node("Transpose", Attributes.of("perm", new long[] {0, 2, 1}), p); // [N, 16, d]
        String t = m.b.node("Add", p, m.param("pos", 0.1f, 1, 16, d));
        String n1 = m.layerNorm(t, d);
        String q = m.heads(m.linear(n1, d, d), heads, dh);
        String k = m.heads(m.linear(n1, d, d), heads, dh);
        String v = m.heads(m.linear(n1, d, d), heads, dh);
        String kt = m.b.node("Transpose", Attributes.of("perm", new long[] {0, 1, 3, 2}), k);
        String s = m.b.node("Div", m.b.node("MatMul", q, kt), m.b.constant("sqrt_dh", Tensor.scalar((float) Math.sqrt(dh)).reshape()));
        String a = m.b.node("Softmax", Attributes.of("axis", -1), s);
        String o = m.b.node("MatMul", a, v); // [N, h, 16, dh]
        o = m.b.node("Transpose", Attributes.of("perm", new long[] {0, 2, 1, 3}), o);
        o = m.b.node("Reshape", o, m.b.constant("merge", Tensor.vector(0, 0, d)));
        t = m.b.node("Add", t, m.linear(o, d, d));
        String n2 = m.layerNorm(t, d);
        String h = m.gelu(m.linear(n2, d, 4 * d));
        t = m.b.node("Add", t, m.linear(h, 4 * d, d));
        String cls = m.b.node("ReduceMean", Attributes.of("axes", new long[] {1}, "keepdims", 0), m.layerNorm(t, d));
        String y = m.linear(cls, d, 10);
        m.b.output(y, DType.FLOAT32, -1, 10);
        check(m.b.build(), "x", new int[] {3, 32, 32});
    }

    /** Opset-20 Gelu in both forms (not covered by the opset-17 conformance data), inside a small MLP. */
    @Test
    void geluOpsetTwentyMatchesOrt() throws OrtException {
        for (String approximate : new String[] {"none", "tanh"}) {
            OnnxLayers m = new OnnxLayers(new Random(4), 20);
            String x = m.b.input("x", DType.FLOAT32, -1, 3, 8, 8);
            String h = m.b.node("Flatten", Attributes.of("axis", 1), x);
            h = m.b.node("Gelu", Attributes.of("approximate", approximate), m.linear(h, 192, 64));
            String y = m.linear(h, 64, 10);
            m.b.output(y, DType.FLOAT32, -1, 10);
            check(m.b.build(), "x", new int[] {3, 8, 8});
        }
    }

    static void check(ModelProto model, String inputName, int[] sampleShape) throws OrtException {
        Graph g = new OnnxImporter(OpRegistry.standard()).convert(model, "test-model");
        Executor ours = new Executor(g);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
             OrtSession ort = env.createSession(model.toByteArray(), opts)) {
            Random r = new Random(42);
            for (int batch : new int[] {1, 3}) {
                int[] shape = new int[sampleShape.length + 1];
                shape[0] = batch;
                System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
                float[] data = new float[Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
                for (int i = 0; i < data.length; i++) {
                    data[i] = (float) r.nextGaussian();
                }
                Tensor mine = ours.run(Tensor.of(data, shape));
                long[] lshape = Arrays.stream(shape).asLongStream().toArray();
                try (OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(data), lshape);
                     OrtSession.Result res = ort.run(Map.of(inputName, in))) {
                    OnnxTensor out = (OnnxTensor) res.get(0);
                    float[] want = out.getFloatBuffer().array();
                    assertArrayEquals(Arrays.stream(out.getInfo().getShape()).mapToInt(l -> (int) l).toArray(), mine.shape());
                    double maxDiff = 0;
                    double maxRef = 0;
                    for (int i = 0; i < want.length; i++) {
                        maxDiff = Math.max(maxDiff, Math.abs(mine.floats()[i] - want[i]));
                        maxRef = Math.max(maxRef, Math.abs(want[i]));
                    }
                    double rel = maxDiff / maxRef;
                    System.out.printf("%s batch %d: max relative error vs ONNX Runtime %.2e%n", g.name(), batch, rel);
                    assertTrue(rel <= TOLERANCE, "relative error " + rel + " > " + TOLERANCE);
                }
            }
        }
    }
}
