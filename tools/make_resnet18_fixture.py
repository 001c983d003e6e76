"""Makes the full-size ResNet-18 fixture of ResNet18PthTest with Debian's torch 1.13 / torchvision 0.14 / onnx 1.12.

Run once in a dev session: /usr/bin/python3 tools/make_resnet18_fixture.py
Not a build or test dependency; the outputs are committed under
t2c-models/src/test/resources/io/t2c/models/resnet18/:

  resnet18.pth       torch.save(model.state_dict()) of torchvision.models.resnet18() (eval mode), float32,
                     torchvision's keys (num_batches_tracked included)
  resnet18.onnx      torch.onnx.export of the same model: opset 13, input "x" [batch, 3, 224, 224], output "logits"
                     [batch, 1000], dynamic batch. Exported with TrainingMode.PRESERVE on the eval-mode model so
                     torch does not fold BatchNorm into the convolutions: the file keeps Conv + BatchNormalization
                     nodes and the very same (low-entropy) parameter tensors as the .pth
  input.npy          2 seeded images [2, 3, 224, 224], float32, ImageNet-normalised
  torch_logits.npy   torch's eval-mode output on them [2, 1000], float32

Why the weights are low-entropy. A real (or randomly initialised) ResNet-18 is 11.7 M float32 parameters: 46 MB of
incompressible bytes as .pth and as much again as ONNX, too much to commit. Here every conv / fc weight (and the fc
bias) is a short seeded table of PERIOD (a prime, 1021) normal draws, normalised to zero mean and unit variance,
tiled over the flattened tensor and multiplied by the layer's He scale sqrt(2 / fan_in) (0.1 for the bias). The byte
sequence of a tensor then repeats every 4 * 1021 bytes, well inside zlib's 32 KiB window, so git stores each model
file in about 0.6 MB (0.43 MB at zlib's default level, which packs use). The table's values are deliberately all
distinct: with only a few dozen distinct values the same 3-byte strings recur dozens of times per period, and zlib
level 1 (git's default for loose objects, which tries only 4 candidates per position) misses the period-long matches
and stores 13 MB per file. It is still a non-degenerate network: the period is a prime larger than any layer's
output count and divides no fan-in, so the windows the output channels (and the 1000 fc rows) take from the table
start at different phases, every filter and every class row differs, and the two images get clearly different logits
spread over the classes (printed below).

BatchNorm: weight and bias come from small seeded tables (weight in [0.5, 1.5], bias in [-0.2, 0.2]); the running
statistics are calibrated on 4 further seeded images (a train-mode pass with momentum None gives each layer's
batch mean / unbiased variance given the layers before it), then perturbed by small tables (mean shifted by up to
0.2 std, variance scaled by [0.7, 1.3]) so that activations neither vanish nor explode through the 18 layers but a
misplaced statistic still shows. These are 4,800 channels each, a negligible share of the file.

The images: 56x56 smooth seeded patterns (bilinear from 7x7 noise), quantised to 8-bit pixels, upsampled x4 by
nearest neighbour to 224x224 and normalised with ImageNet's mean / std: image-like inputs that also compress well.
"""
import os
import zlib

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "t2c-models", "src", "test", "resources",
                   "io", "t2c", "models", "resnet18")
PERIOD = 1021
LEVELS = 31
torch.set_num_threads(2)


def table(rng, lo, hi, n=PERIOD, levels=LEVELS):
    """n values from `levels` evenly spaced levels in [lo, hi]."""
    return lo + (hi - lo) * rng.integers(0, levels, n) / (levels - 1)


def tiled(rng, shape, scale):
    """A zero-mean, unit-variance table of PERIOD normal draws tiled over the flattened tensor, times `scale`."""
    t = rng.standard_normal(PERIOD)
    t = (t - t.mean()) / t.std()
    n = int(np.prod(shape))
    flat = np.tile(t, n // PERIOD + 1)[:n] * scale
    return torch.from_numpy(flat.astype(np.float32)).reshape(shape)


def small_table(rng, n, lo, hi):
    return torch.from_numpy(np.resize(table(rng, lo, hi), n).astype(np.float32))


def images(gen, n):
    """n seeded image-like inputs [n, 3, 224, 224]: smooth 56x56 8-bit patterns, nearest x4, ImageNet-normalised."""
    low = torch.rand(n, 3, 7, 7, generator=gen)
    pix = F.interpolate(low, size=(56, 56), mode="bilinear", align_corners=False)
    pix = torch.round(pix * 255) / 255
    pix = F.interpolate(pix, scale_factor=4, mode="nearest")
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    return ((pix - mean) / std).float().contiguous()


def build(rng, calibration):
    model = torchvision.models.resnet18()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                fan_in = m.weight[0].numel()
                m.weight.copy_(tiled(rng, tuple(m.weight.shape), np.sqrt(2.0 / fan_in)))
                if m.bias is not None:
                    m.bias.copy_(tiled(rng, tuple(m.bias.shape), 0.1))
            elif isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(small_table(rng, c, 0.5, 1.5))
                m.bias.copy_(small_table(rng, c, -0.2, 0.2))
                m.reset_running_stats()
                m.momentum = None  # cumulative average: after one batch, exactly that batch's statistics
        model.train()
        model(calibration)
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                std = m.running_var.sqrt()
                m.running_mean.add_(std * small_table(rng, c, -0.2, 0.2))
                m.running_var.mul_(small_table(rng, c, 0.7, 1.3))
                m.momentum = 0.1
                m.num_batches_tracked.zero_()
    return model.eval()


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(18)
    gen = torch.Generator().manual_seed(18)
    x = images(gen, 2)
    model = build(rng, images(gen, 4))

    with torch.no_grad():
        logits = model(x)
    lg = logits.numpy()
    print("logits", lg.shape, "max |logit| %.3f" % np.abs(lg).max(),
          "std per image", np.round(lg.std(axis=1), 3),
          "max |image0 - image1| %.3f" % np.abs(lg[0] - lg[1]).max(),
          "distinct values per image", [len(np.unique(r)) for r in lg],
          "argmax", lg.argmax(axis=1), "finite", np.isfinite(lg).all())

    pth = os.path.join(OUT, "resnet18.pth")
    onnx_path = os.path.join(OUT, "resnet18.onnx")
    torch.save(model.state_dict(), pth)
    np.save(os.path.join(OUT, "input.npy"), x.numpy())
    np.save(os.path.join(OUT, "torch_logits.npy"), lg)
    torch.onnx.export(model, x, onnx_path, opset_version=13, input_names=["x"], output_names=["logits"],
                      dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}},
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)

    # the ONNX file holds the state dict's tensors unchanged (no BatchNorm folding) and Conv + BatchNormalization
    proto = onnx.load(onnx_path)
    onnx.checker.check_model(proto)
    inits = {i.name: numpy_helper.to_array(i) for i in proto.graph.initializer}
    sd = model.state_dict()
    same = [k for k in sd if k in inits and np.array_equal(inits[k], sd[k].numpy())]
    ops = sorted({n.op_type for n in proto.graph.node})
    print("onnx ops", ops, "; %d of %d initializers equal the state dict's" % (len(same), len(inits)))
    assert "BatchNormalization" in ops and len(same) == len(inits), "BatchNorm was folded or weights changed"

    for f in sorted(os.listdir(OUT)):
        data = open(os.path.join(OUT, f), "rb").read()
        print("%-18s %10d bytes, zlib level 1 (git loose) %9d, level 6 (git packs) %9d"
              % (f, len(data), len(zlib.compress(data, 1)), len(zlib.compress(data, 6))))


if __name__ == "__main__":
    main()
