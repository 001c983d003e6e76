package io.t2c.autograd;

import io.t2c.graph.Attributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.ToDoubleFunction;

/**
 * Independent float64 forwards of the differentiable ops, for {@link GradientCheckTest}: plain scalar loops over
 * {@code double} written from the ONNX operator definitions (and our documented extensions: {@code label_smoothing},
 * {@code running_var_unbiased}, {@code coerce_2d}, fused {@code clamp_min}/{@code clamp_max}). Nothing here calls a
 * t2c kernel or op, so a forward that agrees with this one implements the same function, attributes included.
 *
 * <p>Adding an op: one entry in {@link #REFERENCES}, taking the node's attributes and its inputs (integer and boolean
 * inputs arrive as doubles too) and returning its outputs.
 */
final class Float64Reference {
    private Float64Reference() {}

    /** A dense row-major float64 tensor. */
    record D(double[] v, int[] shape) {
        D(int... shape) {
            this(new double[Math.toIntExact(count(shape))], shape);
        }

        static long count(int[] shape) {
            long n = 1;
            for (int d : shape) {
                n *= d;
            }
            return n;
        }

        int rank() {
            return shape.length;
        }

        int dim(int i) {
            return shape[i];
        }

        int size() {
            return v.length;
        }

        D reshape(int... s) {
            return new D(v, s);
        }

        long[] longs() {
            long[] l = new long[v.length];
            for (int i = 0; i < l.length; i++) {
                l[i] = (long) v[i];
            }
            return l;
        }

        @Override
        public String toString() {
            return "D" + Arrays.toString(shape);
        }
    }

    /** The float64 forward of one node: attributes and inputs (absent optional inputs as null) to outputs. */
    interface Ref {
        List<D> apply(Attributes a, List<D> in);
    }

    static final Map<String, Ref> REFERENCES = Map.ofEntries(
            Map.entry("Neg", unary(x -> -x)),
            Map.entry("Abs", unary(Math::abs)),
            Map.entry("Exp", unary(Math::exp)),
            Map.entry("Erf", unary(Float64Reference::erf)),
            Map.entry("Relu", unary(x -> Math.max(0, x))),
            Map.entry("Sigmoid", unary(Float64Reference::sigmoid)),
            Map.entry("Tanh", unary(Math::tanh)),
            Map.entry("HardSwish", unary(x -> x * Math.max(0, Math.min(1, x / 6 + 0.5)))),
            Map.entry("Sqrt", unary(Math::sqrt)),
            Map.entry("Log", unary(Math::log)),
            Map.entry("Reciprocal", unary(x -> 1 / x)),
            Map.entry("Identity", unary(x -> x)),
            Map.entry("Dropout", unary(x -> x)),
            Map.entry("Gelu", (a, in) -> List.of(map(in.get(0), a.getString("approximate", "none").equals("tanh")
                    ? x -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)))
                    : x -> 0.5 * x * (1 + erf(x / Math.sqrt(2)))))),
            Map.entry("LeakyRelu", (a, in) -> {
                double alpha = a.getDouble("alpha", 0.01);
                return List.of(map(in.get(0), x -> x < 0 ? alpha * x : x));
            }),
            Map.entry("HardSigmoid", (a, in) -> {
                double alpha = a.getDouble("alpha", 0.2);
                double beta = a.getDouble("beta", 0.5);
                return List.of(map(in.get(0), x -> Math.max(0, Math.min(1, alpha * x + beta))));
            }),
            Map.entry("Clip", (a, in) -> {
                double lo = in.size() > 1 && in.get(1) != null ? in.get(1).v()[0] : Double.NEGATIVE_INFINITY;
                double hi = in.size() > 2 && in.get(2) != null ? in.get(2).v()[0] : Double.POSITIVE_INFINITY;
                return List.of(map(in.get(0), x -> Math.min(hi, Math.max(lo, x))));
            }),
            Map.entry("Add", binary((x, y) -> x + y)),
            Map.entry("Sub", binary((x, y) -> x - y)),
            Map.entry("Mul", binary((x, y) -> x * y)),
            Map.entry("Div", binary((x, y) -> x / y)),
            Map.entry("Pow", binary(Math::pow)),
            Map.entry("PRelu", binary((x, slope) -> x < 0 ? slope * x : x)),
            Map.entry("Where", (a, in) -> List.of(broadcast(in, v -> v[0] != 0 ? v[1] : v[2]))),
            Map.entry("Sum", (a, in) -> List.of(broadcast(in, v -> Arrays.stream(v).sum()))),
            Map.entry("Mean", (a, in) -> List.of(broadcast(in, v -> Arrays.stream(v).sum() / v.length))),
            Map.entry("Flatten", Float64Reference::flatten),
            Map.entry("Reshape", Float64Reference::reshape),
            Map.entry("Squeeze", Float64Reference::squeeze),
            Map.entry("Unsqueeze", Float64Reference::unsqueeze),
            Map.entry("Transpose", Float64Reference::transpose),
            Map.entry("Concat", Float64Reference::concat),
            Map.entry("Split", Float64Reference::split),
            Map.entry("Slice", Float64Reference::slice),
            Map.entry("Gather", Float64Reference::gather),
            Map.entry("Pad", Float64Reference::pad),
            Map.entry("Expand", Float64Reference::expand),
            Map.entry("Tile", Float64Reference::tile),
            Map.entry("ReduceSum", reduce(0, (acc, x) -> acc + x, false)),
            Map.entry("ReduceMean", reduce(0, (acc, x) -> acc + x, true)),
            Map.entry("ReduceMax", reduce(Double.NEGATIVE_INFINITY, Math::max, false)),
            Map.entry("ReduceMin", reduce(Double.POSITIVE_INFINITY, Math::min, false)),
            Map.entry("ReduceProd", reduce(1, (acc, x) -> acc * x, false)),
            Map.entry("Softmax", (a, in) -> List.of(softmax(a, in.get(0), false))),
            Map.entry("LogSoftmax", (a, in) -> List.of(softmax(a, in.get(0), true))),
            Map.entry("SoftmaxCrossEntropyLoss", Float64Reference::crossEntropy),
            Map.entry("MatMul", Float64Reference::matMul),
            Map.entry("Gemm", Float64Reference::gemm),
            Map.entry("Conv", (a, in) -> List.of(clamp(a, conv(a, in)))),
            Map.entry("ConvTranspose", Float64Reference::convTranspose),
            Map.entry("MaxPool", (a, in) -> List.of(pool(a, in.get(0), true))),
            Map.entry("AveragePool", (a, in) -> List.of(pool(a, in.get(0), false))),
            Map.entry("GlobalAveragePool", (a, in) -> List.of(globalPool(in.get(0), false))),
            Map.entry("GlobalMaxPool", (a, in) -> List.of(globalPool(in.get(0), true))),
            Map.entry("BatchNormalization", Float64Reference::batchNorm),
            Map.entry("LayerNormalization", Float64Reference::layerNorm),
            Map.entry("InstanceNormalization", Float64Reference::instanceNorm),
            Map.entry("Resize", Float64Reference::resizeNearest));

    // ---------------------------------------------------------------------------------------------- indexing

    static int[] strides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    /** The multi-index of flat position {@code flat} in {@code shape}. */
    static int[] index(int flat, int[] shape) {
        int[] idx = new int[shape.length];
        for (int i = shape.length - 1; i >= 0; i--) {
            idx[i] = flat % shape[i];
            flat /= shape[i];
        }
        return idx;
    }

    static int flat(int[] idx, int[] shape) {
        int f = 0;
        for (int i = 0; i < shape.length; i++) {
            f = f * shape[i] + idx[i];
        }
        return f;
    }

    static int axis(long axis, int rank) {
        return (int) (axis < 0 ? axis + rank : axis);
    }

    /** A new tensor of {@code shape} whose element at multi-index i is {@code f(i)}. */
    static D build(int[] shape, ToDoubleFunction<int[]> f) {
        D y = new D(shape);
        for (int i = 0; i < y.size(); i++) {
            y.v()[i] = f.applyAsDouble(index(i, shape));
        }
        return y;
    }

    // ---------------------------------------------------------------------------------------------- element-wise

    static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /** erf by its Maclaurin series, to full double precision for |x| ≤ 3 (the cases stay within ±2). */
    static double erf(double x) {
        if (Math.abs(x) > 3) {
            throw new IllegalArgumentException("reference erf is only accurate for |x| <= 3, got " + x);
        }
        double term = x;
        double sum = x;
        for (int n = 1; n < 80; n++) {
            term *= -x * x / n;
            sum += term / (2 * n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    static D map(D x, DoubleUnaryOperator f) {
        D y = new D(x.shape().clone());
        for (int i = 0; i < x.size(); i++) {
            y.v()[i] = f.applyAsDouble(x.v()[i]);
        }
        return y;
    }

    static Ref unary(DoubleUnaryOperator f) {
        return (a, in) -> List.of(map(in.get(0), f));
    }

    static Ref binary(DoubleBinaryOperator f) {
        return (a, in) -> List.of(clamp(a, broadcast(in, v -> f.applyAsDouble(v[0], v[1]))));
    }

    /** Numpy broadcasting of the shapes. */
    static int[] broadcastShape(List<int[]> shapes) {
        int rank = shapes.stream().mapToInt(s -> s.length).max().orElse(0);
        int[] out = new int[rank];
        Arrays.fill(out, 1);
        for (int[] s : shapes) {
            for (int i = 0; i < s.length; i++) {
                int o = rank - s.length + i;
                if (s[i] != 1) {
                    if (out[o] != 1 && out[o] != s[i]) {
                        throw new IllegalArgumentException("shapes do not broadcast");
                    }
                    out[o] = s[i];
                }
            }
        }
        return out;
    }

    /** The element of {@code x} that output multi-index {@code idx} reads under broadcasting. */
    static double broadcastRead(D x, int[] idx) {
        int f = 0;
        int off = idx.length - x.rank();
        for (int i = 0; i < x.rank(); i++) {
            f = f * x.dim(i) + (x.dim(i) == 1 ? 0 : idx[off + i]);
        }
        return x.v()[f];
    }

    static D broadcast(List<D> in, ToDoubleFunction<double[]> f) {
        int[] shape = broadcastShape(in.stream().map(D::shape).toList());
        return build(shape, idx -> {
            double[] args = new double[in.size()];
            for (int k = 0; k < args.length; k++) {
                args[k] = broadcastRead(in.get(k), idx);
            }
            return f.applyAsDouble(args);
        });
    }

    /** Our fused activation attributes (on Conv and Add): clamp the output to [clamp_min, clamp_max]. */
    static D clamp(Attributes a, D y) {
        double lo = a.getDouble("clamp_min", Double.NEGATIVE_INFINITY);
        double hi = a.getDouble("clamp_max", Double.POSITIVE_INFINITY);
        return map(y, v -> Math.min(hi, Math.max(lo, v)));
    }

    // ---------------------------------------------------------------------------------------------- movement

    static List<D> flatten(Attributes a, List<D> in) {
        D x = in.get(0);
        int axis = axis(a.getLong("axis", 1), x.rank());
        int outer = 1;
        for (int i = 0; i < axis; i++) {
            outer *= x.dim(i);
        }
        return List.of(x.reshape(outer, x.size() / outer));
    }

    static List<D> reshape(Attributes a, List<D> in) {
        D x = in.get(0);
        long[] target = in.get(1).longs();
        int[] s = new int[target.length];
        int known = 1;
        int infer = -1;
        for (int i = 0; i < s.length; i++) {
            if (target[i] == -1) {
                infer = i;
                continue;
            }
            s[i] = target[i] == 0 ? x.dim(i) : (int) target[i];
            known *= s[i];
        }
        if (infer >= 0) {
            s[infer] = x.size() / known;
        }
        return List.of(x.reshape(s));
    }

    static List<D> squeeze(Attributes a, List<D> in) {
        D x = in.get(0);
        List<Integer> axes = new ArrayList<>();
        for (long ax : in.get(1).longs()) {
            axes.add(axis(ax, x.rank()));
        }
        List<Integer> s = new ArrayList<>();
        for (int i = 0; i < x.rank(); i++) {
            if (!axes.contains(i)) {
                s.add(x.dim(i));
            }
        }
        return List.of(x.reshape(s.stream().mapToInt(Integer::intValue).toArray()));
    }

    static List<D> unsqueeze(Attributes a, List<D> in) {
        D x = in.get(0);
        long[] ax = in.get(1).longs();
        int rank = x.rank() + ax.length;
        boolean[] inserted = new boolean[rank];
        for (long l : ax) {
            inserted[axis(l, rank)] = true;
        }
        int[] s = new int[rank];
        for (int i = 0, j = 0; i < rank; i++) {
            s[i] = inserted[i] ? 1 : x.dim(j++);
        }
        return List.of(x.reshape(s));
    }

    static List<D> transpose(Attributes a, List<D> in) {
        D x = in.get(0);
        int[] perm = a.getInts("perm", null);
        int[] s = new int[x.rank()];
        for (int i = 0; i < s.length; i++) {
            s[i] = x.dim(perm[i]);
        }
        return List.of(build(s, idx -> {
            int[] src = new int[idx.length];
            for (int i = 0; i < idx.length; i++) {
                src[perm[i]] = idx[i];
            }
            return x.v()[flat(src, x.shape())];
        }));
    }

    static List<D> concat(Attributes a, List<D> in) {
        int axis = axis(a.getLong("axis", 0), in.get(0).rank());
        int[] s = in.get(0).shape().clone();
        s[axis] = in.stream().mapToInt(d -> d.dim(axis)).sum();
        return List.of(build(s, idx -> {
            int[] src = idx.clone();
            for (D d : in) {
                if (src[axis] < d.dim(axis)) {
                    return d.v()[flat(src, d.shape())];
                }
                src[axis] -= d.dim(axis);
            }
            throw new IllegalStateException();
        }));
    }

    static List<D> split(Attributes a, List<D> in) {
        D x = in.get(0);
        int axis = axis(a.getLong("axis", 0), x.rank());
        List<D> outs = new ArrayList<>();
        int start = 0;
        for (long len : in.get(1).longs()) {
            int[] s = x.shape().clone();
            s[axis] = (int) len;
            int from = start;
            outs.add(build(s, idx -> {
                int[] src = idx.clone();
                src[axis] += from;
                return x.v()[flat(src, x.shape())];
            }));
            start += (int) len;
        }
        return outs;
    }

    static List<D> slice(Attributes a, List<D> in) {
        D x = in.get(0);
        long[] starts = in.get(1).longs();
        long[] ends = in.get(2).longs();
        long[] axes = in.size() > 3 && in.get(3) != null ? in.get(3).longs() : null;
        long[] steps = in.size() > 4 && in.get(4) != null ? in.get(4).longs() : null;
        int[] first = new int[x.rank()];
        int[] step = new int[x.rank()];
        int[] s = x.shape().clone();
        Arrays.fill(step, 1);
        for (int k = 0; k < starts.length; k++) {
            int ax = axes == null ? k : axis(axes[k], x.rank());
            long dim = x.dim(ax);
            long st = steps == null ? 1 : steps[k];
            long b = starts[k] < 0 ? starts[k] + dim : starts[k];
            long e = ends[k] < 0 ? ends[k] + dim : ends[k];
            if (st > 0) {
                b = Math.clamp(b, 0, dim);
                e = Math.clamp(e, 0, dim);
                s[ax] = (int) Math.max(0, (e - b + st - 1) / st);
            } else {
                b = Math.clamp(b, 0, dim - 1);
                e = Math.clamp(e, -1, dim - 1);
                s[ax] = (int) Math.max(0, (b - e - st - 1) / -st);
            }
            first[ax] = (int) b;
            step[ax] = (int) st;
        }
        return List.of(build(s, idx -> {
            int[] src = new int[idx.length];
            for (int i = 0; i < idx.length; i++) {
                src[i] = first[i] + idx[i] * step[i];
            }
            return x.v()[flat(src, x.shape())];
        }));
    }

    static List<D> gather(Attributes a, List<D> in) {
        D x = in.get(0);
        D ind = in.get(1);
        int axis = axis(a.getLong("axis", 0), x.rank());
        int[] s = new int[x.rank() - 1 + ind.rank()];
        for (int i = 0, j = 0; i < x.rank(); i++) {
            if (i == axis) {
                for (int d : ind.shape()) {
                    s[j++] = d;
                }
            } else {
                s[j++] = x.dim(i);
            }
        }
        return List.of(build(s, idx -> {
            int[] src = new int[x.rank()];
            int[] k = Arrays.copyOfRange(idx, axis, axis + ind.rank());
            for (int i = 0; i < axis; i++) {
                src[i] = idx[i];
            }
            src[axis] = axis((long) ind.v()[flat(k, ind.shape())], x.dim(axis));
            for (int i = axis + 1; i < x.rank(); i++) {
                src[i] = idx[i - 1 + ind.rank()];
            }
            return x.v()[flat(src, x.shape())];
        }));
    }

    static List<D> pad(Attributes a, List<D> in) {
        D x = in.get(0);
        long[] pads = in.get(1).longs();
        double value = in.size() > 2 && in.get(2) != null ? in.get(2).v()[0] : 0;
        String mode = a.getString("mode", "constant");
        int r = x.rank();
        int[] s = new int[r];
        for (int i = 0; i < r; i++) {
            s[i] = x.dim(i) + (int) pads[i] + (int) pads[i + r];
        }
        return List.of(build(s, idx -> {
            int[] src = new int[r];
            for (int i = 0; i < r; i++) {
                int p = idx[i] - (int) pads[i];
                int n = x.dim(i);
                if (p < 0 || p >= n) {
                    switch (mode) {
                        case "constant" -> {
                            return value;
                        }
                        case "reflect" -> p = p < 0 ? -p : 2 * (n - 1) - p;
                        case "edge" -> p = p < 0 ? 0 : n - 1;
                        default -> throw new IllegalArgumentException(mode);
                    }
                }
                src[i] = p;
            }
            return x.v()[flat(src, x.shape())];
        }));
    }

    static List<D> expand(Attributes a, List<D> in) {
        D x = in.get(0);
        long[] t = in.get(1).longs();
        int[] target = new int[t.length];
        for (int i = 0; i < t.length; i++) {
            target[i] = (int) t[i];
        }
        int[] s = broadcastShape(List.of(x.shape(), target));
        return List.of(build(s, idx -> broadcastRead(x, idx)));
    }

    static List<D> tile(Attributes a, List<D> in) {
        D x = in.get(0);
        long[] reps = in.get(1).longs();
        int[] s = new int[x.rank()];
        for (int i = 0; i < s.length; i++) {
            s[i] = x.dim(i) * (int) reps[i];
        }
        return List.of(build(s, idx -> {
            int[] src = new int[idx.length];
            for (int i = 0; i < idx.length; i++) {
                src[i] = idx[i] % x.dim(i);
            }
            return x.v()[flat(src, x.shape())];
        }));
    }

    // ---------------------------------------------------------------------------------------------- reductions

    /** ONNX Reduce* (opset 18: axes as an optional input; none means all axes), keepdims default 1. */
    static Ref reduce(double init, DoubleBinaryOperator f, boolean mean) {
        return (a, in) -> {
            D x = in.get(0);
            boolean[] reduced = new boolean[x.rank()];
            if (in.size() > 1 && in.get(1) != null && in.get(1).size() > 0) {
                for (long ax : in.get(1).longs()) {
                    reduced[axis(ax, x.rank())] = true;
                }
            } else {
                Arrays.fill(reduced, true);
            }
            boolean keep = a.getLong("keepdims", 1) != 0;
            int[] kept = x.shape().clone();
            int count = 1;
            for (int i = 0; i < kept.length; i++) {
                if (reduced[i]) {
                    count *= kept[i];
                    kept[i] = 1;
                }
            }
            D y = new D(kept);
            Arrays.fill(y.v(), init);
            for (int i = 0; i < x.size(); i++) {
                int[] idx = index(i, x.shape());
                for (int k = 0; k < idx.length; k++) {
                    if (reduced[k]) {
                        idx[k] = 0;
                    }
                }
                int o = flat(idx, kept);
                y.v()[o] = f.applyAsDouble(y.v()[o], x.v()[i]);
            }
            if (mean) {
                for (int i = 0; i < y.size(); i++) {
                    y.v()[i] /= count;
                }
            }
            if (keep) {
                return List.of(y);
            }
            List<Integer> s = new ArrayList<>();
            for (int i = 0; i < kept.length; i++) {
                if (!reduced[i]) {
                    s.add(kept[i]);
                }
            }
            return List.of(y.reshape(s.stream().mapToInt(Integer::intValue).toArray()));
        };
    }

    // ---------------------------------------------------------------------------------------------- softmax, losses

    /**
     * Softmax / LogSoftmax over one axis (opset 13), or with {@code coerce_2d} over all axes from {@code axis} on
     * (the opset &lt; 13 definition on the input flattened to 2-D at axis).
     */
    static D softmax(Attributes a, D x, boolean log) {
        int axis = axis(a.getLong("axis", -1), x.rank());
        int outer = 1;
        for (int i = 0; i < axis; i++) {
            outer *= x.dim(i);
        }
        boolean coerce = a.getLong("coerce_2d", 0) != 0;
        int len = coerce ? x.size() / outer : x.dim(axis);
        int inner = coerce ? 1 : x.size() / outer / len;
        D y = new D(x.shape().clone());
        for (int o = 0; o < outer; o++) {
            for (int in = 0; in < inner; in++) {
                int base = o * len * inner + in;
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < len; k++) {
                    max = Math.max(max, x.v()[base + k * inner]);
                }
                double sum = 0;
                for (int k = 0; k < len; k++) {
                    sum += Math.exp(x.v()[base + k * inner] - max);
                }
                for (int k = 0; k < len; k++) {
                    double z = x.v()[base + k * inner] - max;
                    y.v()[base + k * inner] = log ? z - Math.log(sum) : Math.exp(z) / sum;
                }
            }
        }
        return y;
    }

    /** Scores [N, C], labels [N]: per sample −Σ_c q_c·log softmax(x)_c, q = (1 − ε)·one-hot + ε/C; then reduced. */
    static List<D> crossEntropy(Attributes a, List<D> in) {
        D x = in.get(0);
        long[] labels = in.get(1).longs();
        double eps = a.getDouble("label_smoothing", 0);
        int n = x.dim(0);
        int c = x.dim(1);
        D logp = softmax(Attributes.of("axis", 1), x, true);
        D per = new D(n);
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < c; k++) {
                double q = (k == labels[i] ? 1 - eps : 0) + eps / c;
                per.v()[i] -= q * logp.v()[i * c + k];
            }
        }
        double total = Arrays.stream(per.v()).sum();
        return List.of(switch (a.getString("reduction", "mean")) {
            case "none" -> per;
            case "sum" -> new D(new double[] {total}, new int[0]);
            default -> new D(new double[] {total / n}, new int[0]);
        });
    }

    // ---------------------------------------------------------------------------------------------- linear

    /** Numpy matmul: 1-D operands promoted (and the unit dim dropped again), batch dims broadcast. */
    static List<D> matMul(Attributes a, List<D> in) {
        D x = in.get(0);
        D w = in.get(1);
        boolean vecA = x.rank() == 1;
        boolean vecB = w.rank() == 1;
        D a2 = vecA ? x.reshape(1, x.dim(0)) : x;
        D b2 = vecB ? w.reshape(w.dim(0), 1) : w;
        int m = a2.dim(a2.rank() - 2);
        int k = a2.dim(a2.rank() - 1);
        int n = b2.dim(b2.rank() - 1);
        int[] batch = broadcastShape(List.of(Arrays.copyOf(a2.shape(), a2.rank() - 2),
                Arrays.copyOf(b2.shape(), b2.rank() - 2)));
        int[] s = Arrays.copyOf(batch, batch.length + 2);
        s[batch.length] = m;
        s[batch.length + 1] = n;
        D y = build(s, idx -> {
            int[] bi = Arrays.copyOf(idx, batch.length);
            double acc = 0;
            for (int t = 0; t < k; t++) {
                acc += matrixRead(a2, bi, idx[batch.length], t) * matrixRead(b2, bi, t, idx[batch.length + 1]);
            }
            return acc;
        });
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < s.length; i++) {
            if (!(vecA && i == batch.length) && !(vecB && i == batch.length + 1)) {
                out.add(s[i]);
            }
        }
        return List.of(y.reshape(out.stream().mapToInt(Integer::intValue).toArray()));
    }

    /** Element [i, j] of the matrix of batch index {@code batch} (broadcast) in a stack of matrices. */
    private static double matrixRead(D x, int[] batch, int i, int j) {
        int[] idx = new int[batch.length + 2];
        System.arraycopy(batch, 0, idx, 0, batch.length);
        idx[batch.length] = i;
        idx[batch.length + 1] = j;
        return broadcastRead(x, idx);
    }

    static List<D> gemm(Attributes a, List<D> in) {
        D x = in.get(0);
        D w = in.get(1);
        boolean ta = a.getLong("transA", 0) != 0;
        boolean tb = a.getLong("transB", 0) != 0;
        double alpha = a.getDouble("alpha", 1);
        double beta = a.getDouble("beta", 1);
        int m = ta ? x.dim(1) : x.dim(0);
        int k = ta ? x.dim(0) : x.dim(1);
        int n = tb ? w.dim(0) : w.dim(1);
        D c = in.size() > 2 ? in.get(2) : null;
        return List.of(build(new int[] {m, n}, idx -> {
            int i = idx[0];
            int j = idx[1];
            double acc = 0;
            for (int t = 0; t < k; t++) {
                acc += x.v()[ta ? t * m + i : i * k + t] * w.v()[tb ? j * k + t : t * n + j];
            }
            return alpha * acc + (c == null ? 0 : beta * broadcastRead(c, idx));
        }));
    }

    /** Spatial geometry of a Conv / ConvTranspose / pool, always as 2-D (a 1-D op gets a unit height). */
    record Geometry(int[] kernel, int[] strides, int[] pads, int[] dilations) {}

    static int[] ints(Attributes a, String name, int n, int dflt) {
        int[] v = a.getInts(name, null);
        if (v == null) {
            v = new int[n];
            Arrays.fill(v, dflt);
        }
        return v;
    }

    /** Lifts a 1-D spatial attribute ({@code [v]} or pads {@code [b, e]}) to 2-D with the height's neutral value. */
    static int[] lift(int[] v, int neutral, boolean pads) {
        if (pads) {
            return v.length == 4 ? v : new int[] {neutral, v[0], neutral, v[1]};
        }
        return v.length == 2 ? v : new int[] {neutral, v[0]};
    }

    /** A 3-D [N, C, L] tensor as [N, C, 1, L]; 4-D as is. */
    static D as2d(D x) {
        return x.rank() == 4 ? x : x.reshape(x.dim(0), x.dim(1), 1, x.dim(2));
    }

    /**
     * SAME_UPPER / SAME_LOWER pads for a forward window: out = ceil(in / stride), the total pad split with the odd
     * unit at the end (UPPER) or the beginning (LOWER).
     */
    static int[] samePads(String autoPad, int[] in, int[] k, int[] s, int[] d) {
        int sp = in.length;
        int[] p = new int[2 * sp];
        for (int i = 0; i < sp; i++) {
            int out = (in[i] + s[i] - 1) / s[i];
            int total = Math.max(0, (out - 1) * s[i] + (k[i] - 1) * d[i] + 1 - in[i]);
            int small = total / 2;
            p[i] = autoPad.equals("SAME_UPPER") ? small : total - small;
            p[i + sp] = total - p[i];
        }
        return p;
    }

    static Geometry geometry(Attributes a, int[] spatial, int[] kernel) {
        int sp = spatial.length;
        int[] strides = ints(a, "strides", sp, 1);
        int[] dil = ints(a, "dilations", sp, 1);
        String auto = a.getString("auto_pad", "NOTSET");
        int[] pads = auto.startsWith("SAME") ? samePads(auto, spatial, kernel, strides, dil)
                : auto.equals("VALID") ? new int[2 * sp] : ints(a, "pads", 2 * sp, 0);
        return new Geometry(lift(kernel, 1, false), lift(strides, 1, false), lift(pads, 0, true), lift(dil, 1, false));
    }

    static int[] spatial(D x) {
        return Arrays.copyOfRange(x.shape(), 2, x.rank());
    }

    /** ONNX Conv: x [N, C, (H,) W], w [M, C/group, (kH,) kW], optional bias [M]. */
    static D conv(Attributes a, List<D> in) {
        D x = in.get(0);
        D w = in.get(1);
        D bias = in.size() > 2 ? in.get(2) : null;
        int group = a.getInt("group", 1);
        Geometry g = geometry(a, spatial(x), spatial(w));
        D x4 = as2d(x);
        D w4 = as2d(w);
        int n = x4.dim(0);
        int cin = x4.dim(1);
        int h = x4.dim(2);
        int wd = x4.dim(3);
        int m = w4.dim(0);
        int cg = w4.dim(1);
        int kh = w4.dim(2);
        int kw = w4.dim(3);
        int oh = (h + g.pads()[0] + g.pads()[2] - ((kh - 1) * g.dilations()[0] + 1)) / g.strides()[0] + 1;
        int ow = (wd + g.pads()[1] + g.pads()[3] - ((kw - 1) * g.dilations()[1] + 1)) / g.strides()[1] + 1;
        int mg = m / group;
        D y = build(new int[] {n, m, oh, ow}, idx -> {
            int gi = idx[1] / mg;
            double acc = bias == null ? 0 : bias.v()[idx[1]];
            for (int c = 0; c < cg; c++) {
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        int ih = idx[2] * g.strides()[0] - g.pads()[0] + i * g.dilations()[0];
                        int iw = idx[3] * g.strides()[1] - g.pads()[1] + j * g.dilations()[1];
                        if (ih >= 0 && ih < h && iw >= 0 && iw < wd) {
                            acc += x4.v()[((idx[0] * cin + gi * cg + c) * h + ih) * wd + iw]
                                    * w4.v()[((idx[1] * cg + c) * kh + i) * kw + j];
                        }
                    }
                }
            }
            return acc;
        });
        return x.rank() == 4 ? y : y.reshape(n, m, ow);
    }

    /**
     * ONNX ConvTranspose: x [N, C, (H,) W], w [C, M/group, (kH,) kW]; each input element scatters
     * x·w into y[o = i·stride − pad_begin + k·dilation]. Output length s·(in − 1) + output_padding + (k − 1)·d + 1 −
     * pads; with SAME_UPPER / SAME_LOWER the output is in·stride and the total pad is split with the odd unit at the
     * end / the beginning.
     */
    static List<D> convTranspose(Attributes a, List<D> in) {
        D x = in.get(0);
        D w = in.get(1);
        D bias = in.size() > 2 ? in.get(2) : null;
        int group = a.getInt("group", 1);
        int sp = x.rank() - 2;
        int[] strides = ints(a, "strides", sp, 1);
        int[] dil = ints(a, "dilations", sp, 1);
        int[] outPad = ints(a, "output_padding", sp, 0);
        int[] k = spatial(w);
        int[] inSp = spatial(x);
        String auto = a.getString("auto_pad", "NOTSET");
        int[] pads = ints(a, "pads", 2 * sp, 0);
        if (auto.startsWith("SAME")) {
            pads = new int[2 * sp];
            for (int i = 0; i < sp; i++) {
                int total = strides[i] * (inSp[i] - 1) + outPad[i] + (k[i] - 1) * dil[i] + 1 - inSp[i] * strides[i];
                int small = total / 2;
                pads[i] = auto.equals("SAME_UPPER") ? small : total - small;
                pads[i + sp] = total - pads[i];
            }
        }
        int[] s2 = lift(strides, 1, false);
        int[] d2 = lift(dil, 1, false);
        int[] p2 = lift(pads, 0, true);
        int[] op2 = lift(outPad, 0, false);
        D x4 = as2d(x);
        D w4 = as2d(w);
        int n = x4.dim(0);
        int cin = x4.dim(1);
        int h = x4.dim(2);
        int wd = x4.dim(3);
        int mg = w4.dim(1);
        int kh = w4.dim(2);
        int kw = w4.dim(3);
        int cg = cin / group;
        int m = mg * group;
        int oh = s2[0] * (h - 1) + op2[0] + (kh - 1) * d2[0] + 1 - p2[0] - p2[2];
        int ow = s2[1] * (wd - 1) + op2[1] + (kw - 1) * d2[1] + 1 - p2[1] - p2[3];
        D y = new D(n, m, oh, ow);
        for (int b = 0; b < n; b++) {
            for (int oc = 0; oc < m; oc++) {
                for (int i = 0; i < oh * ow; i++) {
                    y.v()[(b * m + oc) * oh * ow + i] = bias == null ? 0 : bias.v()[oc];
                }
            }
            for (int c = 0; c < cin; c++) {
                int gi = c / cg;
                for (int ih = 0; ih < h; ih++) {
                    for (int iw = 0; iw < wd; iw++) {
                        double xv = x4.v()[((b * cin + c) * h + ih) * wd + iw];
                        for (int o = 0; o < mg; o++) {
                            for (int i = 0; i < kh; i++) {
                                for (int j = 0; j < kw; j++) {
                                    int yh = ih * s2[0] - p2[0] + i * d2[0];
                                    int yw = iw * s2[1] - p2[1] + j * d2[1];
                                    if (yh >= 0 && yh < oh && yw >= 0 && yw < ow) {
                                        y.v()[((b * m + gi * mg + o) * oh + yh) * ow + yw] +=
                                                xv * w4.v()[((c * mg + o) * kh + i) * kw + j];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return List.of(x.rank() == 4 ? y : y.reshape(n, m, ow));
    }

    // ---------------------------------------------------------------------------------------------- pooling

    /**
     * Pooled length with ONNX Runtime's ceil_mode rule: ceil((in + pads − eff) / stride) + 1, minus one when the
     * last window would start beyond the input and its begin padding.
     */
    static int pooledLength(int in, int k, int s, int pb, int pe, int d, boolean ceil) {
        int span = in + pb + pe - ((k - 1) * d + 1);
        int out = ceil ? (span + s - 1) / s + 1 : span / s + 1;
        if (ceil && (out - 1) * s >= in + pb) {
            out--;
        }
        return out;
    }

    /**
     * MaxPool / AveragePool. The average divides by the taps inside the input, or with count_include_pad by the taps
     * inside the input and its explicit padding (never those beyond it that ceil_mode adds).
     */
    static D pool(Attributes a, D x, boolean max) {
        int[] kernel = a.getInts("kernel_shape", null);
        Geometry g = geometry(a, spatial(x), kernel);
        boolean includePad = a.getLong("count_include_pad", 0) != 0;
        boolean ceil = a.getLong("ceil_mode", 0) != 0;
        D x4 = as2d(x);
        int h = x4.dim(2);
        int wd = x4.dim(3);
        int[] k = g.kernel();
        int[] s = g.strides();
        int[] p = g.pads();
        int[] d = g.dilations();
        int oh = pooledLength(h, k[0], s[0], p[0], p[2], d[0], ceil);
        int ow = pooledLength(wd, k[1], s[1], p[1], p[3], d[1], ceil);
        D y = build(new int[] {x4.dim(0), x4.dim(1), oh, ow}, idx -> {
            int base = (idx[0] * x4.dim(1) + idx[1]) * h * wd;
            double acc = max ? Double.NEGATIVE_INFINITY : 0;
            int inside = 0;
            int padded = 0;
            for (int i = 0; i < k[0]; i++) {
                for (int j = 0; j < k[1]; j++) {
                    int ih = idx[2] * s[0] - p[0] + i * d[0];
                    int iw = idx[3] * s[1] - p[1] + j * d[1];
                    if (ih >= -p[0] && ih < h + p[2] && iw >= -p[1] && iw < wd + p[3]) {
                        padded++;
                    }
                    if (ih >= 0 && ih < h && iw >= 0 && iw < wd) {
                        inside++;
                        double v = x4.v()[base + ih * wd + iw];
                        acc = max ? Math.max(acc, v) : acc + v;
                    }
                }
            }
            return max ? acc : acc / (includePad ? padded : inside);
        });
        return x.rank() == 4 ? y : y.reshape(y.dim(0), y.dim(1), ow);
    }

    static D globalPool(D x, boolean max) {
        int planes = x.dim(0) * x.dim(1);
        int len = x.size() / planes;
        int[] s = x.shape().clone();
        for (int i = 2; i < s.length; i++) {
            s[i] = 1;
        }
        D y = new D(s);
        for (int pl = 0; pl < planes; pl++) {
            double acc = max ? Double.NEGATIVE_INFINITY : 0;
            for (int i = 0; i < len; i++) {
                double v = x.v()[pl * len + i];
                acc = max ? Math.max(acc, v) : acc + v;
            }
            y.v()[pl] = max ? acc : acc / len;
        }
        return y;
    }

    // ---------------------------------------------------------------------------------------------- normalisation

    /**
     * BatchNormalization (opset 15). Inference: (x − mean)/sqrt(var + ε)·γ + β with the given statistics. Training:
     * the batch's mean and biased variance per channel (over N and the spatial dims), and the running statistics
     * momentum·input + (1 − momentum)·batch (the variance × m/(m − 1) with running_var_unbiased).
     */
    static List<D> batchNorm(Attributes a, List<D> in) {
        D x = in.get(0);
        D gamma = in.get(1);
        D beta = in.get(2);
        D mean0 = in.get(3);
        D var0 = in.get(4);
        double eps = a.getDouble("epsilon", 1e-5);
        double momentum = a.getDouble("momentum", 0.9);
        boolean training = a.getLong("training_mode", 0) != 0;
        int n = x.dim(0);
        int c = x.dim(1);
        int inner = x.size() / n / c;
        int m = n * inner;
        double[] mean = mean0.v().clone();
        double[] var = var0.v().clone();
        if (training) {
            for (int ch = 0; ch < c; ch++) {
                double s = 0;
                for (int b = 0; b < n; b++) {
                    for (int i = 0; i < inner; i++) {
                        s += x.v()[(b * c + ch) * inner + i];
                    }
                }
                mean[ch] = s / m;
                double q = 0;
                for (int b = 0; b < n; b++) {
                    for (int i = 0; i < inner; i++) {
                        double dv = x.v()[(b * c + ch) * inner + i] - mean[ch];
                        q += dv * dv;
                    }
                }
                var[ch] = q / m;
            }
        }
        D y = build(x.shape(), idx -> {
            int ch = idx[1];
            double v = x.v()[flat(idx, x.shape())];
            return (v - mean[ch]) / Math.sqrt(var[ch] + eps) * gamma.v()[ch] + beta.v()[ch];
        });
        if (!training) {
            return List.of(y);
        }
        double unbias = a.getLong("running_var_unbiased", 0) != 0 ? m / (m - 1.0) : 1;
        D rm = new D(c);
        D rv = new D(c);
        for (int ch = 0; ch < c; ch++) {
            rm.v()[ch] = momentum * mean0.v()[ch] + (1 - momentum) * mean[ch];
            rv.v()[ch] = momentum * var0.v()[ch] + (1 - momentum) * var[ch] * unbias;
        }
        return List.of(y, rm, rv);
    }

    /**
     * LayerNormalization (opset 17) over dims axis..end: Y = (x − μ)·inv·scale + bias with inv = 1/sqrt(σ² + ε),
     * plus the Mean and InvStdDev outputs (x's shape with the normalized dims set to 1).
     */
    static List<D> layerNorm(Attributes a, List<D> in) {
        D x = in.get(0);
        D scale = in.get(1);
        D bias = in.size() > 2 ? in.get(2) : null;
        int axis = axis(a.getLong("axis", -1), x.rank());
        double eps = a.getDouble("epsilon", 1e-5);
        int[] statShape = x.shape().clone();
        int outer = 1;
        for (int i = 0; i < x.rank(); i++) {
            if (i < axis) {
                outer *= x.dim(i);
            } else {
                statShape[i] = 1;
            }
        }
        int len = x.size() / outer;
        int[] normShape = Arrays.copyOfRange(x.shape(), axis, x.rank());
        D y = new D(x.shape().clone());
        D mu = new D(statShape);
        D inv = new D(statShape);
        for (int o = 0; o < outer; o++) {
            double mean = mean(x.v(), o * len, len);
            double is = inverseStd(x.v(), o * len, len, mean, eps);
            mu.v()[o] = mean;
            inv.v()[o] = is;
            for (int i = 0; i < len; i++) {
                int[] idx = index(i, normShape);
                double v = (x.v()[o * len + i] - mean) * is * broadcastRead(scale, idx);
                y.v()[o * len + i] = v + (bias == null ? 0 : broadcastRead(bias, idx));
            }
        }
        return List.of(y, mu, inv);
    }

    private static double mean(double[] v, int from, int len) {
        double s = 0;
        for (int i = 0; i < len; i++) {
            s += v[from + i];
        }
        return s / len;
    }

    /** 1 / sqrt(biased variance + eps) of v[from, from + len) around its mean. */
    private static double inverseStd(double[] v, int from, int len, double mean, double eps) {
        double q = 0;
        for (int i = 0; i < len; i++) {
            double dv = v[from + i] - mean;
            q += dv * dv;
        }
        return 1 / Math.sqrt(q / len + eps);
    }

    /** InstanceNormalization: per (n, c) over the spatial dims, then scale[c] and B[c]. */
    static List<D> instanceNorm(Attributes a, List<D> in) {
        D x = in.get(0);
        D scale = in.get(1);
        D bias = in.get(2);
        double eps = a.getDouble("epsilon", 1e-5);
        int c = x.dim(1);
        int planes = x.dim(0) * c;
        int len = x.size() / planes;
        D y = new D(x.shape().clone());
        for (int p = 0; p < planes; p++) {
            double mean = mean(x.v(), p * len, len);
            double is = inverseStd(x.v(), p * len, len, mean, eps);
            for (int i = 0; i < len; i++) {
                y.v()[p * len + i] = (x.v()[p * len + i] - mean) * is * scale.v()[p % c] + bias.v()[p % c];
            }
        }
        return List.of(y);
    }

    // ---------------------------------------------------------------------------------------------- resize

    /**
     * Nearest Resize (opset 19): inputs X, roi, scales, sizes. Output length floor(in·scale) (floor(in·(roi_end −
     * roi_start)·scale) for tf_crop_and_resize) or sizes (then scale = out/in); each output coordinate maps back by
     * coordinate_transformation_mode, rounds by nearest_mode and is clamped into the input; with tf_crop_and_resize
     * a coordinate outside [0, in − 1] reads extrapolation_value.
     */
    static List<D> resizeNearest(Attributes a, List<D> in) {
        D x = in.get(0);
        if (!a.getString("mode", "nearest").equals("nearest")) {
            throw new IllegalArgumentException("only nearest Resize has a gradient");
        }
        int r = x.rank();
        D roi = in.size() > 1 ? in.get(1) : null;
        D scales = in.size() > 2 ? in.get(2) : null;
        D sizes = in.size() > 3 ? in.get(3) : null;
        String ctm = a.getString("coordinate_transformation_mode", "half_pixel");
        String nearest = a.getString("nearest_mode", "round_prefer_floor");
        double extrapolation = a.getDouble("extrapolation_value", 0);
        boolean crop = ctm.equals("tf_crop_and_resize");
        int[] s = new int[r];
        double[] scale = new double[r];
        for (int i = 0; i < r; i++) {
            double r0 = crop ? roi.v()[i] : 0;
            double r1 = crop ? roi.v()[i + r] : 1;
            if (sizes != null && sizes.size() > 0) {
                s[i] = (int) sizes.v()[i];
                scale[i] = (double) s[i] / x.dim(i);
            } else {
                scale[i] = scales.v()[i];
                s[i] = (int) Math.floor(x.dim(i) * (r1 - r0) * scale[i]);
            }
        }
        return List.of(build(s, idx -> {
            int[] src = new int[r];
            for (int i = 0; i < r; i++) {
                int n = x.dim(i);
                double c = switch (ctm) {
                    case "half_pixel" -> (idx[i] + 0.5) / scale[i] - 0.5;
                    case "asymmetric" -> idx[i] / scale[i];
                    case "align_corners" -> s[i] == 1 ? 0 : idx[i] * (n - 1.0) / (s[i] - 1);
                    case "tf_crop_and_resize" -> {
                        double r0 = roi.v()[i];
                        double r1 = roi.v()[i + r];
                        yield s[i] > 1 ? r0 * (n - 1) + idx[i] * (r1 - r0) * (n - 1) / (s[i] - 1)
                                : 0.5 * (r0 + r1) * (n - 1);
                    }
                    default -> throw new IllegalArgumentException(ctm);
                };
                if (crop && (c < 0 || c > n - 1)) {
                    return extrapolation;
                }
                int k = switch (nearest) {
                    case "round_prefer_floor" -> c - Math.floor(c) == 0.5 ? (int) Math.floor(c) : (int) Math.round(c);
                    case "round_prefer_ceil" -> (int) Math.round(c);
                    case "floor" -> (int) Math.floor(c);
                    case "ceil" -> (int) Math.ceil(c);
                    default -> throw new IllegalArgumentException(nearest);
                };
                src[i] = Math.clamp(k, 0, n - 1);
            }
            return x.v()[flat(src, x.shape())];
        }));
    }
}
