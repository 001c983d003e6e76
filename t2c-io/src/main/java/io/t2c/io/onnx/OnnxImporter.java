package io.t2c.io.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.t2c.graph.Attributes;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.Value;
import io.t2c.graph.op.OnnxTypes;
import io.t2c.graph.op.OpRegistry;
import io.t2c.graph.pass.EliminateDeadNodes;
import io.t2c.graph.pass.FoldBatchNorm;
import io.t2c.graph.pass.FoldConstants;
import io.t2c.graph.pass.FuseActivation;
import io.t2c.graph.pass.PassPipeline;
import io.t2c.tensor.DType;
import io.t2c.tensor.Shapes;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Imports an ONNX model (opsets 1–22; tested 9–21; before 7 only where the op means the same) into a {@link Graph}: initializers and {@code Constant} nodes
 * become constants, each node is mapped by {@link OnnxOps} onto a registered op in its canonical (latest-opset) form,
 * and shape-computing subgraphs are folded. Every unsupported op is collected and reported in one message. QONNX's
 * {@code Quant} and {@code BipolarQuant} (domains {@code qonnx.custom_op.general} and {@code finn.custom_op.general})
 * map onto {@link QonnxOps}; their attributes are checked as they are read.
 */
public final class OnnxImporter {
    public static final int MIN_OPSET = 1;
    public static final int MAX_OPSET = 22;

    private final OpRegistry registry;

    public OnnxImporter(OpRegistry registry) {
        this.registry = registry;
    }

    public static Graph load(Path path) {
        return new OnnxImporter(OpRegistry.standard()).read(path);
    }

    public Graph read(Path path) {
        String file = path.getFileName().toString();
        ModelProto model;
        try (InputStream in = Files.newInputStream(path)) {
            CodedInputStream cis = CodedInputStream.newInstance(in);
            cis.setSizeLimit(Integer.MAX_VALUE);
            model = ModelProto.parseFrom(cis);
        } catch (NoSuchFileException e) {
            throw new T2cException(path + ": no such file");
        } catch (InvalidProtocolBufferException e) {
            throw new T2cException(file + " is not a valid ONNX model: the file is truncated or not in ONNX format ("
                    + e.getMessage() + ")");
        } catch (IOException e) {
            throw new T2cException(path + ": cannot read: " + e.getMessage());
        }
        return convert(model, file);
    }

    public Graph convert(ModelProto model, String source) {
        if (!model.hasGraph() || model.getIrVersion() <= 0 || model.getGraph().getOutputCount() == 0) {
            throw new T2cException(source + " is not an ONNX model (no graph, IR version or outputs found); "
                    + "export it with torch.onnx.export or an ONNX converter");
        }
        int opset = defaultOpset(model, source);
        GraphProto gp = model.getGraph();
        Map<String, Tensor> constants = new LinkedHashMap<>();
        for (TensorProto t : gp.getInitializerList()) {
            constants.put(t.getName(), OnnxTensors.toTensor(t, source));
        }
        if (gp.getSparseInitializerCount() > 0) {
            throw new T2cException(source + ": sparse initializers are not supported; densify the model first");
        }
        List<Value> inputs = new ArrayList<>();
        for (ValueInfoProto vi : gp.getInputList()) {
            if (!constants.containsKey(vi.getName())) {
                inputs.add(value(vi, source));
            }
        }
        List<Value> outputs = new ArrayList<>();
        for (ValueInfoProto vi : gp.getOutputList()) {
            outputs.add(valueOrUnknown(vi, source));
        }

        OnnxOps.Context ctx = new OnnxOps.Context(constants, opset, source);
        List<Node> nodes = new ArrayList<>();
        Map<String, Set<String>> unsupported = new TreeMap<>();
        Set<String> usedNames = new HashSet<>();
        for (int i = 0; i < gp.getNodeCount(); i++) {
            NodeProto np = gp.getNode(i);
            String name = uniqueName(np, i, usedNames);
            String domain = np.getDomain();
            boolean defaultDomain = domain.isEmpty() || domain.equals("ai.onnx");
            if (defaultDomain && np.getOpType().equals("Constant")) {
                constants.put(np.getOutput(0), constantValue(np, name, source));
                continue;
            }
            String key = defaultDomain ? np.getOpType() : domain + "." + np.getOpType();
            if (QonnxOps.isQonnxDomain(domain) && QonnxOps.OPS.contains(np.getOpType()) && registry.has(np.getOpType())) {
                Attributes a = attributes(np, name, source);
                QonnxOps.checkAttributes(np.getOpType(), name, a);
                nodes.add(new Node(name, np.getOpType(), np.getInputList(), np.getOutputList(), a));
                continue;
            }
            if (!defaultDomain || !OnnxOps.supports(np.getOpType()) || !registry.has(OnnxOps.target(np.getOpType()))) {
                unsupported.computeIfAbsent(key, k -> new LinkedHashSet<>()).add(name);
                continue;
            }
            nodes.add(OnnxOps.convert(np, name, attributes(np, name, source), ctx));
        }
        if (!unsupported.isEmpty()) {
            StringBuilder sb = new StringBuilder(source + " uses ops that are not supported: ");
            boolean first = true;
            for (Map.Entry<String, Set<String>> e : unsupported.entrySet()) {
                if (!first) {
                    sb.append("; ");
                }
                first = false;
                List<String> names = new ArrayList<>(e.getValue());
                sb.append(e.getKey()).append(" (nodes: ")
                        .append(String.join(", ", names.subList(0, Math.min(5, names.size()))))
                        .append(names.size() > 5 ? ", … " + names.size() + " in all" : "").append(')');
            }
            sb.append(". Replace them in the exporter or file an issue for them.");
            throw new T2cException(sb.toString());
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("source", source);
        meta.put("opset", Integer.toString(opset));
        if (!model.getProducerName().isEmpty()) {
            meta.put("producer", model.getProducerName() + " " + model.getProducerVersion());
        }
        String gname = gp.getName().isEmpty() ? source : gp.getName();
        Graph g = new Graph(gname, inputs, outputs, nodes, constants, meta);
        return cleanup(registry).run(g);
    }

    /**
     * The import clean-up pipeline: fold shape arithmetic and constants, fold BatchNorm into the convolutions before
     * it, fold Relu/Clip after a Conv or Add into its output clamp, drop what nobody reads.
     */
    public static PassPipeline cleanup(OpRegistry registry) {
        return new PassPipeline(List.of(new FoldConstants(registry), new FoldBatchNorm(), new FuseActivation(),
                new EliminateDeadNodes()));
    }

    /** The ONNX op types (default domain) the importer maps onto registered ops. */
    public static Set<String> standardOps() {
        return OnnxOps.SUPPORTED;
    }

    private static int defaultOpset(ModelProto model, String source) {
        for (OperatorSetIdProto o : model.getOpsetImportList()) {
            if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
                long v = o.getVersion();
                if (v < MIN_OPSET || v > MAX_OPSET) {
                    throw new T2cException(source + " uses ONNX opset " + v + "; supported opsets are " + MIN_OPSET
                            + "–" + MAX_OPSET + " (convert it with onnx.version_converter)");
                }
                return (int) v;
            }
        }
        throw new T2cException(source + " declares no ONNX opset (opset_import is empty); the file is not a valid model");
    }

    private static String uniqueName(NodeProto np, int index, Set<String> used) {
        String base = np.getName().isEmpty() ? np.getOpType() + "_" + index : np.getName();
        String name = base;
        for (int k = 1; !used.add(name); k++) {
            name = base + "_" + k;
        }
        return name;
    }

    private static Value value(ValueInfoProto vi, String source) {
        TypeProto t = vi.getType();
        if (!t.hasTensorType()) {
            throw new T2cException(source + ": input '" + vi.getName() + "' is not a tensor (sequences and maps are not supported)");
        }
        DType dtype = OnnxTypes.dtype(t.getTensorType().getElemType(), source + ": input '" + vi.getName() + "'");
        if (!t.getTensorType().hasShape()) {
            throw new T2cException(source + ": input '" + vi.getName() + "' has no declared shape; re-export with shapes");
        }
        return new Value(vi.getName(), dtype, dims(t.getTensorType().getShape(), source + ": '" + vi.getName() + "'"));
    }

    private static Value valueOrUnknown(ValueInfoProto vi, String source) {
        TypeProto t = vi.getType();
        if (!t.hasTensorType()) {
            return new Value(vi.getName(), null, null);
        }
        int et = t.getTensorType().getElemType();
        DType dtype = et == 0 ? null : OnnxTypes.dtype(et, source + ": output '" + vi.getName() + "'");
        int[] shape = t.getTensorType().hasShape() ? dims(t.getTensorType().getShape(), source) : null;
        return new Value(vi.getName(), dtype, shape);
    }

    private static int[] dims(TensorShapeProto shape, String where) {
        int[] out = new int[shape.getDimCount()];
        long total = 1;
        for (int i = 0; i < out.length; i++) {
            TensorShapeProto.Dimension d = shape.getDim(i);
            if (d.hasDimValue() && d.getDimValue() > 0) {
                if (d.getDimValue() > Shapes.MAX_ELEMENTS) {
                    throw new T2cException(where + " declares dimension " + d.getDimValue() + ", larger than any tensor can be");
                }
                out[i] = (int) d.getDimValue();
                total *= out[i];
                if (total > Shapes.MAX_ELEMENTS) {
                    throw new T2cException(where + " declares a shape of more than " + Shapes.MAX_ELEMENTS
                            + " elements; the model is corrupt or too large");
                }
            } else if (d.hasDimValue() && d.getDimValue() == 0) {
                out[i] = 0;
            } else {
                out[i] = Value.DYNAMIC;
            }
        }
        return out;
    }

    private static Tensor constantValue(NodeProto np, String name, String source) {
        for (AttributeProto a : np.getAttributeList()) {
            switch (a.getName()) {
                case "value":
                    return OnnxTensors.toTensor(a.getT(), source + ": Constant " + name);
                case "value_float":
                    return Tensor.of(new float[] {a.getF()});
                case "value_floats": {
                    float[] f = new float[a.getFloatsCount()];
                    for (int i = 0; i < f.length; i++) {
                        f[i] = a.getFloats(i);
                    }
                    return Tensor.of(f, f.length);
                }
                case "value_int":
                    return Tensor.scalarLong(a.getI()).reshape();
                case "value_ints":
                    return Tensor.vector(a.getIntsList().stream().mapToLong(Long::longValue).toArray());
                default:
                    break;
            }
        }
        throw new T2cException(source + ": Constant node " + name + " has no supported value attribute"
                + " (value, value_float(s), value_int(s)); string and sparse constants are not supported");
    }

    private static Attributes attributes(NodeProto np, String name, String source) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (AttributeProto a : np.getAttributeList()) {
            Object v = switch (a.getType()) {
                case FLOAT -> (double) a.getF();
                case INT -> a.getI();
                case STRING -> a.getS().toStringUtf8();
                case TENSOR -> OnnxTensors.toTensor(a.getT(), source + ": node " + name);
                case FLOATS -> {
                    double[] d = new double[a.getFloatsCount()];
                    for (int i = 0; i < d.length; i++) {
                        d[i] = a.getFloats(i);
                    }
                    yield d;
                }
                case INTS -> a.getIntsList().stream().mapToLong(Long::longValue).toArray();
                case STRINGS -> a.getStringsList().stream().map(s -> s.toStringUtf8()).toArray(String[]::new);
                default -> throw new T2cException(source + ": node " + name + " (" + np.getOpType() + ") has attribute '"
                        + a.getName() + "' of type " + a.getType() + ", which is not supported");
            };
            m.put(a.getName(), v);
        }
        return Attributes.of(m);
    }
}
