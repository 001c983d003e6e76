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
import io.t2c.quant.ptq.QuantPlan;
import io.t2c.quant.ptq.TableOps;
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
    static final Set<String> PASS_THROUGH = Set.of("Relu", "MaxPool", "Flatten", "Reshape", "Transpose",
            "Gather");
    /** Bound of an unquantized sum before a Softmax, in steps of its finer operand (see {@link #wideOutput}). */
    static final long WIDE_SUM_MAX = 1L << 24;
    /** Code range of the 16-bit per-tensor codes that LayerNorm's wide inputs become. */
    static final int WIDE_CODE_MAX = 32767;
    /**
     * Code range of the per-tensor codes that a float constant read as data becomes (ViT's class token and position
     * embedding): 24 bits, so its rounding (2^−24 of its range) stays far below the 8-bit steps it is added to or
     * concatenated with, and its term of an IntAdd still fits 64 bits with a full multiplier.
     */
    static final int CONSTANT_CODE_MAX = (1 << 23) - 1;
    /**
     * Code range of the per-tensor codes a per-channel accumulator becomes before a movement op scrambles its
     * channels (ViT's qkv before the heads split, the patch embedding before the tokens are transposed): 2^30 − 1,
     * so that the quantizer further on rounds as if it read the accumulator itself. With 16-bit codes the second
     * rounding moved about 1 % of those codes by one step, and a ViT carries such flips from layer to layer.
     */
    static final int MOVED_ACC_CODE_MAX = (1 << 30) - 1;
    /**
     * Softmax's exponent: fraction bits of its fixed point, and the degree of the Taylor polynomial of e^−q on
     * [0, ln 2) (remainder ln2^11/11! < 5·10^−10, about the rounding of its nine steps at 2^−30). I-BERT's
     * second-degree i-exp at 2^−12 was off by up to 10^−3 relative; a ViT carries such code flips from block to block.
     */
    static final int SOFTMAX_FRAC_BITS = 30;
    static final int SOFTMAX_EXP_DEGREE = 10;
    /** Fraction bits of the internal fixed point of GELU. */
    static final int GELU_FRAC_BITS = 14;
    /**
     * Fraction bits of LayerNorm's normalized value: as many as 64-bit arithmetic leaves room for, up to 24 (its
     * floor then moves an output by at most |γ|/Δy·2^−24 steps), and at least 14.
     */
    static final int LAYER_NORM_MAX_FRAC_BITS = 24;
    static final int LAYER_NORM_MIN_FRAC_BITS = 14;

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
    /** INT64 shape vectors (Shape outputs, their concatenations, integer constants): left as they are. */
    private final Set<String> shapeValues = new HashSet<>();
    /** Per-tensor codes made for a per-channel accumulator (or wide codes), by value name and code range. */
    private final Map<String, String> wideCodes = new HashMap<>();
    private final List<Node> out = new ArrayList<>();
    /**
     * The source graph's value shapes, inferred once on first use with the dynamic (batch) dimension at 2, so that
     * a broadcast over the batch shows.
     */
    private Map<String, io.t2c.graph.TensorInfo> shapes;
    /** The same with the dynamic dimensions at 3, to tell static dimensions; inferred when first needed. */
    private Map<String, io.t2c.graph.TensorInfo> shapesAtThree;
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
                case "Flatten", "Reshape", "Transpose", "Gather", "Expand", "Slice", "Unsqueeze" -> lowerMovement(n);
                case "Cast" -> lowerIntegerInputCast(n);
                case "ReduceMean" -> lowerReduceMean(n);
                case "Shape" -> out.add(n);
                case "Mul" -> foldConstantScale(n);
                case "Softmax" -> lowerSoftmax(n);
                case "LayerNormalization" -> lowerLayerNorm(n);
                case "Gelu" -> {
                    if (isActivationQuantizer(producers.get(n.input(0)))) {
                        lowerTable(n);
                    } else {
                        lowerGelu(n);
                    }
                }
                case "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "LeakyRelu" -> lowerTable(n);
                default -> throw new T2cException("node " + n.label() + ": op " + n.opType() + " has no integer form"
                        + " yet (this converter handles Conv, Gemm, MatMul, Concat, Add, Sub, AveragePool,"
                        + " GlobalAveragePool, ReduceMean, MaxPool, Relu, Flatten, Reshape, Transpose, Gather, Expand,"
                        + " Slice, Unsqueeze, Shape, Cast of an integer input, Mul by a scalar, Softmax,"
                        + " LayerNormalization, Gelu, and as tables on ≤ 8-bit"
                        + " codes Sigmoid, Tanh, HardSigmoid, HardSwish, LeakyRelu, Gelu, SiLU as Mul(x, Sigmoid(x)))");
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
        Rep r = reps.containsKey(value) ? reps.get(value) : reps.get(resolve(value));
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
        long k = staticDim(n, n.input(0), -1);
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
        if (n.inputs().stream().allMatch(this::isShapeValue)) {
            out.add(n);
            shapeValues.add(n.output(0));
            return;
        }
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

    /** A copy of {@code list} with element i replaced. */
    private static List<String> with(List<String> list, int i, String value) {
        List<String> copy = new ArrayList<>(list);
        copy.set(i, value);
        return copy;
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

    /** Where an IntAdd's sum goes: output scale, zero point, clamp bounds and code type. */
    private record AddOutput(double scale, long zeroPoint, long lo, long hi, String type) {}

    private void lowerAdd(Node n) {
        boolean softmaxOffset = QuantPlan.isSoftmaxOffset(source, n);
        List<String> operands = new ArrayList<>(n.inputs());
        for (int i = 0; i < 2; i++) {
            if (isFloatConstant(operands.get(i))) {
                operands.set(i, constantCodes(operands.get(i)));
            }
        }
        n = new Node(n.name(), n.opType(), broadcastOperands(n, operands), n.outputs(), n.attributes());
        Rep a = rep(n, n.input(0));
        Rep b = rep(n, n.input(1));
        Target t = softmaxOffset ? null : requiredTarget(n);
        int channels = Math.max(a.scale().length, b.scale().length);
        int axis = a.scale().length > 1 ? a.axis() : b.axis();
        if (a.scale().length > 1 && b.scale().length > 1 && (a.axis() != b.axis() || a.scale().length != channels
                || b.scale().length != channels)) {
            throw new T2cException("node " + n.label() + ": operands carry per-channel scales on different axes");
        }
        AddOutput y = t == null ? wideOutput(n, a, b) : codesOutput(n, t);
        long[] lohi = {y.lo(), y.hi()};
        long[] ma = new long[channels];
        long[] mb = new long[channels];
        int[] shifts = new int[channels];
        for (int c = 0; c < channels; c++) {
            double sa = a.scale()[a.scale().length == 1 ? 0 : c];
            double sb = b.scale()[b.scale().length == 1 ? 0 : c] * (n.opType().equals("Sub") ? -1 : 1);
            BigDecimal ra = FixedPoint.ratio(Math.abs(sa), 1, y.scale());
            BigDecimal rb = FixedPoint.ratio(Math.abs(sb), 1, y.scale());
            ra = saturating(ra, rb, b.maxAbs(), lohi);
            rb = saturating(rb, ra, a.maxAbs(), lohi);
            FixedPoint.Multiplier[] m = FixedPoint.alignedShift(new BigDecimal[] {ra, rb},
                    new long[] {a.maxAbs(), b.maxAbs()}, options.multiplierBits());
            ma[c] = sa < 0 ? -m[0].multiplier() : m[0].multiplier();
            mb[c] = sb < 0 ? -m[1].multiplier() : m[1].multiplier();
            shifts[c] = m[0].shift();
        }
        long[] unit = new long[channels];
        Arrays.fill(unit, 1);
        // The operands' multipliers carry the scales; the epilogue only shifts (multiplier 1), rounds and clamps.
        Requant rq = new Requant(unit, shifts, y.zeroPoint(), y.lo(), y.hi(), options.rounding());
        Attributes at = rq.into(Attributes.of(X_ZERO_POINT, a.zeroPoint(), B_ZERO_POINT, b.zeroPoint(),
                A_MULTIPLIER, ma, B_MULTIPLIER, mb, Y_SCALE, new double[] {y.scale()}, Y_AXIS, (long) axis,
                Y_TYPE, y.type()));
        if (t != null) {
            claim(t);
        }
        emit(new Node(n.name(), ADD, n.inputs(), n.outputs(), at),
                new Rep(t != null, new double[] {y.scale()}, y.zeroPoint(), y.lo(), y.hi(), axis, 32));
    }

    private AddOutput codesOutput(Node n, Target t) {
        QuantSpec ys = activationSpec(t.quantizer());
        long[] lohi = clampBounds(n, ys, t.relu());
        return new AddOutput(ys.scale()[0], ys.zeroPoint()[0], lohi[0], lohi[1], codeType(ys));
    }

    /**
     * The unquantized sum a Softmax reads (an additive mask or bias, {@link QuantPlan#isSoftmaxOffset}), within
     * ±{@link #WIDE_SUM_MAX} steps: at the finer operand's scale, coarsened until every sum fits; or, when one
     * operand is a mask (each of its non-zero codes saturates at the scale the other operand alone needs), at that
     * scale, so the other keeps its precision and masked entries clamp to −{@link #WIDE_SUM_MAX} (probability 0).
     */
    private AddOutput wideOutput(Node n, Rep a, Rep b) {
        if (a.scale().length != 1 || b.scale().length != 1) {
            throw new T2cException("node " + n.label() + ": a sum before a Softmax needs per-tensor operands");
        }
        double sa = Math.abs(a.scale()[0]);
        double sb = Math.abs(b.scale()[0]);
        double scale = Math.max(Math.min(sa, sb), (sa * a.maxAbs() + sb * b.maxAbs()) / WIDE_SUM_MAX);
        if (masks(sb, sa, a.maxAbs())) {
            scale = alone(sa, a.maxAbs());
        } else if (masks(sa, sb, b.maxAbs())) {
            scale = alone(sb, b.maxAbs());
        }
        return new AddOutput(scale, 0, -WIDE_SUM_MAX, WIDE_SUM_MAX, "int32");
    }

    /** The scale at which an operand alone fits the wide range: its own step, coarsened if needed. */
    private static double alone(double scale, long maxAbs) {
        return Math.max(scale, scale * maxAbs / WIDE_SUM_MAX);
    }

    /** Whether an operand of scale s saturates the wide sum with each non-zero code, at the other's own scale. */
    private static boolean masks(double s, double otherScale, long otherMaxAbs) {
        double scale = alone(otherScale, otherMaxAbs);
        BigDecimal r = FixedPoint.ratio(s, 1, scale);
        return saturating(r, FixedPoint.ratio(otherScale, 1, scale), otherMaxAbs,
                new long[] {-WIDE_SUM_MAX, WIDE_SUM_MAX}).compareTo(r) < 0;
    }

    /**
     * An operand's ratio Δ/Δy, capped where it saturates: when one code step of it alone moves the sum further than
     * the whole output range plus the other operand's largest term, every non-zero code of it clamps the output, so
     * any larger ratio gives the same codes. This is what an additive mask (BERT's (1 − mask)·float32.min) is; its
     * true ratio (~10^38) has no fixed-point multiplier.
     */
    private static BigDecimal saturating(BigDecimal ratio, BigDecimal otherRatio, long otherMaxAbs, long[] lohi) {
        BigDecimal cap = otherRatio.multiply(BigDecimal.valueOf(otherMaxAbs)).add(BigDecimal.valueOf(lohi[1] - lohi[0]
                + 2));
        return ratio.compareTo(cap) > 0 ? cap : ratio;
    }

    /**
     * IntAdd's output has its first operand's shape, and it repeats the second over leading axes only (the fast
     * kernel's {@link FastKernels#broadcastsOverLeading}); an operand that broadcasts otherwise (Swin's shift mask
     * [nW, 1, w², w²] over heads, BERT's mask [N, 1, 1, L] over heads and queries, a scalar) is first expanded by the
     * shape of the other operand (Expand broadcasts both ways).
     */
    private List<String> broadcastOperands(Node n, List<String> operands) {
        int[] outShape = valueShape(n.output(0));
        String a = operands.get(0);
        String b = operands.get(1);
        if (!Arrays.equals(valueShape(n.input(0)), outShape)) {
            a = expandLike(n.name() + "/expand_a", a, b);
        }
        int[] bShape = valueShape(n.input(1));
        if (!Arrays.equals(bShape, outShape) && !FastKernels.broadcastsOverLeading(outShape, bShape)) {
            b = expandLike(n.name() + "/expand_b", b, a);
        }
        return List.of(a, b);
    }

    /** {@code value} expanded to the broadcast of its shape and {@code like}'s runtime shape. */
    private String expandLike(String name, String value, String like) {
        String shape = name + "_shape";
        out.add(new Node(shape, "Shape", List.of(resolve(like)), List.of(shape), Attributes.EMPTY));
        shapeValues.add(shape);
        return movement(name, "Expand", Attributes.EMPTY, value, shape);
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
        long[] lohi = clampBounds(n, ys, t.relu());
        Attributes a = averageAttributes(x, taps, global, ys, lohi);
        if (!global) {
            a = a.with("kernel_shape", na.getInts("kernel_shape", null)).with("strides", na.getInts("strides",
                    new int[] {1, 1})).with("pads", na.getInts("pads", new int[4])).with("count_include_pad",
                    na.getLong("count_include_pad", 0));
        }
        claim(t);
        emit(new Node(n.name(), AVERAGE_POOL, n.inputs(), n.outputs(), a),
                new Rep(true, new double[] {ys.scale()[0]}, ys.zeroPoint()[0], lohi[0], lohi[1], 1, 32));
    }

    /**
     * The requantization of an average of up to {@code taps} values of x into codes ys: one multiplier per possible
     * tap count (index = count), so windows clipped by padding divide by their own count; an accumulator input with
     * per-channel scales has one such row per channel (index c·(taps+1) + count).
     */
    private Attributes averageAttributes(Rep x, int taps, boolean global, QuantSpec ys, long[] lohi) {
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
        return requant(ms, ys, lohi[0], lohi[1]).into(Attributes.of(X_ZERO_POINT, x.zeroPoint(), "global",
                global ? 1L : 0L, POOL_PER_CHANNEL, rows > 1 ? 1L : 0L, Y_SCALE, new double[] {ys.scale()[0]},
                Y_TYPE, codeType(ys)));
    }

    /**
     * ReduceMean as the global IntAveragePool it is: the reduced axes moved last, the codes viewed as
     * [1, kept, reduced, 1] and pooled, the result viewed as the output (dimension 0, the batch, inferred). A
     * per-channel accumulator input goes to per-tensor codes first, as for movement.
     */
    private void lowerReduceMean(Node n) {
        int[] shape = valueShape(n.input(0));
        int rank = shape.length;
        Tensor axesTensor = n.inputs().size() > 1 && !n.input(1).isEmpty() ? source.initializer(n.input(1)) : null;
        if (n.inputs().size() > 1 && !n.input(1).isEmpty() && axesTensor == null
                || n.attributes().getInt("noop_with_empty_axes", 0) != 0) {
            throw new T2cException("node " + n.label() + ": ReduceMean converts with constant axes only");
        }
        boolean[] reduced = new boolean[rank];
        long[] axes = axesTensor == null ? java.util.stream.LongStream.range(0, rank).toArray()
                : axesTensor.toLongArray();
        for (long ax : axes) {
            reduced[(int) Math.floorMod(ax, (long) rank)] = true;
        }
        boolean keepDims = n.attributes().getInt("keepdims", 1) != 0;
        int[] perm = new int[rank];
        int next = 0;
        long taps = 1;
        List<Long> outShape = new ArrayList<>();
        for (int d = 0; d < rank; d++) {
            if (!reduced[d]) {
                perm[next++] = d;
                outShape.add((long) shape[d]);
            } else if (keepDims) {
                outShape.add(1L);
            }
        }
        for (int d = 0; d < rank; d++) {
            if (reduced[d]) {
                perm[next++] = d;
                taps *= shape[d];
            }
        }
        String x = n.input(0);
        Rep xr = rep(n, x);
        if (xr.scale().length != 1) {
            x = perTensorCodes(n.input(0), xr, WIDE_CODE_MAX);
            xr = reps.get(x);
        }
        if (!Arrays.equals(perm, java.util.stream.IntStream.range(0, rank).toArray())) {
            x = movement(n.name() + "/reduced_last", "Transpose", Attributes.of("perm", perm), x);
        }
        x = movement(n.name() + "/pool_view", "Reshape", Attributes.EMPTY, x,
                shapeConstant(n.name() + "/pool_view_shape", 1, -1, taps, 1));
        Target t = requiredTarget(n);
        QuantSpec ys = activationSpec(t.quantizer());
        long[] lohi = clampBounds(n, ys, t.relu());
        String pooled = n.name() + "/pool";
        out.add(new Node(pooled, AVERAGE_POOL, List.of(x), List.of(pooled), averageAttributes(xr,
                Math.toIntExact(taps), true, ys, lohi)));
        claim(t);
        Rep y = new Rep(true, new double[] {ys.scale()[0]}, ys.zeroPoint()[0], lohi[0], lohi[1], -1, 32);
        reps.put(pooled, y);
        long[] outDims = outShape.stream().mapToLong(Long::longValue).toArray();
        if (outDims.length > 0) {
            outDims[0] = -1;
        }
        emit(new Node(n.name(), "Reshape", List.of(pooled, shapeConstant(n.name() + "/out_shape", outDims)),
                n.outputs(), Attributes.EMPTY), y);
    }

    /**
     * Emits a movement node named {@code name} whose output value has the same name and the representation of the
     * first input (read before resolving, so a folded Mul's scale is kept); returns it.
     */
    private String movement(String name, String opType, Attributes a, String... inputs) {
        Rep x = reps.containsKey(inputs[0]) ? reps.get(inputs[0]) : reps.get(resolve(inputs[0]));
        out.add(new Node(name, opType, Arrays.stream(inputs).map(this::resolve).toList(), List.of(name), a));
        reps.put(name, x);
        return name;
    }

    /** An INT64 vector initializer (a Reshape target). */
    private String shapeConstant(String name, long... dims) {
        initializers.put(name, Tensor.ofLongs(dims, dims.length));
        shapeValues.add(name);
        return name;
    }

    /**
     * Dimension {@code axis} of value v, which bounds an accumulator and so must not follow a dynamic input dimension
     * (it is compared between inferences with the dynamic dimensions at 2 and at 3).
     */
    private int staticDim(Node n, String v, int axis) {
        if (shapesAtThree == null) {
            shapesAtThree = io.t2c.graph.ShapeInference.infer(source, io.t2c.graph.op.OpRegistry.standard(), 3);
        }
        int[] atTwo = valueShape(v);
        int a = Math.floorMod(axis, atTwo.length);
        if (atTwo[a] != shapesAtThree.get(v).shape()[a]) {
            throw new T2cException("node " + n.label() + ": its reduction length follows a dynamic input dimension,"
                    + " so its accumulator has no bound; convert a graph with fixed input shapes (e.g. the sequence"
                    + " length)");
        }
        return atTwo[a];
    }

    private int[] valueShape(String v) {
        for (Value in : source.inputs()) {
            if (in.name().equals(v)) {
                return in.shape();
            }
        }
        if (shapes == null) {
            shapes = io.t2c.graph.ShapeInference.infer(source, io.t2c.graph.op.OpRegistry.standard(), 2);
        }
        return shapes.get(v).shape();
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
        List<String> ins = new ArrayList<>(n.inputs());
        if (isFloatConstant(ins.get(0))) {
            ins.set(0, constantCodes(ins.get(0)));
        }
        Rep x = rep(n, ins.get(0));
        if (x.scale().length != 1) {
            ins.set(0, perTensorCodes(n.input(0), x, MOVED_ACC_CODE_MAX));
            x = reps.get(ins.get(0));
        }
        for (String in : ins.subList(1, ins.size())) {
            Tensor c = source.initializer(in);
            if (c != null) {
                initializers.put(in, c);
                shapeValues.add(in);
            }
        }
        emit(new Node(n.name(), n.opType(), ins, n.outputs(), n.attributes()), x);
    }

    private boolean isShapeValue(String v) {
        if (shapeValues.contains(v)) {
            return true;
        }
        Node p = producers.get(v);
        if (p != null && p.opType().equals("Shape")) {
            shapeValues.add(v);
            return true;
        }
        Tensor c = source.initializer(v);
        if (c != null && c.dtype() == io.t2c.tensor.DType.INT64) {
            initializers.put(v, c);
            shapeValues.add(v);
            return true;
        }
        return false;
    }

    private boolean isFloatConstant(String v) {
        Tensor c = source.initializer(v);
        return c != null && c.dtype() == io.t2c.tensor.DType.FLOAT32;
    }

    /** A float constant read as data as per-tensor codes in ±{@link #CONSTANT_CODE_MAX}, scale max|c|/that. */
    private String constantCodes(String name) {
        String codesName = name + ".codes";
        if (!reps.containsKey(codesName)) {
            Tensor c = source.initializer(name);
            float[] v = c.floats();
            double maxAbs = 0;
            for (float f : v) {
                maxAbs = Math.max(maxAbs, Math.abs(f));
            }
            double scale = maxAbs == 0 ? 1 : (float) (maxAbs / CONSTANT_CODE_MAX);
            int[] q = new int[v.length];
            for (int i = 0; i < v.length; i++) {
                q[i] = (int) Math.max(-CONSTANT_CODE_MAX, Math.min(CONSTANT_CODE_MAX, Math.rint(v[i] / scale)));
            }
            initializers.put(codesName, Tensor.ofInts(q, c.shape()));
            reps.put(codesName, new Rep(true, new double[] {scale}, 0, -CONSTANT_CODE_MAX, CONSTANT_CODE_MAX, 1, 32));
        }
        return codesName;
    }

    /**
     * A per-channel accumulator (or codes wider than {@code codeMax}) requantized once to per-tensor codes in
     * ±{@code codeMax}, scale max_c(Δ_c)·bound/codeMax: the readers further on requantize those codes again.
     */
    private String perTensorCodes(String value, Rep acc, int codeMax) {
        String key = value + "/" + codeMax;
        String existing = wideCodes.get(key);
        if (existing != null) {
            return existing;
        }
        double maxScale = Arrays.stream(acc.scale()).max().orElseThrow();
        double scale = (float) (maxScale * acc.maxAbs() / codeMax);
        FixedPoint.Multiplier[] ms = new FixedPoint.Multiplier[acc.scale().length];
        for (int c = 0; c < ms.length; c++) {
            ms[c] = FixedPoint.sharedShift(new BigDecimal[] {FixedPoint.ratio(acc.scale()[c], 1, scale)},
                    new long[] {acc.maxAbs()}, options.multiplierBits())[0];
        }
        long[] m = new long[ms.length];
        int[] sh = new int[ms.length];
        for (int c = 0; c < ms.length; c++) {
            m[c] = ms[c].multiplier();
            sh[c] = ms[c].shift();
        }
        String type = codeMax == WIDE_CODE_MAX ? "int16" : "int32";
        String name = resolve(value) + ".codes" + type.substring("int".length());
        Attributes a = new Requant(m, sh, 0, -codeMax, codeMax, options.rounding()).into(Attributes.of(
                X_ZERO_POINT, acc.zeroPoint(), Y_SCALE, new double[] {scale}, Y_AXIS, (long) acc.axis(), Y_TYPE,
                type));
        out.add(new Node(name, REQUANTIZE, List.of(resolve(value)), List.of(name), a));
        reps.put(name, new Rep(true, new double[] {scale}, 0, -codeMax, codeMax, 1, 32));
        wideCodes.put(key, name);
        return name;
    }

    /**
     * Mul by a scalar constant (attention's 1/√d, the float32.min of BERT's mask) emits nothing: readers read the
     * input, whose scale is multiplied by the constant, so the constant lands in the reader's requantization. A
     * negative scale is read by IntAdd (its multipliers carry signs); other readers refuse it.
     */
    private void foldConstantScale(Node n) {
        Tensor c = source.initializer(n.input(1));
        if (c == null || c.size() != 1 || c.floats()[0] == 0) {
            throw new T2cException("node " + n.label() + ": only Mul by a non-zero scalar constant has an integer"
                    + " form (folded into the next requantization)");
        }
        Rep x = rep(n, n.input(0));
        double k = c.floats()[0];
        double[] scale = Arrays.stream(x.scale()).map(v -> v * k).toArray();
        alias.put(n.output(0), n.input(0));
        reps.put(n.output(0), new Rep(x.codes(), scale, x.zeroPoint(), x.min(), x.max(), x.axis(), x.accBits()));
    }

    /**
     * Cast of an integer graph input (BERT's attention mask) to float: the input's integers are read as codes of
     * scale 1 and zero point 0 in the int32 range, so the ops after it (an IntAdd) take them as they are.
     */
    private void lowerIntegerInputCast(Node n) {
        String x = n.input(0);
        Value input = source.inputs().stream().filter(v -> v.name().equals(x)).findFirst().orElse(null);
        if (input == null || input.dtype() == io.t2c.tensor.DType.FLOAT32
                || n.attributes().getLong("to", 0) != io.t2c.graph.op.OnnxTypes.onnxType(io.t2c.tensor.DType.FLOAT32)) {
            throw new T2cException("node " + n.label() + ": only a Cast of an integer graph input to float has an"
                    + " integer form");
        }
        reps.put(x, new Rep(true, new double[] {1}, 0, Integer.MIN_VALUE, Integer.MAX_VALUE, -1, 32));
        alias.put(n.output(0), x);
    }

    /** An emitted node reading {@code value}'s integer form (resolving a folded Mul to its input). */
    private Node reading(Node n, String value, String opType, Attributes a) {
        return new Node(n.name(), opType, List.of(resolve(value)), n.outputs(), a);
    }

    private static long[] longsOf(FixedPoint.Multiplier[] ms, boolean shifts) {
        return Arrays.stream(ms).mapToLong(m -> shifts ? m.shift() : m.multiplier()).toArray();
    }

    /**
     * Softmax over the last axis of an accumulator or codes (per tensor): the input goes to scale 2^−12 relative to
     * the row maximum, then I-BERT's i-exp and one integer division per element into the reading quantizer's codes.
     */
    private void lowerSoftmax(Node n) {
        int rank = valueShape(n.input(0)).length;
        if (Math.floorMod(n.attributes().getInt("axis", -1), rank) != rank - 1) {
            throw new T2cException("node " + n.label() + ": integer Softmax runs over the last axis only");
        }
        Rep x = rep(n, n.input(0));
        if (x.scale().length != 1) {
            throw new T2cException("node " + n.label() + ": Softmax input must have one scale");
        }
        Target t = requiredTarget(n);
        QuantSpec ys = activationSpec(t.quantizer());
        double internal = Math.scalb(1.0, -SOFTMAX_FRAC_BITS);
        // x − max spans up to twice the input bound.
        FixedPoint.Multiplier in = FixedPoint.sharedShift(new BigDecimal[] {FixedPoint.ratio(x.scale()[0], 1,
                internal)}, new long[] {2 * (x.max() - x.min())}, 32)[0];
        FixedPoint.Multiplier outM = FixedPoint.multiplierAndShift(FixedPoint.ratio(1, 1, ys.scale()[0]), 24);
        long[] lohi = clampBounds(n, ys, t.relu());
        long cols = staticDim(n, n.input(0), -1);
        // Σe ≤ cols·2^F, and the normalisation doubles Σe·2^s.
        if (64 - Long.numberOfLeadingZeros(cols) + SOFTMAX_FRAC_BITS + outM.shift() + 2 > 63) {
            throw new T2cException("node " + n.label() + ": Softmax row of " + cols + " with output step "
                    + ys.scale()[0] + " overflows 64-bit arithmetic");
        }
        Attributes a = requant(new FixedPoint.Multiplier[] {outM}, ys, lohi[0], lohi[1]).into(Attributes.of(
                X_MULTIPLIER, new long[] {in.multiplier()}, X_SHIFT, new long[] {in.shift()}, FRAC_BITS,
                (long) SOFTMAX_FRAC_BITS, EXP_LN2, Math.round(Math.log(2) * Math.scalb(1.0, SOFTMAX_FRAC_BITS)),
                EXP_COEFFS, taylorCoefficients(SOFTMAX_EXP_DEGREE, SOFTMAX_FRAC_BITS), Y_SCALE,
                new double[] {ys.scale()[0]}, Y_AXIS, -1L, Y_TYPE, codeType(ys)));
        claim(t);
        emit(reading(n, n.input(0), SOFTMAX, a), new Rep(true, new double[] {ys.scale()[0]}, ys.zeroPoint()[0],
                lohi[0], lohi[1], -1, 32));
    }

    /** round(2^f/k!) for k = 0..degree, exactly. */
    static long[] taylorCoefficients(int degree, int f) {
        long[] c = new long[degree + 1];
        BigDecimal factorial = BigDecimal.ONE;
        for (int k = 0; k <= degree; k++) {
            factorial = factorial.multiply(BigDecimal.valueOf(Math.max(k, 1)));
            c[k] = FixedPoint.pow2(f).divide(factorial, 0, java.math.RoundingMode.HALF_EVEN).longValueExact();
        }
        return c;
    }

    /**
     * LayerNorm over the last axis of per-tensor codes: integer mean and variance, an exact floor square root, and
     * γ/β folded into a per-channel requantization to the reading quantizer.
     */
    private void lowerLayerNorm(Node n) {
        int[] shape = valueShape(n.input(0));
        int axis = Math.floorMod(n.attributes().getInt("axis", -1), shape.length);
        if (axis != shape.length - 1) {
            throw new T2cException("node " + n.label() + ": integer LayerNorm normalizes over the last axis only");
        }
        Rep x = rep(n, n.input(0));
        if (!x.codes() || x.scale().length != 1 || x.maxAbs() > WIDE_CODE_MAX) {
            // An accumulator (Swin's patch-merging reduction, read by the norm and the residual) or the wide codes
            // of a moved one (Swin's patch embedding) as 16-bit codes: the squares of wider codes overflow 64 bits.
            n = new Node(n.name(), n.opType(), with(n.inputs(), 0, perTensorCodes(n.input(0), x, WIDE_CODE_MAX)),
                    n.outputs(), n.attributes());
            x = rep(n, n.input(0));
        }
        long d = shape[axis];
        Tensor gamma = source.initializer(n.input(1));
        Tensor beta = n.inputs().size() > 2 && !n.input(2).isEmpty() ? source.initializer(n.input(2)) : null;
        if (gamma == null || n.inputs().size() > 2 && !n.input(2).isEmpty() && beta == null) {
            throw new T2cException("node " + n.label() + ": LayerNorm scale and bias must be constants to convert");
        }
        Target t = requiredTarget(n);
        QuantSpec ys = activationSpec(t.quantizer());
        double eps = n.attributes().getDouble("epsilon", 1e-5);
        double dx = x.scale()[0];
        long epsCodes = Math.round(eps * d * d / (dx * dx));
        long varianceBound = Math.addExact(Math.multiplyExact(d * d, x.maxAbs() * x.maxAbs()), epsCodes);
        // The largest k with variance·4^k < 2^62 (at most 16): sd then carries ≥ 16 more bits than √variance.
        int k = 0;
        while (k < 16 && varianceBound < (1L << (60 - 2 * k))) {
            k++;
        }
        long centeredBound = 2 * d * x.maxAbs();
        // As many fraction bits as keep the centered value shifted by k + f below 2^62.
        int f = Math.min(LAYER_NORM_MAX_FRAC_BITS, Long.numberOfLeadingZeros(centeredBound) - k - 2);
        if (f < LAYER_NORM_MIN_FRAC_BITS) {
            throw new T2cException("node " + n.label() + ": LayerNorm row of " + d + " too wide for 64-bit arithmetic");
        }
        // |normalized| ≤ √d, so r ≤ √d·2^f.
        long rBound = (long) Math.ceil(Math.sqrt(d)) << f;
        long[] m = new long[(int) d];
        long[] sh = new long[(int) d];
        long[] betaCodes = new long[(int) d];
        for (int c = 0; c < d; c++) {
            double g = gamma.floats()[c];
            int shift = 0;
            if (g != 0) {
                FixedPoint.Multiplier mc = FixedPoint.sharedShift(new BigDecimal[] {FixedPoint.ratio(Math.abs(g),
                        Math.scalb(1.0, -f), ys.scale()[0])}, new long[] {2 * rBound},
                        options.multiplierBits())[0];
                m[c] = g < 0 ? -mc.multiplier() : mc.multiplier();
                shift = mc.shift();
            }
            sh[c] = shift;
            double b = beta == null ? 0 : beta.floats()[c];
            BigDecimal code = FixedPoint.ratio(b, 1, ys.scale()[0]).multiply(FixedPoint.pow2(shift));
            betaCodes[c] = code.setScale(0, java.math.RoundingMode.HALF_EVEN).longValueExact();
            if (Math.abs(betaCodes[c]) > (1L << 61)) {
                throw new T2cException("node " + n.label() + ": LayerNorm bias " + b + " is out of range of the"
                        + " output scale");
            }
        }
        long[] lohi = clampBounds(n, ys, t.relu());
        Attributes a = Attributes.of(X_ZERO_POINT, x.zeroPoint(), FRAC_BITS, (long) f, EPS_CODES,
                epsCodes, SQRT_SHIFT, (long) k, BIAS_CODES, betaCodes, MULTIPLIER, m, SHIFT, sh, Y_ZERO_POINT,
                (long) ys.zeroPoint()[0], Y_MIN, lohi[0], Y_MAX, lohi[1], ROUNDING, options.rounding().id())
                .with(Y_SCALE, new double[] {ys.scale()[0]}).with(Y_AXIS, -1L).with(Y_TYPE, codeType(ys));
        claim(t);
        emit(reading(n, n.input(0), LAYER_NORM, a), new Rep(true, new double[] {ys.scale()[0]}, ys.zeroPoint()[0],
                lohi[0], lohi[1], -1, 32));
    }

    private boolean isActivationQuantizer(Node p) {
        return p != null && p.opType().equals(FakeQuantOp.NAME) && FakeQuantOp.role(p) != Role.WEIGHT
                && !source.initializers().containsKey(p.input(0));
    }

    /**
     * An element-wise non-linearity on ≤ 8-bit codes (with a SiLU Mul and clamps after it: {@link TableOps#region})
     * as an {@code IntLut}: one output code per input code, built by {@link LutTables} from the fake-quant graph's
     * own kernels and quantizers, so the integer value equals the fake-quant value on every code. Chain ReLUs
     * between the region and the reading quantizer fold into the entries.
     */
    private void lowerTable(Node n) {
        Node fq = producers.get(n.input(0));
        if (!isActivationQuantizer(fq)) {
            throw new T2cException("node " + n.label() + ": " + n.opType() + " converts as a lookup table on the codes"
                    + " of a quantizer; its input has none (quantize with activations of at most "
                    + TableOps.MAX_BITS + " bits)");
        }
        Rep x = rep(n, n.input(0));
        long entries = x.max() - x.min() + 1;
        if (!x.codes() || x.scale().length != 1 || entries > 1L << TableOps.MAX_BITS) {
            throw new T2cException("node " + n.label() + ": a lookup table needs per-tensor input codes of at most "
                    + TableOps.MAX_BITS + " bits; its input spans " + entries + " codes");
        }
        List<Node> region = TableOps.region(source, n);
        Node last = region.get(region.size() - 1);
        Target t = requiredTarget(last);
        QuantSpec ys = activationSpec(t.quantizer());
        int[] table = LutTables.build(source, fq, region, t.quantizer(), x.min(), x.max());
        long[] lohi = clampBounds(n, ys, t.relu());
        for (int i = 0; i < table.length; i++) {
            table[i] = (int) Math.min(lohi[1], Math.max(lohi[0], table[i]));
        }
        String tableName = n.name() + ".lut";
        initializers.put(tableName, Tensor.ofInts(table, table.length));
        Attributes a = Attributes.of(X_MIN, x.min(), X_MAX, x.max(), X_ZERO_POINT, x.zeroPoint(), Y_ZERO_POINT,
                (long) ys.zeroPoint()[0], Y_SCALE, new double[] {ys.scale()[0]}, Y_AXIS, -1L, Y_TYPE, codeType(ys),
                FUNCTION, TableOps.describe(region));
        for (Node r : region.subList(1, region.size())) {
            claimed.add(r.name());
        }
        claim(t);
        emit(new Node(n.name(), LUT, List.of(n.input(0), tableName), List.of(last.output(0)), a),
                new Rep(true, new double[] {ys.scale()[0]}, ys.zeroPoint()[0], lohi[0], lohi[1], -1, 32));
    }

    /**
     * GELU (erf form) of codes or an accumulator with per-channel scales: the input goes to 2^−14 per channel, then
     * I-BERT's i-GELU (second-order erf polynomial) and one requantization to the reading quantizer.
     */
    private void lowerGelu(Node n) {
        if (!n.attributes().getString("approximate", "none").equals("none")) {
            throw new T2cException("node " + n.label() + ": only the erf GELU has an integer form");
        }
        Rep x = rep(n, n.input(0));
        Target t = requiredTarget(n);
        QuantSpec ys = activationSpec(t.quantizer());
        double internal = Math.scalb(1.0, -GELU_FRAC_BITS);
        FixedPoint.Multiplier[] in = new FixedPoint.Multiplier[x.scale().length];
        for (int c = 0; c < in.length; c++) {
            in[c] = FixedPoint.sharedShift(new BigDecimal[] {FixedPoint.ratio(x.scale()[c], 1, internal)},
                    new long[] {x.maxAbs()}, options.multiplierBits())[0];
        }
        // |x_f| ≤ bound·Δ·2^F; the product x_f·(2^F + erf) needs |x_f| < 2^(62 − F − 1).
        double xfBound = Arrays.stream(x.scale()).max().orElseThrow() * x.maxAbs() * Math.scalb(1.0, GELU_FRAC_BITS);
        if (xfBound >= Math.scalb(1.0, 61 - GELU_FRAC_BITS - 1)) {
            throw new T2cException("node " + n.label() + ": GELU input range too wide for 64-bit fixed point");
        }
        FixedPoint.Multiplier[] outM = FixedPoint.sharedShift(new BigDecimal[] {FixedPoint.ratio(internal, 1,
                ys.scale()[0])}, new long[] {(long) Math.ceil(xfBound) + 1}, options.multiplierBits());
        long[] lohi = clampBounds(n, ys, t.relu());
        long one = 1L << GELU_FRAC_BITS;
        Attributes a = requant(outM, ys, lohi[0], lohi[1]).into(Attributes.of(X_ZERO_POINT, x.zeroPoint(),
                X_MULTIPLIER, longsOf(in, false), X_SHIFT, longsOf(in, true), FRAC_BITS, (long) GELU_FRAC_BITS,
                ERF_A, Math.round(0.2888 * one), ERF_B, Math.round(1.769 * one), INV_SQRT2_Q16,
                Math.round(65536 / Math.sqrt(2)), Y_SCALE, new double[] {ys.scale()[0]}, Y_AXIS, (long) x.axis(),
                Y_TYPE, codeType(ys)));
        claim(t);
        emit(reading(n, n.input(0), GELU, a), new Rep(true, new double[] {ys.scale()[0]}, ys.zeroPoint()[0],
                lohi[0], lohi[1], -1, 32));
    }
}
