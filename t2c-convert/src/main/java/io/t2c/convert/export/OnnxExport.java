package io.t2c.convert.export;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import io.t2c.convert.IntegerOps;
import io.t2c.graph.Attributes;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.ShapeInference;
import io.t2c.graph.TensorInfo;
import io.t2c.graph.Value;
import io.t2c.graph.op.OpRegistry;
import io.t2c.io.onnx.OnnxBuilder;
import io.t2c.quant.Rounding;
import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes an integer graph (t2c convert) as an ONNX model that ONNX Runtime runs (docs/FORMATS.md, "ONNX export").
 *
 * <p>{@link Style#EXACT} expresses our arithmetic with integer ONNX ops so the outputs equal our executor's bit for
 * bit: ConvInteger / MatMulInteger (uint8 operands, int32 accumulation) plus the int32 bias, the requantization as
 * INT64 ops ({@link FixedPointOnnx}), the input quantizer in DOUBLE with our rounding, the output dequantized in
 * DOUBLE then rounded once to float; the transformer ops (attention matmuls, Softmax, LayerNorm, GELU) as INT64
 * arithmetic ({@link TransformerOnnx}). {@link Style#QOPERATOR} uses the standard QLinearConv / QuantizeLinear /
 * DequantizeLinear form that hardware compilers read; it requantizes with float scales and half-even rounding, so it
 * only approximates our model, and has no form for the transformer ops. Codes of at most 8 bits are held as
 * int8/uint8, wider codes (exact style) as INT32; anything ONNX cannot express faithfully fails naming the node and
 * op.
 */
public final class OnnxExport {
    /** Opset 13: per-axis QuantizeLinear/DequantizeLinear, and every integer kernel used here exists in ORT. */
    static final int OPSET = 13;
    private static final int ONNX_DOUBLE = 11;
    private static final int ONNX_FLOAT = 1;

    public enum Style {
        EXACT, QOPERATOR;

        public static Style parse(String s) {
            return switch (s) {
                case "exact" -> EXACT;
                case "qoperator" -> QOPERATOR;
                default -> throw new T2cException("unknown export style '" + s + "'; use exact or qoperator");
            };
        }

        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * The model, the count of each ONNX op in it, and for every integer value of our graph the ONNX value holding the
     * same integers (codes or accumulators), so a checker can compare intermediate tensors too.
     */
    public record Result(ModelProto model, Style style, Map<String, Integer> ops, Map<String, String> integerValues) {}

    /**
     * An ONNX value, the element type its integers are held in, and the scale / zero point / channel axis that
     * dequantize them (the QOperator style needs them; the exact style only carries them along).
     */
    private record Held(String name, DType type, double[] scale, long zeroPoint, int axis) {
        Held as(String newName) {
            return new Held(newName, type, scale, zeroPoint, axis);
        }
    }

    private final Graph graph;
    private final Style style;
    private final OnnxBuilder b;
    private final Map<String, TensorInfo> infos;
    private final Map<String, Held> held = new LinkedHashMap<>();
    /** Initializers read as values (codes, shapes, indices; not the weights of ConvInteger/MatMulInteger), once each. */
    private final Map<String, Held> constants = new LinkedHashMap<>();

    private OnnxExport(Graph graph, Style style) {
        this.graph = graph;
        this.style = style;
        this.b = new OnnxBuilder(graph.name(), OPSET);
        this.infos = ShapeInference.infer(graph, OpRegistry.standard(), 1);
    }

    public static Result export(Graph integerGraph, Style style) {
        return new OnnxExport(integerGraph, style).run();
    }

    /** Writes the model to {@code file} atomically (a temporary file beside it, then a rename). */
    public static void write(ModelProto model, Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        // Not createTempFile: that makes the file 0600, and the renamed export would be unreadable to others. A
        // file created the ordinary way gets the user's umask, like any file they write.
        Path tmp = dir.resolve("." + file.getFileName() + "." + ProcessHandle.current().pid() + "." + System.nanoTime()
                + ".tmp");
        try {
            Files.write(tmp, model.toByteArray(), java.nio.file.StandardOpenOption.CREATE_NEW);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private Result run() {
        for (Value in : graph.inputs()) {
            if (in.dtype() != DType.FLOAT32) {
                throw new T2cException("input " + in.name() + " is " + in.dtype() + "; export expects the float input"
                        + " of an integer model (t2c convert)");
            }
            b.input(in.name(), DType.FLOAT32, in.shape());
            held.put(in.name(), new Held(in.name(), DType.FLOAT32, null, 0, 1));
        }
        for (Node n : graph.nodes()) {
            Held out = switch (n.opType()) {
                case IntegerOps.QUANTIZE -> quantize(n);
                case IntegerOps.CONV -> conv(n);
                case IntegerOps.GEMM -> gemm(n);
                case IntegerOps.ADD -> add(n);
                case IntegerOps.REQUANTIZE -> requantizeNode(n);
                case IntegerOps.MAX_POOL -> maxPool(n);
                case IntegerOps.AVERAGE_POOL -> averagePool(n);
                case IntegerOps.DEQUANTIZE -> dequantize(n);
                case IntegerOps.LUT -> lookup(n);
                case IntegerOps.MATMUL -> matMul(n);
                case IntegerOps.CONCAT -> concat(n);
                case IntegerOps.SOFTMAX -> softmax(n);
                case IntegerOps.LAYER_NORM -> layerNorm(n);
                case IntegerOps.GELU -> gelu(n);
                case "Flatten", "Transpose", "Gather", "Reshape", "Expand", "Slice", "Unsqueeze" -> in(n, 0).as(
                        b.node(n.opType(),
                        n.attributes(), names(n)));
                case "Shape" -> shape(n);
                case "Concat" -> new Held(b.node("Concat", n.attributes(), names(n)), DType.INT64, null, 0, 0);
                default -> throw new T2cException("node " + n.label() + ": ONNX export does not support op "
                        + n.opType());
            };
            held.put(n.output(0), out);
        }
        for (Value out : graph.outputs()) {
            Held h = held.get(out.name());
            b.nodeNamed(out.name(), "Identity", Attributes.EMPTY, h.name());
            b.output(out.name(), h.type(), out.shape());
        }
        ModelProto.Builder model = b.build().toBuilder();
        graph.metadata().forEach((k, v) -> model.addMetadataProps(
                ai.onnx.proto.OnnxMl.StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
        model.addMetadataProps(ai.onnx.proto.OnnxMl.StringStringEntryProto.newBuilder().setKey("t2c.export.style")
                .setValue(style.id()));
        Map<String, Integer> ops = new TreeMap<>();
        for (NodeProto p : model.getGraph().getNodeList()) {
            ops.merge(p.getOpType(), 1, Integer::sum);
        }
        Map<String, String> integers = new LinkedHashMap<>();
        held.forEach((ours, h) -> {
            if (h.type() != DType.FLOAT32) {
                integers.put(ours, h.name());
            }
        });
        return new Result(model.build(), style, ops, integers);
    }

    /** Input i: the ONNX value of an activation, or an initializer (codes, shapes, indices) as a constant. */
    private Held in(Node n, int i) {
        Held h = held.get(n.input(i));
        if (h != null) {
            return h;
        }
        Tensor t = constant(n, i);
        return constants.computeIfAbsent(n.input(i), name -> new Held(b.constant(name, t), t.dtype(), null, 0,
                -1));
    }

    private String[] names(Node n) {
        String[] names = new String[n.inputs().size()];
        for (int i = 0; i < names.length; i++) {
            names[i] = in(n, i).name();
        }
        return names;
    }

    /** The transformer ops are written in integer arithmetic only: the QOperator style has no form for them. */
    private void exactOnly(Node n) {
        if (style != Style.EXACT) {
            throw new T2cException("node " + n.label() + " (" + n.opType() + "): the " + style.id() + " export style"
                    + " has no form for this op; use --style exact");
        }
    }

    private Tensor constant(Node n, int i) {
        Tensor t = graph.initializer(n.input(i));
        if (t == null) {
            throw new T2cException("node " + n.label() + " (" + n.opType() + "): input " + n.input(i)
                    + " must be a constant for ONNX export");
        }
        return t;
    }

    /** int8 / uint8 from a y_type such as "int8" or "uint4"; wider codes have no 8-bit ONNX integer op. */
    private static DType codeType(Node n, String typeAttr) {
        String t = n.attributes().getString(typeAttr, null);
        if (t == null) {
            throw new T2cException("node " + n.label() + " (" + n.opType() + "): no " + typeAttr
                    + " attribute; reconvert the model with this version");
        }
        boolean signed = !t.startsWith("u");
        int bits = bits(t);
        if (bits > 8) {
            throw new T2cException("node " + n.label() + " (" + n.opType() + "): " + bits + "-bit codes; ONNX"
                    + " ConvInteger/MatMulInteger take 8-bit operands only");
        }
        return signed ? DType.INT8 : DType.UINT8;
    }

    /**
     * The ONNX type holding a requantized output: 8-bit codes as int8/uint8 (what ConvInteger, MatMulInteger and
     * MaxPool read). In the exact style also wider codes, as INT32, and a clamped accumulator without a code type (a
     * ReLU fused into a raw accumulator, as MobileNet's last conv before the average pool), as INT32 or INT64 by its
     * clamp bounds.
     */
    private DType valueType(Node n) {
        Attributes a = n.attributes();
        String t = a.getString(IntegerOps.Y_TYPE, null);
        if (style != Style.EXACT && t == null) {
            throw new T2cException("node " + n.label() + " (" + n.opType() + "): a clamped accumulator without a code"
                    + " type has no " + style.id() + " form; use --style exact");
        }
        if (style == Style.EXACT && (t == null || bits(t) > 8)) {
            boolean int32 = a.getLong(IntegerOps.Y_MIN, 0) >= Integer.MIN_VALUE
                    && a.getLong(IntegerOps.Y_MAX, 0) <= Integer.MAX_VALUE;
            return int32 ? DType.INT32 : DType.INT64;
        }
        return codeType(n, IntegerOps.Y_TYPE);
    }

    private static int bits(String type) {
        return Integer.parseInt(type.substring(type.startsWith("u") ? 4 : 3));
    }

    private int[] channelShape(String value, int axis, int channels) {
        int rank = infos.get(value).shape().length;
        int a = Math.floorMod(axis, rank);
        int[] s = new int[rank - a];
        Arrays.fill(s, 1);
        s[0] = channels;
        return s;
    }

    private String cast(String v, DType to) {
        return castTo(v, FixedPointOnnx.onnxType(to));
    }

    private String castTo(String v, int onnxType) {
        return b.node("Cast", Attributes.of("to", onnxType), v);
    }

    private String doubles(String name, double[] values, int[] channelShape) {
        return b.constantDoubles(name, values, values.length == 1 ? new int[] {1} : channelShape);
    }

    // ---- the ops ----

    private Held quantize(Node n) {
        Attributes a = n.attributes();
        DType type = valueType(n);
        double scale = a.getDouble(IntegerOps.SCALE, 1);
        long zp = a.getLong(IntegerOps.ZERO_POINT, 0);
        Rounding rounding = Rounding.parse(a.getString(IntegerOps.ROUNDING, "half-even"));
        if (style == Style.QOPERATOR) {
            String q = b.node("QuantizeLinear", in(n, 0).name(), floatScalar("x_scale", scale), code(type, zp));
            return new Held(clip(q, type, a.getLong(IntegerOps.Y_MIN, 0), a.getLong(IntegerOps.Y_MAX, 0)), type,
                    new double[] {scale}, zp, 1);
        }
        // x/Δ in double as we compute it (float x widened, Δ the float scale held exactly), rounded by our mode.
        String t = b.node("Div", castTo(in(n, 0).name(), ONNX_DOUBLE), b.constantDoubles("scale",
                new double[] {scale}, 1));
        String rounded = switch (rounding) {
            case HALF_EVEN -> b.node("Round", t);
            case HALF_UP -> roundHalfUp(t);
            case FLOOR -> b.node("Floor", t);
            case HALF_AWAY -> b.node("Where", b.node("Less", t, b.constantDoubles("zero", new double[] {0}, 1)),
                    b.node("Neg", roundHalfUp(b.node("Neg", t))), roundHalfUp(t));
        };
        String c = b.node("Add", rounded, b.constantDoubles("zero_point", new double[] {zp}, 1));
        c = b.node("Min", b.node("Max", c, b.constantDoubles("y_min", new double[] {a.getLong(IntegerOps.Y_MIN, 0)},
                1)), b.constantDoubles("y_max", new double[] {a.getLong(IntegerOps.Y_MAX, 0)}, 1));
        return new Held(cast(c, type), type, new double[] {scale}, zp, 1);
    }

    /** ⌊t + ½⌋ of a DOUBLE value. */
    private String roundHalfUp(String t) {
        return b.node("Floor", b.node("Add", t, b.constantDoubles("half", new double[] {0.5}, 1)));
    }

    /** Conv and Gemm: ConvInteger / MatMulInteger plus the int32 bias, then the requantization if any. */
    private Held linear(Node n, boolean conv) {
        Attributes a = n.attributes();
        if (a.getInt(IntegerOps.ACC_BITS, 32) != 32) {
            throw new T2cException("node " + n.label() + " (" + n.opType() + ") accumulates in int64; ONNX"
                    + " ConvInteger/MatMulInteger accumulate in int32");
        }
        Held x = in(n, 0);
        if (x.type() != DType.INT8 && x.type() != DType.UINT8) {
            throw new T2cException("node " + n.label() + " (" + n.opType() + "): input is not 8-bit codes");
        }
        long zx = a.getLong(IntegerOps.X_ZERO_POINT, 0);
        long[] zw = a.getLongs(IntegerOps.W_ZERO_POINT);
        if (Arrays.stream(zw).distinct().count() != 1) {
            throw new T2cException("node " + n.label() + " (" + n.opType() + "): per-channel weight zero points"
                    + " differ; ONNX Runtime's ConvInteger takes one");
        }
        DType wType = codeType(n, IntegerOps.W_TYPE);
        Tensor w = constant(n, 1);
        Tensor bias = n.inputs().size() > 2 ? constant(n, 2) : null;
        Requantization rq = requantization(n);
        int channels = w.dim(0);
        int[] chShape = conv ? channelShape(n.output(0), 1, channels) : channelShape(n.output(0), -1, channels);
        double[] wScale = a.getDoubles(IntegerOps.W_SCALE);
        if (style == Style.QOPERATOR && conv && rq != null) {
            double[] ws = wScale.length == channels ? wScale : filled(channels, wScale[0]);
            // QLinearConv wants input and output codes of one type: re-code the input losslessly if they differ.
            Held xq = retyped(x, zx, rq.type());
            String y = b.node("QLinearConv", convAttributes(a), xq.name(), floatScalar("x_scale", x.scale()[0]),
                    code(xq.type(), xq.zeroPoint()), b.constant("w", codes(w, wType, 0, false)),
                    b.constant("w_scale", floats(ws, channels)), b.constant("w_zero_point", codeVector(wType, zw[0],
                    channels)), floatScalar("y_scale", a.getDoubles(IntegerOps.Y_SCALE)[0]),
                    code(rq.type(), rq.zeroPoint()), bias == null ? "" : b.constant("bias", int32(bias, channels)));
            return new Held(clip(y, rq.type(), rq.min(), rq.max()), rq.type(), a.getDoubles(IntegerOps.Y_SCALE),
                    rq.zeroPoint(), 1);
        }
        // ORT 1.23's ConvInteger takes uint8 operands only: codes and zero point shifted by 128 keep x − zx.
        Held xu = retyped(x, zx, DType.UINT8);
        long wOffset = wType == DType.INT8 ? 128 : 0;
        String wu = b.constant("w", codes(w, DType.UINT8, wOffset, !conv));
        String zxu = code(DType.UINT8, xu.zeroPoint());
        String zwu = code(DType.UINT8, zw[0] + wOffset);
        String acc = conv ? b.node("ConvInteger", convAttributes(a), xu.name(), wu, zxu, zwu)
                : b.node("MatMulInteger", xu.name(), wu, zxu, zwu);
        if (bias != null) {
            acc = b.node("Add", acc, b.constant("bias", int32(bias, chShape)));
        }
        int axis = conv ? 1 : -1;
        if (rq == null) {
            return new Held(acc, DType.INT32, a.getDoubles(IntegerOps.Y_SCALE), 0, axis);
        }
        if (style == Style.QOPERATOR) {
            double[] accScale = new double[channels];
            for (int c = 0; c < channels; c++) {
                accScale[c] = x.scale()[0] * wScale[wScale.length == 1 ? 0 : c];
            }
            return floatRequant(n, new Held(acc, DType.INT32, accScale, 0, axis), rq);
        }
        return exactRequant(n, b.node("Cast", Attributes.of("to", 7), acc), rq, chShape, axis);
    }

    private Held conv(Node n) {
        return linear(n, true);
    }

    private Held gemm(Node n) {
        return linear(n, false);
    }

    private Held add(Node n) {
        Attributes a = n.attributes();
        Held left = in(n, 0);
        Held right = in(n, 1);
        Requantization rq = requantization(n);
        int axis = a.getInt(IntegerOps.Y_AXIS, 1);
        if (style == Style.QOPERATOR) {
            String sum = b.node("Add", dequantizeLinear(left), dequantizeLinear(right));
            return floatRequant(n, sum, rq, axis);
        }
        long[] ma = a.getLongs(IntegerOps.A_MULTIPLIER);
        long[] mb = a.getLongs(IntegerOps.B_MULTIPLIER);
        int[] chShape = channelShape(n.output(0), axis, ma.length);
        String sa = b.node("Mul", centered(left, a.getLong(IntegerOps.X_ZERO_POINT, 0)),
                FixedPointOnnx.longs(b, "a_multiplier", ma, chShape));
        String sb = b.node("Mul", centered(right, a.getLong(IntegerOps.B_ZERO_POINT, 0)),
                FixedPointOnnx.longs(b, "b_multiplier", mb, chShape));
        return exactRequant(n, b.node("Add", sa, sb), rq, channelShape(n.output(0), axis, rq.multiplier().length),
                axis);
    }

    private Held requantizeNode(Node n) {
        Requantization rq = requantization(n);
        Held x = in(n, 0);
        int axis = n.attributes().getInt(IntegerOps.Y_AXIS, 1);
        if (style == Style.QOPERATOR) {
            return floatRequant(n, dequantizeLinear(x), rq, axis);
        }
        return exactRequant(n, centered(x, n.attributes().getLong(IntegerOps.X_ZERO_POINT, 0)), rq,
                channelShape(n.output(0), axis, rq.multiplier().length), axis);
    }

    /**
     * IntLut in both styles: the table as a constant of the output code type, indexed by Gather with the codes
     * (cast to INT64) minus x_min; the entries are output codes, so the result needs no further arithmetic.
     */
    private Held lookup(Node n) {
        Held x = in(n, 0);
        DType type = codeType(n, IntegerOps.Y_TYPE);
        int[] entries = constant(n, 1).ints();
        byte[] table = new byte[entries.length];
        long lo = type == DType.INT8 ? -128 : 0;
        for (int i = 0; i < entries.length; i++) {
            if (entries[i] < lo || entries[i] > lo + 255) {
                throw new T2cException("node " + n.label() + ": table entry " + entries[i] + " does not fit " + type);
            }
            table[i] = (byte) entries[i];
        }
        long xMin = n.attributes().getLong(IntegerOps.X_MIN, 0);
        String index = b.node("Cast", Attributes.of("to", 7), x.name());
        if (xMin != 0) {
            index = b.node("Sub", index, FixedPointOnnx.scalar(b, "x_min", xMin));
        }
        String y = b.node("Gather", Attributes.of("axis", 0L), b.constant("lut", Tensor.ofBytes(type, table,
                table.length)), index);
        return new Held(y, type, n.attributes().getDoubles(IntegerOps.Y_SCALE),
                n.attributes().getLong(IntegerOps.Y_ZERO_POINT, 0), -1);
    }

    private Held maxPool(Node n) {
        Held x = in(n, 0);
        if (x.type() != DType.INT8 && x.type() != DType.UINT8) {
            throw new T2cException("node " + n.label() + " (" + n.opType() + "): ONNX Runtime's MaxPool takes 8-bit"
                    + " codes, not " + x.type());
        }
        Attributes a = Attributes.EMPTY;
        for (String k : new String[] {"kernel_shape", "strides", "pads", "dilations"}) {
            if (n.attributes().has(k)) {
                a = a.with(k, n.attributes().getLongs(k));
            }
        }
        return x.as(b.node("MaxPool", a, x.name()));
    }

    /**
     * Global average pooling: the int64 sum of x − zx over H and W (ReduceSum), then the requantization of the one
     * tap count H·W — our IntAveragePool exactly. A pool of an accumulator with per-channel scales (per_channel = 1,
     * exact style) takes each channel's entry for H·W taps, index c·(taps + 1) + taps. Windowed pools, whose clipped
     * windows divide by their own tap counts, are refused.
     */
    private Held averagePool(Node n) {
        Attributes a = n.attributes();
        boolean perChannel = a.getLong(IntegerOps.POOL_PER_CHANNEL, 0) != 0;
        if (a.getLong("global", 0) == 0 || perChannel && style != Style.EXACT) {
            throw new T2cException("node " + n.label() + " (" + n.opType() + "): ONNX export handles global average"
                    + " pooling only, of per-channel accumulators in the exact style only; windowed pools are not"
                    + " exported yet");
        }
        Held x = in(n, 0);
        int[] shape = infos.get(n.input(0)).shape();
        int taps = shape[2] * shape[3];
        int channels = perChannel ? shape[1] : 1;
        int[] entries = new int[channels];
        for (int c = 0; c < channels; c++) {
            entries[c] = perChannel ? c * (taps + 1) + taps : taps;
        }
        Requantization rq = requantization(n).select(entries);
        if (style == Style.QOPERATOR) {
            // Opset 13: ReduceMean takes its axes as an attribute (ReduceSum already as an input).
            String mean = b.node("ReduceMean", Attributes.of("keepdims", 1L, "axes", new long[] {2, 3}),
                    dequantizeLinear(x));
            return floatRequant(n, mean, rq, 1);
        }
        String sum = b.node("ReduceSum", Attributes.of("keepdims", 1L), centered(x, a.getLong(IntegerOps.X_ZERO_POINT,
                0)), b.constant("axes", Tensor.ofLongs(new long[] {2, 3}, 2)));
        return exactRequant(n, sum, rq, channelShape(n.output(0), 1, channels), 1);
    }

    /** IntMatMul: Σ (a − za)(b − zb) by an INT64 MatMul (batched, any code width), then its one requantization. */
    private Held matMul(Node n) {
        exactOnly(n);
        Attributes a = n.attributes();
        String acc = b.node("MatMul", centered(in(n, 0), a.getLong(IntegerOps.X_ZERO_POINT, 0)),
                centered(in(n, 1), a.getLong(IntegerOps.B_ZERO_POINT, 0)));
        Requantization rq = requantization(n);
        if (rq == null) {
            return new Held(acc, DType.INT64, a.getDoubles(IntegerOps.Y_SCALE), 0, -1);
        }
        return exactRequant(n, acc, rq.select(0), new int[] {1}, -1);
    }

    /**
     * IntConcat: each operand requantized to the output spec with its own multipliers (per channel along the axis
     * for an accumulator operand), then Concat.
     */
    private Held concat(Node n) {
        exactOnly(n);
        Attributes a = n.attributes();
        int axis = a.getInt("axis", 0);
        long[] zeroPoints = a.getLongs(IntegerOps.X_ZERO_POINTS);
        long[] channels = a.getLongs(IntegerOps.X_CHANNELS);
        Requantization rq = requantization(n);
        String[] parts = new String[n.inputs().size()];
        int first = 0;
        for (int i = 0; i < parts.length; i++) {
            int[] entries = java.util.stream.IntStream.range(first, first + (int) channels[i]).toArray();
            first += entries.length;
            Requantization own = rq.select(entries);
            parts[i] = FixedPointOnnx.requantize(b, centered(in(n, i), zeroPoints[i]), own.multiplier(), own.shift(),
                    own.rounding(), own.zeroPoint(), own.min(), own.max(), channelShape(n.output(0), axis,
                    entries.length));
        }
        return codes(n, b.node("Concat", Attributes.of("axis", (long) axis), parts), rq.type(), axis);
    }

    private Held softmax(Node n) {
        exactOnly(n);
        return codes(n, TransformerOnnx.softmax(b, centered(in(n, 0), 0), n.attributes()), valueType(n), -1);
    }

    private Held layerNorm(Node n) {
        exactOnly(n);
        Held x = in(n, 0);
        long zx = n.attributes().getLong(IntegerOps.X_ZERO_POINT, 0);
        int[] shape = infos.get(n.input(0)).shape();
        return codes(n, TransformerOnnx.layerNorm(b, centered(x, zx), shape[shape.length - 1], maxDistance(n, x, zx),
                n.attributes(), n.label()), valueType(n), -1);
    }

    /** The largest |x − zx| of 8-bit codes, what bounds LayerNorm's variance; wider inputs are refused. */
    private static long maxDistance(Node n, Held x, long zx) {
        if (x.type() != DType.INT8 && x.type() != DType.UINT8) {
            throw new T2cException("node " + n.label() + " (" + n.opType() + "): input held as " + x.type()
                    + "; the exported integer square root is proven exact for 8-bit codes only");
        }
        long lo = x.type() == DType.INT8 ? -128 : 0;
        return Math.max(Math.abs(lo - zx), Math.abs(lo + 255 - zx));
    }

    private Held gelu(Node n) {
        exactOnly(n);
        Attributes a = n.attributes();
        int axis = a.getInt(IntegerOps.Y_AXIS, -1);
        int[] chShape = channelShape(n.output(0), axis, a.getLongs(IntegerOps.X_MULTIPLIER).length);
        return codes(n, TransformerOnnx.gelu(b, centered(in(n, 0), a.getLong(IntegerOps.X_ZERO_POINT, 0)), a,
                chShape), valueType(n), axis);
    }

    /** Shape, with opset 15's start/end as a Slice of the shape vector (opset 13's Shape has neither). */
    private Held shape(Node n) {
        String s = b.node("Shape", in(n, 0).name());
        Attributes a = n.attributes();
        if (a.has("start") || a.has("end")) {
            s = b.node("Slice", s, FixedPointOnnx.scalar(b, "start", a.getLong("start", 0)),
                    FixedPointOnnx.scalar(b, "end", a.getLong("end", Long.MAX_VALUE)));
        }
        return new Held(s, DType.INT64, null, 0, 0);
    }

    private Held dequantize(Node n) {
        Attributes a = n.attributes();
        Held x = in(n, 0);
        double[] scale = a.getDoubles(IntegerOps.SCALE);
        int axis = a.getInt(IntegerOps.Y_AXIS, 1);
        long zp = a.getLong(IntegerOps.ZERO_POINT, 0);
        if (style == Style.QOPERATOR) {
            return new Held(dequantizeLinear(new Held(x.name(), x.type(), scale, zp, axis)), DType.FLOAT32, null, 0,
                    axis);
        }
        // (q − zp)·scale_c in double, rounded once to float: exactly our IntDequantize.
        String v = castTo(x.name(), ONNX_DOUBLE);
        if (zp != 0) {
            v = b.node("Sub", v, b.constantDoubles("zero_point", new double[] {zp}, 1));
        }
        v = b.node("Mul", v, doubles("scale", scale, channelShape(n.output(0), axis, scale.length)));
        return new Held(castTo(v, ONNX_FLOAT), DType.FLOAT32, null, 0, axis);
    }

    // ---- requantization ----

    /** The requantization epilogue of a node: multipliers, shifts, zero point, clamp, rounding, code type. */
    private record Requantization(long[] multiplier, int[] shift, long zeroPoint, long min, long max,
                                  Rounding rounding, DType type, double scale) {
        static Requantization of(Node n, DType type) {
            Attributes a = n.attributes();
            return new Requantization(a.getLongs(IntegerOps.MULTIPLIER), a.getInts(IntegerOps.SHIFT, null),
                    a.getLong(IntegerOps.Y_ZERO_POINT, 0), a.getLong(IntegerOps.Y_MIN, 0),
                    a.getLong(IntegerOps.Y_MAX, 0), Rounding.parse(a.getString(IntegerOps.ROUNDING, "half-up")),
                    type, a.getDoubles(IntegerOps.Y_SCALE)[0]);
        }

        /**
         * The multipliers and shifts at {@code entries} (one tap count of a pool, one Concat operand's channels, the
         * first of a per-tensor op).
         */
        Requantization select(int... entries) {
            long[] m = new long[entries.length];
            int[] s = new int[entries.length];
            for (int i = 0; i < entries.length; i++) {
                m[i] = multiplier[entries[i]];
                s[i] = shift[entries[i]];
            }
            return new Requantization(m, s, zeroPoint, min, max, rounding, type, scale);
        }
    }

    private Requantization requantization(Node n) {
        return n.attributes().has(IntegerOps.MULTIPLIER) ? Requantization.of(n, valueType(n)) : null;
    }

    /** INT64 {@code v} → our fixed-point requantization → codes. */
    private Held exactRequant(Node n, String v, Requantization rq, int[] chShape, int axis) {
        return codes(n, FixedPointOnnx.requantize(b, v, rq.multiplier(), rq.shift(), rq.rounding(), rq.zeroPoint(),
                rq.min(), rq.max(), chShape), rq.type(), axis);
    }

    /** INT64 codes of node {@code n}'s output in the type that holds them. */
    private Held codes(Node n, String y, DType type, int axis) {
        return new Held(type == DType.INT64 ? y : cast(y, type), type, n.attributes().getDoubles(IntegerOps.Y_SCALE),
                n.attributes().getLong(IntegerOps.Y_ZERO_POINT, 0), axis);
    }

    /** The QOperator requantization of integers: dequantize to float, QuantizeLinear (float scale, half-even). */
    private Held floatRequant(Node n, Held acc, Requantization rq) {
        return floatRequant(n, dequantizeLinear(acc), rq, acc.axis());
    }

    private Held floatRequant(Node n, String real, Requantization rq, int axis) {
        String q = b.node("QuantizeLinear", real, floatScalar("y_scale", rq.scale()), code(rq.type(),
                rq.zeroPoint()));
        return new Held(clip(q, rq.type(), rq.min(), rq.max()), rq.type(), new double[] {rq.scale()},
                rq.zeroPoint(), axis);
    }

    private String dequantizeLinear(Held x) {
        if (x.scale().length == 1) {
            return b.node("DequantizeLinear", x.name(), floatScalar("scale", x.scale()[0]),
                    x.type() == DType.INT32 ? b.constant("zero_point", Tensor.ofInts(new int[] {(int) x.zeroPoint()}))
                            : code(x.type(), x.zeroPoint()));
        }
        // Per-channel scales are accumulators' (zero point 0), which DequantizeLinear takes along an axis.
        return b.node("DequantizeLinear", Attributes.of("axis", x.axis()), x.name(),
                b.constant("scale", floats(x.scale(), x.scale().length)));
    }

    /**
     * The same codes in another 8-bit type: int8 ↔ uint8 by adding ±128 to codes and zero point, which keeps every
     * difference x − zx (and so the value they encode).
     */
    private Held retyped(Held x, long zeroPoint, DType to) {
        if (x.type() == to) {
            return new Held(x.name(), to, x.scale(), zeroPoint, x.axis());
        }
        int offset = to == DType.UINT8 ? 128 : -128;
        String shifted = b.node("Add", cast(x.name(), DType.INT32), b.constant("offset", Tensor.ofInts(
                new int[] {offset}, 1)));
        return new Held(cast(shifted, to), to, x.scale(), zeroPoint + offset, x.axis());
    }

    /** x − zx as INT64. */
    private String centered(Held x, long zeroPoint) {
        String v = b.node("Cast", Attributes.of("to", 7), x.name());
        return zeroPoint == 0 ? v : b.node("Sub", v, FixedPointOnnx.scalar(b, "zero_point", zeroPoint));
    }

    /** Clip to a narrower range than the type's (a fused ReLU with a non-zero zero point); else nothing. */
    private String clip(String q, DType type, long min, long max) {
        long typeMin = type == DType.INT8 ? -128 : 0;
        long typeMax = type == DType.INT8 ? 127 : 255;
        if (min <= typeMin && max >= typeMax) {
            return q;
        }
        return b.node("Clip", q, code(type, Math.max(min, typeMin)), code(type, Math.min(max, typeMax)));
    }

    // ---- constants ----

    private Attributes convAttributes(Attributes a) {
        Attributes out = Attributes.EMPTY.with("group", a.getLong("group", 1));
        for (String k : new String[] {"strides", "pads", "dilations"}) {
            if (a.has(k)) {
                out = out.with(k, a.getLongs(k));
            }
        }
        return out;
    }

    private String floatScalar(String name, double v) {
        return b.constant(name, Tensor.wrap(DType.FLOAT32, new float[] {(float) v}));
    }

    /** A scalar zero point / clip bound of an 8-bit code type. */
    private String code(DType type, long v) {
        return b.constant("code", Tensor.ofBytes(type, new byte[] {(byte) v}));
    }

    private static Tensor codeVector(DType type, long v, int n) {
        byte[] bytes = new byte[n];
        Arrays.fill(bytes, (byte) v);
        return Tensor.ofBytes(type, bytes, n);
    }

    /** Weight codes (INT32 tensor) as 8-bit bytes plus {@code offset}; transposed [N, K] → [K, N] for MatMul. */
    private static Tensor codes(Tensor w, DType type, long offset, boolean transpose) {
        int[] v = w.ints();
        byte[] out = new byte[v.length];
        int rows = w.dim(0);
        int cols = v.length / rows;
        for (int i = 0; i < v.length; i++) {
            long c = v[i] + offset;
            long lo = type == DType.INT8 ? -128 : 0;
            if (c < lo || c > lo + 255) {
                throw new T2cException("weight code " + v[i] + " does not fit " + type);
            }
            out[transpose ? (i % cols) * rows + i / cols : i] = (byte) c;
        }
        return Tensor.ofBytes(type, out, transpose ? new int[] {cols, rows} : w.shape());
    }

    private static Tensor int32(Tensor bias, int... shape) {
        int[] v = new int[bias.size()];
        for (int i = 0; i < v.length; i++) {
            long c = bias.dtype() == DType.INT64 ? bias.longs()[i] : bias.ints()[i];
            v[i] = Math.toIntExact(c);
        }
        return Tensor.ofInts(v, shape);
    }

    private static Tensor floats(double[] v, int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = (float) v[v.length == 1 ? 0 : i];
        }
        return Tensor.of(f, n);
    }

    private static double[] filled(int n, double v) {
        double[] d = new double[n];
        Arrays.fill(d, v);
        return d;
    }
}

