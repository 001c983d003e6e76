package io.t2c.models;

import io.t2c.graph.Graph;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The model zoo by name. {@link #build(String, ModelConfig)} returns a float graph with seeded random parameters
 * named as the architecture's reference implementation names them (torchvision, timm, Hugging Face);
 * {@link #loadStateDict} puts trained weights in:
 *
 * <pre>{@code
 * Graph g = ModelZoo.loadStateDict(ModelZoo.build("resnet18"), PthReader.readStateDict(Path.of("resnet18.pth")));
 * }</pre>
 *
 * <table>
 * <caption>Architectures</caption>
 * <tr><th>name</th><th>reference</th><th>default config</th></tr>
 * <tr><td>resnet18, resnet34, resnet50</td><td>torchvision</td><td>ImageNet 224</td></tr>
 * <tr><td>vgg16_bn</td><td>torchvision</td><td>ImageNet 224</td></tr>
 * <tr><td>mobilenet_v1</td><td>common PyTorch definition ({@link MobileNets})</td><td>ImageNet 224</td></tr>
 * <tr><td>vit_tiny_patch16_224, vit_small_patch16_224, vit_base_patch16_224</td><td>timm</td><td>ImageNet 224</td></tr>
 * <tr><td>swin_tiny_patch4_window7_224, swin_base_patch4_window7_224</td><td>timm ≥ 0.9</td><td>ImageNet 224</td></tr>
 * <tr><td>bert_base</td><td>HF BertForSequenceClassification (bert-base-uncased)</td><td>2 labels</td></tr>
 * <tr><td>resnet20, vgg_small, mobilenet_v1_x0_5, vit_tiny_patch4_32</td><td>small-input variants</td>
 *     <td>10 classes, RGB 32×32</td></tr>
 * <tr><td>vgg_small_x0_25, vit_mini_patch4</td><td>smaller still: the sizes shipped trained (8 MB for all four)</td>
 *     <td>10 classes, RGB 32×32</td></tr>
 * <tr><td>bert_mini</td><td>HF, 4 layers × 256 (google/bert_uncased_L-4_H-256_A-4)</td><td>2 labels</td></tr>
 * </table>
 * For BERT models {@link ModelConfig#numClasses()} is the number of labels and the image fields are ignored.
 */
public final class ModelZoo {
    private ModelZoo() {}

    /** One architecture: its name, a one-line description, its default config and its builder. */
    public record Entry(String name, String description, ModelConfig defaults, Function<ModelConfig, Graph> builder) {}

    private static final Map<String, Entry> ENTRIES = new LinkedHashMap<>();

    static {
        ModelConfig in1k = ModelConfig.imagenet();
        ModelConfig small = ModelConfig.small(10);
        ModelConfig twoLabels = new ModelConfig(2, 1, 1, 0);
        add("resnet18", "torchvision ResNet-18", in1k, ResNets::resnet18);
        add("resnet34", "torchvision ResNet-34", in1k, ResNets::resnet34);
        add("resnet50", "torchvision ResNet-50 (v1.5)", in1k, ResNets::resnet50);
        add("vgg16_bn", "torchvision VGG-16 with batch norm", in1k, Vggs::vgg16bn);
        add("mobilenet_v1", "MobileNet-V1 ×1.0", in1k, MobileNets::mobilenetV1);
        add("vit_tiny_patch16_224", "timm ViT-Ti/16", in1k,
                c -> VisionTransformers.build("vit_tiny_patch16_224", VisionTransformers.TINY_16, c));
        add("vit_small_patch16_224", "timm ViT-S/16", in1k,
                c -> VisionTransformers.build("vit_small_patch16_224", VisionTransformers.SMALL_16, c));
        add("vit_base_patch16_224", "timm ViT-B/16", in1k,
                c -> VisionTransformers.build("vit_base_patch16_224", VisionTransformers.BASE_16, c));
        add("swin_tiny_patch4_window7_224", "timm Swin-T", in1k,
                c -> SwinTransformers.build("swin_tiny_patch4_window7_224", SwinTransformers.TINY, c));
        add("swin_base_patch4_window7_224", "timm Swin-B", in1k,
                c -> SwinTransformers.build("swin_base_patch4_window7_224", SwinTransformers.BASE, c));
        add("bert_base", "HF BERT-base encoder + pooler + classifier", twoLabels,
                c -> Berts.build("bert_base", Berts.BASE, c.numClasses(), c.seed()));
        add("resnet20", "CIFAR ResNet-20, option-B shortcuts", small, ResNets::resnet20);
        add("vgg_small", "VGG-small 128-128-M-256-256-M-512-512-M + fc, BN", small, Vggs::vggSmall);
        add("vgg_small_x0_25", "VGG-small at quarter width, 32-32-M-64-64-M-128-128-M + fc, BN", small,
                Vggs::vggSmallQuarter);
        add("mobilenet_v1_x0_5", "MobileNet-V1 ×0.5, stem stride 1 for 32×32", small, MobileNets::mobilenetV1Small);
        add("vit_tiny_patch4_32", "ViT-Ti width and depth, 4×4 patches, 32×32", small,
                c -> VisionTransformers.build("vit_tiny_patch4_32", VisionTransformers.TINY_4, c));
        add("vit_mini_patch4", "ViT with 6 blocks, 96 wide, 3 heads, MLP 288, 4×4 patches", small,
                c -> VisionTransformers.build("vit_mini_patch4", VisionTransformers.MINI_4, c));
        add("bert_mini", "HF BERT-mini: 4 layers, 256 wide, 4 heads", twoLabels,
                c -> Berts.build("bert_mini", Berts.MINI, c.numClasses(), c.seed()));
    }

    private static void add(String name, String description, ModelConfig defaults, Function<ModelConfig, Graph> b) {
        ENTRIES.put(name, new Entry(name, description, defaults, b));
    }

    /** Every architecture, in table order. */
    public static Map<String, Entry> architectures() {
        return Collections.unmodifiableMap(ENTRIES);
    }

    public static Entry entry(String arch) {
        Entry e = ENTRIES.get(arch);
        if (e == null) {
            throw new T2cException("unknown architecture '" + arch + "'; the zoo has " + ENTRIES.keySet());
        }
        return e;
    }

    /** Builds an architecture with its default config. */
    public static Graph build(String arch) {
        return build(arch, entry(arch).defaults());
    }

    public static Graph build(String arch, ModelConfig config) {
        return entry(arch).builder().apply(config);
    }

    /**
     * Strict {@code load_state_dict}: a copy of {@code g} whose parameters and buffers are the state dict's tensors.
     * Every key of the graph must be present with the same shape and no other key may be (BatchNorm's
     * {@code num_batches_tracked} and recomputed buffers aside, see {@link StateDicts}); otherwise one error lists the
     * missing keys, the unexpected keys and the size mismatches. Keys are exactly the torch ones.
     */
    public static Graph loadStateDict(Graph g, Map<String, Tensor> stateDict) {
        return StateDicts.load(g, stateDict, true).graph();
    }
}
