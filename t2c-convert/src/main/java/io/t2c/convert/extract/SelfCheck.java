package io.t2c.convert.extract;

import com.fasterxml.jackson.databind.JsonNode;
import io.t2c.convert.ReferenceExecutor;
import io.t2c.graph.Attributes;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.Value;
import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Recomputes every extracted op from the written files alone (manifest.json plus the npy, bin or hex files, in that
 * order of preference) and compares {@code acc} and {@code y} exactly: it proves the files are a complete, consistent
 * description of each op. Conv, linear, add, pooling, requantization and lookups are recomputed with plain loops over
 * {@code long} that share no code with the integer executors. The transformer ops (matmul, concat, softmax, LayerNorm,
 * GELU) are rebuilt as a one-node graph from the manifest's attributes and the files' operands, and run by the
 * scalar {@link ReferenceExecutor}: nothing but the files goes in, so a missing attribute or operand still fails.
 */
public final class SelfCheck {
    /** {@code passed} of {@code ops} ops matched; {@code failures} names each op that did not, and why. */
    public record Report(int ops, int passed, List<String> failures) {}

    private SelfCheck() {}

    public static Report run(Path extraction) throws IOException {
        JsonNode manifest = Extraction.JSON.readTree(extraction.resolve("manifest.json").toFile());
        int passed = 0;
        List<String> failures = new ArrayList<>();
        JsonNode ops = manifest.get("ops");
        for (JsonNode op : ops) {
            String name = op.get("name").asText();
            try {
                String why = check(extraction.resolve(op.get("folder").asText()), op);
                if (why == null) {
                    passed++;
                } else {
                    failures.add(name + ": " + why);
                }
            } catch (T2cException e) {
                failures.add(name + ": " + e.getMessage());
            }
        }
        return new Report(ops.size(), passed, failures);
    }

    /** Null when acc and y match; otherwise the first difference. */
    private static String check(Path dir, JsonNode op) throws IOException {
        JsonNode a = op.get("attributes");
        JsonNode tensors = op.get("tensors");
        Vec x = read(dir, tensors, "x");
        Vec y = tensors.has("y") ? read(dir, tensors, "y") : null;
        Vec acc = tensors.has("acc") ? read(dir, tensors, "acc") : null;
        long[] sums;
        long[] codes;
        switch (op.get("op").asText()) {
            case "IntConv" -> {
                sums = conv(a, x, read(dir, tensors, "w"), tensors.has("b") ? read(dir, tensors, "b").v : null);
                codes = requantize(a, sums, channelsOf(acc.shape, 1));
            }
            case "IntGemm" -> {
                sums = linear(a, x, read(dir, tensors, "w"), tensors.has("b") ? read(dir, tensors, "b").v : null);
                codes = requantize(a, sums, channelsOf(acc.shape, acc.shape.length - 1));
            }
            case "IntAdd" -> {
                Vec x2 = read(dir, tensors, "x2");
                long[] ma = longs(a, "a_multiplier");
                long[] mb = longs(a, "b_multiplier");
                int[] ch = channelsOf(x.shape, axis(a, x.shape.length));
                sums = new long[x.v.length];
                for (int i = 0; i < sums.length; i++) {
                    int c = ma.length == 1 ? 0 : ch[i];
                    sums[i] = (x.v[i] - a.path("x_zero_point").asLong()) * ma[c]
                            + (x2.v[i] - a.path("b_zero_point").asLong()) * mb[c];
                }
                codes = requantize(a, sums, ch);
            }
            case "IntAveragePool", "IntMaxPool" -> {
                boolean max = op.get("op").asText().equals("IntMaxPool");
                long[][] pooled = pool(a, x, max);
                sums = max ? null : pooled[0];
                codes = max ? pooled[1] : requantize(a, pooled[0], toInts(pooled[2]));
            }
            case "IntRequantize" -> {
                sums = null;
                long[] centered = new long[x.v.length];
                for (int i = 0; i < centered.length; i++) {
                    centered[i] = x.v[i] - a.path("x_zero_point").asLong();
                }
                codes = requantize(a, centered, channelsOf(x.shape, axis(a, x.shape.length)));
            }
            case "IntLut" -> {
                sums = null;
                Vec table = read(dir, tensors, "lut");
                long lo = a.path("x_min").asLong();
                codes = new long[x.v.length];
                for (int i = 0; i < codes.length; i++) {
                    long index = x.v[i] - lo;
                    if (index < 0 || index >= table.v.length) {
                        return "x[" + i + "] = " + x.v[i] + " lies outside the table's codes [" + lo + ", "
                                + (lo + table.v.length - 1) + "]";
                    }
                    codes[i] = table.v[(int) index];
                }
            }
            case "IntMatMul", "IntConcat", "IntSoftmax", "IntLayerNorm", "IntGelu" -> {
                ReferenceExecutor.Result r = runReference(dir, op);
                sums = r.acc();
                codes = r.ints();
            }
            default -> {
                return "unknown op type " + op.get("op").asText();
            }
        }
        if (acc != null) {
            String d = firstDifference("acc", acc.v, sums);
            if (d != null) {
                return d;
            }
        }
        return y == null ? null : firstDifference("y", y.v, codes);
    }

    /** The op as a one-node graph whose operands (x, x2, ...) are constants read from the files, run by the reference. */
    private static ReferenceExecutor.Result runReference(Path dir, JsonNode op) throws IOException {
        JsonNode tensors = op.get("tensors");
        List<String> inputs = new ArrayList<>();
        Map<String, Tensor> operands = new LinkedHashMap<>();
        for (int i = 0; tensors.has(Extraction.inputRole(i)); i++) {
            String role = Extraction.inputRole(i);
            Vec v = read(dir, tensors, role);
            inputs.add(role);
            operands.put(role, Tensor.ofLongs(v.v, v.shape));
        }
        Node node = new Node(op.get("name").asText(), op.get("op").asText(), inputs, List.of("y"),
                attributes(op.get("attributes")));
        Graph g = new Graph("self-check", List.of(), List.of(new Value("y", DType.INT32, null)), List.of(node),
                operands, Map.of());
        return ReferenceExecutor.run(g, Map.of()).get("y");
    }

    /** JSON attributes back as typed values: whole numbers as long / long[], others as double / double[]. */
    private static Attributes attributes(JsonNode json) {
        Map<String, Object> values = new LinkedHashMap<>();
        json.fields().forEachRemaining(e -> {
            JsonNode v = e.getValue();
            if (v.isTextual()) {
                values.put(e.getKey(), v.asText());
            } else if (v.isIntegralNumber()) {
                values.put(e.getKey(), v.asLong());
            } else if (v.isNumber()) {
                values.put(e.getKey(), v.asDouble());
            } else if (v.isArray() && allIntegral(v)) {
                values.put(e.getKey(), longs(json, e.getKey()));
            } else if (v.isArray()) {
                double[] a = new double[v.size()];
                for (int i = 0; i < a.length; i++) {
                    a[i] = v.get(i).asDouble();
                }
                values.put(e.getKey(), a);
            }
        });
        return Attributes.of(values);
    }

    private static boolean allIntegral(JsonNode array) {
        for (JsonNode e : array) {
            if (!e.isIntegralNumber()) {
                return false;
            }
        }
        return true;
    }

    /** A tensor read back: values and shape. */
    private record Vec(long[] v, int[] shape) {}

    private static Vec read(Path dir, JsonNode tensors, String role) throws IOException {
        JsonNode t = tensors.get(role);
        int[] shape = toInts(t.get("shape"));
        IntType type = new IntType(t.get("bits").asInt(), t.get("signed").asBoolean());
        for (TensorFormat f : TensorFormat.values()) {
            JsonNode file = t.get("files").get(f.extension());
            if (file != null) {
                return new Vec(f.read(dir.resolve(file.asText()), shape, type), shape);
            }
        }
        throw new T2cException("tensor " + role + " has no npy, bin or hex file to check against");
    }

    private static long[] conv(JsonNode a, Vec x, Vec w, long[] b) {
        int[] xs = x.shape;
        int[] ws = w.shape;
        int[] st = toInts(a.get("strides"));
        int[] pad = toInts(a.get("pads"));
        int[] dil = toInts(a.get("dilations"));
        int group = a.path("group").asInt(1);
        long zx = a.path("x_zero_point").asLong();
        long[] zw = longs(a, "w_zero_point");
        int oh = (xs[2] + pad[0] + pad[2] - dil[0] * (ws[2] - 1) - 1) / st[0] + 1;
        int ow = (xs[3] + pad[1] + pad[3] - dil[1] * (ws[3] - 1) - 1) / st[1] + 1;
        long[] out = new long[xs[0] * ws[0] * oh * ow];
        int i = 0;
        for (int img = 0; img < xs[0]; img++) {
            for (int co = 0; co < ws[0]; co++) {
                int firstIn = co / (ws[0] / group) * ws[1];
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        long s = b == null ? 0 : b[co];
                        for (int ci = 0; ci < ws[1]; ci++) {
                            for (int ky = 0; ky < ws[2]; ky++) {
                                for (int kx = 0; kx < ws[3]; kx++) {
                                    int iy = oy * st[0] - pad[0] + ky * dil[0];
                                    int ix = ox * st[1] - pad[1] + kx * dil[1];
                                    if (iy >= 0 && iy < xs[2] && ix >= 0 && ix < xs[3]) {
                                        s += (x.v[((img * xs[1] + firstIn + ci) * xs[2] + iy) * xs[3] + ix] - zx)
                                                * (w.v[((co * ws[1] + ci) * ws[2] + ky) * ws[3] + kx]
                                                - zw[zw.length == 1 ? 0 : co]);
                                    }
                                }
                            }
                        }
                        out[i++] = s;
                    }
                }
            }
        }
        return out;
    }

    private static long[] linear(JsonNode a, Vec x, Vec w, long[] b) {
        int n = w.shape[0];
        int k = w.shape[1];
        long zx = a.path("x_zero_point").asLong();
        long[] zw = longs(a, "w_zero_point");
        long[] out = new long[x.v.length / k * n];
        for (int r = 0; r < x.v.length / k; r++) {
            for (int j = 0; j < n; j++) {
                long s = b == null ? 0 : b[j];
                for (int t = 0; t < k; t++) {
                    s += (x.v[r * k + t] - zx) * (w.v[j * k + t] - zw[zw.length == 1 ? 0 : j]);
                }
                out[r * n + j] = s;
            }
        }
        return out;
    }

    /** {sums, maxima, tap counts} over each window of a [N, C, H, W] input. */
    private static long[][] pool(JsonNode a, Vec x, boolean max) {
        int[] s = x.shape;
        boolean global = a.path("global").asInt() != 0;
        int[] k = global ? new int[] {s[2], s[3]} : toInts(a.get("kernel_shape"));
        int[] st = global || !a.has("strides") ? new int[] {1, 1} : toInts(a.get("strides"));
        int[] pad = global || !a.has("pads") ? new int[4] : toInts(a.get("pads"));
        int[] dil = global || !a.has("dilations") ? new int[] {1, 1} : toInts(a.get("dilations"));
        boolean includePad = a.path("count_include_pad").asInt() != 0;
        // Pooling an accumulator with per-channel scales: one row of multipliers per channel, index c·(taps+1) + n.
        boolean perChannel = a.path("per_channel").asInt() != 0;
        long zx = a.path("x_zero_point").asLong();
        int oh = (s[2] + pad[0] + pad[2] - dil[0] * (k[0] - 1) - 1) / st[0] + 1;
        int ow = (s[3] + pad[1] + pad[3] - dil[1] * (k[1] - 1) - 1) / st[1] + 1;
        int count = s[0] * s[1] * oh * ow;
        long[][] out = {new long[count], new long[count], new long[count]};
        int i = 0;
        for (int plane = 0; plane < s[0] * s[1]; plane++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    long best = Long.MIN_VALUE;
                    int taps = 0;
                    for (int ky = 0; ky < k[0]; ky++) {
                        for (int kx = 0; kx < k[1]; kx++) {
                            int iy = oy * st[0] - pad[0] + ky * dil[0];
                            int ix = ox * st[1] - pad[1] + kx * dil[1];
                            if (iy >= 0 && iy < s[2] && ix >= 0 && ix < s[3]) {
                                long v = x.v[(plane * s[2] + iy) * s[3] + ix];
                                out[0][i] += v - zx;
                                best = Math.max(best, v);
                                taps++;
                            }
                        }
                    }
                    out[1][i] = best;
                    int divisor = includePad ? k[0] * k[1] : taps;
                    out[2][i++] = perChannel ? (plane % s[1]) * (k[0] * k[1] + 1) + divisor : divisor;
                }
            }
        }
        return max ? new long[][] {null, out[1], null} : out;
    }

    /** clamp(zy + round(v·M_c / 2^s_c)); index[i] picks the multiplier (channel, or tap count for pooling). */
    private static long[] requantize(JsonNode a, long[] v, int[] index) {
        if (!a.has("multiplier")) {
            return v; // a raw accumulator: the output is the sum itself
        }
        long[] m = longs(a, "multiplier");
        long[] s = longs(a, "shift");
        String rounding = a.path("rounding").asText("half-up");
        long zy = a.path("y_zero_point").asLong();
        long lo = a.get("y_min").asLong();
        long hi = a.get("y_max").asLong();
        long[] out = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            int c = m.length == 1 ? 0 : index[i];
            long p = v[i] * m[c];
            long d = 1L << s[c];
            long q = Math.floorDiv(p, d);
            long r2 = 2 * (p - q * d); // twice the remainder, in [0, 2d)
            boolean up = switch (rounding) {
                case "floor" -> false;
                case "half-up" -> r2 >= d;
                case "half-even" -> r2 > d || r2 == d && (q & 1) != 0;
                case "half-away" -> r2 > d || r2 == d && p > 0;
                default -> throw new T2cException("unknown rounding '" + rounding + "'");
            };
            out[i] = Math.max(lo, Math.min(hi, zy + q + (up ? 1 : 0)));
        }
        return out;
    }

    private static String firstDifference(String role, long[] written, long[] recomputed) {
        if (recomputed == null || written.length != recomputed.length) {
            return role + ": " + written.length + " values written, " + (recomputed == null ? 0 : recomputed.length)
                    + " recomputed";
        }
        for (int i = 0; i < written.length; i++) {
            if (written[i] != recomputed[i]) {
                return role + "[" + i + "] = " + written[i] + " in the file, " + recomputed[i] + " recomputed";
            }
        }
        return null;
    }

    /** The index along {@code axis} of every element of a row-major tensor. */
    private static int[] channelsOf(int[] shape, int axis) {
        int inner = 1;
        for (int d = axis + 1; d < shape.length; d++) {
            inner *= shape[d];
        }
        int total = 1;
        for (int d : shape) {
            total *= d;
        }
        int[] c = new int[total];
        for (int i = 0; i < total; i++) {
            c[i] = i / inner % shape[axis];
        }
        return c;
    }

    private static int axis(JsonNode a, int rank) {
        return Math.floorMod(a.path("y_axis").asInt(1), rank);
    }

    private static long[] longs(JsonNode a, String name) {
        JsonNode n = a.get(name);
        long[] out = new long[n.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = n.get(i).asLong();
        }
        return out;
    }

    private static int[] toInts(JsonNode n) {
        int[] out = new int[n.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = n.get(i).asInt();
        }
        return out;
    }

    private static int[] toInts(long[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (int) v[i];
        }
        return out;
    }
}
