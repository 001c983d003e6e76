package io.t2c.io.onnx;

import ai.onnx.proto.OnnxMl.NodeProto;
import io.t2c.graph.Attributes;
import io.t2c.graph.Node;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The importer's table: which ONNX ops map onto which registered op, and how older opsets' attribute forms become
 * the canonical (latest-opset) form with constant inputs. Ops not listed here are unsupported.
 */
final class OnnxOps {
    private OnnxOps() {}

    /** ONNX op types accepted (default domain). Each maps to the registered op of the same name, except Upsample. */
    static final Set<String> SUPPORTED = Set.of(
            "Conv", "ConvTranspose", "Gemm", "MatMul", "BatchNormalization", "LayerNormalization",
            "InstanceNormalization", "Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Erf", "Exp", "Log", "Neg", "Abs",
            "Reciprocal", "Min", "Max", "Sum", "Mean", "Relu", "Clip", "LeakyRelu", "PRelu", "HardSwish",
            "HardSigmoid", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Gelu", "MaxPool", "AveragePool",
            "GlobalAveragePool", "GlobalMaxPool", "Flatten", "Reshape", "Transpose", "Concat", "Split", "Slice",
            "Gather", "Squeeze", "Unsqueeze", "Shape", "Size", "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin",
            "ReduceProd", "Pad", "Resize", "Upsample", "Identity", "Dropout", "Cast", "ConstantOfShape", "Expand",
            "Where", "Equal", "Range", "Not", "Less", "Greater", "Floor", "Ceil", "Tile");

    static boolean supports(String onnxOp) {
        return SUPPORTED.contains(onnxOp);
    }

    /** The registered op an ONNX op becomes. */
    static String target(String onnxOp) {
        return onnxOp.equals("Upsample") ? "Resize" : onnxOp;
    }

    /** Import state shared by the converters: the constants map (to add constant inputs) and the model's opset. */
    record Context(Map<String, Tensor> constants, int opset, String source) {
        /** Adds a constant and returns its value name. */
        String constant(String name, Tensor t) {
            String n = name;
            for (int k = 1; constants.containsKey(n); k++) {
                n = name + "_" + k;
            }
            constants.put(n, t);
            return n;
        }
    }

    static Node convert(NodeProto np, String name, Attributes attrs, Context ctx) {
        List<String> in = new ArrayList<>(np.getInputList());
        List<String> out = new ArrayList<>(np.getOutputList());
        String op = np.getOpType();
        int opset = ctx.opset();
        if (opset < 7) {
            attrs = legacyAttributes(op, name, attrs);
        }
        switch (op) {
            case "Squeeze", "Unsqueeze" -> {
                if (opset < 13) {
                    attrToInput(attrs, "axes", in, 1, name, ctx);
                    attrs = attrs.without("axes");
                }
            }
            case "ReduceSum" -> {
                if (opset < 13) {
                    attrToInput(attrs, "axes", in, 1, name, ctx);
                    attrs = attrs.without("axes");
                }
            }
            case "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd" -> {
                if (opset < 18) {
                    attrToInput(attrs, "axes", in, 1, name, ctx);
                    attrs = attrs.without("axes");
                }
            }
            case "Split" -> {
                if (opset < 13) {
                    attrToInput(attrs, "split", in, 1, name, ctx);
                    attrs = attrs.without("split");
                }
            }
            case "Clip" -> {
                if (opset < 11) {
                    setInput(in, 1, attrs.has("min")
                            ? ctx.constant(name + "_min", Tensor.scalar(attrs.getFloat("min", 0)).reshape()) : "");
                    setInput(in, 2, attrs.has("max")
                            ? ctx.constant(name + "_max", Tensor.scalar(attrs.getFloat("max", 0)).reshape()) : "");
                    attrs = attrs.without("min").without("max");
                }
            }
            case "Pad" -> {
                if (opset < 11) {
                    setInput(in, 1, ctx.constant(name + "_pads", Tensor.vector(required(attrs, "pads", name))));
                    setInput(in, 2, ctx.constant(name + "_value", Tensor.scalar(attrs.getFloat("value", 0)).reshape()));
                    attrs = attrs.without("pads").without("value");
                }
            }
            case "Slice" -> {
                if (opset < 10) {
                    setInput(in, 1, ctx.constant(name + "_starts", Tensor.vector(required(attrs, "starts", name))));
                    setInput(in, 2, ctx.constant(name + "_ends", Tensor.vector(required(attrs, "ends", name))));
                    if (attrs.has("axes")) {
                        setInput(in, 3, ctx.constant(name + "_axes", Tensor.vector(attrs.getLongs("axes"))));
                    }
                    attrs = attrs.without("starts").without("ends").without("axes");
                }
            }
            case "Softmax", "LogSoftmax" -> {
                if (opset < 13) {
                    attrs = attrs.with("axis", attrs.getLong("axis", 1)).with("coerce_2d", 1);
                }
            }
            case "Upsample" -> {
                // Upsample-7 keeps scales in an attribute, Upsample-9 in an input; both index pixels asymmetrically.
                String scales = attrs.has("scales")
                        ? ctx.constant(name + "_scales", floats(attrs.getDoubles("scales")))
                        : in.get(1);
                in = new ArrayList<>(List.of(in.get(0), "", scales));
                attrs = legacyResizeAttributes(attrs.without("scales"));
            }
            case "Resize" -> {
                if (opset < 11) {
                    in = new ArrayList<>(List.of(in.get(0), "", in.get(1)));
                    attrs = legacyResizeAttributes(attrs);
                }
            }
            default -> {
            }
        }
        return new Node(name, target(op), in, out, attrs);
    }

    /**
     * Opsets before 7 carry bookkeeping attributes with no effect at inference (consumed_inputs, is_test, spatial);
     * they are dropped. Their limited broadcasting (broadcast=1 with axis) means something else and is refused.
     */
    private static Attributes legacyAttributes(String op, String node, Attributes attrs) {
        if (attrs.getLong("broadcast", 0) != 0) {
            throw new T2cException("node " + node + " (" + op + "): opset-6 broadcasting (broadcast=1) is not supported;"
                    + " convert the model to opset 7 or later with onnx.version_converter");
        }
        return attrs.without("consumed_inputs").without("is_test").without("spatial").without("broadcast");
    }

    private static Attributes legacyResizeAttributes(Attributes attrs) {
        String mode = attrs.getString("mode", "nearest");
        return attrs.with("mode", mode).with("coordinate_transformation_mode", "asymmetric")
                .with("nearest_mode", "floor");
    }

    private static long[] required(Attributes attrs, String key, String node) {
        long[] v = attrs.getLongs(key);
        if (v == null) {
            throw new T2cException("node " + node + ": required attribute '" + key + "' is missing");
        }
        return v;
    }

    private static Tensor floats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return Tensor.of(f, f.length);
    }

    private static void attrToInput(Attributes attrs, String key, List<String> in, int index, String node, Context ctx) {
        long[] v = attrs.getLongs(key);
        if (v != null) {
            setInput(in, index, ctx.constant(node + "_" + key, Tensor.vector(v)));
        }
    }

    private static void setInput(List<String> in, int index, String value) {
        while (in.size() <= index) {
            in.add("");
        }
        in.set(index, value);
    }
}
