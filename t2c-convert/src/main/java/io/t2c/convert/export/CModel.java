package io.t2c.convert.export;

import io.t2c.convert.IntegerOps;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.ShapeInference;
import io.t2c.graph.TensorInfo;
import io.t2c.graph.Value;
import io.t2c.graph.op.OpRegistry;
import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.io.Writer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Writes model.c and model.h for one integer graph (docs/FORMATS.md, "C reference"). Shapes are fixed for one
 * sample (the graph's dynamic batch set to 1, as {@link ShapeInference} does with probe 1), so every loop bound is a
 * literal and shape arithmetic (Shape, Concat of shape vectors) is done here. Each computed node becomes one static
 * function named after it, reading its inputs as pointers and writing {@code y}; integer constants become
 * {@code static const} arrays of the narrowest type; every value has a static buffer, and
 * {@code t2c_model_run} calls the functions in graph order.
 */
final class CModel {
    /** Op types the C export writes; anything else is refused before a line is written. */
    static final Set<String> SUPPORTED = Set.of(IntegerOps.QUANTIZE, IntegerOps.CONV, IntegerOps.GEMM, IntegerOps.ADD,
            IntegerOps.REQUANTIZE, IntegerOps.AVERAGE_POOL, IntegerOps.MAX_POOL, IntegerOps.DEQUANTIZE,
            IntegerOps.CONCAT, IntegerOps.MATMUL, IntegerOps.SOFTMAX, IntegerOps.LAYER_NORM, IntegerOps.GELU, IntegerOps.LUT,
            "Flatten",
            "Reshape", "Transpose", "Gather", "Expand", "Shape", "Concat");

    private final Graph graph;
    private final Map<String, TensorInfo> infos;
    private final CNames names = new CNames();
    /** Value name → the C expression holding it: a buffer, a constant array, or the buffer a reshape shares. */
    private final Map<String, String> held = new HashMap<>();
    /** Buffers to declare, in creation order: C name → value. */
    private final Map<String, String> buffers = new LinkedHashMap<>();
    /** The calls of t2c_model_run, in graph order. */
    private final List<String> steps = new ArrayList<>();
    private final Map<String, Integer> ops = new TreeMap<>();
    private final Value input;
    private final Value output;

    CModel(Graph graph) {
        this.graph = graph;
        List<String> unsupported = new ArrayList<>();
        for (Node n : graph.nodes()) {
            if (!SUPPORTED.contains(n.opType())) {
                unsupported.add("node " + n.label());
            }
        }
        if (!unsupported.isEmpty()) {
            String first = unsupported.get(0);
            throw new T2cException("the C export does not support op " + first.substring(first.lastIndexOf('(') + 1,
                    first.length() - 1) + " (" + String.join(", ", unsupported) + "); nothing was written");
        }
        if (graph.inputs().size() != 1 || graph.outputs().size() != 1) {
            throw new T2cException("the C export expects one input and one output, " + graph.name() + " has "
                    + graph.inputs().size() + " and " + graph.outputs().size());
        }
        this.input = graph.inputs().get(0);
        this.output = graph.outputs().get(0);
        if (input.dtype() != DType.FLOAT32) {
            throw new T2cException("input " + input.name() + " is " + input.dtype() + "; the C export expects the float"
                    + " input of an integer model (t2c convert)");
        }
        this.infos = ShapeInference.infer(graph, OpRegistry.standard(), 1);
        for (Node n : graph.nodes()) {
            if (!infos.containsKey(n.output(0))) {
                throw new T2cException("node " + n.label() + ": its output shape is unknown before run time; the C"
                        + " export needs static shapes");
            }
        }
        if (infos.get(output.name()).dtype() != DType.FLOAT32) {
            throw new T2cException("output " + output.name() + " is " + infos.get(output.name()).dtype() + "; the C"
                    + " export expects a float output (IntDequantize)");
        }
    }

    int[] inputShape() {
        return infos.get(input.name()).shape();
    }

    int[] outputShape() {
        return infos.get(output.name()).shape();
    }

    /** Count of each op type written as a function. */
    Map<String, Integer> ops() {
        return ops;
    }

    void writeSource(Writer w) {
        CSource src = new CSource(w);
        src.line("/*");
        src.line(" * " + CNames.comment(graph.name()) + ": the integer model as C99 (t2c export --to c). One function per node of");
        src.line(" * the integer graph, in graph order; constants as static const arrays. The arithmetic is");
        src.line(" * docs/NUMERICS.md, bit for bit the same as the Java integer executor. Generated: do not edit.");
        src.line(" */");
        src.line("#include <float.h>");
        src.line("#include <stdint.h>");
        src.line("#include <string.h>");
        src.line("");
        src.line("#include \"model.h\"");
        src.line("");
        src.line("/* The input quantizer and the output dequantizer round as Java does only in plain IEEE double");
        src.line("   arithmetic, without excess precision (x87 extended registers would round differently). */");
        src.line("#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0");
        src.line("#error \"the C reference needs FLT_EVAL_METHOD == 0 (IEEE double arithmetic, e.g. x86-64 SSE2 or AArch64)\"");
        src.line("#endif");
        src.line("");
        src.print(CRuntime.HELPERS);
        src.line("/* ---- the nodes ----------------------------------------------------------------------------------- */");
        String in = names.fresh("v_", input.name());
        buffers.put(in, input.name());
        held.put(input.name(), in);
        for (Node n : graph.nodes()) {
            emitNode(src, n);
        }
        src.line("/* ---- the values: one static buffer each (one sample) -------------------------------------------- */");
        src.line("");
        buffers.forEach((name, value) -> {
            TensorInfo t = infos.get(value);
            src.line("static " + CSource.type(t.dtype()) + " " + name + "[" + Math.max(1, t.numel()) + "]; /* "
                    + CNames.comment(value) + " " + java.util.Arrays.toString(t.shape()) + " */");
        });
        src.line("");
        src.line("const char *t2c_error_name(int code)");
        src.line("{");
        src.line("    switch (code) {");
        src.line("    case T2C_OK: return \"ok\";");
        src.line("    case T2C_ERR_OVERFLOW: return \"accumulator overflow (a 32-bit layer left int32)\";");
        src.line("    case T2C_ERR_INPUT_RANGE: return \"input code outside the declared range\";");
        src.line("    case T2C_ERR_DIVISION: return \"division by zero (zero standard deviation)\";");
        src.line("    default: return \"unknown error\";");
        src.line("    }");
        src.line("}");
        src.line("");
        src.line("#define T2C_STEP(node, call) \\");
        src.line("    do { \\");
        src.line("        int rc = (call); \\");
        src.line("        if (rc != T2C_OK) { \\");
        src.line("            if (failed_node != NULL) { \\");
        src.line("                *failed_node = (node); \\");
        src.line("            } \\");
        src.line("            return rc; \\");
        src.line("        } \\");
        src.line("    } while (0)");
        src.line("");
        src.line("int t2c_model_run(const float *input, float *output, const char **failed_node)");
        src.line("{");
        src.line("    memcpy(" + in + ", input, sizeof " + in + ");");
        steps.forEach(s -> src.line("    " + s));
        src.line("    memcpy(output, " + held.get(output.name()) + ", " + CNode.size(outputShape()) + " * sizeof(float));");
        src.line("    return T2C_OK;");
        src.line("}");
    }

    private void emitNode(CSource src, Node n) {
        String out = n.output(0);
        TensorInfo info = infos.get(out);
        String op = n.opType();
        if (op.equals("Flatten") || op.equals("Reshape")) {
            held.put(out, expression(src, n.input(0)));
            steps.add("/* " + CNames.comment(n.label()) + ": " + held.get(out) + " seen as "
                    + java.util.Arrays.toString(info.shape()) + " (row-major: no data moves) */");
            return;
        }
        if (info.hasValue() && (op.equals("Shape") || op.equals("Concat") || op.equals("Gather") || op.equals("Expand"))) {
            return; // a constant at export time (shape arithmetic): read by its consumers from infos
        }
        if (op.equals("Shape") || op.equals("Concat")) {
            throw new T2cException("node " + n.label() + ": a " + op + " whose value is not known at export time");
        }
        String fn = names.fresh("", n.name());
        // Parameter names of the computed (non-constant) inputs.
        List<String> params = new ArrayList<>();
        Map<Integer, String> paramOf = new HashMap<>();
        List<String> dynamic = new ArrayList<>();
        for (int i = 0; i < n.inputs().size(); i++) {
            String v = n.input(i);
            if (!v.isEmpty() && !isConstant(v)) {
                dynamic.add(v);
                paramOf.put(i, null);
            }
        }
        String[] conventional = op.equals(IntegerOps.ADD) || op.equals(IntegerOps.MATMUL) ? new String[] {"a", "b"}
                : null;
        int k = 0;
        for (int i = 0; i < n.inputs().size(); i++) {
            if (paramOf.containsKey(i)) {
                String p = conventional != null ? conventional[i] : dynamic.size() == 1 ? "x" : "x" + k;
                paramOf.put(i, p);
                params.add("const " + CSource.type(infos.get(n.input(i)).dtype()) + " *" + p);
                k++;
            }
        }
        CNode c = new CNode(n, fn, src, infos, i -> paramOf.containsKey(i) ? paramOf.get(i)
                : expression(src, n.input(i)));
        switch (op) {
            case IntegerOps.QUANTIZE -> CRescaleOps.quantize(c);
            case IntegerOps.CONV -> CLinearOps.conv(c);
            case IntegerOps.GEMM -> CLinearOps.gemm(c);
            case IntegerOps.MATMUL -> CLinearOps.matMul(c);
            case IntegerOps.ADD -> CRescaleOps.add(c);
            case IntegerOps.REQUANTIZE -> CRescaleOps.requantize(c);
            case IntegerOps.CONCAT -> CRescaleOps.concat(c);
            case IntegerOps.AVERAGE_POOL -> CRescaleOps.pool(c, false);
            case IntegerOps.MAX_POOL -> CRescaleOps.pool(c, true);
            case IntegerOps.DEQUANTIZE -> CRescaleOps.dequantize(c);
            case IntegerOps.SOFTMAX -> CTransformerOps.softmax(c);
            case IntegerOps.LAYER_NORM -> CTransformerOps.layerNorm(c);
            case IntegerOps.GELU -> CTransformerOps.gelu(c);
            case IntegerOps.LUT -> CRescaleOps.lookup(c);
            case "Transpose" -> CMovementOps.transpose(c);
            case "Gather" -> CMovementOps.gather(c);
            case "Expand" -> CMovementOps.expand(c);
            default -> throw new T2cException("node " + n.label() + ": the C export does not support op " + op);
        }
        params.add(CSource.type(info.dtype()) + " *y");
        src.line("");
        src.line("/* " + CNames.comment(n.label()) + ": " + describe(n) + " */");
        src.line("static int " + fn + "(" + String.join(", ", params) + ")");
        src.line("{");
        src.print(c.body());
        src.line("    return T2C_OK;");
        src.line("}");
        src.line("");
        String buffer = names.fresh("v_", out);
        buffers.put(buffer, out);
        held.put(out, buffer);
        List<String> args = new ArrayList<>();
        for (int i = 0; i < n.inputs().size(); i++) {
            if (paramOf.containsKey(i)) {
                args.add(held.get(n.input(i)));
            }
        }
        args.add(buffer);
        steps.add("T2C_STEP(" + CNames.stringLiteral(n.name()) + ", " + fn + "(" + String.join(", ", args) + "));");
        ops.merge(op, 1, Integer::sum);
    }

    private boolean isConstant(String value) {
        return graph.initializers().containsKey(value) || !value.equals(input.name()) && infos.get(value) != null
                && infos.get(value).hasValue() && !held.containsKey(value);
    }

    /** The C expression of a value: its buffer, or a constant array (written now, before the function using it). */
    private String expression(CSource src, String value) {
        String h = held.get(value);
        if (h != null) {
            return h;
        }
        Tensor t = graph.initializers().containsKey(value) ? graph.initializers().get(value)
                : infos.get(value) != null ? infos.get(value).value() : null;
        if (t == null) {
            throw new T2cException("value " + value + " is read before it is computed");
        }
        String name = names.fresh("c_", value);
        src.line("");
        src.array(value + " " + java.util.Arrays.toString(t.shape()), name, t);
        held.put(value, name);
        return name;
    }

    private String describe(Node n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n.inputs().size(); i++) {
            TensorInfo t = infos.get(n.input(i));
            b.append(i == 0 ? "" : ", ").append(n.input(i)).append(' ').append(t == null ? "?" : CRuntime.dims(t.shape()));
        }
        TensorInfo o = infos.get(n.output(0));
        b.append(" -> ").append(CRuntime.dims(o.shape())).append(' ').append(o.dtype());
        var a = n.attributes();
        if (a.has(IntegerOps.ACC_BITS)) {
            b.append(", acc int").append(a.getInt(IntegerOps.ACC_BITS, 32));
        }
        if (a.has(IntegerOps.MULTIPLIER)) {
            b.append(", requantized ").append(a.getString(IntegerOps.ROUNDING, "half-up"));
        }
        return CNames.comment(b.toString());
    }

    void writeHeader(Writer w) {
        CSource h = new CSource(w);
        String guard = "T2C_MODEL_H";
        int[] in = inputShape();
        int[] out = outputShape();
        h.line("/*");
        h.line(" * " + CNames.comment(graph.name()) + ": C reference of the integer model (t2c export --to c).");
        h.line(" *");
        h.line(" * One call runs one sample: the float input (" + CRuntime.dims(in) + ", row-major) is quantized by the");
        h.line(" * input quantizer, run through the integer graph and dequantized to the float output ("
                + CRuntime.dims(out) + ").");
        h.line(" * The results equal the Java integer executor bit for bit. Not reentrant: values live in static");
        h.line(" * buffers of model.c.");
        h.line(" */");
        h.line("#ifndef " + guard);
        h.line("#define " + guard);
        h.line("");
        h.line("#include <stdint.h>");
        h.line("");
        h.line("#define T2C_MODEL_NAME " + CNames.stringLiteral(graph.name()));
        h.line("#define T2C_INPUT_NAME " + CNames.stringLiteral(input.name()));
        h.line("#define T2C_OUTPUT_NAME " + CNames.stringLiteral(output.name()));
        shapeMacros(h, "T2C_INPUT", in);
        shapeMacros(h, "T2C_OUTPUT", out);
        h.line("");
        h.line("/* Return codes of t2c_model_run; *failed_node then names the node (the Java executor throws there). */");
        h.line("#define T2C_OK 0");
        h.line("#define T2C_ERR_OVERFLOW 1    /* a 32-bit accumulator left int32 */");
        h.line("#define T2C_ERR_INPUT_RANGE 2 /* a layer's input code lies outside its declared [x_min, x_max] */");
        h.line("#define T2C_ERR_DIVISION 3    /* IntLayerNorm: zero standard deviation */");
        h.line("");
        h.line("/*");
        h.line(" * Runs the model on one sample: input holds T2C_INPUT_SIZE floats, output receives T2C_OUTPUT_SIZE");
        h.line(" * floats. Returns T2C_OK, or an error code with *failed_node (when failed_node is not NULL) set to");
        h.line(" * the name of the node that failed.");
        h.line(" */");
        h.line("int t2c_model_run(const float *input, float *output, const char **failed_node);");
        h.line("");
        h.line("/* A short description of a return code. */");
        h.line("const char *t2c_error_name(int code);");
        h.line("");
        h.line("#endif");
    }

    private static void shapeMacros(CSource h, String prefix, int[] shape) {
        h.line("#define " + prefix + "_RANK " + shape.length);
        for (int d = 0; d < shape.length; d++) {
            h.line("#define " + prefix + "_DIM" + d + " " + shape[d]);
        }
        h.line("#define " + prefix + "_SIZE " + CNode.size(shape));
    }
}
