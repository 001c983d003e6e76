package io.t2c.io.onnx;

import static io.t2c.graph.op.AttrSpec.Kind.INT;
import static io.t2c.graph.op.AttrSpec.Kind.STRING;
import static io.t2c.graph.op.AttrSpec.optional;

import io.t2c.graph.Attributes;
import io.t2c.graph.Node;
import io.t2c.graph.TensorInfo;
import io.t2c.graph.op.Family;
import io.t2c.graph.op.Op;
import io.t2c.graph.op.OpDef;
import io.t2c.graph.op.OpProvider;
import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.List;
import java.util.Set;

/**
 * QONNX's quantization ops (domain {@code qonnx.custom_op.general}, formerly {@code finn.custom_op.general}), so
 * models exported by Brevitas or by {@code t2c export --to qonnx} load, run and inspect like any other.
 *
 * <ul>
 * <li>{@code Quant(X, scale, zeropt, bitwidth) → Y}, attributes {@code signed} (default 1), {@code narrow} (0),
 *     {@code rounding_mode} ("ROUND"): {@code v = X/scale + zeropt}, clamped to the integer range of the bit width,
 *     rounded by the mode, then {@code Y = (v − zeropt)·scale}. Signed: [−2^(b−1) (+1 if narrow), 2^(b−1) − 1];
 *     unsigned: [0, 2^b − 1 (−1 if narrow)]. Modes: ROUND (ties to even), HALF_UP (ties away from zero),
 *     HALF_DOWN (ties towards zero), FLOOR, CEIL, UP (away from zero), DOWN (towards zero).
 * <li>{@code BipolarQuant(X, scale) → Y}: {@code Y = scale} where X ≥ 0, {@code −scale} elsewhere.
 * </ul>
 *
 * The arithmetic is in double precision: {@code X/scale} is one correctly rounded division, and for an integer
 * zero point the rounding of {@code X/scale + zeropt} is decided exactly (the sum is never rounded first), so a code
 * depends on nothing but the quotient. Scale and zero point broadcast against X (one per tensor or per channel).
 * Bit widths are integers from 1 to 32 (Brevitas writes 32-bit bias quantizers); codes up to 2^32 are exact in
 * double. Bad attribute values are refused when the node is read, with the node named.
 */
public final class QonnxOps {
    /** The current QONNX domain and the older FINN spelling, both accepted on import. */
    public static final String DOMAIN = "qonnx.custom_op.general";
    public static final String FINN_DOMAIN = "finn.custom_op.general";
    public static final String QUANT = "Quant";
    public static final String BIPOLAR_QUANT = "BipolarQuant";
    public static final int MAX_BITS = 32;

    /** The rounding modes of QONNX's Quant, by their attribute spelling. */
    public enum Mode {
        ROUND, HALF_UP, HALF_DOWN, FLOOR, CEIL, UP, DOWN;

        /** Parses a rounding_mode attribute (either case, as QONNX accepts). */
        public static Mode parse(String s, String where) {
            for (Mode m : values()) {
                if (m.name().equalsIgnoreCase(s)) {
                    return m;
                }
            }
            throw new T2cException(where + ": unknown rounding_mode '" + s + "'; QONNX defines ROUND, HALF_UP,"
                    + " HALF_DOWN, FLOOR, CEIL, UP and DOWN");
        }

        /**
         * The mode applied to {@code m + f}, m an integer (as a double, |m| < 2^52) and f in [0, 1): exact, so a
         * quotient plus an integer zero point is rounded without first rounding the sum.
         */
        double round(double m, double f) {
            if (f == 0) {
                return m;
            }
            return switch (this) {
                case FLOOR -> m;
                case CEIL -> m + 1;
                case UP -> m >= 0 ? m + 1 : m;      // away from zero: m + f > 0 exactly when m ≥ 0
                case DOWN -> m >= 0 ? m : m + 1;    // towards zero
                case ROUND -> f < 0.5 ? m : f > 0.5 ? m + 1 : (m % 2 == 0 ? m : m + 1);
                case HALF_UP -> f < 0.5 ? m : f > 0.5 ? m + 1 : (m >= 0 ? m + 1 : m);
                case HALF_DOWN -> f < 0.5 ? m : f > 0.5 ? m + 1 : (m >= 0 ? m : m + 1);
            };
        }

        /** The mode applied to any double v (|v| < 2^52). */
        public double round(double v) {
            double m = Math.floor(v);
            return round(m, v - m);
        }
    }

    /** Registers {@link Quant} and {@link BipolarQuant} with {@link io.t2c.graph.op.OpRegistry#standard()}. */
    public static final class Provider implements OpProvider {
        @Override
        public List<OpDef> ops() {
            return List.of(new Quant(), new BipolarQuant());
        }
    }

    private QonnxOps() {}

    /** True for the QONNX domain names this importer reads. */
    public static boolean isQonnxDomain(String domain) {
        return domain.equals(DOMAIN) || domain.equals(FINN_DOMAIN);
    }

    /** The QONNX ops the importer maps, by op type. */
    public static final Set<String> OPS = Set.of(QUANT, BIPOLAR_QUANT);

    /**
     * Checks a Quant or BipolarQuant node's attributes as read from a file: known names only, signed and narrow 0 or
     * 1, a known rounding mode. Throws naming the node and the value.
     */
    static void checkAttributes(String opType, String node, Attributes a) {
        Set<String> allowed = opType.equals(QUANT) ? Set.of("signed", "narrow", "rounding_mode") : Set.of();
        for (String k : a.asMap().keySet()) {
            if (!allowed.contains(k)) {
                throw new T2cException("node " + node + " (" + opType + "): unknown attribute '" + k + "'"
                        + (allowed.isEmpty() ? "; BipolarQuant has none" : "; Quant has signed, narrow and"
                        + " rounding_mode"));
            }
        }
        if (opType.equals(QUANT)) {
            for (String flag : List.of("signed", "narrow")) {
                Object v = a.asMap().get(flag);
                if (v != null && !(v instanceof Long l && (l == 0 || l == 1))) {
                    throw new T2cException("node " + node + " (Quant): attribute " + flag + " must be the integer 0"
                            + " or 1, got " + v);
                }
            }
            Object mode = a.asMap().get("rounding_mode");
            if (mode != null && !(mode instanceof String)) {
                throw new T2cException("node " + node + " (Quant): rounding_mode must be a string, got " + mode);
            }
            Mode.parse(a.getString("rounding_mode", "ROUND"), "node " + node + " (Quant)");
        }
    }

    /** {@code Quant(X, scale, zeropt, bitwidth)}; see the class comment. */
    public static final class Quant extends Op {
        Quant() {
            super(QUANT, Family.QUANTIZE, 4, 4, optional("signed", INT, 1L), optional("narrow", INT, 0L),
                    optional("rounding_mode", STRING, "ROUND"));
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            checkAttributes(QUANT, node.label(), node.attributes());
            TensorInfo x = in.get(0);
            requireFloat(node, x, "X");
            for (int i = 1; i < 3; i++) {
                requireBroadcastable(node, in.get(i), x, i == 1 ? "scale" : "zeropt");
            }
            TensorInfo bw = in.get(3);
            if (bw.shape() != null && bw.numel() != 1) {
                throw error(node, "bitwidth must be a scalar, got shape " + java.util.Arrays.toString(bw.shape()));
            }
            if (bw.hasValue()) {
                bits(node, bw.value());
            }
            return List.of(TensorInfo.of(DType.FLOAT32, x.shape()));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            Attributes a = node.attributes();
            boolean signed = a.getLong("signed", 1) != 0;
            boolean narrow = a.getLong("narrow", 0) != 0;
            Mode mode = Mode.parse(a.getString("rounding_mode", "ROUND"), "node " + node.label());
            Tensor x = in.get(0);
            int bits = bits(node, in.get(3));
            double lo = signed ? -Math.pow(2, bits - 1) + (narrow ? 1 : 0) : 0;
            double hi = signed ? Math.pow(2, bits - 1) - 1 : Math.pow(2, bits) - 1 - (narrow ? 1 : 0);
            if (lo > hi) {
                throw error(node, (signed ? "signed" : "unsigned") + (narrow ? " narrow" : "") + " " + bits
                        + "-bit range is empty");
            }
            float[] scale = floats(node, in.get(1), "scale");
            float[] zp = floats(node, in.get(2), "zeropt");
            for (float s : scale) {
                if (!(s > 0) || !Float.isFinite(s)) {
                    throw error(node, "scale must be positive and finite, got " + s);
                }
            }
            for (float z : zp) {
                if (!Float.isFinite(z)) {
                    throw error(node, "zeropt must be finite, got " + z);
                }
            }
            int[] si = broadcastIndex(in.get(1).shape(), x.shape());
            int[] zi = broadcastIndex(in.get(2).shape(), x.shape());
            float[] v = x.floats();
            float[] out = new float[v.length];
            for (int i = 0; i < v.length; i++) {
                double s = scale[si == null ? 0 : si[i]];
                double z = zp[zi == null ? 0 : zi[i]];
                double q = code((double) v[i] / s, z, lo, hi, mode);
                out[i] = (float) ((q - z) * s);
            }
            return List.of(Tensor.of(out, x.shape()));
        }

        /**
         * {@code mode(clamp(t + z, lo, hi))}. For an integer z the sum is split exactly into an integer and a
         * fraction in [0, 1) (t's own), so the tie decision is the exact one; clamping first or after is the same
         * since the bounds are integers and every mode is monotone and fixes integers.
         */
        static double code(double t, double z, double lo, double hi, Mode mode) {
            if (Double.isNaN(t)) {
                return t;  // as QONNX's reference: NaN passes the clamp and the rounding
            }
            double r;
            if (z == Math.rint(z) && Math.abs(t) < 0x1p52) {
                double m = Math.floor(t);
                r = mode.round(m + z, t - m);
            } else {
                r = mode.round(Math.max(lo, Math.min(hi, t + z)));
            }
            return Math.max(lo, Math.min(hi, r));
        }
    }

    /** {@code BipolarQuant(X, scale)}: ±scale by the sign of X (0 counts as positive). */
    public static final class BipolarQuant extends Op {
        BipolarQuant() {
            super(BIPOLAR_QUANT, Family.QUANTIZE, 2, 2);
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            checkAttributes(BIPOLAR_QUANT, node.label(), node.attributes());
            requireFloat(node, in.get(0), "X");
            requireBroadcastable(node, in.get(1), in.get(0), "scale");
            return List.of(TensorInfo.of(DType.FLOAT32, in.get(0).shape()));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            Tensor x = in.get(0);
            float[] scale = floats(node, in.get(1), "scale");
            int[] si = broadcastIndex(in.get(1).shape(), x.shape());
            float[] v = x.floats();
            float[] out = new float[v.length];
            for (int i = 0; i < v.length; i++) {
                float s = scale[si == null ? 0 : si[i]];
                out[i] = v[i] >= 0 ? s : -s;
            }
            return List.of(Tensor.of(out, x.shape()));
        }
    }

    /** The bit width held by a scalar tensor (float or integer): an integer in [1, MAX_BITS]. */
    static int bits(Node node, Tensor t) {
        if (t.size() != 1) {
            throw new T2cException("node " + node.label() + " (Quant): bitwidth must be a scalar, got "
                    + t.size() + " values");
        }
        double b = t.dtype() == DType.FLOAT32 ? t.floats()[0] : t.toLongArray()[0];
        if (b != Math.rint(b) || b < 1 || b > MAX_BITS) {
            throw new T2cException("node " + node.label() + " (Quant): bitwidth must be an integer from 1 to "
                    + MAX_BITS + ", got " + b);
        }
        return (int) b;
    }

    private static float[] floats(Node node, Tensor t, String what) {
        if (t.dtype() != DType.FLOAT32) {
            throw new T2cException("node " + node.label() + ": " + what + " must be float32, got " + t.dtype());
        }
        return t.floats();
    }

    private static void requireFloat(Node node, TensorInfo x, String what) {
        if (x.dtype() != DType.FLOAT32) {
            throw new T2cException("node " + node.label() + ": " + what + " must be float32, got " + x.dtype());
        }
    }

    private static void requireBroadcastable(Node node, TensorInfo p, TensorInfo x, String what) {
        if (p.dtype() != DType.FLOAT32) {
            throw new T2cException("node " + node.label() + ": " + what + " must be float32, got " + p.dtype());
        }
        int[] ps = p.shape();
        int[] xs = x.shape();
        if (ps == null || xs == null) {
            return;
        }
        boolean ok = ps.length <= xs.length;
        for (int i = 0; ok && i < ps.length; i++) {
            int pd = ps[ps.length - 1 - i];
            int xd = xs[xs.length - 1 - i];
            ok = pd == 1 || pd == xd || xd < 0;
        }
        if (!ok) {
            throw new T2cException("node " + node.label() + ": " + what + " of shape " + java.util.Arrays.toString(ps)
                    + " does not broadcast against X of shape " + java.util.Arrays.toString(xs)
                    + "; use a scalar or one value per channel");
        }
    }

    /**
     * For each element of a tensor of shape {@code x}, the flat index of the parameter it reads when a parameter of
     * shape {@code p} broadcasts against it; null when the parameter has one element.
     */
    static int[] broadcastIndex(int[] p, int[] x) {
        int pn = 1;
        for (int d : p) {
            pn *= d;
        }
        if (pn == 1) {
            return null;
        }
        if (p.length > x.length) {
            throw new T2cException("parameter of shape " + java.util.Arrays.toString(p) + " does not broadcast"
                    + " against " + java.util.Arrays.toString(x));
        }
        int rank = x.length;
        int[] stride = new int[rank];
        int s = 1;
        for (int i = rank - 1; i >= 0; i--) {
            int pi = i - (rank - p.length);
            int pd = pi >= 0 ? p[pi] : 1;
            if (pd != 1 && pd != x[i]) {
                throw new T2cException("parameter of shape " + java.util.Arrays.toString(p) + " does not broadcast"
                        + " against " + java.util.Arrays.toString(x));
            }
            stride[i] = pd == 1 ? 0 : s;
            s *= pd;
        }
        int n = 1;
        for (int d : x) {
            n *= d;
        }
        int[] idx = new int[n];
        int[] coord = new int[rank];
        int cur = 0;
        for (int i = 0; i < n; i++) {
            idx[i] = cur;
            for (int d = rank - 1; d >= 0; d--) {
                coord[d]++;
                cur += stride[d];
                if (coord[d] < x[d]) {
                    break;
                }
                cur -= stride[d] * coord[d];
                coord[d] = 0;
            }
        }
        return idx;
    }
}
