"""Makes examples/fashion_cnn.onnx: a small residual CNN trained briefly on Fashion-MNIST with Debian's torch.

Run once in a dev session (/usr/bin/python3 tools/make_example_model.py); the outputs are committed. Not a build or
test dependency. Also writes examples/fashion_samples.npy (8 test images, float32 [8,1,28,28], normalized) and
examples/fashion_labels.npy (their labels, int64).
"""
import gzip, struct
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F

torch.manual_seed(0)
np.random.seed(0)
torch.set_num_threads(2)
D = "/usr/share/datasets/fashion-mnist/"

def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, n = struct.unpack(">II", data[:8])
    if magic == 0x803:
        return np.frombuffer(data, np.uint8, offset=16).reshape(n, 28, 28)
    return np.frombuffer(data, np.uint8, offset=8)

MEAN, STD = 0.2860, 0.3530
xtr = (idx(D + "train-images-idx3-ubyte.gz")[:20000].astype(np.float32) / 255 - MEAN) / STD
ytr = idx(D + "train-labels-idx1-ubyte.gz")[:20000].astype(np.int64)
xte = (idx(D + "t10k-images-idx3-ubyte.gz").astype(np.float32) / 255 - MEAN) / STD
yte = idx(D + "t10k-labels-idx1-ubyte.gz").astype(np.int64)

class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False); self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False); self.bn2 = nn.BatchNorm2d(c)
    def forward(self, x):
        return F.relu(x + self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))))

class FashionCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.block1 = Block(16)
        self.down = nn.Sequential(nn.Conv2d(16, 32, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU())
        self.block2 = Block(32)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(32 * 7 * 7, 10)
    def forward(self, x):
        x = self.pool(self.block2(self.down(self.block1(self.stem(x)))))
        return self.fc(torch.flatten(x, 1))

model = FashionCNN()
opt = torch.optim.Adam(model.parameters(), 2e-3)
X, Y = torch.from_numpy(xtr).unsqueeze(1), torch.from_numpy(ytr)
for epoch in range(2):
    perm = torch.randperm(len(X))
    model.train()
    for i in range(0, len(X), 128):
        b = perm[i:i + 128]
        loss = F.cross_entropy(model(X[b]), Y[b])
        opt.zero_grad(); loss.backward(); opt.step()
model.eval()
with torch.no_grad():
    pred = model(torch.from_numpy(xte).unsqueeze(1)).argmax(1).numpy()
print("test accuracy", (pred == yte).mean())
dummy = torch.zeros(1, 1, 28, 28)
torch.onnx.export(model, dummy, "examples/fashion_cnn.onnx", opset_version=13, input_names=["image"],
                  output_names=["logits"], dynamic_axes={"image": {0: "N"}, "logits": {0: "N"}})
np.save("examples/fashion_samples.npy", xte[:8].reshape(8, 1, 28, 28))
np.save("examples/fashion_labels.npy", yte[:8])
with torch.no_grad():
    np.save("examples/fashion_logits_torch.npy", model(torch.from_numpy(xte[:8]).unsqueeze(1)).numpy())
