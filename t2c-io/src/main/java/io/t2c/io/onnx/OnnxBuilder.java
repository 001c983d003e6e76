package io.t2c.io.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import io.t2c.graph.Attributes;
import io.t2c.graph.op.OnnxTypes;
import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A small fluent writer of ONNX models, so code that emits ONNX reads like the graph:
 * {@code String y = b.node("Conv", attrs, x, b.constant("w", w));}. Node and value names are made unique.
 */
public final class OnnxBuilder {
    private final GraphProto.Builder graph = GraphProto.newBuilder();
    private final int opset;
    private final Map<String, Integer> domains = new java.util.LinkedHashMap<>();
    private int counter;

    public OnnxBuilder(String name, int opset) {
        this.opset = opset;
        graph.setName(name);
    }

    /** Declares a graph input; dimensions {@code < 0} are dynamic ("N"). */
    public String input(String name, DType dtype, int... shape) {
        graph.addInput(valueInfo(name, dtype, shape));
        return name;
    }

    /** Declares an operator set of another domain (e.g. QONNX's custom ops), written beside the default one. */
    public OnnxBuilder opsetImport(String domain, int version) {
        domains.put(domain, version);
        return this;
    }

    /** An initializer under exactly this name (the caller keeps names unique), e.g. a state-dict key. */
    public String initializer(String name, Tensor t) {
        graph.addInitializer(OnnxTensors.toProto(name, t));
        return name;
    }

    /**
     * Adds a node of any domain ("" for ONNX's) with the given input and output names, as a graph already named
     * them; the node gets {@code name} made unique by a counter.
     */
    public void node(String domain, String opType, String name, Attributes attrs, List<String> inputs,
                     List<String> outputs) {
        NodeProto.Builder n = NodeProto.newBuilder().setName(name + "_" + counter++).setOpType(opType)
                .addAllInput(inputs).addAllOutput(outputs);
        if (!domain.isEmpty()) {
            n.setDomain(domain);
        }
        for (Map.Entry<String, Object> e : attrs.asMap().entrySet()) {
            n.addAttribute(attribute(e.getKey(), e.getValue()));
        }
        graph.addNode(n);
    }

    /** A fresh value name derived from {@code base}. */
    public String fresh(String base) {
        return base + "_" + counter++;
    }

    public String constant(String name, Tensor t) {
        String n = name + "_" + counter++;
        graph.addInitializer(OnnxTensors.toProto(n, t));
        return n;
    }

    /**
     * A DOUBLE initializer: our tensors have no float64 type, but exact integer arithmetic in ONNX needs doubles
     * (a float32 quotient x/Δ would round differently from ours).
     */
    public String constantDoubles(String name, double[] values, int... shape) {
        String n = name + "_" + counter++;
        ai.onnx.proto.OnnxMl.TensorProto.Builder t = ai.onnx.proto.OnnxMl.TensorProto.newBuilder().setName(n)
                .setDataType(ai.onnx.proto.OnnxMl.TensorProto.DataType.DOUBLE.getNumber());
        for (int d : shape) {
            t.addDims(d);
        }
        for (double v : values) {
            t.addDoubleData(v);
        }
        graph.addInitializer(t);
        return n;
    }

    /** Adds a single-output node whose output has the given name (a graph output keeps the model's own name). */
    public String nodeNamed(String outputName, String opType, Attributes attrs, String... inputs) {
        NodeProto.Builder n = NodeProto.newBuilder().setName(opType.toLowerCase(java.util.Locale.ROOT) + "_"
                + counter++).setOpType(opType).addOutput(outputName);
        for (String in : inputs) {
            n.addInput(in);
        }
        for (Map.Entry<String, Object> e : attrs.asMap().entrySet()) {
            n.addAttribute(attribute(e.getKey(), e.getValue()));
        }
        graph.addNode(n);
        return outputName;
    }

    /** Adds a single-output node and returns its output's name. */
    public String node(String opType, Attributes attrs, String... inputs) {
        return nodeN(opType, attrs, 1, inputs).get(0);
    }

    public String node(String opType, String... inputs) {
        return node(opType, Attributes.EMPTY, inputs);
    }

    /** Adds a node with {@code outputs} outputs and returns their names. */
    public List<String> nodeN(String opType, Attributes attrs, int outputs, String... inputs) {
        String name = opType.toLowerCase(java.util.Locale.ROOT) + "_" + counter++;
        NodeProto.Builder n = NodeProto.newBuilder().setName(name).setOpType(opType);
        for (String in : inputs) {
            n.addInput(in);
        }
        List<String> outs = new ArrayList<>();
        for (int i = 0; i < outputs; i++) {
            String o = outputs == 1 ? name + "_out" : name + "_out" + i;
            n.addOutput(o);
            outs.add(o);
        }
        for (Map.Entry<String, Object> e : attrs.asMap().entrySet()) {
            n.addAttribute(attribute(e.getKey(), e.getValue()));
        }
        graph.addNode(n);
        return outs;
    }

    /** Marks a value as a graph output (type and shape may be left unknown: dtype null, shape null). */
    public void output(String name, DType dtype, int... shape) {
        graph.addOutput(valueInfo(name, dtype, shape));
    }

    public ModelProto build() {
        ModelProto.Builder m = ModelProto.newBuilder().setIrVersion(8).setProducerName("t2c")
                .setProducerVersion("0.1.0")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset));
        domains.forEach((d, v) -> m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(d).setVersion(v)));
        return m.setGraph(graph.build()).build();
    }

    private static ValueInfoProto valueInfo(String name, DType dtype, int[] shape) {
        TypeProto.Tensor.Builder tt = TypeProto.Tensor.newBuilder();
        if (dtype != null) {
            tt.setElemType(OnnxTypes.onnxType(dtype));
        }
        if (shape != null) {
            TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
            for (int i = 0; i < shape.length; i++) {
                s.addDim(shape[i] < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam(i == 0 ? "N" : "d" + i)
                        : TensorShapeProto.Dimension.newBuilder().setDimValue(shape[i]));
            }
            tt.setShape(s);
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(tt)).build();
    }

    static AttributeProto attribute(String name, Object v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name);
        switch (v) {
            case Long l -> a.setType(AttributeProto.AttributeType.INT).setI(l);
            case Double d -> a.setType(AttributeProto.AttributeType.FLOAT).setF(d.floatValue());
            case String s -> a.setType(AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8(s));
            case long[] ls -> {
                a.setType(AttributeProto.AttributeType.INTS);
                for (long l : ls) {
                    a.addInts(l);
                }
            }
            case double[] ds -> {
                a.setType(AttributeProto.AttributeType.FLOATS);
                for (double d : ds) {
                    a.addFloats((float) d);
                }
            }
            case String[] ss -> {
                a.setType(AttributeProto.AttributeType.STRINGS);
                for (String s : ss) {
                    a.addStrings(ByteString.copyFromUtf8(s));
                }
            }
            case Tensor t -> a.setType(AttributeProto.AttributeType.TENSOR).setT(OnnxTensors.toProto(name, t));
            default -> throw new IllegalArgumentException("attribute " + name + ": unsupported " + v.getClass());
        }
        return a.build();
    }
}
