package io.t2c.convert.export;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import io.t2c.graph.Attributes;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.ShapeInference;
import io.t2c.graph.TensorInfo;
import io.t2c.graph.Value;
import io.t2c.graph.op.AttrSpec;
import io.t2c.graph.op.FusedClamp;
import io.t2c.graph.op.OpDef;
import io.t2c.graph.op.OpRegistry;
import io.t2c.io.onnx.OnnxBuilder;
import io.t2c.io.onnx.OnnxImporter;
import io.t2c.io.onnx.QonnxOps;
import io.t2c.quant.FakeQuant;
import io.t2c.quant.FakeQuantOp;
import io.t2c.quant.Granularity;
import io.t2c.quant.QuantContext;
import io.t2c.quant.QuantSpec;
import io.t2c.quant.Quantizer;
import io.t2c.quant.Rounding;
import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Writes the fake-quant model of a PTQ run as QONNX: the float graph in standard ONNX ops, every {@code FakeQuant}
 * node as QONNX's {@code Quant} (or {@code BipolarQuant} for 1-bit weights) of domain
 * {@value QonnxOps#DOMAIN}, for FINN and Brevitas users.
 *
 * <ul>
 * <li><b>Weights</b> are stored on their grid: the initializer holds {@code (q − zp)·Δ} in float32, q being the
 *     quantizer's own codes ({@link Quantizer#toInteger}, so AdaRound's learned up/down choices survive). Re-quantizing
 *     such a value finds q again with any nearest rounding, so weight Quant nodes round with {@code ROUND}: the
 *     quotient is within |q − zp|·2^−23 of an integer, far from a tie.
 * <li><b>Activations</b> keep their spec: per-tensor or per-channel scale and zero point, bit width, signedness,
 *     narrow range, and the rounding mode mapped onto QONNX's — half-even → ROUND, half-away → HALF_UP, floor →
 *     FLOOR, half-up (ties towards +∞) → HALF_UP only for unsigned codes (QONNX clamps before it rounds, so the value
 *     rounded is ≥ 0, where both tie rules agree). QONNX rounds {@code x/Δ + zp}, we round {@code x/Δ} and add zp:
 *     the same for floor and for half-up, and for half-even when zp is even, half-away when zp is 0. Otherwise
 *     exact ties of x/Δ (x exactly half-way between two grid points) may land one code apart; such quantizers are
 *     listed in {@link Result#tieNotes} (refused with {@code strictTies}).
 * <li><b>Internal forms</b> become standard ONNX: a Conv/Add carrying a fused clamp is followed by Relu or Clip,
 *     attributes at their default are left out, our bookkeeping attributes (BatchNormalization's
 *     {@code running_var_unbiased}, Softmax's {@code coerce_2d}) are dropped when they change nothing and refused
 *     otherwise.
 * <li><b>Refused</b>, naming the node and quantizer: per-token, group-wise and MX (shared exponent) granularities,
 *     signed half-up rounding, 1-bit quantizers with a zero point, quantizer parameters that are not constants, and
 *     any op that is not a standard ONNX op (an integer model, say).
 * </ul>
 *
 * The opset is 13, raised to the first one defining what the graph uses (HardSwish 14, LayerNormalization 17, axes
 * as inputs of ReduceMean/Max/Min/Prod 18, Gelu 20), plus {@value QonnxOps#DOMAIN} version 1.
 */
public final class QonnxExport {
    public static final int BASE_OPSET = 13;
    public static final int QONNX_VERSION = 1;

    /**
     * The exported model, its opset, the number of Quant and BipolarQuant nodes, how many quantizers have each bit
     * width, ONNX op counts, and the activation quantizers whose exact ties may round differently (see the class).
     */
    public record Result(ModelProto model, int opset, int quantNodes, int bipolarNodes,
                         SortedMap<Integer, Integer> bitWidths, Map<String, Integer> ops, List<String> tieNotes) {}

    private final Graph graph;
    private final boolean strictTies;
    private final OpRegistry registry = OpRegistry.standard();
    private final Map<String, Integer> readers = new HashMap<>();
    private final Set<String> written = new HashSet<>();
    private final SortedMap<Integer, Integer> bitWidths = new TreeMap<>();
    private final List<String> tieNotes = new ArrayList<>();
    private Map<String, TensorInfo> infos;
    private OnnxBuilder b;
    private int quantNodes;
    private int bipolarNodes;

    private QonnxExport(Graph graph, boolean strictTies) {
        this.graph = graph;
        this.strictTies = strictTies;
    }

    /** Exports a fake-quant graph; exact-tie differences are listed, not refused. */
    public static Result export(Graph fakeQuant) {
        return export(fakeQuant, false);
    }

    /** Exports a fake-quant graph; with {@code strictTies}, a quantizer whose exact ties could differ is refused. */
    public static Result export(Graph fakeQuant, boolean strictTies) {
        return new QonnxExport(fakeQuant, strictTies).run();
    }

    /** Writes the model atomically (a temporary file beside it, then a rename): never a half-written file. */
    public static void write(ModelProto model, Path file) throws IOException {
        OnnxExport.write(model, file);
    }

    private Result run() {
        for (Node n : graph.nodes()) {
            for (String in : n.inputs()) {
                readers.merge(in, 1, Integer::sum);
            }
        }
        infos = ShapeInference.infer(graph, registry, 1);
        int opset = opset();
        b = new OnnxBuilder(graph.name(), opset).opsetImport(QonnxOps.DOMAIN, QONNX_VERSION);
        for (Value in : graph.inputs()) {
            b.input(in.name(), in.dtype(), in.shape());
        }
        for (Node n : graph.nodes()) {
            if (n.opType().equals(FakeQuantOp.NAME)) {
                quantizer(n);
            } else {
                standard(n);
            }
        }
        for (Value out : graph.outputs()) {
            TensorInfo info = infos.get(out.name());
            DType dtype = out.dtype() != null ? out.dtype() : info == null ? null : info.dtype();
            int[] shape = out.shape() != null ? out.shape() : info == null ? null : info.shape();
            b.output(out.name(), dtype, shape);
        }
        ModelProto.Builder model = b.build().toBuilder();
        graph.metadata().forEach((k, v) -> model.addMetadataProps(
                StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
        model.addMetadataProps(StringStringEntryProto.newBuilder().setKey("t2c.export").setValue("qonnx"));
        Map<String, Integer> ops = new TreeMap<>();
        for (NodeProto p : model.getGraph().getNodeList()) {
            ops.merge(p.getOpType(), 1, Integer::sum);
        }
        return new Result(model.build(), opset, quantNodes, bipolarNodes, Collections.unmodifiableSortedMap(bitWidths),
                ops, List.copyOf(tieNotes));
    }

    /** The first opset that defines every op and form in the graph, at least {@link #BASE_OPSET}. */
    private int opset() {
        int opset = BASE_OPSET;
        for (Node n : graph.nodes()) {
            int need = switch (n.opType()) {
                case "HardSwish" -> 14;
                case "LayerNormalization" -> 17;
                case "Gelu" -> 20;
                case "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd" ->
                        n.inputs().size() > 1 && !n.input(1).isEmpty() ? 18 : BASE_OPSET;
                case "Split" -> n.attributes().has("num_outputs") ? 18 : BASE_OPSET;
                case "Pad" -> n.inputs().size() > 3 && !n.input(3).isEmpty() ? 18 : BASE_OPSET;
                case "Reshape" -> n.attributes().getLong("allowzero", 0) != 0 ? 14 : BASE_OPSET;
                case "Resize" -> n.attributes().has("axes") || n.attributes().getLong("antialias", 0) != 0
                        || !n.attributes().getString("keep_aspect_ratio_policy", "stretch").equals("stretch")
                        ? 18 : BASE_OPSET;
                default -> BASE_OPSET;
            };
            opset = Math.max(opset, need);
        }
        return opset;
    }

    /** A FakeQuant node becomes Quant (or BipolarQuant); a quantized weight is stored on its grid. */
    private void quantizer(Node n) {
        Attributes a = n.attributes();
        Quantizer qz = FakeQuantOp.quantizer(n);
        QuantSpec t = FakeQuantOp.template(a);
        String label = "quantizer node " + n.name() + " (" + qz.name() + ", " + t + ")";
        if (a.getLong("training", 0) != 0) {
            throw new T2cException(label + ": marked training = 1 (soft rounding or random drop); export the model"
                    + " ptq or train wrote, whose quantizers are in inference mode");
        }
        Granularity.Kind kind = t.granularity().kind();
        if (kind != Granularity.Kind.TENSOR && kind != Granularity.Kind.CHANNEL) {
            throw new T2cException(label + ": QONNX's Quant holds one scale per tensor or per channel; per-token"
                    + " (dynamic) scales, group-wise and MX shared-exponent scales cannot be written. Quantize this"
                    + " layer per tensor or per channel (e.g. --wq minmax_channel --aq minmax) or leave it in float"
                    + " (--skip), then export again");
        }
        Tensor scale = graph.initializer(n.input(1));
        Tensor zeroPoint = graph.initializer(n.input(2));
        if (scale == null || zeroPoint == null) {
            throw new T2cException(label + ": scale and zero point must be constants (initializers) to be written"
                    + " as QONNX; this graph computes them");
        }
        List<Tensor> inputs = new ArrayList<>();
        for (String in : n.inputs()) {
            inputs.add(in.isEmpty() ? null : graph.initializer(in));
        }
        Tensor weight = inputs.get(0);
        String x = n.input(0);
        QuantSpec spec = t.withValues(scale.floats(), zeroPoint.ints());
        String mode;
        if (weight != null) {
            QuantContext ctx = FakeQuantOp.context(n, inputs);
            Tensor codes = qz.toInteger(ctx, weight);
            for (int q : codes.ints()) {
                if (q < spec.qmin() || q > spec.qmax()) {
                    throw new T2cException(label + ": the quantizer's code " + q + " lies outside [" + spec.qmin()
                            + ", " + spec.qmax() + "]");
                }
            }
            Tensor onGrid = FakeQuant.dequantize(ctx.spec(), codes);
            String name = readers.getOrDefault(x, 0) == 1 && !isGraphOutput(x) ? x : b.fresh(x + "_on_grid");
            b.initializer(name, onGrid);
            written.add(name);
            x = name;
            mode = QonnxOps.Mode.ROUND.name();
        } else {
            mode = activationRounding(spec, label);
        }
        bitWidths.merge(t.bits(), 1, Integer::sum);
        String scaleName = reference(n.input(1));
        if (t.bits() == 1) {
            for (int z : zeroPoint.ints()) {
                if (z != 0) {
                    throw new T2cException(label + ": a binary (1-bit) quantizer with zero point " + z + " has no"
                            + " QONNX form; BipolarQuant is ±scale");
                }
            }
            b.node(QonnxOps.DOMAIN, QonnxOps.BIPOLAR_QUANT, n.name(), Attributes.EMPTY, List.of(x, scaleName),
                    List.of(n.output(0)));
            bipolarNodes++;
            return;
        }
        int[] zp = zeroPoint.ints();
        float[] zf = new float[zp.length];
        for (int i = 0; i < zp.length; i++) {
            zf[i] = zp[i];
        }
        String zpName = b.initializer(b.fresh(n.name() + "/zeropt"), Tensor.of(zf, zeroPoint.shape()));
        String bits = b.initializer(b.fresh(n.name() + "/bitwidth"), Tensor.scalar(t.bits()).reshape());
        // our narrow range is signed-only; QONNX's narrow on unsigned codes would drop the top code
        Attributes qa = Attributes.of("signed", t.signed() ? 1L : 0L, "narrow", t.signed() && t.narrow() ? 1L : 0L,
                "rounding_mode", mode);
        b.node(QonnxOps.DOMAIN, QonnxOps.QUANT, n.name(), qa, List.of(x, scaleName, zpName, bits),
                List.of(n.output(0)));
        quantNodes++;
    }

    /** The QONNX rounding mode equal to the spec's on x/Δ + zp, or a refusal naming the quantizer. */
    private String activationRounding(QuantSpec spec, String label) {
        boolean oddZeroPoint = false;
        boolean nonZeroPoint = false;
        for (int z : spec.zeroPoint()) {
            oddZeroPoint |= (z & 1) != 0;
            nonZeroPoint |= z != 0;
        }
        Rounding r = spec.rounding();
        String tie = null;
        String mode = switch (r) {
            case FLOOR -> "FLOOR";
            case HALF_EVEN -> {
                if (oddZeroPoint) {
                    tie = "half-even with an odd zero point";
                }
                yield "ROUND";
            }
            case HALF_AWAY -> {
                if (nonZeroPoint) {
                    tie = "half-away with a non-zero zero point";
                }
                yield "HALF_UP";
            }
            case HALF_UP -> {
                if (spec.signed()) {
                    throw new T2cException(label + ": rounds half-up (ties towards +∞), which QONNX has no mode for"
                            + " on signed values (its HALF_UP takes ties away from zero, so negative ties differ)."
                            + " Re-run ptq with --rounding half-even (or half-away, or floor) and export again");
                }
                yield "HALF_UP";  // unsigned: the clamped value is ≥ 0, where ties up and away from zero agree
            }
        };
        if (tie != null) {
            String note = label + ": " + tie + " — QONNX rounds x/Δ + zp, we round x/Δ, so an exact tie of x/Δ may"
                    + " land one code apart";
            if (strictTies) {
                throw new T2cException(note + "; refused (strict). Re-run ptq with --rounding floor, or export"
                        + " without the strict check");
            }
            tieNotes.add(note);
        }
        return mode;
    }

    /** A standard op: written as itself, our internal attributes resolved into standard ONNX. */
    private void standard(Node n) {
        String op = n.opType();
        if (!OnnxImporter.standardOps().contains(op) || op.equals("Upsample") || !registry.has(op)) {
            throw new T2cException("node " + n.name() + " (" + op + ") is not a standard ONNX op; --to qonnx writes"
                    + " the fake-quant model of a PTQ run (RUN/ptq/NAME/model), not an integer model");
        }
        OpDef def = registry.get(op);
        Attributes a = n.attributes();
        Double lo = a.has(FusedClamp.MIN) ? a.getDouble(FusedClamp.MIN, 0) : null;
        Double hi = a.has(FusedClamp.MAX) ? a.getDouble(FusedClamp.MAX, 0) : null;
        a = a.without(FusedClamp.MIN).without(FusedClamp.MAX);
        if (op.equals("BatchNormalization")) {
            for (String k : List.of("running_var_unbiased", "training_mode")) {
                if (a.getLong(k, 0) != 0) {
                    throw new T2cException("node " + n.name() + " (BatchNormalization): " + k + " = 1 is a training"
                            + " form; export the inference model");
                }
                a = a.without(k);
            }
        }
        if ((op.equals("Softmax") || op.equals("LogSoftmax")) && a.getLong("coerce_2d", 0) != 0) {
            TensorInfo x = infos.get(n.input(0));
            long axis = a.getLong("axis", -1);
            if (x == null || x.shape() == null || !(axis == -1 || axis == x.rank() - 1)) {
                throw new T2cException("node " + n.name() + " (" + op + "): the opset-11 form over axes ≥ " + axis
                        + " has no opset-13 equivalent here");
            }
        }
        a = a.without("coerce_2d");
        a = withoutDefaults(a, def);
        List<String> inputs = new ArrayList<>();
        for (String in : n.inputs()) {
            inputs.add(reference(in));
        }
        List<String> outputs = new ArrayList<>(n.outputs());
        if (lo == null && hi == null) {
            b.node("", op, n.name(), a, inputs, outputs);
            return;
        }
        if (outputs.size() != 1) {
            throw new T2cException("node " + n.name() + " (" + op + "): a fused clamp on a multi-output op");
        }
        String raw = b.fresh(n.output(0) + "_unclamped");
        b.node("", op, n.name(), a, inputs, List.of(raw));
        if (hi == null && lo == 0) {
            b.node("", "Relu", n.name() + "/relu", Attributes.EMPTY, List.of(raw), outputs);
        } else {
            String min = lo == null ? "" : b.initializer(b.fresh(n.name() + "/clip_min"),
                    Tensor.scalar(lo.floatValue()).reshape());
            String max = hi == null ? "" : b.initializer(b.fresh(n.name() + "/clip_max"),
                    Tensor.scalar(hi.floatValue()).reshape());
            b.node("", "Clip", n.name() + "/clip", Attributes.EMPTY, List.of(raw, min, max), outputs);
        }
    }

    /** The name of a value as an input: an initializer is written once, under its own name. */
    private String reference(String name) {
        if (name.isEmpty() || written.contains(name)) {
            return name;
        }
        Tensor t = graph.initializer(name);
        if (t != null) {
            b.initializer(name, t);
            written.add(name);
        }
        return name;
    }

    private boolean isGraphOutput(String name) {
        return graph.outputs().stream().anyMatch(v -> v.name().equals(name));
    }

    /** Leaves out attributes at their declared default (ours equal ONNX's), which older opsets may not know. */
    private static Attributes withoutDefaults(Attributes a, OpDef def) {
        for (AttrSpec s : def.attributes()) {
            Object v = a.asMap().get(s.name());
            if (v != null && s.defaultValue() != null && Objects.equals(v, s.defaultValue())) {
                a = a.without(s.name());
            }
        }
        return a;
    }
}
