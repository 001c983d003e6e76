package io.t2c.models;

import io.t2c.graph.Attributes;
import io.t2c.graph.Graph;
import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;

/**
 * Swin Transformers with the names of timm ≥ 0.9 ({@code timm.models.swin_transformer}):
 * {@code patch_embed.proj} / {@code patch_embed.norm}; stages {@code layers.i} with blocks
 * {@code layers.i.blocks.j.{norm1, attn.qkv, attn.relative_position_bias_table, attn.proj, norm2, mlp.fc1,
 * mlp.fc2}}; patch merging at the start of stages 1…3, {@code layers.i.downsample.{norm, reduction}} (norm over 4C,
 * reduction 4C → 2C without bias); final {@code norm} and {@code head.fc}. Older checkpoints (timm &lt; 0.9,
 * Microsoft's) put the merging at the end of the previous stage ({@code layers.(i-1).downsample}) and name the head
 * {@code head}; {@link StateDicts#swinLegacyToTimm} renames them.
 *
 * <p>Window attention adds the learned relative position bias (gathered from its table by the constant
 * {@code relative_position_index}, timm's buffer) and, in every second block, shifts the map by half a window
 * (a roll, as slices and a concat) and adds timm's shifted-window mask (−100 between tokens from different regions).
 * As in timm, a stage whose map is no larger than the window uses one window and no shift. Tokens flow as rows
 * {@code [N·H·W, C]}; input {@code input [N, C, S, S]}, output {@code head.fc [N, classes]}.
 */
public final class SwinTransformers {
    private SwinTransformers() {}

    /** Geometry of a Swin: patch size, window, width of stage 0, blocks and heads per stage, MLP ratio. */
    public record Spec(int patchSize, int window, int embedDim, int[] depths, int[] heads, int mlpRatio) {
        public Spec {
            depths = depths.clone();
            heads = heads.clone();
            if (depths.length != heads.length) {
                throw new IllegalArgumentException("depths and heads differ in length");
            }
        }
    }

    public static final Spec TINY = new Spec(4, 7, 96, new int[] {2, 2, 6, 2}, new int[] {3, 6, 12, 24}, 4);
    public static final Spec BASE = new Spec(4, 7, 128, new int[] {2, 2, 18, 2}, new int[] {4, 8, 16, 32}, 4);

    public static Graph build(String arch, Spec s, ModelConfig c) {
        ModelBuilder b = new ModelBuilder(arch, c.seed());
        String x = b.input("input", DType.FLOAT32, -1, c.inChannels(), c.imageSize(), c.imageSize());
        // patch_embed: conv (stride = patch) → NHWC rows → LayerNorm
        x = b.conv("patch_embed.proj", x, s.embedDim(), s.patchSize(), s.patchSize(), 0, 1, true);
        int res = b.dim(x, 2);
        x = b.reshape("patch_embed/to_rows", b.transpose("patch_embed/nhwc", x, 0, 2, 3, 1), -1, s.embedDim());
        x = b.layerNorm("patch_embed.norm", x, 1e-5);
        for (int i = 0; i < s.depths().length; i++) {
            if (i > 0) {
                x = patchMerging(b, "layers." + i + ".downsample", x, res);
                res /= 2;
            }
            int window = Math.min(s.window(), res);
            if (res % window != 0) {
                throw new IllegalArgumentException(arch + ": stage " + i + " map " + res + "×" + res
                        + " does not split into " + window + "×" + window + " windows");
            }
            for (int j = 0; j < s.depths()[i]; j++) {
                int shift = j % 2 == 1 && res > s.window() ? window / 2 : 0;
                x = block(b, "layers." + i + ".blocks." + j, x, res, window, shift, s.heads()[i], s.mlpRatio());
            }
        }
        x = b.layerNorm("norm", x, 1e-5);
        int ch = b.dim(x, 1);
        // head: global average over the H·W tokens of each image, then fc
        x = b.op("head/global_pool", "ReduceMean", Attributes.of("keepdims", 0),
                b.reshape("head/tokens", x, -1, (long) res * res, ch), b.ints("head/global_pool", "axes", 1));
        return b.output(b.linear("head.fc", x, c.numClasses())).metadata("arch", arch).build();
    }

    /** timm {@code PatchMerging}: 2×2 neighbours concatenated (order x00, x10, x01, x11), LayerNorm(4C), 4C → 2C. */
    static String patchMerging(ModelBuilder b, String m, String x, int res) {
        int ch = b.dim(x, 1);
        x = b.reshape(m + "/split", x, -1, res / 2, 2, res / 2, 2, ch);
        x = b.reshape(m + "/to_rows", b.transpose(m + "/permute", x, 0, 1, 3, 4, 2, 5), -1, 4L * ch);
        return b.linear(m + ".reduction", b.layerNorm(m + ".norm", x, 1e-5), 2 * ch, false);
    }

    /** timm {@code SwinTransformerBlock}: x + window_attention(norm1(x)), then x + mlp(norm2(x)). */
    static String block(ModelBuilder b, String m, String x, int res, int window, int shift, int heads, int mlpRatio) {
        int ch = b.dim(x, 1);
        String h = b.reshape(m + "/to_map", b.layerNorm(m + ".norm1", x, 1e-5), -1, res, res, ch);
        h = b.roll(m + "/roll_w", b.roll(m + "/roll_h", h, -shift, 1), -shift, 2);
        // window partition: [N, R/w, w, R/w, w, C] → [N, R/w, R/w, w, w, C] → rows of windows
        int nw = res / window;
        h = b.reshape(m + "/windows", h, -1, nw, window, nw, window, ch);
        h = b.reshape(m + "/window_rows", b.transpose(m + "/window_partition", h, 0, 1, 3, 2, 4, 5), -1, ch);
        h = windowAttention(b, m + ".attn", h, window, nw * nw, heads, shift > 0 ? shiftMask(res, window, shift) : null);
        // window reverse and roll back
        h = b.reshape(m + "/window_grid", h, -1, nw, nw, window, window, ch);
        h = b.reshape(m + "/from_windows", b.transpose(m + "/window_reverse", h, 0, 1, 3, 2, 4, 5), -1, res, res, ch);
        h = b.roll(m + "/unroll_w", b.roll(m + "/unroll_h", h, shift, 1), shift, 2);
        x = b.add(m + "/add", x, b.reshape(m + "/to_rows", h, -1, ch));
        String y = b.layerNorm(m + ".norm2", x, 1e-5);
        y = b.linear(m + ".mlp.fc2", b.gelu(m + ".mlp.act", b.linear(m + ".mlp.fc1", y, mlpRatio * ch)), ch);
        return b.add(m + "/add", x, y);
    }

    /**
     * timm {@code WindowAttention} on rows of windows [B·nW·w², C]: qkv → heads; scores q·kᵀ·dh^-½ + relative position
     * bias [H, w², w²] (+ shift mask [nW, 1, w², w²] per window); softmax; ·v; proj.
     */
    static String windowAttention(ModelBuilder b, String m, String x, int window, int windows, int heads, Tensor mask) {
        int ch = b.dim(x, 1);
        int dh = ch / heads;
        int area = window * window;
        int span = 2 * window - 1;
        String table = b.uniform(m + ".relative_position_bias_table", 0.02 * Math.sqrt(3), span * span, heads);
        String qkv = b.reshape(m + "/reshape_qkv", b.linear(m + ".qkv", x, 3 * ch), -1, area, 3, heads, dh);
        qkv = b.transpose(m + "/permute_qkv", qkv, 2, 0, 3, 1, 4);
        String q = b.select(m + "/q", qkv, 0, 0);
        String kT = b.transpose(m + "/k_transpose", b.select(m + "/k", qkv, 0, 1), 0, 1, 3, 2);
        String v = b.select(m + "/v", qkv, 0, 2);
        // relative_position_bias_table[relative_position_index].view(w², w², H).permute(2, 0, 1)
        String bias = b.op(m + "/relative_position_bias", "Gather", Attributes.of("axis", 0), table,
                b.constant(m, "relative_position_index", relativePositionIndex(window)));
        bias = b.transpose(m + "/bias_permute", b.reshape(m + "/bias_view", bias, area, area, heads), 2, 0, 1);
        String scores = b.matmul(m + "/matmul_qk", q, kT);
        scores = b.mul(m + "/scale", scores, b.scalar(m, "scale", (float) (1 / Math.sqrt(dh))));
        scores = b.add(m + "/add_bias", scores, bias);
        if (mask != null) {
            String masked = b.reshape(m + "/mask_view", scores, -1, windows, heads, area, area);
            masked = b.add(m + "/add_mask", masked, b.constant(m, "attn_mask", mask));
            scores = b.reshape(m + "/mask_unview", masked, -1, heads, area, area);
        }
        String o = b.matmul(m + "/matmul_av", b.softmax(m + "/softmax", scores), v);
        o = b.reshape(m + "/merge_heads", b.transpose(m + "/transpose_out", o, 0, 2, 1, 3), -1, ch);
        return b.linear(m + ".proj", o, ch);
    }

    /** timm's {@code get_relative_position_index}: index[i, j] = (Δh + w − 1)·(2w − 1) + (Δw + w − 1), flattened. */
    static Tensor relativePositionIndex(int window) {
        int area = window * window;
        long[] idx = new long[area * area];
        for (int i = 0; i < area; i++) {
            for (int j = 0; j < area; j++) {
                int dh = i / window - j / window + window - 1;
                int dw = i % window - j % window + window - 1;
                idx[i * area + j] = (long) dh * (2 * window - 1) + dw;
            }
        }
        return Tensor.ofLongs(idx, area * area);
    }

    /**
     * timm's shifted-window mask, shaped [nW, 1, w², w²] to broadcast over heads: the map is cut into 3×3 regions
     * (boundaries at R − w and R − shift on each axis); two tokens of one window from different regions get −100.
     */
    static Tensor shiftMask(int res, int window, int shift) {
        int[] region = new int[res * res];
        for (int h = 0; h < res; h++) {
            for (int w = 0; w < res; w++) {
                region[h * res + w] = band(h, res, window, shift) * 3 + band(w, res, window, shift);
            }
        }
        int nw = res / window;
        int area = window * window;
        float[] mask = new float[nw * nw * area * area];
        for (int wi = 0; wi < nw * nw; wi++) {
            int top = wi / nw * window;
            int left = wi % nw * window;
            for (int i = 0; i < area; i++) {
                int ri = region[(top + i / window) * res + left + i % window];
                for (int j = 0; j < area; j++) {
                    int rj = region[(top + j / window) * res + left + j % window];
                    mask[(wi * area + i) * area + j] = ri == rj ? 0f : -100f;
                }
            }
        }
        return Tensor.of(mask, nw * nw, 1, area, area);
    }

    private static int band(int p, int res, int window, int shift) {
        return p < res - window ? 0 : p < res - shift ? 1 : 2;
    }
}
