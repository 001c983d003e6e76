package io.t2c.models;

/**
 * What a zoo model is built for: the number of classes (labels, for BERT), the input's channels and square image
 * size (ignored by BERT) and the seed of the initial random parameters.
 *
 * <p>Small-input models ({@code resnet20}, {@code vgg_small}, {@code mobilenet_v1_x0_5}, {@code vit_tiny_patch4_32})
 * take 32×32 images by default; 28×28 (Fashion-MNIST/MNIST as is) also works for all of them: the CNNs pool globally
 * or size their classifier from the image, and the ViT cuts 7×7 patches of 4. Give {@code inChannels = 1} for
 * grey-scale data.
 */
public record ModelConfig(int numClasses, int inChannels, int imageSize, long seed) {
    public ModelConfig {
        if (numClasses < 1 || inChannels < 1 || imageSize < 1) {
            throw new IllegalArgumentException("numClasses, inChannels and imageSize must be positive, got "
                    + numClasses + ", " + inChannels + ", " + imageSize);
        }
    }

    /** ImageNet: 1000 classes, RGB, 224×224, seed 0. */
    public static ModelConfig imagenet() {
        return new ModelConfig(1000, 3, 224, 0);
    }

    /** CIFAR-style small input: RGB 32×32 with {@code numClasses} classes, seed 0. */
    public static ModelConfig small(int numClasses) {
        return new ModelConfig(numClasses, 3, 32, 0);
    }

    public ModelConfig withNumClasses(int n) {
        return new ModelConfig(n, inChannels, imageSize, seed);
    }

    public ModelConfig withInChannels(int c) {
        return new ModelConfig(numClasses, c, imageSize, seed);
    }

    public ModelConfig withImageSize(int s) {
        return new ModelConfig(numClasses, inChannels, s, seed);
    }

    public ModelConfig withSeed(long s) {
        return new ModelConfig(numClasses, inChannels, imageSize, s);
    }
}
