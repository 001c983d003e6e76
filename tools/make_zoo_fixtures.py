"""Makes the t2c-models test fixtures with Debian's torch 1.13 / torchvision 0.14 (no timm, no transformers).

Run once in a dev session: /usr/bin/python3 tools/make_zoo_fixtures.py [--counts]
Not a build or test dependency; the outputs are committed under
t2c-models/src/test/resources/io/t2c/models/.

1. manifests/<arch>.txt: "key shape" per state-dict entry (num_batches_tracked included).
   resnet18/34/50 and vgg16_bn are torchvision's own state dicts. vit_base_patch16_224, vit_tiny_patch4_32 and
   swin_tiny_patch4_window7_224 are torchvision's ViT / swin_t renamed to timm (>= 0.9) keys by TIMM_VIT /
   timm_swin_key below: the shapes are torchvision's, the names are our reading of timm (torchvision's order).
   resnet20, vgg_small, mobilenet_v1(_x0_5) and bert_base / bert_mini come from the definitions in this file.
2. fixtures/<name>.pth + <name>_*.npy: tiny models with seeded random weights (norm affine and running statistics
   randomised too, so a misplaced parameter shows), a few inputs, and torch's float32 logits. Weights are stored
   as float16 to keep the files small; the logits are computed from the float16-rounded weights, so they are the
   exact float32 function of what the file holds.
   - resnet_basic_w8, resnet_bottleneck_w4: torchvision ResNet objects (torchvision's forward, stem and blocks)
     with stages [2, 1, 1, 1] and widths 8 / 4 instead of 64, on 32x32 images: the ResNet-18/34 and ResNet-50
     code paths at a committable size.
   - resnet20: our CIFAR ResNet-20 built from torchvision's BasicBlock (option-B downsample), 1 channel, 28x28.
   - mobilenet_v1_x0_125: MobileNet-V1 x0.125, stem stride 1, 32x32 (the zoo's naming, see MobileNets.java).
   - vit_tiny: torchvision VisionTransformer(32, patch 8, 2 layers, 2 heads, 32 wide, mlp 64), timm names.
   - swin_tiny: torchvision SwinTransformer(patch 2, embed 8, depths 2-2-2, heads 2-2-4, window 4) on 32x32,
     timm names (stages of 16x16 and 8x8 shift their windows, the 4x4 one does not).
     Also swin_mask_r16_w4_s2.npy (the shift mask, as torchvision computes it) and the relative position index of
     a 4x4 window (torchvision's buffer).
   - bert_tiny: our transcription of Hugging Face's BertForSequenceClassification (vocab 50, 32 wide, 2 layers,
     2 heads, FFN 64, 16 positions, 3 labels), with one padded sequence in the batch.
"""
import math, os, re, sys
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F
import torchvision
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet, conv1x1
from torchvision.models.vision_transformer import VisionTransformer
from torchvision.models.swin_transformer import SwinTransformer

OUT = os.path.join(os.path.dirname(__file__), "..", "t2c-models", "src", "test", "resources", "io", "t2c", "models")
torch.set_num_threads(2)


def count(m):
    return sum(p.numel() for p in m.parameters())


# ---- models without a torchvision definition ------------------------------------------------------------------

class ResNetCifar(nn.Module):
    """He et al.'s CIFAR ResNet (6n+2) with torchvision BasicBlocks and option-B (1x1 conv + BN) shortcuts."""

    def __init__(self, n=3, in_ch=3, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        inplanes = 16
        for s, planes in enumerate((16, 32, 64)):
            blocks = []
            for i in range(n):
                stride = 2 if s > 0 and i == 0 else 1
                ds = None
                if stride != 1 or inplanes != planes:
                    ds = nn.Sequential(conv1x1(inplanes, planes, stride), nn.BatchNorm2d(planes))
                blocks.append(BasicBlock(inplanes, planes, stride, ds))
                inplanes = planes
            setattr(self, "layer%d" % (s + 1), nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class VggSmall(nn.Module):
    def __init__(self, in_ch=3, num_classes=10, image=32):
        super().__init__()
        layers, c = [], in_ch
        for v in (128, 128, "M", 256, 256, "M", 512, 512, "M"):
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(c, v, 3, padding=1, bias=False), nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
                c = v
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(512 * (image // 8) ** 2, num_classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


class MobileNetV1(nn.Module):
    BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]

    def __init__(self, width=1.0, stem_stride=2, in_ch=3, num_classes=1000):
        super().__init__()
        c = int(32 * width)
        feats = [nn.Sequential(nn.Conv2d(in_ch, c, 3, stem_stride, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True))]
        for out, stride in self.BLOCKS:
            o = int(out * width)
            feats.append(nn.Sequential(
                nn.Conv2d(c, c, 3, stride, 1, groups=c, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True),
                nn.Conv2d(c, o, 1, 1, 0, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True)))
            c = o
        self.features = nn.Sequential(*feats)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


class Bert(nn.Module):
    """Hugging Face BertForSequenceClassification (eager attention), transcribed; module names as HF's."""

    class Embeddings(nn.Module):
        def __init__(s, c):
            super().__init__()
            s.word_embeddings = nn.Embedding(c["vocab"], c["hidden"], padding_idx=0)
            s.position_embeddings = nn.Embedding(c["max_pos"], c["hidden"])
            s.token_type_embeddings = nn.Embedding(2, c["hidden"])
            s.LayerNorm = nn.LayerNorm(c["hidden"], eps=1e-12)

        def forward(s, ids):
            L = ids.shape[1]
            e = s.word_embeddings(ids) + s.token_type_embeddings(torch.zeros_like(ids))
            e = e + s.position_embeddings(torch.arange(L).unsqueeze(0))
            return s.LayerNorm(e)

    class SelfAttention(nn.Module):
        def __init__(s, c):
            super().__init__()
            s.h, s.dh = c["heads"], c["hidden"] // c["heads"]
            s.query, s.key, s.value = (nn.Linear(c["hidden"], c["hidden"]) for _ in range(3))

        def heads(s, x):
            return x.view(x.shape[0], x.shape[1], s.h, s.dh).permute(0, 2, 1, 3)

        def forward(s, x, mask):
            q, k, v = s.heads(s.query(x)), s.heads(s.key(x)), s.heads(s.value(x))
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(s.dh) + mask
            ctx = torch.matmul(F.softmax(scores, dim=-1), v).permute(0, 2, 1, 3).contiguous()
            return ctx.view(ctx.shape[0], ctx.shape[1], -1)

    class DenseLN(nn.Module):
        def __init__(s, i, o):
            super().__init__()
            s.dense = nn.Linear(i, o)
            s.LayerNorm = nn.LayerNorm(o, eps=1e-12)

        def forward(s, x, residual):
            return s.LayerNorm(s.dense(x) + residual)

    class Attention(nn.Module):
        def __init__(s, c):
            super().__init__()
            s.self = Bert.SelfAttention(c)
            s.output = Bert.DenseLN(c["hidden"], c["hidden"])

        def forward(s, x, mask):
            return s.output(s.self(x, mask), x)

    class Intermediate(nn.Module):
        def __init__(s, c):
            super().__init__()
            s.dense = nn.Linear(c["hidden"], c["ffn"])

        def forward(s, x):
            return F.gelu(s.dense(x))

    class Layer(nn.Module):
        def __init__(s, c):
            super().__init__()
            s.attention = Bert.Attention(c)
            s.intermediate = Bert.Intermediate(c)
            s.output = Bert.DenseLN(c["ffn"], c["hidden"])

        def forward(s, x, mask):
            a = s.attention(x, mask)
            return s.output(s.intermediate(a), a)

    class Encoder(nn.Module):
        def __init__(s, c):
            super().__init__()
            s.layer = nn.ModuleList([Bert.Layer(c) for _ in range(c["layers"])])

    class Pooler(nn.Module):
        def __init__(s, c):
            super().__init__()
            s.dense = nn.Linear(c["hidden"], c["hidden"])

    class Model(nn.Module):
        def __init__(s, c):
            super().__init__()
            s.embeddings = Bert.Embeddings(c)
            s.encoder = Bert.Encoder(c)
            s.pooler = Bert.Pooler(c)

    def __init__(self, c):
        super().__init__()
        self.bert = Bert.Model(c)
        self.classifier = nn.Linear(c["hidden"], c["labels"])

    def forward(self, ids, attention_mask):
        mask = (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        x = self.bert.embeddings(ids)
        for layer in self.bert.encoder.layer:
            x = layer(x, mask)
        pooled = torch.tanh(self.bert.pooler.dense(x[:, 0]))
        return self.classifier(pooled)


BERT_BASE = dict(vocab=30522, hidden=768, layers=12, heads=12, ffn=3072, max_pos=512, labels=2)
BERT_MINI = dict(vocab=30522, hidden=256, layers=4, heads=4, ffn=1024, max_pos=512, labels=2)
BERT_TINY = dict(vocab=50, hidden=32, layers=2, heads=2, ffn=64, max_pos=16, labels=3)

# ---- torchvision -> timm names ---------------------------------------------------------------------------------

TIMM_VIT = [
    (r"^class_token$", "cls_token"), (r"^conv_proj\.", "patch_embed.proj."),
    (r"^encoder\.pos_embedding$", "pos_embed"), (r"^encoder\.ln\.", "norm."), (r"^heads\.head\.", "head."),
    (r"^encoder\.layers\.encoder_layer_(\d+)\.ln_1\.", r"blocks.\1.norm1."),
    (r"^encoder\.layers\.encoder_layer_(\d+)\.ln_2\.", r"blocks.\1.norm2."),
    (r"^encoder\.layers\.encoder_layer_(\d+)\.self_attention\.in_proj_weight$", r"blocks.\1.attn.qkv.weight"),
    (r"^encoder\.layers\.encoder_layer_(\d+)\.self_attention\.in_proj_bias$", r"blocks.\1.attn.qkv.bias"),
    (r"^encoder\.layers\.encoder_layer_(\d+)\.self_attention\.out_proj\.", r"blocks.\1.attn.proj."),
    (r"^encoder\.layers\.encoder_layer_(\d+)\.mlp\.0\.", r"blocks.\1.mlp.fc1."),
    (r"^encoder\.layers\.encoder_layer_(\d+)\.mlp\.3\.", r"blocks.\1.mlp.fc2."),
]


def timm_vit_key(k):
    for pat, rep in TIMM_VIT:
        if re.search(pat, k):
            return re.sub(pat, rep, k)
    raise KeyError(k)


def timm_swin_key(k):
    """torchvision swin: features.0 = patch embed, features.(2i+1) = stage i, features.(2i+2) = merging after it."""
    if k.startswith("features.0.0."):
        return "patch_embed.proj." + k[len("features.0.0."):]
    if k.startswith("features.0.2."):
        return "patch_embed.norm." + k[len("features.0.2."):]
    if k.startswith("head."):
        return "head.fc." + k[len("head."):]
    if k.startswith("norm."):
        return k
    m = re.match(r"^features\.(\d+)\.(.*)$", k)
    f, rest = int(m.group(1)), m.group(2)
    if f % 2 == 0:  # patch merging after stage f/2 - 1 = at the start of stage f/2 in timm >= 0.9
        return "layers.%d.downsample.%s" % (f // 2, rest)
    rest = re.sub(r"^(\d+)\.", r"blocks.\1.", rest).replace(".mlp.0.", ".mlp.fc1.").replace(".mlp.3.", ".mlp.fc2.")
    return "layers.%d.%s" % ((f - 1) // 2, rest)


def renamed(sd, fn):
    return {fn(k): v for k, v in sd.items() if not k.endswith("relative_position_index")}


# ---- fixtures ---------------------------------------------------------------------------------------------------

def randomise(model, gen):
    """Norm affine parameters and BN running statistics away from 1/0; tokens and positions away from 0."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm2d, nn.LayerNorm)):
                m.weight.copy_(0.5 + torch.rand(m.weight.shape, generator=gen))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=gen))
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(0.1 * torch.randn(m.running_mean.shape, generator=gen))
                m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=gen))
        for name, p in model.named_parameters():
            if name in ("class_token", "encoder.pos_embedding") or "relative_position_bias_table" in name:
                p.copy_(0.5 * torch.randn(p.shape, generator=gen))
            elif (p == 0).all():  # e.g. torchvision's zero-initialised ViT head
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
            elif re.search(r"(qkv\.|in_proj_|query\.|key\.)weight$", name):  # peaky attention: masks and biases matter
                p.mul_(4)


def narrow_torchvision_resnet(block, width, layers=(2, 1, 1, 1), num_classes=10):
    """A torchvision ResNet object (its own forward) whose stem and stages are `width`-based instead of 64-based."""
    m = ResNet(block, list(layers), num_classes=num_classes)
    m.conv1 = nn.Conv2d(3, width, 7, 2, 3, bias=False)
    m.bn1 = nn.BatchNorm2d(width)
    m.inplanes = width
    for i, n in enumerate(layers):
        setattr(m, "layer%d" % (i + 1), m._make_layer(block, width << i, n, stride=1 if i == 0 else 2))
    m.fc = nn.Linear((width << 3) * block.expansion, num_classes)
    return m


def half_round_trip(model):
    """Rounds every float tensor to float16 in place; returns the float16 state dict to save."""
    sd16 = {k: (v.half() if v.is_floating_point() else v) for k, v in model.state_dict().items()}
    model.load_state_dict({k: (v.float() if v.is_floating_point() else v) for k, v in sd16.items()})
    return sd16


def save_fixture(name, model, inputs, rename=None):
    model.eval()
    sd16 = half_round_trip(model)
    with torch.no_grad():
        logits = model(*inputs)
    if rename:
        sd16 = renamed(sd16, rename)
    d = os.path.join(OUT, "fixtures")
    os.makedirs(d, exist_ok=True)
    torch.save(sd16, os.path.join(d, name + ".pth"))
    for i, x in enumerate(inputs):
        np.save(os.path.join(d, "%s_input%d.npy" % (name, i)), x.numpy())
    np.save(os.path.join(d, name + "_logits.npy"), logits.numpy())
    print("%-20s %8d params, logits %s, max |logit| %.3f" % (name, count(model), tuple(logits.shape),
                                                             logits.abs().max().item()))


def swin_shift_mask(res, window, shift):
    """torchvision's shifted-window mask (same regions and -100 as timm), [nW, w*w, w*w]."""
    img = torch.zeros(res, res)
    slices = ((0, -window), (-window, -shift), (-shift, None))
    cnt = 0
    for h in slices:
        for w in slices:
            img[h[0]:h[1], w[0]:w[1]] = cnt
            cnt += 1
    nw = res // window
    wins = img.view(nw, window, nw, window).permute(0, 2, 1, 3).reshape(nw * nw, window * window)
    diff = wins.unsqueeze(1) - wins.unsqueeze(2)
    return diff.masked_fill(diff != 0, -100.0).masked_fill(diff == 0, 0.0)


def write_manifest(name, sd):
    d = os.path.join(OUT, "manifests")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name + ".txt"), "w") as f:
        for k, v in sd.items():
            f.write("%s %s\n" % (k, ",".join(str(s) for s in v.shape)))


def main():
    M = torchvision.models
    print("parameter counts (torch: sum(p.numel() for p in model.parameters()))")
    for name, m in [("resnet20 (option B)", ResNetCifar()), ("vgg_small", VggSmall()),
                    ("mobilenet_v1", MobileNetV1()), ("mobilenet_v1_x0_5 32x32", MobileNetV1(0.5, 1, num_classes=10)),
                    ("vit_tiny_patch4_32", VisionTransformer(32, 4, 12, 3, 192, 768, num_classes=10)),
                    ("bert_base", Bert(BERT_BASE)), ("bert_mini", Bert(BERT_MINI))]:
        print("  %-26s %d" % (name, count(m)))
    if "--counts" in sys.argv:
        return
    for name in ("resnet18", "resnet34", "resnet50", "vgg16_bn"):
        write_manifest(name, getattr(M, name)().state_dict())
    write_manifest("vit_base_patch16_224", renamed(M.vit_b_16().state_dict(), timm_vit_key))
    write_manifest("swin_tiny_patch4_window7_224", renamed(M.swin_t().state_dict(), timm_swin_key))
    write_manifest("vit_tiny_patch4_32", renamed(VisionTransformer(32, 4, 12, 3, 192, 768, num_classes=10).state_dict(),
                                                 timm_vit_key))
    # the definitions above (no reference package offline)
    write_manifest("resnet20", ResNetCifar().state_dict())
    write_manifest("vgg_small", VggSmall().state_dict())
    write_manifest("mobilenet_v1", MobileNetV1().state_dict())
    write_manifest("mobilenet_v1_x0_5", MobileNetV1(0.5, 1, num_classes=10).state_dict())
    write_manifest("bert_base", Bert(BERT_BASE).state_dict())
    write_manifest("bert_mini", Bert(BERT_MINI).state_dict())

    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    m = ResNetCifar(3, in_ch=1, num_classes=10)
    randomise(m, gen)
    save_fixture("resnet20", m, [torch.randn(2, 1, 28, 28, generator=gen)])

    for name, block in (("resnet_basic_w8", BasicBlock), ("resnet_bottleneck_w4", Bottleneck)):
        m = narrow_torchvision_resnet(block, 8 if block is BasicBlock else 4)
        randomise(m, gen)
        save_fixture(name, m, [torch.randn(2, 3, 32, 32, generator=gen)])

    m = MobileNetV1(0.125, 1, in_ch=3, num_classes=10)
    randomise(m, gen)
    save_fixture("mobilenet_v1_x0_125", m, [torch.randn(2, 3, 32, 32, generator=gen)])

    m = VisionTransformer(32, 8, 2, 2, 32, 64, num_classes=10)
    randomise(m, gen)
    save_fixture("vit_tiny", m, [torch.randn(2, 3, 32, 32, generator=gen)], timm_vit_key)

    m = SwinTransformer([2, 2], 8, [2, 2, 2], [2, 2, 4], [4, 4], num_classes=10)
    randomise(m, gen)
    save_fixture("swin_tiny", m, [torch.randn(2, 3, 32, 32, generator=gen)], timm_swin_key)
    np.save(os.path.join(OUT, "fixtures", "swin_mask_r16_w4_s2.npy"), swin_shift_mask(16, 4, 2).numpy())
    torch.save({"index": m.features[1][0].attn.relative_position_index},
               os.path.join(OUT, "fixtures", "swin_relative_position_index_w4.pth"))

    m = Bert(BERT_TINY)
    randomise(m, gen)
    ids = torch.randint(1, 50, (3, 7), generator=gen)
    mask = torch.ones(3, 7, dtype=torch.int64)
    mask[1, 4:] = 0
    ids[1, 4:] = 0
    save_fixture("bert_tiny", m, [ids, mask])


if __name__ == "__main__":
    main()
