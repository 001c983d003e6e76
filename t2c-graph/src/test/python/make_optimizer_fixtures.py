"""Golden trajectories of torch.optim for OptimizerTest (run once with Debian torch; outputs are committed).

For each optimizer configuration: a parameter vector p0 (float32, 7 values), a fixed sequence of 5 gradient vectors
(g_t), and the parameters after each of the 5 steps as torch computes them. Learning rates change per step to
exercise schedule-driven updates. Saved as one text file per configuration (float32 values printed exactly with 9
significant digits), lines: p0; lrs; then 5 × (grad, expected params after the step).
"""
import numpy as np
import torch

OUT = "../resources/io/t2c/autograd/"
rng = np.random.default_rng(7)
p0 = rng.standard_normal(7).astype(np.float32)
grads = rng.standard_normal((5, 7)).astype(np.float32)
lrs = np.array([0.1, 0.08, 0.05, 0.05, 0.02], dtype=np.float32)

configs = {
    "sgd_plain": lambda p: torch.optim.SGD([p], lr=0.1),
    "sgd_momentum_wd": lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=5e-4),
    "sgd_nesterov": lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "adam": lambda p: torch.optim.Adam([p], lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2),
    "adamw": lambda p: torch.optim.AdamW([p], lr=0.1, betas=(0.85, 0.99), eps=1e-6, weight_decay=0.05),
}
for name, make in configs.items():
    p = torch.nn.Parameter(torch.from_numpy(p0.copy()))
    opt = make(p)
    expected = []
    for t in range(5):
        for group in opt.param_groups:
            group["lr"] = float(lrs[t])
        p.grad = torch.from_numpy(grads[t].copy())
        opt.step()
        expected.append(p.detach().numpy().copy())
    fmt = lambda v: " ".join("%.9g" % x for x in v)
    with open(OUT + name + ".txt", "w") as f:
        f.write(fmt(p0) + "\n" + fmt(lrs) + "\n")
        for t in range(5):
            f.write(fmt(grads[t]) + "\n" + fmt(expected[t]) + "\n")
print("wrote", list(configs))
