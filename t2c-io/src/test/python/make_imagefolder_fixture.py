"""Generates src/test/resources/io/t2c/io/data/imagefolder/ (run once, outputs are committed).

Needs numpy, PIL and torchvision (made with Debian's python3-pil 9.4, python3-torchvision 0.14 and numpy 1.24):

    /usr/bin/python3 t2c-io/src/test/python/make_imagefolder_fixture.py

images/<class>/<name>.png are small seeded random images (smooth gradients plus noise, so that resampling has
something to do); expected.npy is float32 [N, 3, 16, 16]: torchvision's ImageNet evaluation transform
Resize(20), CenterCrop(16), ToTensor(), Normalize(mean, std) applied to each image after PIL's convert('RGB'),
in ImageFolder order (classes sorted, files sorted). ImageFolderTest.matchesTorchvision compares against it.
"""
import os

import numpy as np
from PIL import Image
from torchvision import transforms

OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "io", "t2c", "io", "data", "imagefolder")
rng = np.random.default_rng(7)


def smooth(h, w, channels):
    y, x = np.mgrid[0:h, 0:w]
    base = [(x * rng.uniform(1, 8) + y * rng.uniform(1, 8) + rng.uniform(0, 60)) % 256 for _ in range(channels)]
    img = np.stack(base, -1) + rng.normal(0, 25, (h, w, channels))
    return np.clip(img, 0, 255).astype(np.uint8)


def save(cls, name, array, mode):
    d = os.path.join(OUT, "images", cls)
    os.makedirs(d, exist_ok=True)
    Image.fromarray(array if mode != "L" else array[:, :, 0], mode).save(os.path.join(d, name))


# Shrinking (wide and tall), enlarging, an odd crop offset, grayscale.
save("rgb", "a_wide.png", smooth(37, 53, 3), "RGB")
save("rgb", "b_tall.png", smooth(61, 29, 3), "RGB")
save("rgb", "c_small.png", smooth(11, 14, 3), "RGB")
save("rgb", "d_odd.png", smooth(20, 23, 3), "RGB")
save("gray", "g.png", smooth(31, 26, 1), "L")

t = transforms.Compose([transforms.Resize(20), transforms.CenterCrop(16), transforms.ToTensor(),
                        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
out = []
for cls in sorted(os.listdir(os.path.join(OUT, "images"))):
    for name in sorted(os.listdir(os.path.join(OUT, "images", cls))):
        with Image.open(os.path.join(OUT, "images", cls, name)) as im:
            out.append(t(im.convert("RGB")).numpy())
np.save(os.path.join(OUT, "expected.npy"), np.stack(out).astype(np.float32))
