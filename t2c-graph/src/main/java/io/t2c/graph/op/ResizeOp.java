package io.t2c.graph.op;

import static io.t2c.graph.op.AttrSpec.Kind.FLOAT;
import static io.t2c.graph.op.AttrSpec.Kind.INT;
import static io.t2c.graph.op.AttrSpec.Kind.INTS;
import static io.t2c.graph.op.AttrSpec.Kind.STRING;
import static io.t2c.graph.op.AttrSpec.optional;

import io.t2c.graph.Attributes;
import io.t2c.graph.Node;
import io.t2c.graph.TensorInfo;
import io.t2c.tensor.Shapes;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.ops.Resize;
import java.util.Arrays;
import java.util.List;

/**
 * Resize (opset 11+ form: X, roi, scales, sizes; the importer maps Upsample and Resize-10 onto it). Supports the
 * opset-18 {@code axes} attribute; {@code keep_aspect_ratio_policy} other than "stretch" is refused.
 */
final class ResizeOp extends Op {
    ResizeOp() {
        super("Resize", Family.MOVEMENT, 1, 4, optional("mode", STRING, "nearest"),
                optional("coordinate_transformation_mode", STRING, "half_pixel"),
                optional("nearest_mode", STRING, "round_prefer_floor"), optional("cubic_coeff_a", FLOAT, -0.75),
                optional("exclude_outside", INT, 0L), optional("extrapolation_value", FLOAT, 0.0),
                optional("axes", INTS, null), optional("keep_aspect_ratio_policy", STRING, "stretch"),
                optional("antialias", INT, 0L));
    }

    static List<OpDef> all() {
        return List.of(new ResizeOp());
    }

    private static Resize.Options options(Node node) {
        Attributes a = node.attributes();
        if (a.getInt("antialias", 0) != 0) {
            throw error(node, "antialiased resize is not supported");
        }
        if (!a.getString("keep_aspect_ratio_policy", "stretch").equals("stretch")) {
            throw error(node, "keep_aspect_ratio_policy '" + a.getString("keep_aspect_ratio_policy", "")
                    + "' is not supported (only stretch)");
        }
        return Resize.Options.of(Resize.Mode.of(a.getString("mode", "nearest")))
                .with(Resize.CoordinateTransform.of(a.getString("coordinate_transformation_mode", "half_pixel")))
                .with(Resize.NearestMode.of(a.getString("nearest_mode", "round_prefer_floor")))
                .withCubic(a.getDouble("cubic_coeff_a", -0.75), a.getInt("exclude_outside", 0) != 0)
                .withExtrapolation(a.getDouble("extrapolation_value", 0));
    }

    /** Per-axis scales or sizes of length rank, expanding the opset-18 {@code axes} subset (others: scale 1). */
    private static float[] fullScales(Node node, int[] shape, Tensor scales) {
        int[] axes = node.attributes().getInts("axes", null);
        float[] s = new float[shape.length];
        Arrays.fill(s, 1f);
        double[] given = scales.toDoubleArray();
        for (int i = 0; i < given.length; i++) {
            s[axes == null ? i : Shapes.axis(axes[i], shape.length)] = (float) given[i];
        }
        if (axes == null && given.length != shape.length) {
            throw error(node, "scales " + Arrays.toString(given) + " must have one entry per axis of " + Arrays.toString(shape));
        }
        return s;
    }

    private static long[] fullSizes(Node node, int[] shape, Tensor sizes) {
        int[] axes = node.attributes().getInts("axes", null);
        long[] s = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            s[i] = shape[i];
        }
        long[] given = sizes.toLongArray();
        for (int i = 0; i < given.length; i++) {
            s[axes == null ? i : Shapes.axis(axes[i], shape.length)] = given[i];
        }
        if (axes == null && given.length != shape.length) {
            throw error(node, "sizes " + Arrays.toString(given) + " must have one entry per axis of " + Arrays.toString(shape));
        }
        return s;
    }

    private static boolean present(Tensor t) {
        return t != null && t.size() > 0;
    }

    private static float[] roi(Tensor roi) {
        if (!present(roi)) {
            return null;
        }
        double[] d = roi.toDoubleArray();
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    @Override
    public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
        int[] s = in.get(0).shape();
        TensorInfo scalesInfo = optionalInfo(in, 2);
        TensorInfo sizesInfo = optionalInfo(in, 3);
        int[] out = new int[s.length];
        if (sizesInfo != null && sizesInfo.numel() > 0) {
            long[] sizes = fullSizes(node, s, requireValue(node, in, 3, "sizes"));
            for (int i = 0; i < s.length; i++) {
                out[i] = (int) sizes[i];
            }
        } else if (scalesInfo != null && scalesInfo.numel() > 0) {
            float[] scales = fullScales(node, s, requireValue(node, in, 2, "scales"));
            TensorInfo roiInfo = optionalInfo(in, 1);
            float[] roi = roiInfo != null && roiInfo.numel() > 0
                    && node.attributes().getString("coordinate_transformation_mode", "").equals("tf_crop_and_resize")
                    ? roi(requireValue(node, in, 1, "roi")) : null;
            for (int i = 0; i < s.length; i++) {
                double extent = roi == null ? 1 : roi[i + s.length] - roi[i];
                out[i] = (int) Math.floor(s[i] * extent * scales[i]);
            }
        } else {
            throw error(node, "needs scales or sizes");
        }
        Shapes.numel(out);
        return List.of(TensorInfo.of(in.get(0).dtype(), out));
    }

    @Override
    public List<Tensor> forward(Node node, List<Tensor> in) {
        return List.of(resize(node, in.get(0), in, options(node)));
    }

    /** Resizes {@code x} as the node says, with its roi / scales / sizes inputs {@code in}. */
    private static Tensor resize(Node node, Tensor x, List<Tensor> in, Resize.Options options) {
        Tensor scales = optionalTensor(in, 2);
        Tensor sizes = optionalTensor(in, 3);
        float[] roi = roi(optionalTensor(in, 1));
        if (present(sizes)) {
            return Resize.resize(x, roi, null, fullSizes(node, x.shape(), sizes), options);
        }
        if (!present(scales)) {
            throw error(node, "needs scales or sizes");
        }
        return Resize.resize(x, roi, fullScales(node, x.shape(), scales), null, options);
    }

    /**
     * True, though only nearest mode has a gradient: differentiability is asked of the op, not of a node's
     * attributes, so a linear or cubic Resize on a training path is refused by {@link #backward}, naming the node.
     */
    @Override
    public boolean differentiable() {
        return true;
    }

    /**
     * Nearest resize only copies input elements to output positions, so its gradient scatter-adds ȳ back through
     * the same index map ({@link Gradients#scatterThroughMove}; tf_crop_and_resize positions outside the input take
     * extrapolation value -1 on that run, i.e. come from nowhere). roi, scales and sizes get none.
     */
    @Override
    public List<Tensor> backward(Node node, List<Tensor> in, List<Tensor> out, List<Tensor> gOut) {
        Resize.Options o = options(node);
        if (o.mode() != Resize.Mode.NEAREST) {
            throw error(node, "no gradient for Resize mode '" + node.attributes().getString("mode", "nearest")
                    + "' (input " + Arrays.toString(in.get(0).shape()) + " → " + Arrays.toString(gOut.get(0).shape())
                    + "); only mode 'nearest' is differentiable");
        }
        Tensor gx = Gradients.scatterThroughMove(in.get(0).shape(), gOut.get(0),
                iota -> resize(node, iota, in, o.withExtrapolation(-1)));
        return Arrays.asList(gx, null, null, null);
    }
}
