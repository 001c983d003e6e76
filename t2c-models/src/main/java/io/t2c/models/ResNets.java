package io.t2c.models;

import io.t2c.graph.Graph;
import io.t2c.tensor.DType;

/**
 * ResNets with torchvision's module names: {@code conv1}, {@code bn1}, {@code layer1.0.conv1},
 * {@code layer2.0.downsample.0} (1×1 conv) / {@code .1} (BN), {@code fc}. ImageNet models follow
 * {@code torchvision.models.resnet} (v1.5: a bottleneck strides in its 3×3 conv); the input is {@code input
 * [N, C, S, S]}, the output {@code fc [N, classes]}.
 *
 * <p>{@link #resnet20} is the CIFAR ResNet of He et al. (3 stages × 3 basic blocks, 16/32/64 channels, 3×3 stem, no
 * max pool) with <b>option-B shortcuts</b>: where the shape changes, a 1×1 strided conv + BN
 * ({@code layerK.0.downsample.0/1}), exactly torchvision's {@code BasicBlock} downsample, so its blocks are
 * torchvision's: 272,474 parameters for 10 classes (option A, zero-padded identity shortcuts, would have 269,722).
 */
public final class ResNets {
    private ResNets() {}

    public enum Block { BASIC, BOTTLENECK }

    public static Graph resnet18(ModelConfig c) {
        return imagenet("resnet18", Block.BASIC, new int[] {2, 2, 2, 2}, c);
    }

    public static Graph resnet34(ModelConfig c) {
        return imagenet("resnet34", Block.BASIC, new int[] {3, 4, 6, 3}, c);
    }

    public static Graph resnet50(ModelConfig c) {
        return imagenet("resnet50", Block.BOTTLENECK, new int[] {3, 4, 6, 3}, c);
    }

    /** torchvision {@code ResNet(block, layers)}: 7×7/2 stem, 3×3/2 max pool, four stages of 64·2^i planes. */
    public static Graph imagenet(String arch, Block block, int[] layers, ModelConfig c) {
        return imagenet(arch, block, layers, 64, c);
    }

    /**
     * torchvision's ResNet topology with {@code width} stem channels and {@code width·2^i} planes in stage i
     * (torchvision: 64); narrower widths serve small tests.
     */
    public static Graph imagenet(String arch, Block block, int[] layers, int width, ModelConfig c) {
        ModelBuilder b = new ModelBuilder(arch, c.seed());
        String x = b.input("input", DType.FLOAT32, -1, c.inChannels(), c.imageSize(), c.imageSize());
        x = b.relu("relu", b.bn("bn1", b.conv("conv1", x, width, 7, 2, 3)));
        x = b.maxPool("maxpool", x, 3, 2, 1);
        for (int stage = 0; stage < layers.length; stage++) {
            int planes = width << stage;
            for (int i = 0; i < layers[stage]; i++) {
                String m = "layer" + (stage + 1) + "." + i;
                int stride = stage > 0 && i == 0 ? 2 : 1;
                x = block == Block.BASIC ? basicBlock(b, m, x, planes, stride) : bottleneck(b, m, x, planes, stride);
            }
        }
        x = b.flatten("flatten", b.globalAvgPool("avgpool", x));
        return b.output(b.linear("fc", x, c.numClasses())).metadata("arch", arch).build();
    }

    /** The CIFAR ResNet-20 (option-B shortcuts), 16/32/64 channels. */
    public static Graph resnet20(ModelConfig c) {
        return cifar("resnet20", 3, c);
    }

    /** CIFAR ResNet of depth 6·n + 2: 3×3 stem of 16, three stages of n basic blocks (16, 32, 64 planes). */
    public static Graph cifar(String arch, int blocksPerStage, ModelConfig c) {
        ModelBuilder b = new ModelBuilder(arch, c.seed());
        String x = b.input("input", DType.FLOAT32, -1, c.inChannels(), c.imageSize(), c.imageSize());
        x = b.relu("relu", b.bn("bn1", b.conv("conv1", x, 16, 3, 1, 1)));
        for (int stage = 0; stage < 3; stage++) {
            for (int i = 0; i < blocksPerStage; i++) {
                x = basicBlock(b, "layer" + (stage + 1) + "." + i, x, 16 << stage, stage > 0 && i == 0 ? 2 : 1);
            }
        }
        x = b.flatten("flatten", b.globalAvgPool("avgpool", x));
        return b.output(b.linear("fc", x, c.numClasses())).metadata("arch", arch).build();
    }

    /** torchvision {@code BasicBlock}: two 3×3 conv-BN, the first strided; ReLU after the residual add. */
    static String basicBlock(ModelBuilder b, String m, String x, int planes, int stride) {
        String out = b.relu(m + ".relu", b.bn(m + ".bn1", b.conv(m + ".conv1", x, planes, 3, stride, 1)));
        out = b.bn(m + ".bn2", b.conv(m + ".conv2", out, planes, 3, 1, 1));
        return b.relu(m + ".relu", b.add(m + "/add", out, shortcut(b, m, x, planes, stride)));
    }

    /** torchvision {@code Bottleneck} (expansion 4): 1×1 reduce, 3×3 (strided), 1×1 expand. */
    static String bottleneck(ModelBuilder b, String m, String x, int planes, int stride) {
        String out = b.relu(m + ".relu", b.bn(m + ".bn1", b.conv(m + ".conv1", x, planes, 1, 1, 0)));
        out = b.relu(m + ".relu", b.bn(m + ".bn2", b.conv(m + ".conv2", out, planes, 3, stride, 1)));
        out = b.bn(m + ".bn3", b.conv(m + ".conv3", out, planes * 4, 1, 1, 0));
        return b.relu(m + ".relu", b.add(m + "/add", out, shortcut(b, m, x, planes * 4, stride)));
    }

    /** Identity, or {@code downsample = Sequential(conv1x1(stride), BatchNorm2d)} when the shape changes. */
    private static String shortcut(ModelBuilder b, String m, String x, int outChannels, int stride) {
        if (stride == 1 && b.dim(x, 1) == outChannels) {
            return x;
        }
        return b.bn(m + ".downsample.1", b.conv(m + ".downsample.0", x, outChannels, 1, stride, 0));
    }
}
