"""Training throughput of ResNet-20 (1-channel 28x28 Fashion-MNIST input, option-B shortcuts, 10 classes) in PyTorch
on this machine, for the ratio against t2c's TrainBench. Same recipe as TrainBench: SGD (lr 0.1, momentum 0.9,
weight decay 5e-4), batch 128, cross-entropy, random data of the right shape (throughput does not depend on the pixel
values), 3 warm-up steps, then the median of 10 timed steps. Threads: torch.set_num_threads(N) with N from argv
(default 2). Not a dependency of the project: run it by hand with Debian's torch (/usr/bin/python3).
"""
import sys
import time

import torch
import torch.nn as nn
from torchvision.models.resnet import BasicBlock, conv1x1


class ResNet20(nn.Module):
    def __init__(self, in_ch=1, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        inplanes = 16
        for s, planes in enumerate((16, 32, 64)):
            blocks = []
            for i in range(3):
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


threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
torch.set_num_threads(threads)
torch.manual_seed(0)
model = ResNet20().train()
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
x = torch.randn(128, 1, 28, 28)
y = torch.randint(0, 10, (128,))
times = []
for step in range(13):
    t0 = time.perf_counter()
    loss = nn.functional.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step >= 3:
        times.append(time.perf_counter() - t0)
times.sort()
ms = times[len(times) // 2] * 1000
print("torch %s, %d threads: %.1f ms per step of 128 images, %.0f images/s" % (torch.__version__, threads, ms, 128 / ms * 1000))
