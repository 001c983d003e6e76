package io.t2c.convert;

import static io.t2c.convert.IntegerOps.*;

import io.t2c.graph.Attributes;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.Value;
import io.t2c.graph.op.FusedClamp;
import io.t2c.quant.FakeQuantOp;
import io.t2c.quant.Granularity;
import io.t2c.quant.QuantContext;
import io.t2c.quant.QuantSpec;
import io.t2c.quant.Role;
import io.t2c.quant.Rounding;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The pass fake-quant graph → integer graph (docs/NUMERICS.md). Generic: it walks the nodes once and lowers each by
 * op type, never by model. Weights become their quantizer's integer codes ({@code toInteger}, so AdaRound's learned
 * rounding is kept); biases become codes at the accumulator scale; every multiplying op becomes an integer op whose
 * requantization targets the quantizer that reads its output, found by following single-reader pass-through ops
 * (Relu, MaxPool, Flatten, Reshape, Transpose), with ReLU/ReLU6 folded into the clamp; a quantizer that reads a
 * value that is already integer becomes {@code IntRequantize}; the graph input is quantized once and graph outputs
 * are dequantized. Value names are kept, so each integer value is the codes of the float value of the same name.
 */
public final class LowerToInteger {
    public static final String NAME = "LowerToInteger";
    /** Ops whose integer form moves or selects codes without changing their scale. */
    static final Set<String> PASS_THROUGH = Set.of("Relu", "MaxPool", "Flatten", "Reshape", "Transpose");

    /** Word length of requantization multipliers (32 or 16) and the rounding of their shift. */
    public record Options(int multiplierBits, Rounding rounding) {
        public static Options defaults() {
            return new Options(32, Rounding.HALF_UP);
        }

        public Options {
            if (multiplierBits != 32 && multiplierBits != 16) {
                throw new T2cException("--requant-bits must be 32 or 16, got " + multiplierBits);
            }
        }
    }

    /**
     * How an integer value is read: codes (scale, zero point, code range) or a raw accumulator (per-channel scale
     * Δx·Δw along {@code axis}, zero point 0, |acc| ≤ bound, held in {@code accBits}).
     */
    record Rep(boolean codes, double[] scale, long zeroPoint, long min, long max, int axis, int accBits) {
        long maxAbs() {
            return Math.max(max - zeroPoint, zeroPoint - min);
        }
    }

    /** A quantizer reached from a value through pass-through ops, with the clamp their ReLUs add (real units). */
    private record Target(Node quantizer, List<Node> chain, boolean relu) {}

    private final Graph source;
    private final Options options;
    private final Map<String, Node> producers = new HashMap<>();
    private final Map<String, List<Node>> consumers = new HashMap<>();
    private final Map<String, String> alias = new HashMap<>();
    private final Map<String, Rep> reps = new HashMap<>();
    private final Set<String> claimed = new HashSet<>();
    private final Set<String> graphOutputs = new HashSet<>();
    private final List<Node> out = new ArrayList<>();
    private final Map<String, Tensor> initializers = new LinkedHashMap<>();

    private LowerToInteger(Graph source, Options options) {
        this.source = source;
        this.options = options;
        for (Node n : source.nodes()) {
            n.outputs().forEach(o -> producers.put(o, n));
            n.inputs().forEach(i -> consumers.computeIfAbsent(i, k -> new ArrayList<>()).add(n));
        }
        source.outputs().forEach(v -> graphOutputs.add(v.name()));
    }

    public static Graph run(Graph fakeQuant, Options options) {
        return new LowerToInteger(fakeQuant, options).lower();
    }

    private Graph lower() {
        if (source.nodes().stream().noneMatch(n -> n.opType().equals(FakeQuantOp.NAME))) {
            throw new T2cException("graph " + source.name() + " has no quantizers: convert a fake-quant model (t2c ptq"
                    + " writes one)");
        }
        for (Node n : source.nodes()) {
            if (alias.containsKey(firstOutput(n)) || claimed.contains(n.name())) {
                continue;
            }
            switch (n.opType()) {
                case FakeQuantOp.NAME -> lowerQuantizer(n);
                case "Conv", "Gemm" -> lowerLinear(n);
                case "MatMul" -> {
                    if (isQuantizedConstant(n.input(1))) {
                        lowerLinear(n);
                    } else {
                        lowerActivationMatMul(n);
                    }
                }
                case "Concat" -> lowerConcat(n);
                case "Add", "Sub" -> lowerAdd(n);
                case "AveragePool", "GlobalAveragePool" -> lowerAveragePool(n);
                case "MaxPool" -> lowerMaxPool(n);
                case "Flatten", "Reshape", "Transpose" -> lowerMovement(n);
                default -> throw new T2cException("node " + n.label() + ": op " + n.opType() + " has no integer form"
                        + " yet (this converter handles Conv, Gemm, MatMul, Concat, Add, Sub, AveragePool,"
                        + " GlobalAveragePool, MaxPool, Relu, Flatten, Reshape, Transpose; integer Softmax, LayerNorm"
                        + " and GELU come with transformer support)");
            }
        }
        Graph g = new Graph(source.name(), source.inputs(), source.outputs(), out, initializers,
                new LinkedHashMap<>(source.metadata()));
        return g.withMetadata("t2c.convert", NAME + " requant-bits " + options.multiplierBits() + " rounding "
                + options.rounding().id());
    }

    private static String firstOutput(Node n) {
        return n.outputs().isEmpty() ? "" : n.output(0);
    }

    private String resolve(String v) {
        String r = v;
        while (alias.containsKey(r)) {
            r = alias.get(r);
        }
        return r;
    }

    private Rep rep(Node reader, String value) {
        Rep r = reps.get(resolve(value));
        if (r == null) {
            throw new T2cException("node " + reader.label() + " reads '" + value + "', which is not an integer value"
                    + " (no quantizer on it, and no integer op produces it)");
        }
        return r;
    }

    /** Emits node n (with inputs resolved); an output that is a graph output gets ".int" and a dequantize after. */
    private void emit(Node n, Rep rep) {
        String o = n.output(0);
        List<String> ins = n.inputs().stream().map(i -> i.isEmpty() ? i : resolve(i)).toList();
        if (graphOutputs.contains(o)) {
            String internal = o + ".int";
            out.add(new Node(n.name(), n.opType(), ins, List.of(internal), n.attributes()));
            reps.put(internal, rep);
            out.add(new Node(o + ".dequantize", DEQUANTIZE, List.of(internal), List.of(o),
                    Attributes.of(SCALE, rep.scale(), ZERO_POINT, rep.zeroPoint(), Y_AXIS, (long) rep.axis())));
        } else {
            out.add(new Node(n.name(), n.opType(), ins, List.of(o), n.attributes()));
            reps.put(o, rep);
        }
    }

    /** The spec (with values) of a quantizer node, from its scale and zero-point initializers. */
    private QuantContext context(Node fq) {
        List<Tensor> in = new ArrayList<>();
        for (String name : fq.inputs()) {
            in.add(source.initializer(name));
        }
        if (in.get(1) == null || in.get(2) == null) {
            throw new T2cException("quantizer " + fq.name() + ": scale and zero point must be constants to convert");
        }
        return FakeQuantOp.context(fq, in);
    }

    private QuantSpec activationSpec(Node fq) {
        QuantSpec s = context(fq).spec();
        if (s.granularity().kind() != Granularity.Kind.TENSOR || s.bits() == 1) {
            throw new T2cException("quantizer " + fq.name() + ": " + s + " activations have no integer form yet (per"
                    + " tensor, 2 to 16 bits)");
        }
        return s;
    }

    private static Rep codes(QuantSpec s) {
        return new Rep(true, new double[] {s.scale()[0]}, s.zeroPoint()[0], s.qmin(), s.qmax(), 1, 32);
    }

    private void lowerQuantizer(Node fq) {
        if (FakeQuantOp.role(fq) == Role.WEIGHT || source.initializers().containsKey(fq.input(0))) {
            return;
        }
        QuantSpec s = activationSpec(fq);
        String x = fq.input(0);
        if (source.inputs().stream().anyMatch(v -> v.name().equals(x))) {
            out.add(new Node(fq.name(), QUANTIZE, List.of(x), List.of(fq.output(0)), Attributes.of(SCALE,
                    (double) s.scale()[0], ZERO_POINT, (long) s.zeroPoint()[0], Y_MIN, (long) s.qmin(), Y_MAX,
                    (long) s.qmax(), ROUNDING, s.rounding().id(), Y_SCALE, new double[] {s.scale()[0]}, Y_TYPE,
                    codeType(s))));
            reps.put(fq.output(0), codes(s));
            return;
        }
        Rep in = rep(fq, x);
        FixedPoint.Multiplier[] ms = new FixedPoint.Multiplier[in.scale().length];
        for (int c = 0; c < ms.length; c++) {
            ms[c] = FixedPoint.sharedShift(new BigDecimal[] {FixedPoint.ratio(in.scale()[c], 1, s.scale()[0])},
                    new long[] {in.maxAbs()}, options.multiplierBits())[0];
        }
        Attributes a = requant(ms, s, s.qmin(), s.qmax()).into(Attributes.of(X_ZERO_POINT, in.zeroPoint(),
                Y_SCALE, new double[] {s.scale()[0]}, Y_AXIS, (long) in.axis(), Y_TYPE, codeType(s)));
        emit(new Node(fq.name(), REQUANTIZE, List.of(x), List.of(fq.output(0)), a), codes(s));
    }

    /** "int8", "uint4": the code type a testbench declares for values of spec s. */
    static String codeType(QuantSpec s) {
        return (s.signed() ? "int" : "uint") + s.bits();
    }

    private Requant requant(FixedPoint.Multiplier[] ms, QuantSpec s, long lo, long hi) {
        long[] m = new long[ms.length];
        int[] sh = new int[ms.length];
        for (int i = 0; i < ms.length; i++) {
            m[i] = ms[i].multiplier();
            sh[i] = ms[i].shift();
        }
        return new Requant(m, sh, s.zeroPoint()[0], lo, hi, options.rounding());
    }

    /** The quantizer that reads {@code value}, through single-reader pass-through ops; null when there is none. */
    private Target target(String value) {
        List<Node> chain = new ArrayList<>();
        boolean relu = false;
        String v = value;
        while (true) {
            List<Node> readers = consumers.getOrDefault(v, List.of());
            if (readers.size() != 1 || graphOutputs.contains(v)) {
                return null;
            }
            Node r = readers.get(0);
            if (r.opType().equals(FakeQuantOp.NAME) && r.input(0).equals(v)) {
                return new Target(r, chain, relu);
            }
            if (!PASS_THROUGH.contains(r.opType()) || !r.input(0).equals(v)) {
                return null;
            }
            relu |= r.opType().equals("Relu");
            chain.add(r);
            v = r.output(0);
        }
    }

    /** Output clamp bounds in codes: the spec's range narrowed by the fused clamp (real units) and any chain ReLU. */
    private static long[] clampBounds(Node layer, QuantSpec s, boolean relu) {
        long lo = s.qmin();
        long hi = s.qmax();
        int zy = s.zeroPoint()[0];
        Attributes a = layer.attributes();
        if (a.has(FusedClamp.MIN)) {
            lo = Math.max(lo, zy + (long) s.rounding().round(a.getDouble(FusedClamp.MIN, 0) / s.scale()[0]));
        }
        if (a.has(FusedClamp.MAX)) {
            hi = Math.min(hi, zy + (long) s.rounding().round(a.getDouble(FusedClamp.MAX, 0) / s.scale()[0]));
        }
        if (relu) {
            lo = Math.max(lo, zy);
        }
        return new long[] {lo, hi};
    }

    /** Folds the target's quantizer and ReLUs away: readers of the quantized value now read the layer's codes. */
    private void claim(Target t) {
        for (Node r : t.chain()) {
            if (r.opType().equals("Relu")) {
                alias.put(r.output(0), r.input(0));
            }
        }
        alias.put(t.quantizer().output(0), t.quantizer().input(0));
        claimed.add(t.quantizer().name());
    }

    private void lowerLinear(Node n) {
        String x = n.input(0);
        Rep xr = rep(n, x);
        if (!xr.codes() || xr.scale().length != 1) {
            throw new T2cException("node " + n.label() + ": its input must be quantized per tensor to convert");
        }
        Node wq = producers.get(n.input(1));
        if (wq == null || !wq.opType().equals(FakeQuantOp.NAME) || !source.initializers().containsKey(wq.input(0))) {
            throw new T2cException("node " + n.label() + ": multiplying two activations has no integer form yet (its"
                    + " second operand must be a quantized constant weight)");
        }
        QuantContext wc = context(wq);
        Tensor w = source.initializer(wq.input(0));
        Tensor codes = FakeQuantOp.quantizer(wq).toInteger(wc, w);
        QuantSpec ws = wc.spec();
        boolean conv = n.opType().equals("Conv");
        int outAxisOfWeight;
        if (conv) {
            if (!n.attributes().getString("auto_pad", "NOTSET").equals("NOTSET")) {
                throw new T2cException("node " + n.label() + ": auto_pad is not supported; import with explicit pads");
            }
            outAxisOfWeight = 0;
        } else if (n.opType().equals("Gemm")) {
            Attributes a = n.attributes();
            if (a.getInt("transA", 0) != 0 || a.getDouble("alpha", 1) != 1 || a.getDouble("beta", 1) != 1
                    || w.rank() != 2) {
                throw new T2cException("node " + n.label() + ": only Gemm with transA = 0, alpha = beta = 1 converts");
            }
            outAxisOfWeight = a.getInt("transB", 0) != 0 ? 0 : 1;
        } else {
            if (w.rank() != 2) {
                throw new T2cException("node " + n.label() + ": MatMul by a rank-" + w.rank() + " constant has no"
                        + " integer form yet (rank 2 only)");
            }
            outAxisOfWeight = 1;
        }
        int outChannels = w.dim(outAxisOfWeight);
        if (ws.granularity().kind() == Granularity.Kind.GROUP || ws.granularity().kind() != Granularity.Kind.TENSOR
                && ws.granularity().axisIn(w.rank()) != outAxisOfWeight) {
            throw new T2cException("node " + n.label() + ": weight quantized " + ws + "; integer layers need one scale"
                    + " per tensor or per output channel");
        }
        int[] wCodes = conv || outAxisOfWeight == 0 ? codes.ints() : transpose(codes.ints(), w.dim(0), w.dim(1));
        int[] wShape = conv ? w.shape() : new int[] {outChannels, w.size() / outChannels};
        int k = w.size() / outChannels;
        double dx = xr.scale()[0];
        double[] accScale = new double[outChannels];
        long[] zw = new long[outChannels];
        for (int c = 0; c < outChannels; c++) {
            int g = ws.scale().length == 1 ? 0 : c;
            accScale[c] = dx * ws.scale()[g];
            zw[c] = ws.zeroPoint()[g];
        }
        Tensor bias = source.initializer(n.input(2));
        if (!n.input(2).isEmpty() && bias == null) {
            throw new T2cException("node " + n.label() + ": its bias must be a constant to convert");
        }
        if (bias != null && bias.size() != outChannels) {
            throw new T2cException("node " + n.label() + ": bias of " + bias.size() + " values, expected one per"
                    + " output channel (" + outChannels + ")");
        }
        long[] bq = new long[outChannels];
        long bound = 0;
        for (int c = 0; c < outChannels; c++) {
            bq[c] = bias == null ? 0 : FixedPoint.biasCode(bias.floats()[c], accScale[c]);
            long absSum = 0;
            for (int t = 0; t < k; t++) {
                absSum += Math.abs(wCodes[c * k + t] - zw[c]);
            }
            bound = Math.max(bound, Math.addExact(Math.multiplyExact(xr.maxAbs(), absSum), Math.abs(bq[c])));
        }
        int accBits = bound <= Integer.MAX_VALUE ? 32 : 64;
        String wName = n.name() + ".w";
        initializers.put(wName, Tensor.ofInts(wCodes, wShape));
        List<String> ins = new ArrayList<>(List.of(x, wName));
        if (bias != null) {
            String bName = n.name() + ".b";
            initializers.put(bName, accBits == 32 ? Tensor.ofInts(Arrays.stream(bq).mapToInt(v -> (int) v).toArray(),
                    outChannels) : Tensor.ofLongs(bq, outChannels));
            ins.add(bName);
        }
        int yAxis = conv ? 1 : -1;
        Attributes a = Attributes.of(X_ZERO_POINT, xr.zeroPoint(), X_MIN, xr.min(), X_MAX, xr.max(), W_ZERO_POINT,
                zw, ACC_BITS, (long) accBits, Y_AXIS, (long) yAxis, W_TYPE, codeType(ws), W_SCALE, ws.scale());
        if (conv) {
            Attributes c = n.attributes();
            a = a.with("group", c.getLong("group", 1)).with("strides", c.getInts("strides", new int[] {1, 1}))
                    .with("pads", c.getInts("pads", new int[4])).with("dilations", c.getInts("dilations",
                            new int[] {1, 1}));
        }
        Target t = target(n.output(0));
        Rep rep;
        if (t != null) {
            QuantSpec ys = activationSpec(t.quantizer());
            FixedPoint.Multiplier[] ms = new FixedPoint.Multiplier[outChannels];
            for (int c = 0; c < outChannels; c++) {
                ms[c] = FixedPoint.sharedShift(new BigDecimal[] {FixedPoint.ratio(accScale[c], 1, ys.scale()[0])},
                        new long[] {bound}, options.multiplierBits())[0];
            }
            long[] lohi = clampBounds(n, ys, t.relu());
            a = requant(ms, ys, lohi[0], lohi[1]).into(a).with(Y_SCALE, new double[] {ys.scale()[0]})
                    .with(Y_TYPE, codeType(ys));
            claim(t);
            rep = new Rep(true, new double[] {ys.scale()[0]}, ys.zeroPoint()[0], lohi[0], lohi[1], yAxis, 32);
        } else if (FusedClamp.present(n)) {
            rep = reluOnAccumulator(n, accScale, bound, accBits, yAxis);
            a = new Requant(new long[] {1}, new int[] {0}, 0, 0, bound, options.rounding()).into(a)
                    .with(Y_SCALE, accScale);
        } else {
            a = a.with(Y_SCALE, accScale);
            rep = new Rep(false, accScale, 0, -bound, bound, yAxis, accBits);
        }
        emit(new Node(n.name(), conv ? CONV : GEMM, ins, List.of(n.output(0)), a), rep);
    }

    /**
     * A fused ReLU on an accumulator no quantizer reads (e.g. MobileNet's last conv before its average pool): the
     * accumulator's zero point is 0 and its scales are positive, so ReLU is max(acc, 0), an epilogue with multiplier
     * 1, shift 0 and clamp [0, bound]; the value stays an accumulator at scale Δx·Δw_c. ReLU6 would need a bound per
     * channel, which the epilogue does not have.
     */
    private static Rep reluOnAccumulator(Node n, double[] accScale, long bound, int accBits, int axis) {
        Attributes c = n.attributes();
        if (c.has(FusedClamp.MAX) || c.getDouble(FusedClamp.MIN, 0) != 0) {
            throw new T2cException("node " + n.label() + ": a fused clamp other than ReLU on an output no quantizer"
                    + " reads cannot be folded into a requantization");
        }
        if (accBits != 32) {
            throw new T2cException("node " + n.label() + ": a fused ReLU on a 64-bit accumulator no quantizer reads"
                    + " has no integer form");
        }
        return new Rep(false, accScale, 0, 0, bound, axis, 32);
    }

    private boolean isQuantizedConstant(String value) {
        Node q = producers.get(value);
        return q != null && q.opType().equals(FakeQuantOp.NAME) && source.initializers().containsKey(q.input(0));
    }

    /**
     * MatMul of two activations (attention's Q·Kᵀ, P·V): both operands are per-tensor codes; the accumulator has
     * scale Δa·Δb and is requantized to the quantizer that reads it, or kept raw (e.g. for the Softmax after Q·Kᵀ).
     */
    private void lowerActivationMatMul(Node n) {
        Rep a = rep(n, n.input(0));
        Rep b = rep(n, n.input(1));
        if (!a.codes() || !b.codes() || a.scale().length != 1 || b.scale().length != 1) {
            throw new T2cException("node " + n.label() + ": both operands of an activation MatMul must be quantized"
                    + " per tensor");
        }
        int[] shapeA = valueShape(n.input(0));
        long k = shapeA[shapeA.length - 1];
        long bound = Math.multiplyExact(k, Math.multiplyExact(a.maxAbs(), b.maxAbs()));
        int accBits = bound <= Integer.MAX_VALUE ? 32 : 64;
        double accScale = a.scale()[0] * b.scale()[0];
        Attributes at = Attributes.of(X_ZERO_POINT, a.zeroPoint(), B_ZERO_POINT, b.zeroPoint(), ACC_BITS,
                (long) accBits, Y_AXIS, -1L);
        Target t = target(n.output(0));
        Rep rep;
        if (t != null) {
            QuantSpec ys = activationSpec(t.quantizer());
            FixedPoint.Multiplier[] ms = FixedPoint.sharedShift(new BigDecimal[] {FixedPoint.ratio(accScale, 1,
                    ys.scale()[0])}, new long[] {bound}, options.multiplierBits());
            long[] lohi = clampBounds(n, ys, t.relu());
            at = requant(ms, ys, lohi[0], lohi[1]).into(at).with(Y_SCALE, new double[] {ys.scale()[0]})
                    .with(Y_TYPE, codeType(ys));
            claim(t);
            rep = new Rep(true, new double[] {ys.scale()[0]}, ys.zeroPoint()[0], lohi[0], lohi[1], -1, 32);
        } else {
            at = at.with(Y_SCALE, new double[] {accScale});
            rep = new Rep(false, new double[] {accScale}, 0, -bound, bound, -1, accBits);
        }
        emit(new Node(n.name(), MATMUL, n.inputs(), n.outputs(), at), rep);
    }

    /**
     * Concat: each operand rescaled to the output spec (the quantizer that reads the Concat): codes by one
     * multiplier, a conv's raw accumulator (per-channel scales along the Concat axis) by one per channel.
     */
    private void lowerConcat(Node n) {
        Target t = requiredTarget(n);
        QuantSpec ys = activationSpec(t.quantizer());
        int operands = n.inputs().size();
        List<FixedPoint.Multiplier> ms = new ArrayList<>();
        long[] zeroPoints = new long[operands];
        long[] channels = new long[operands];
        int axis = n.attributes().getInt("axis", 0);
        for (int i = 0; i < operands; i++) {
            Rep x = rep(n, n.input(i));
            int rank = valueShape(n.input(i)).length;
            if (x.scale().length > 1 && Math.floorMod(x.axis(), rank) != Math.floorMod(axis, rank)) {
                throw new T2cException("node " + n.label() + ": operand " + n.input(i) + " carries per-channel"
                        + " scales on another axis than the Concat's");
            }
            for (double scale : x.scale()) {
                ms.add(FixedPoint.sharedShift(new BigDecimal[] {FixedPoint.ratio(scale, 1, ys.scale()[0])},
                        new long[] {x.maxAbs()}, options.multiplierBits())[0]);
            }
            zeroPoints[i] = x.zeroPoint();
            channels[i] = x.scale().length;
        }
        long[] lohi = clampBounds(n, ys, t.relu());
        Attributes a = requant(ms.toArray(FixedPoint.Multiplier[]::new), ys, lohi[0], lohi[1]).into(Attributes.of(
                "axis", (long) axis, X_ZERO_POINTS, zeroPoints, X_CHANNELS, channels, Y_SCALE, new double[] {ys.scale()[0]}, Y_TYPE, codeType(ys)));
        claim(t);
        emit(new Node(n.name(), CONCAT, n.inputs(), n.outputs(), a),
                new Rep(true, new double[] {ys.scale()[0]}, ys.zeroPoint()[0], lohi[0], lohi[1], 1, 32));
    }

    private static int[] transpose(int[] v, int rows, int cols) {
        int[] t = new int[v.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = v[i * cols + j];
            }
        }
        return t;
    }

    private Target requiredTarget(Node n) {
        Target t = target(n.output(0));
        if (t == null) {
            throw new T2cException("node " + n.label() + ": its output has no quantizer (or is read by several ops);"
                    + " the integer form needs the scale of its result");
        }
        return t;
    }

    private void lowerAdd(Node n) {
        Rep a = rep(n, n.input(0));
        Rep b = rep(n, n.input(1));
        Target t = requiredTarget(n);
        QuantSpec ys = activationSpec(t.quantizer());
        int channels = Math.max(a.scale().length, b.scale().length);
        int axis = a.scale().length > 1 ? a.axis() : b.axis();
        if (a.scale().length > 1 && b.scale().length > 1 && (a.axis() != b.axis() || a.scale().length != channels
                || b.scale().length != channels)) {
            throw new T2cException("node " + n.label() + ": operands carry per-channel scales on different axes");
        }
        long[] ma = new long[channels];
        long[] mb = new long[channels];
        int[] shifts = new int[channels];
        for (int c = 0; c < channels; c++) {
            BigDecimal ra = FixedPoint.ratio(a.scale()[a.scale().length == 1 ? 0 : c], 1, ys.scale()[0]);
            BigDecimal rb = FixedPoint.ratio(b.scale()[b.scale().length == 1 ? 0 : c], 1, ys.scale()[0]);
            FixedPoint.Multiplier[] m = FixedPoint.sharedShift(new BigDecimal[] {ra, rb},
                    new long[] {a.maxAbs(), b.maxAbs()}, options.multiplierBits());
            ma[c] = m[0].multiplier();
            mb[c] = n.opType().equals("Sub") ? -m[1].multiplier() : m[1].multiplier();
            shifts[c] = m[0].shift();
        }
        long[] lohi = clampBounds(n, ys, t.relu());
        long[] unit = new long[channels];
        Arrays.fill(unit, 1);
        // The operands' multipliers carry the scales; the epilogue only shifts (multiplier 1), rounds and clamps.
        Requant rq = new Requant(unit, shifts, ys.zeroPoint()[0], lohi[0], lohi[1], options.rounding());
        Attributes at = rq.into(Attributes.of(X_ZERO_POINT, a.zeroPoint(), B_ZERO_POINT, b.zeroPoint(),
                A_MULTIPLIER, ma, B_MULTIPLIER, mb, Y_SCALE, new double[] {ys.scale()[0]}, Y_AXIS, (long) axis,
                Y_TYPE, codeType(ys)));
        claim(t);
        emit(new Node(n.name(), ADD, n.inputs(), n.outputs(), at),
                new Rep(true, new double[] {ys.scale()[0]}, ys.zeroPoint()[0], lohi[0], lohi[1], axis, 32));
    }

    private void lowerAveragePool(Node n) {
        Rep x = rep(n, n.input(0));
        boolean perChannel = x.scale().length > 1;
        if (perChannel && x.axis() != 1) {
            throw new T2cException("node " + n.label() + ": pooling reads per-channel scales on axis " + x.axis()
                    + ", not the channel axis 1");
        }
        Attributes na = n.attributes();
        boolean global = n.opType().equals("GlobalAveragePool");
        if (!global && (na.getInt("ceil_mode", 0) != 0 || !na.getString("auto_pad", "NOTSET").equals("NOTSET"))) {
            throw new T2cException("node " + n.label() + ": ceil_mode and auto_pad have no integer form yet");
        }
        Target t = requiredTarget(n);
        QuantSpec ys = activationSpec(t.quantizer());
        int[] shape = valueShape(n.input(0));
        int taps = global ? shape[2] * shape[3] : na.getInts("kernel_shape", null)[0] * na.getInts("kernel_shape",
                null)[1];
        // One multiplier per possible tap count (index = count), so windows clipped by padding divide by their own
        // count; an accumulator input with per-channel scales has one such row per channel (index c·(taps+1) + count).
        int rows = x.scale().length;
        FixedPoint.Multiplier[] ms = new FixedPoint.Multiplier[rows * (taps + 1)];
        for (int c = 0; c < rows; c++) {
            for (int count = 1; count <= taps; count++) {
                BigDecimal r = FixedPoint.ratio(x.scale()[c], 1, (double) ys.scale()[0] * count);
                ms[c * (taps + 1) + count] = FixedPoint.sharedShift(new BigDecimal[] {r},
                        new long[] {Math.multiplyExact(x.maxAbs(), (long) count)}, options.multiplierBits())[0];
            }
            ms[c * (taps + 1)] = ms[c * (taps + 1) + 1];
        }
        long[] lohi = clampBounds(n, ys, t.relu());
        Attributes a = requant(ms, ys, lohi[0], lohi[1]).into(Attributes.of(X_ZERO_POINT, x.zeroPoint(), "global",
                global ? 1L : 0L, POOL_PER_CHANNEL, perChannel ? 1L : 0L, Y_SCALE, new double[] {ys.scale()[0]},
                Y_TYPE, codeType(ys)));
        if (!global) {
            a = a.with("kernel_shape", na.getInts("kernel_shape", null)).with("strides", na.getInts("strides",
                    new int[] {1, 1})).with("pads", na.getInts("pads", new int[4])).with("count_include_pad",
                    na.getLong("count_include_pad", 0));
        }
        claim(t);
        emit(new Node(n.name(), AVERAGE_POOL, n.inputs(), n.outputs(), a),
                new Rep(true, new double[] {ys.scale()[0]}, ys.zeroPoint()[0], lohi[0], lohi[1], 1, 32));
    }

    private int[] valueShape(String v) {
        for (Value in : source.inputs()) {
            if (in.name().equals(v)) {
                return in.shape();
            }
        }
        return io.t2c.graph.ShapeInference.infer(source, io.t2c.graph.op.OpRegistry.standard(), 1).get(v).shape();
    }

    private void lowerMaxPool(Node n) {
        Attributes na = n.attributes();
        if (na.getInt("ceil_mode", 0) != 0 || !na.getString("auto_pad", "NOTSET").equals("NOTSET")) {
            throw new T2cException("node " + n.label() + ": ceil_mode and auto_pad have no integer form yet");
        }
        Attributes a = Attributes.of("kernel_shape", na.getInts("kernel_shape", null), "strides",
                na.getInts("strides", new int[] {1, 1}), "pads", na.getInts("pads", new int[4]), "dilations",
                na.getInts("dilations", new int[] {1, 1}));
        emit(new Node(n.name(), MAX_POOL, n.inputs(), n.outputs(), a), rep(n, n.input(0)));
    }

    private void lowerMovement(Node n) {
        Rep x = rep(n, n.input(0));
        if (x.scale().length != 1) {
            throw new T2cException("node " + n.label() + ": moving a per-channel accumulator loses its channels;"
                    + " quantize it before this op");
        }
        for (String in : n.inputs()) {
            Tensor c = source.initializer(in);
            if (c != null) {
                initializers.put(in, c);
            }
        }
        emit(n, x);
    }
}
