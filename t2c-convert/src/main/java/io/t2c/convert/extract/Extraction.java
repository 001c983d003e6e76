package io.t2c.convert.extract;

import static io.t2c.convert.IntegerOps.ACC_BITS;
import static io.t2c.convert.IntegerOps.ADD;
import static io.t2c.convert.IntegerOps.AVERAGE_POOL;
import static io.t2c.convert.IntegerOps.B_ZERO_POINT;
import static io.t2c.convert.IntegerOps.CONCAT;
import static io.t2c.convert.IntegerOps.CONV;
import static io.t2c.convert.IntegerOps.GELU;
import static io.t2c.convert.IntegerOps.GEMM;
import static io.t2c.convert.IntegerOps.LAYER_NORM;
import static io.t2c.convert.IntegerOps.LUT;
import static io.t2c.convert.IntegerOps.MATMUL;
import static io.t2c.convert.IntegerOps.MAX_POOL;
import static io.t2c.convert.IntegerOps.MULTIPLIER;
import static io.t2c.convert.IntegerOps.REQUANTIZE;
import static io.t2c.convert.IntegerOps.SHIFT;
import static io.t2c.convert.IntegerOps.SOFTMAX;
import static io.t2c.convert.IntegerOps.W_SCALE;
import static io.t2c.convert.IntegerOps.W_TYPE;
import static io.t2c.convert.IntegerOps.W_ZERO_POINT;
import static io.t2c.convert.IntegerOps.X_MAX;
import static io.t2c.convert.IntegerOps.X_MIN;
import static io.t2c.convert.IntegerOps.X_ZERO_POINTS;
import static io.t2c.convert.IntegerOps.X_ZERO_POINT;
import static io.t2c.convert.IntegerOps.Y_MAX;
import static io.t2c.convert.IntegerOps.Y_MIN;
import static io.t2c.convert.IntegerOps.Y_SCALE;
import static io.t2c.convert.IntegerOps.Y_TYPE;
import static io.t2c.convert.IntegerOps.Y_ZERO_POINT;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.t2c.convert.ReferenceExecutor;
import io.t2c.graph.Attributes;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.io.bundle.ModelBundle;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Extraction of test vectors (docs/FORMATS.md, "Test vectors"): runs an integer graph with the scalar reference
 * executor on real samples and writes, per basic op, its integer tensors (input x, second operand x2, weight w, bias
 * b, accumulator acc before requantization, output y; with a PE array size also the tiled GEMM operands pe_x, pe_w)
 * in the chosen formats, with manifest.json describing every file. The folder is written atomically.
 */
public final class Extraction {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** The ops a testbench exercises; quantize/dequantize touch floats, movement ops only reorder. */
    static final Set<String> EXTRACTED = Set.of(CONV, GEMM, ADD, AVERAGE_POOL, MAX_POOL, REQUANTIZE, LUT, MATMUL,
            CONCAT, SOFTMAX, LAYER_NORM, GELU);
    /** Ops whose output holds their first input's codes, reordered or repeated. */
    private static final Set<String> PASS_THROUGH = Set.of("Flatten", "Reshape", "Transpose", "Gather", "Expand",
            "Slice", "Unsqueeze", MAX_POOL);

    /** What to write: tensor formats, whether C headers, and the PE array size (null: no tiling). */
    public record Options(List<TensorFormat> formats, boolean cHeaders, PeTiling.ArraySize pe) {
        /** From the command line: "npy,hex,bin,c" and "RxC" (or null). */
        public static Options parse(String formatList, String pe) {
            Set<TensorFormat> formats = new LinkedHashSet<>();
            boolean c = false;
            for (String f : formatList.split(",")) {
                String name = f.trim().toLowerCase(java.util.Locale.ROOT);
                if (name.equals("c")) {
                    c = true;
                } else {
                    formats.add(TensorFormat.parse(name));
                }
            }
            return new Options(List.copyOf(formats), c, pe == null ? null : PeTiling.ArraySize.parse(pe));
        }
    }

    /** The folder written, how many ops and files, and the op name → folder mapping. */
    public record Summary(Path dir, int ops, int files, Map<String, String> folders) {}

    private final Graph graph;
    private final Map<String, Node> producers = new HashMap<>();

    private Extraction(Graph graph) {
        this.graph = graph;
        for (Node n : graph.nodes()) {
            n.outputs().forEach(o -> producers.put(o, n));
        }
    }

    /**
     * Runs {@code graph} on {@code images} (the dataset samples {@code sampleIndices}, in order) and writes the
     * extraction to {@code target}, replacing it only once everything is written.
     */
    public static Summary write(Graph graph, Tensor images, int[] sampleIndices, Options options, Path target)
            throws IOException {
        return new Extraction(graph).writeTo(images, sampleIndices, options, target);
    }

    private Summary writeTo(Tensor images, int[] sampleIndices, Options options, Path target) throws IOException {
        Map<String, ReferenceExecutor.Result> values = ReferenceExecutor.run(graph,
                Map.of(graph.inputs().get(0).name(), images));
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        ModelBundle.deleteRecursively(tmp);
        Files.createDirectories(tmp);
        try {
            Map<String, String> folders = new LinkedHashMap<>();
            Set<String> used = new HashSet<>();
            List<Map<String, Object>> ops = new ArrayList<>();
            int files = 0;
            for (Node n : graph.nodes()) {
                if (!EXTRACTED.contains(n.opType())) {
                    continue;
                }
                String dir = uniqueFolder(n.name(), used);
                folders.put(n.name(), dir);
                Path opDir = Files.createDirectories(tmp.resolve(dir));
                List<ExtractedTensor> tensors = tensors(n, values);
                Map<String, Object> tensorEntries = new LinkedHashMap<>();
                for (ExtractedTensor t : tensors) {
                    Map<String, String> written = new LinkedHashMap<>();
                    for (TensorFormat f : options.formats()) {
                        String file = t.role() + "." + f.extension();
                        f.write(opDir.resolve(file), n.name() + "/" + t.role(), t.values(), t.shape(), t.type());
                        written.put(f.extension(), file);
                        files++;
                    }
                    tensorEntries.put(t.role(), tensorEntry(t, written));
                }
                if (options.pe() != null && (n.opType().equals(CONV) || n.opType().equals(GEMM))) {
                    for (ExtractedTensor t : peTensors(n, values, options.pe())) {
                        Map<String, String> written = new LinkedHashMap<>();
                        for (TensorFormat f : options.formats()) {
                            String file = t.role() + "." + f.extension();
                            f.write(opDir.resolve(file), n.name() + "/" + t.role(), t.values(), t.shape(), t.type());
                            written.put(f.extension(), file);
                            files++;
                        }
                        tensors.add(t);
                        tensorEntries.put(t.role(), tensorEntry(t, written));
                    }
                }
                Map<String, Object> op = new LinkedHashMap<>();
                op.put("name", n.name());
                op.put("folder", dir);
                op.put("op", n.opType());
                op.put("inputs", n.inputs());
                op.put("outputs", n.outputs());
                op.put("attributes", jsonAttributes(n.attributes()));
                if (options.cHeaders()) {
                    String header = dir + ".h";
                    Files.writeString(opDir.resolve(header), CHeader.render(n.name(), n.opType(),
                            CHeader.identifier(dir), op.get("attributes") instanceof Map<?, ?> m ? cast(m) : Map.of(),
                            tensors), StandardCharsets.US_ASCII);
                    op.put("c_header", header);
                    files++;
                }
                op.put("tensors", tensorEntries);
                ops.add(op);
            }
            Map<String, Object> manifest = new LinkedHashMap<>();
            manifest.put("format", 1);
            manifest.put("model", graph.name());
            manifest.put("samples", sampleIndices);
            manifest.put("formats", options.formats().stream().map(TensorFormat::extension).toList());
            manifest.put("c_headers", options.cHeaders());
            manifest.put("pe", options.pe() == null ? null : Map.of("rows", options.pe().rows(), "cols",
                    options.pe().cols()));
            manifest.put("order", "row-major (C order); hex: one value per line, two's complement at the tensor's bits");
            manifest.put("ops", ops);
            JSON.writeValue(tmp.resolve("manifest.json").toFile(), manifest);
            files++;
            ModelBundle.deleteRecursively(target);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            return new Summary(target, ops.size(), files, folders);
        } catch (IOException | RuntimeException e) {
            ModelBundle.deleteRecursively(tmp);
            throw e;
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Map<?, ?> m) {
        return (Map<String, Object>) m;
    }

    /** The tensors of one op, by its type (docs/FORMATS.md lists which roles each op has). */
    private List<ExtractedTensor> tensors(Node n, Map<String, ReferenceExecutor.Result> values) {
        Attributes a = n.attributes();
        ReferenceExecutor.Result out = values.get(n.output(0));
        List<ExtractedTensor> t = new ArrayList<>();
        ReferenceExecutor.Result x = operand(values, n.input(0));
        boolean requant = a.has(MULTIPLIER);
        String layout = layout(out.shape().length);
        switch (n.opType()) {
            case CONV, GEMM -> {
                boolean conv = n.opType().equals(CONV);
                double[] xScale = scaleOf(n.input(0));
                double[] wScale = a.has(W_SCALE) ? a.getDoubles(W_SCALE) : null;
                t.add(new ExtractedTensor("x", x.ints(), x.shape(), conv ? "NCHW" : rowsBy("K", x.shape().length),
                        inputType(n), xScale, new long[] {a.getLong(X_ZERO_POINT, 0)}));
                Tensor w = graph.initializer(n.input(1));
                long[] wv = w.toLongArray();
                t.add(new ExtractedTensor("w", wv, w.shape(), conv ? "OIHW" : "NK", a.has(W_TYPE)
                        ? IntType.parse(a.getString(W_TYPE, null)) : rangeOf(wv), wScale,
                        a.getLongs(W_ZERO_POINT)));
                IntType accType = new IntType(a.getInt(ACC_BITS, 32), true);
                double[] accScale = product(xScale, wScale);
                if (n.inputs().size() > 2 && !n.input(2).isEmpty()) {
                    Tensor b = graph.initializer(n.input(2));
                    t.add(new ExtractedTensor("b", b.toLongArray(), b.shape(), "C", accType, accScale,
                            new long[] {0}));
                }
                t.add(new ExtractedTensor("acc", out.acc(), out.shape(), layout, accType, accScale, new long[] {0}));
            }
            case ADD -> {
                ReferenceExecutor.Result x2 = operand(values, n.input(1));
                t.add(new ExtractedTensor("x", x.ints(), x.shape(), layout, typeOf(n.input(0)), scaleOf(n.input(0)),
                        new long[] {a.getLong(X_ZERO_POINT, 0)}));
                t.add(new ExtractedTensor("x2", x2.ints(), x2.shape(), layout, typeOf(n.input(1)),
                        scaleOf(n.input(1)), new long[] {a.getLong(B_ZERO_POINT, 0)}));
                // The sum of both multiplied operands, before the shared shift: in units of Δy·2^−s per channel.
                long[] shift = a.getLongs(SHIFT);
                double[] accScale = new double[shift.length];
                for (int c = 0; c < shift.length; c++) {
                    accScale[c] = a.getDoubles(Y_SCALE)[0] * Math.scalb(1.0, (int) -shift[c]);
                }
                t.add(new ExtractedTensor("acc", out.acc(), out.shape(), layout, new IntType(64, true), accScale,
                        new long[] {0}));
            }
            case AVERAGE_POOL -> {
                t.add(new ExtractedTensor("x", x.ints(), x.shape(), layout, inputType(n), scaleOf(n.input(0)),
                        new long[] {a.getLong(X_ZERO_POINT, 0)}));
                t.add(new ExtractedTensor("acc", out.acc(), out.shape(), layout, widthOf(out.acc()),
                        scaleOf(n.input(0)), new long[] {0}));
            }
            case MATMUL -> {
                // Both operands are activations (attention's Q·Kᵀ and P·V): x is [..., M, K], x2 [..., K, N].
                t.add(new ExtractedTensor("x", x.ints(), x.shape(), "…MK", typeOf(n.input(0)), scaleOf(n.input(0)),
                        new long[] {a.getLong(X_ZERO_POINT, 0)}));
                ReferenceExecutor.Result x2 = operand(values, n.input(1));
                t.add(new ExtractedTensor("x2", x2.ints(), x2.shape(), "…KN", typeOf(n.input(1)),
                        scaleOf(n.input(1)), new long[] {a.getLong(B_ZERO_POINT, 0)}));
                t.add(new ExtractedTensor("acc", out.acc(), out.shape(), "…MN", new IntType(a.getInt(ACC_BITS, 32),
                        true), product(scaleOf(n.input(0)), scaleOf(n.input(1))), new long[] {0}));
            }
            case CONCAT -> {
                long[] zx = a.getLongs(X_ZERO_POINTS);
                for (int i = 0; i < n.inputs().size(); i++) {
                    ReferenceExecutor.Result operand = operand(values, n.input(i));
                    t.add(new ExtractedTensor(inputRole(i), operand.ints(), operand.shape(), layout,
                            typeOf(n.input(i)), scaleOf(n.input(i)), new long[] {zx[i]}));
                }
            }
            case MAX_POOL, REQUANTIZE, SOFTMAX, LAYER_NORM, GELU -> t.add(new ExtractedTensor("x", x.ints(), x.shape(), layout,
                    typeOf(n.input(0)), scaleOf(n.input(0)), new long[] {a.getLong(X_ZERO_POINT, 0)}));
            case LUT -> {
                t.add(new ExtractedTensor("x", x.ints(), x.shape(), layout, inputType(n), scaleOf(n.input(0)),
                        new long[] {a.getLong(X_ZERO_POINT, 0)}));
                // The table: entry i is the output code of input code x_min + i (a weight-like constant).
                Tensor lut = graph.initializer(n.input(1));
                t.add(new ExtractedTensor("lut", lut.toLongArray(), lut.shape(), "E", typeOf(n.output(0)),
                        scaleOf(n.output(0)), new long[] {a.getLong(Y_ZERO_POINT, 0)}));
            }
            default -> throw new IllegalStateException("not an extracted op: " + n.opType());
        }
        if (requant || n.opType().equals(MAX_POOL) || n.opType().equals(LUT)) {
            t.add(new ExtractedTensor("y", out.ints(), out.shape(), layout, typeOf(n.output(0)), scaleOf(n.output(0)),
                    new long[] {n.opType().equals(MAX_POOL) ? a.getLong(X_ZERO_POINT, 0) : a.getLong(Y_ZERO_POINT,
                            0)}));
        }
        return t;
    }

    /** An op's input as the reference computed it, or as stored when it is a constant (its codes). */
    private ReferenceExecutor.Result operand(Map<String, ReferenceExecutor.Result> values, String name) {
        ReferenceExecutor.Result r = values.get(name);
        return r != null ? r : ReferenceExecutor.Result.of(graph.initializer(name));
    }

    /** The role of an op's i-th activation input: x, x2, x3, ... */
    static String inputRole(int i) {
        return i == 0 ? "x" : "x" + (i + 1);
    }

    /** pe_x and pe_w of a conv or linear layer (docs/FORMATS.md, "PE tiling"). */
    private List<ExtractedTensor> peTensors(Node n, Map<String, ReferenceExecutor.Result> values,
                                            PeTiling.ArraySize pe) {
        Attributes a = n.attributes();
        ReferenceExecutor.Result x = values.get(n.input(0));
        Tensor w = graph.initializer(n.input(1));
        long zx = a.getLong(X_ZERO_POINT, 0);
        long[] zw = a.getLongs(W_ZERO_POINT);
        PeTiling gemm = n.opType().equals(CONV)
                ? PeTiling.ofConv(x.ints(), x.shape(), zx, w.toLongArray(), w.shape(), zw,
                a.getInts("strides", new int[] {1, 1}), a.getInts("pads", new int[4]),
                a.getInts("dilations", new int[] {1, 1}), a.getInt("group", 1))
                : PeTiling.ofLinear(x.ints(), zx, w.toLongArray(), w.shape(), zw);
        IntType xType = inputType(n);
        // Zero-point-corrected operands: x − zx spans [min − zx, max − zx] of the input type.
        IntType peXType = IntType.forRange(Math.min(0, xType.min() - zx), Math.max(0, xType.max() - zx));
        return List.of(
                new ExtractedTensor("pe_x", gemm.inputTiles(pe), gemm.inputTileShape(pe), "G,KT,MT,R,C", peXType,
                        scaleOf(n.input(0)), new long[] {0}),
                new ExtractedTensor("pe_w", gemm.weightTiles(pe), gemm.weightTileShape(pe), "G,NT,KT,R,C",
                        rangeOf(gemm.b()), a.has(W_SCALE) ? a.getDoubles(W_SCALE) : null, new long[] {0}));
    }

    /** The code type of an op's input: its producer's output type (X_MIN/X_MAX only for bundles without types). */
    private IntType inputType(Node n) {
        Node p = codeProducer(n.input(0));
        // A declared output type, a raw accumulator, or an accumulator with a ReLU epilogue (MobileNet's last conv
        // feeding the average pool: its clamp [0, B] is the range, and the pool declares no input range of its own).
        if (p != null && (p.attributes().has(Y_TYPE) || !p.attributes().has(MULTIPLIER) || !n.attributes().has(X_MAX))) {
            return typeOf(n.input(0));
        }
        return IntType.forRange(n.attributes().getLong(X_MIN, 0), n.attributes().getLong(X_MAX, 0));
    }

    /** The integer type of a value: its producer's declared output type, or its accumulator width. */
    private IntType typeOf(String value) {
        Node p = codeProducer(value);
        if (p == null) {
            // A constant read as data (ViT's class token, position embedding): 16-bit codes stored as they are.
            Tensor constant = graph.initializer(codeSource(value));
            if (constant == null) {
                throw new T2cException("value " + value + " has no integer producer");
            }
            return rangeOf(constant.toLongArray());
        }
        Attributes a = p.attributes();
        if (a.has(Y_TYPE)) {
            return IntType.parse(a.getString(Y_TYPE, null));
        }
        if (a.has(MULTIPLIER) || a.has(Y_MIN)) {
            return IntType.forRange(a.getLong(Y_MIN, 0), a.getLong(Y_MAX, 0));
        }
        return new IntType(a.getInt(ACC_BITS, 32), true); // a raw accumulator
    }

    private double[] scaleOf(String value) {
        Node p = codeProducer(value);
        return p == null || !p.attributes().has(Y_SCALE) ? null : p.attributes().getDoubles(Y_SCALE);
    }

    /** The op that gave a value its codes, looking through movement ops and max pooling; null for a constant. */
    private Node codeProducer(String value) {
        return producers.get(codeSource(value));
    }

    /** The value whose codes {@code value} holds: itself, or what a chain of movement ops started from. */
    private String codeSource(String value) {
        Node p = producers.get(value);
        while (p != null && PASS_THROUGH.contains(p.opType())) {
            value = p.input(0);
            p = producers.get(value);
        }
        return value;
    }

    private static IntType rangeOf(long[] v) {
        long lo = 0;
        long hi = 0;
        for (long x : v) {
            lo = Math.min(lo, x);
            hi = Math.max(hi, x);
        }
        return IntType.forRange(lo, hi);
    }

    /** int32 when every value fits, else int64: the container a hardware sum of this size needs. */
    private static IntType widthOf(long[] v) {
        IntType r = rangeOf(v);
        IntType int32 = new IntType(32, true);
        return int32.holds(r.signed() ? r.min() : 0, r.max()) ? int32 : new IntType(64, true);
    }

    private static double[] product(double[] a, double[] b) {
        if (a == null || b == null) {
            return null;
        }
        double[] out = new double[Math.max(a.length, b.length)];
        for (int i = 0; i < out.length; i++) {
            out[i] = a[a.length == 1 ? 0 : i] * b[b.length == 1 ? 0 : i];
        }
        return out;
    }

    private static String layout(int rank) {
        return switch (rank) {
            case 4 -> "NCHW";
            case 2 -> "NC";
            default -> rowsBy("C", rank);
        };
    }

    /** "NK", "ABK": leading axes, then the named last axis. */
    private static String rowsBy(String last, int rank) {
        return rank == 2 ? "N" + last : "…" + last;
    }

    private static Map<String, Object> tensorEntry(ExtractedTensor t, Map<String, String> files) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("files", files);
        e.put("shape", t.shape());
        e.put("layout", t.layout());
        e.put("dtype", t.type().storageName());
        e.put("bits", t.type().bits());
        e.put("signed", t.type().signed());
        e.put("scale", t.scale());
        e.put("zero_point", t.zeroPoint());
        return e;
    }

    /** Node attributes as JSON values; tensor-valued attributes are named, not inlined. */
    private static Map<String, Object> jsonAttributes(Attributes a) {
        Map<String, Object> out = new LinkedHashMap<>();
        a.asMap().forEach((k, v) -> out.put(k, v instanceof Tensor ? "tensor" : v));
        return out;
    }

    /** Op name → folder name: characters other than letters, digits, '.', '-', '_' become '_'; clashes get "_2"... */
    static String uniqueFolder(String opName, Set<String> used) {
        String base = opName.replaceAll("[^A-Za-z0-9._-]", "_").replaceAll("^[._]+", "");
        if (base.isEmpty()) {
            base = "op";
        }
        String name = base;
        for (int i = 2; !used.add(name.toLowerCase(java.util.Locale.ROOT)); i++) {
            name = base + "_" + i; // case-insensitive file systems see "Conv" and "conv" as one folder
        }
        return name;
    }
}
