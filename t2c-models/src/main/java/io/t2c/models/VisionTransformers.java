package io.t2c.models;

import io.t2c.graph.Graph;
import io.t2c.tensor.DType;

/**
 * Vision Transformers with timm's names ({@code timm.models.vision_transformer.VisionTransformer}, class-token
 * pooling): {@code patch_embed.proj} (conv, stride = patch), {@code cls_token [1, 1, D]}, {@code pos_embed
 * [1, 1 + P, D]}, blocks {@code blocks.i.{norm1, attn.qkv, attn.proj, norm2, mlp.fc1, mlp.act, mlp.fc2}}, the
 * final {@code norm} and {@code head}. LayerNorms use eps 1e-6, the MLP exact (erf) GELU, attention
 * {@code softmax(q·kᵀ·dh^-½)·v}.
 *
 * <p>Inside the blocks tokens are rows {@code [N·L, D]} (see {@link ModelBuilder#linear}); the attention reshapes
 * them to heads. Input {@code input [N, C, S, S]}, output {@code head [N, classes]}.
 */
public final class VisionTransformers {
    private VisionTransformers() {}

    /** Geometry of a ViT: patch size, width D, depth, heads and MLP hidden width. */
    public record Spec(int patchSize, int dim, int depth, int heads, int mlpDim) {
        public Spec {
            if (dim % heads != 0) {
                throw new IllegalArgumentException("width " + dim + " does not split into " + heads + " heads");
            }
        }
    }

    public static final Spec TINY_16 = new Spec(16, 192, 12, 3, 768);
    public static final Spec SMALL_16 = new Spec(16, 384, 12, 6, 1536);
    public static final Spec BASE_16 = new Spec(16, 768, 12, 12, 3072);
    /** ViT-Tiny width and depth with 4×4 patches, for 32×32 (or 28×28) images. */
    public static final Spec TINY_4 = new Spec(4, 192, 12, 3, 768);
    /** A ViT small enough to ship trained (0.57 M parameters): 6 blocks, 96 wide, 3 heads, MLP 288, 4×4 patches. */
    public static final Spec MINI_4 = new Spec(4, 96, 6, 3, 288);

    public static Graph build(String arch, Spec s, ModelConfig c) {
        if (c.imageSize() % s.patchSize() != 0) {
            throw new IllegalArgumentException(arch + ": image size " + c.imageSize() + " is not a multiple of the patch "
                    + s.patchSize());
        }
        int d = s.dim();
        int grid = c.imageSize() / s.patchSize();
        int tokens = 1 + grid * grid;
        ModelBuilder b = new ModelBuilder(arch, c.seed());
        String x = b.input("input", DType.FLOAT32, -1, c.inChannels(), c.imageSize(), c.imageSize());
        // the model's own parameters come first in a torch state dict, before its submodules'
        String cls = b.uniform("cls_token", 0.02 * Math.sqrt(3), 1, 1, d);
        String pos = b.uniform("pos_embed", 0.02 * Math.sqrt(3), 1, tokens, d);
        // patch_embed: conv, then flatten(2).transpose(1, 2) → [N, P, D]
        x = b.conv("patch_embed.proj", x, d, s.patchSize(), s.patchSize(), 0, 1, true);
        x = b.transpose("patch_embed/transpose", b.reshape("patch_embed/flatten", x, 0, d, -1), 0, 2, 1);
        // cat(cls_token.expand(N, -1, -1), x) + pos_embed
        String clsShape = b.concat("cls_token/shape", 0, b.shapeOf("cls_token/batch", x, 0, 1), b.ints("cls_token", "dims", 1, d));
        x = b.concat("cat_cls", 1, b.op("cls_token/expand", "Expand", cls, clsShape), x);
        x = b.add("add_pos_embed", x, pos);
        x = b.reshape("to_rows", x, -1, d);
        for (int i = 0; i < s.depth(); i++) {
            x = block(b, "blocks." + i, x, tokens, s);
        }
        x = b.layerNorm("norm", x, 1e-6);
        x = b.select("pool", b.reshape("from_rows", x, -1, tokens, d), 1, 0); // x[:, 0]
        return b.output(b.linear("head", x, c.numClasses())).metadata("arch", arch).build();
    }

    /** timm {@code Block}: x + attn(norm1(x)), then x + mlp(norm2(x)), on rows [N·L, D]. */
    static String block(ModelBuilder b, String m, String x, int tokens, Spec s) {
        x = b.add(m + "/add", x, attention(b, m + ".attn", b.layerNorm(m + ".norm1", x, 1e-6), tokens, s.heads()));
        String h = b.gelu(m + ".mlp.act", b.linear(m + ".mlp.fc1", b.layerNorm(m + ".norm2", x, 1e-6), s.mlpDim()));
        return b.add(m + "/add", x, b.linear(m + ".mlp.fc2", h, s.dim()));
    }

    /**
     * timm {@code Attention}: qkv → reshape [N, L, 3, H, dh] → permute(2, 0, 3, 1, 4) → q, k, v; softmax(q·kᵀ·scale)·v
     * → transpose(1, 2) → rows [N·L, D] → proj.
     */
    static String attention(ModelBuilder b, String m, String x, int tokens, int heads) {
        int d = b.dim(x, 1);
        int dh = d / heads;
        String qkv = b.reshape(m + "/reshape_qkv", b.linear(m + ".qkv", x, 3 * d), -1, tokens, 3, heads, dh);
        qkv = b.transpose(m + "/permute_qkv", qkv, 2, 0, 3, 1, 4);
        String q = b.select(m + "/q", qkv, 0, 0);
        String kT = b.transpose(m + "/k_transpose", b.select(m + "/k", qkv, 0, 1), 0, 1, 3, 2);
        String v = b.select(m + "/v", qkv, 0, 2);
        String o = b.attention(m, q, kT, v, 1 / Math.sqrt(dh));
        o = b.reshape(m + "/merge_heads", b.transpose(m + "/transpose_out", o, 0, 2, 1, 3), -1, d);
        return b.linear(m + ".proj", o, d);
    }
}
