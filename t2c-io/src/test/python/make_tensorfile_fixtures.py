"""Generates the small fixtures under src/test/resources/io/t2c/io/tensorfile/ (run once, outputs are committed).

Needs numpy and torch (made with Debian's python3-torch 1.13 and numpy 1.24). Not part of the build: the Java tests
only read the files. The expected values in NpyTest/SafeTensorsTest follow the formulas below; the .pth fixtures
carry their expected values in pth/expected.npz.

    python3 t2c-io/src/test/python/make_tensorfile_fixtures.py
"""
import json
import os
import struct

import numpy as np
import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "io", "t2c", "io", "tensorfile")


def path(*parts):
    p = os.path.join(OUT, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def npy_fixtures():
    np.save(path("npy", "f4_2x3.npy"), (np.arange(6, dtype=np.float32) * 0.5 - 1).reshape(2, 3))
    np.save(path("npy", "f8_3.npy"), np.array([1.5, -2.25, 1e-3], dtype=np.float64))
    np.save(path("npy", "f2_4.npy"), np.array([0.5, -1.0, 65504.0, 0.0001], dtype=np.float16))
    np.save(path("npy", "i1_4.npy"), np.array([-128, -1, 0, 127], dtype=np.int8))
    np.save(path("npy", "u1_4.npy"), np.array([0, 1, 128, 255], dtype=np.uint8))
    np.save(path("npy", "i2_3.npy"), np.array([-32768, 7, 32767], dtype=np.int16))
    np.save(path("npy", "i4_2x2.npy"), np.array([[-2**31, -1], [0, 2**31 - 1]], dtype=np.int32))
    np.save(path("npy", "i8_3.npy"), np.array([-2**63, 42, 2**63 - 1], dtype=np.int64))
    np.save(path("npy", "b1_5.npy"), np.array([True, False, True, True, False]))
    np.save(path("npy", "scalar_f4.npy"), np.array(3.25, dtype=np.float32))
    np.save(path("npy", "empty_0x3_f4.npy"), np.zeros((0, 3), dtype=np.float32))
    # Fortran order: same values as C-order arange(24).reshape(2, 3, 4), different byte layout.
    np.save(path("npy", "fortran_f4_2x3x4.npy"), np.asfortranarray(np.arange(24, dtype=np.float32).reshape(2, 3, 4)))
    np.save(path("npy", "be_i4_2x2.npy"), np.array([[1, -2], [300, -40000]], dtype=">i4"))
    np.save(path("npy", "be_f8_2.npy"), np.array([0.25, -8.0], dtype=">f8"))
    for version in [(2, 0), (3, 0)]:
        with open(path("npy", "v%d_f4_3.npy" % version[0]), "wb") as f:
            np.lib.format.write_array(f, np.array([1.0, 2.0, 3.0], dtype=np.float32), version=version)
    np.savez(path("npy", "arrays.npz"), a=np.arange(4, dtype=np.int64), b=np.ones((2, 2), dtype=np.float32))
    np.savez_compressed(path("npy", "compressed.npz"), z=np.zeros(100, dtype=np.float32))


def safetensors_fixture():
    """Written with struct + json exactly as the safetensors library lays files out (no library needed)."""
    tensors = {
        "w": torch.arange(6, dtype=torch.float32).reshape(2, 3) * 0.5 - 1,
        "d": torch.tensor([1.5, -2.25], dtype=torch.float64),
        "h": torch.tensor([0.5, -1.0, 65504.0], dtype=torch.float16),
        "bf": torch.tensor([1.0, -2.5, 3.0e38], dtype=torch.bfloat16),
        "i64": torch.tensor([-2**63, 5], dtype=torch.int64),
        "i32": torch.tensor([[-7, 8]], dtype=torch.int32),
        "i16": torch.tensor([-300], dtype=torch.int16),
        "i8": torch.tensor([-128, 127], dtype=torch.int8),
        "u8": torch.tensor([0, 200, 255], dtype=torch.uint8),
        "b": torch.tensor([True, False], dtype=torch.bool),
        "scalar": torch.tensor(2.5, dtype=torch.float32),
        "empty": torch.zeros(0, 2, dtype=torch.float32),
    }
    names = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.bfloat16: "BF16",
             torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
             torch.bool: "BOOL"}
    header = {"__metadata__": {"format": "pt", "source": "python"}}
    data = b""
    # Like safetensors: data sorted by decreasing element size, then name, so every tensor is aligned.
    for k in sorted(tensors, key=lambda k: (-tensors[k].element_size(), k)):
        t = tensors[k]
        raw = t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[k] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path("safetensors", "mixed.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data)


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.bn = nn.BatchNorm2d(2)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc(torch.flatten(torch.relu(self.bn(self.conv(x))), 1))


def pth_fixtures():
    torch.manual_seed(0)
    model = Tiny()
    model.train()
    model(torch.randn(2, 1, 4, 4))  # updates running stats and num_batches_tracked (an int64 buffer)
    sd = model.state_dict()
    # Extras that exercise the reader: views sharing fc.weight's storage, other dtypes, rank 0, empty.
    sd["extra.fc_t"] = sd["fc.weight"].t()  # non-contiguous, strides (1, 8)
    sd["extra.row"] = sd["fc.weight"][1]  # storage offset 8
    sd["extra.every3"] = torch.arange(10, dtype=torch.float32)[::3]  # stride 3
    sd["extra.expanded"] = torch.tensor([1.0, 2.0, 3.0]).expand(2, 3)  # stride 0
    sd["extra.half"] = torch.randn(2, 3).half()
    sd["extra.bf16"] = torch.randn(3).bfloat16()
    sd["extra.f64"] = torch.randn(2, 2, dtype=torch.float64)
    sd["extra.i32"] = torch.tensor([-5, 6, 2**31 - 1], dtype=torch.int32)
    sd["extra.i16"] = torch.tensor([-300, 300], dtype=torch.int16)
    sd["extra.i8"] = torch.tensor([-128, 127], dtype=torch.int8)
    sd["extra.u8"] = torch.tensor([0, 255], dtype=torch.uint8)
    sd["extra.bool"] = torch.tensor([True, False, True])
    sd["extra.scalar"] = torch.tensor(2.5)
    sd["extra.empty"] = torch.zeros(0, 3)
    torch.save(sd, path("pth", "tiny_state_dict.pth"))
    np.savez(path("pth", "expected.npz"),
             **{k: (v.float() if v.dtype == torch.bfloat16 else v).numpy() for k, v in sd.items()})

    model_only = {k: v for k, v in sd.items() if not k.startswith("extra.")}
    torch.save({"state_dict": model_only, "epoch": 3, "optimizer": {"lr": 0.1, "betas": (0.9, 0.999)},
                "name": "tiny"}, path("pth", "checkpoint.pth"))
    # Refused: a legacy (non-zip) file and a whole pickled module (references __main__.Tiny).
    torch.save({"a": torch.ones(2)}, path("pth", "legacy.pth"), _use_new_zipfile_serialization=False)
    torch.save(model, path("pth", "whole_model.pth"))


if __name__ == "__main__":
    npy_fixtures()
    safetensors_fixture()
    pth_fixtures()
