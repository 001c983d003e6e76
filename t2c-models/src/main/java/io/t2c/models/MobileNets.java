package io.t2c.models;

import io.t2c.graph.Graph;
import io.t2c.tensor.DType;

/**
 * MobileNet-V1 (Howard et al. 2017). torchvision has none, so the names follow the common PyTorch definition as a
 * {@code features} sequence: {@code features.0} is the stem {@code Sequential(Conv2d, BatchNorm2d, ReLU)}
 * ({@code features.0.0.weight}, {@code features.0.1.*}); {@code features.1} … {@code features.13} are
 * depthwise-separable blocks {@code Sequential(dw Conv2d 3×3, BN, ReLU, pw Conv2d 1×1, BN, ReLU)} with parameters at
 * {@code .0} (depthwise), {@code .1} (its BN), {@code .3} (pointwise), {@code .4} (its BN); then a global average
 * pool and {@code classifier} ({@code nn.Linear}). Convs have no bias.
 *
 * <p>The width multiplier scales every channel count ({@code (int) (c · width)}). {@link #mobilenetV1Small} is the
 * ×0.5 model for 32×32 inputs: the stem does not stride (as is usual on CIFAR), the four stride-2 blocks bring
 * 32×32 to 2×2.
 */
public final class MobileNets {
    private MobileNets() {}

    /** Output channels and stride of the 13 depthwise-separable blocks. */
    static final int[][] BLOCKS = {{64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2}, {512, 1}, {512, 1},
        {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}};

    public static Graph mobilenetV1(ModelConfig c) {
        return build("mobilenet_v1", c, 1.0, 2);
    }

    public static Graph mobilenetV1Small(ModelConfig c) {
        return build("mobilenet_v1_x0_5", c, 0.5, 1);
    }

    /** MobileNet-V1 with a width multiplier and the stem's stride (2 for ImageNet, 1 for 32×32 inputs). */
    public static Graph build(String arch, ModelConfig c, double width, int stemStride) {
        ModelBuilder b = new ModelBuilder(arch, c.seed());
        String x = b.input("input", DType.FLOAT32, -1, c.inChannels(), c.imageSize(), c.imageSize());
        x = b.relu("features.0.2", b.bn("features.0.1", b.conv("features.0.0", x, (int) (32 * width), 3, stemStride, 1)));
        for (int i = 0; i < BLOCKS.length; i++) {
            String m = "features." + (i + 1);
            int in = b.dim(x, 1);
            x = b.relu(m + ".2", b.bn(m + ".1", b.conv(m + ".0", x, in, 3, BLOCKS[i][1], 1, in, false)));
            x = b.relu(m + ".5", b.bn(m + ".4", b.conv(m + ".3", x, (int) (BLOCKS[i][0] * width), 1, 1, 0)));
        }
        x = b.flatten("flatten", b.globalAvgPool("avgpool", x));
        return b.output(b.linear("classifier", x, c.numClasses())).metadata("arch", arch).build();
    }
}
