package io.t2c.io.onnx;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.t2c.graph.Attributes;
import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import java.util.Arrays;
import java.util.Random;

/**
 * Emits common layers (conv, BatchNorm, residual blocks, linear, LayerNorm, attention heads, erf-GELU) into an
 * {@link OnnxBuilder} with seeded random parameters, the way PyTorch exports them. For tests and benchmarks that need
 * realistic models without shipping weight files.
 */
public final class OnnxLayers {
    public final OnnxBuilder b;
    private final Random r;

    public OnnxLayers(Random r, int opset) {
        this.r = r;
        this.b = new OnnxBuilder("test-model", opset);
    }

    public String param(String name, float scale, int... shape) {
        float[] v = new float[Arrays.stream(shape).reduce(1, (a, c) -> a * c)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * scale);
        }
        return b.constant(name, Tensor.of(v, shape));
    }

    public String positive(String name, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = 0.5f + r.nextFloat();
        }
        return b.constant(name, Tensor.of(v, n));
    }

    public String conv(String x, int cin, int cout, int k, int stride, int pad, int groups) {
        float scale = (float) Math.sqrt(2.0 / (cin / groups * k * k));
        return b.node("Conv", Attributes.of("kernel_shape", new long[] {k, k}, "strides", new long[] {stride, stride},
                "pads", new long[] {pad, pad, pad, pad}, "group", groups), x, param("w", scale, cout, cin / groups, k, k));
    }

    public String convBias(String x, int cin, int cout, int k) {
        return convBias(x, cin, cout, k, 1);
    }

    public String convBias(String x, int cin, int cout, int k, int stride) {
        float scale = (float) Math.sqrt(2.0 / (cin * k * k));
        return b.node("Conv", Attributes.of("kernel_shape", new long[] {k, k}, "strides", new long[] {stride, stride}),
                x, param("w", scale, cout, cin, k, k), param("b", 0.1f, cout));
    }

    public String bn(String x, int c) {
        return b.node("BatchNormalization", Attributes.of("epsilon", 1e-5), x, positive("gamma", c), param("beta", 0.1f, c),
                param("mean", 0.1f, c), positive("var", c));
    }

    public String relu(String x) {
        return b.node("Relu", x);
    }

    public String hardSwish(String x) {
        return b.node("HardSwish", x);
    }

    public String residual(String x, int cin, int cout, int stride) {
        String h = relu(bn(conv(x, cin, cout, 3, stride, 1, 1), cout));
        h = bn(conv(h, cout, cout, 3, 1, 1, 1), cout);
        String shortcut = stride == 1 && cin == cout ? x : bn(conv(x, cin, cout, 1, stride, 0, 1), cout);
        return relu(b.node("Add", h, shortcut));
    }

    public String linear(String x, int in, int out) {
        return b.node("Add", b.node("MatMul", x, param("w", (float) Math.sqrt(1.0 / in), in, out)), param("b", 0.05f, out));
    }

    public String layerNorm(String x, int d) {
        return b.node("LayerNormalization", Attributes.of("axis", -1, "epsilon", 1e-6), x, positive("ln_g", d), param("ln_b", 0.1f, d));
    }

    public String heads(String x, int heads, int dh) {
        String h = b.node("Reshape", x, b.constant("split_heads", Tensor.vector(0, 0, heads, dh)));
        return b.node("Transpose", Attributes.of("perm", new long[] {0, 2, 1, 3}), h);
    }

    /** GELU as torch exports it: x · 0.5 · (1 + erf(x / √2)). */
    public String gelu(String x) {
        String e = b.node("Erf", b.node("Div", x, b.constant("sqrt2", Tensor.scalar((float) Math.sqrt(2)).reshape())));
        String one = b.node("Add", e, b.constant("one", Tensor.scalar(1f).reshape()));
        return b.node("Mul", b.node("Mul", x, one), b.constant("half", Tensor.scalar(0.5f).reshape()));
    }

    /**
     * A ResNet-18-shaped model (torchvision topology: 7×7 stem, max pool, 4 stages of 2 basic blocks, 1000 classes)
     * with seeded random weights, input {@code x: [N, 3, 224, 224]}, opset 17.
     */
    public static ModelProto resnet18(long seed) {
        OnnxLayers m = new OnnxLayers(new Random(seed), 17);
        String x = m.b.input("x", DType.FLOAT32, -1, 3, 224, 224);
        String h = m.relu(m.bn(m.conv(x, 3, 64, 7, 2, 3, 1), 64));
        h = m.b.node("MaxPool", Attributes.of("kernel_shape", new long[] {3, 3}, "strides", new long[] {2, 2},
                "pads", new long[] {1, 1, 1, 1}), h);
        int cin = 64;
        for (int cout : new int[] {64, 128, 256, 512}) {
            h = m.residual(h, cin, cout, cout == 64 ? 1 : 2);
            h = m.residual(h, cout, cout, 1);
            cin = cout;
        }
        h = m.b.node("Flatten", Attributes.of("axis", 1), m.b.node("GlobalAveragePool", h));
        String y = m.b.node("Gemm", Attributes.of("transB", 1), h, m.param("fc_w", 0.03f, 1000, 512), m.param("fc_b", 0.01f, 1000));
        m.b.output(y, DType.FLOAT32, -1, 1000);
        return m.b.build();
    }
}
