package io.t2c.models;

import io.t2c.graph.Graph;
import io.t2c.tensor.DType;

/**
 * VGG with batch norm, torchvision's names: {@code features.N} numbered as {@code torchvision.models.vgg.make_layers}
 * numbers them (conv N, BN N+1, ReLU N+2; a max pool takes one index) and {@code classifier.N}.
 *
 * <p>{@link #vgg16bn} is torchvision's {@code vgg16_bn} (convs with bias, classifier 25088 → 4096 → 4096 → classes;
 * dropout is the identity at inference and has no node). Its adaptive 7×7 average pool is the identity at 224×224
 * and an {@code AveragePool} when the feature map is a multiple of 7; other sizes are refused.
 *
 * <p>{@link #vggSmall} is the compact VGG of the quantization literature (LQ-Nets, and many binary/low-bit papers) for
 * 32×32: {@code 128-128-M-256-256-M-512-512-M}, 3×3 convs without bias, each followed by BN and ReLU, then one
 * {@code classifier} linear layer on the flattened {@code 512 × (S/8)²} map (4×4 at 32, 3×3 at 28).
 * {@link #vggSmallQuarter} is the same at a quarter of the width ({@code 32-32-M-64-64-M-128-128-M}).
 */
public final class Vggs {
    private Vggs() {}

    static final int M = -1;
    static final int[] VGG16 = {64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M};
    static final int[] VGG_SMALL = {128, 128, M, 256, 256, M, 512, 512, M};
    /** VGG-small at a quarter of the width: 0.30 M parameters instead of 4.6 M, small enough to ship trained. */
    static final int[] VGG_SMALL_X0_25 = {32, 32, M, 64, 64, M, 128, 128, M};

    public static Graph vgg16bn(ModelConfig c) {
        ModelBuilder b = new ModelBuilder("vgg16_bn", c.seed());
        String x = b.input("input", DType.FLOAT32, -1, c.inChannels(), c.imageSize(), c.imageSize());
        x = features(b, x, VGG16, true);
        int s = b.dim(x, 2);
        if (s % 7 != 0) {
            throw new IllegalArgumentException("vgg16_bn: the feature map is " + s + "×" + s + " for " + c.imageSize()
                    + "×" + c.imageSize() + " inputs; the adaptive 7×7 pool needs a multiple of 7 (use 224)");
        }
        if (s != 7) {
            x = b.avgPool("avgpool", x, s / 7, s / 7);
        }
        x = b.flatten("flatten", x);
        x = b.relu("classifier.1", b.linear("classifier.0", x, 4096));
        x = b.relu("classifier.4", b.linear("classifier.3", x, 4096));
        return b.output(b.linear("classifier.6", x, c.numClasses())).metadata("arch", "vgg16_bn").build();
    }

    public static Graph vggSmall(ModelConfig c) {
        return vggSmall("vgg_small", VGG_SMALL, c);
    }

    public static Graph vggSmallQuarter(ModelConfig c) {
        return vggSmall("vgg_small_x0_25", VGG_SMALL_X0_25, c);
    }

    private static Graph vggSmall(String arch, int[] cfg, ModelConfig c) {
        ModelBuilder b = new ModelBuilder(arch, c.seed());
        String x = b.input("input", DType.FLOAT32, -1, c.inChannels(), c.imageSize(), c.imageSize());
        x = b.flatten("flatten", features(b, x, cfg, false));
        return b.output(b.linear("classifier", x, c.numClasses())).metadata("arch", arch).build();
    }

    /** torchvision {@code make_layers(cfg, batch_norm=True)}: conv-BN-ReLU per number, 2×2 max pool per M. */
    static String features(ModelBuilder b, String x, int[] cfg, boolean convBias) {
        int i = 0;
        for (int v : cfg) {
            if (v == M) {
                x = b.maxPool("features." + i, x, 2, 2, 0);
                i += 1;
            } else {
                x = b.conv("features." + i, x, v, 3, 1, 1, 1, convBias);
                x = b.relu("features." + (i + 2), b.bn("features." + (i + 1), x));
                i += 3;
            }
        }
        return x;
    }
}
