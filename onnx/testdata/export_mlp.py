"""Exports small PyTorch models to ONNX with random weights, with an input
and PyTorch's output for it, for dlc's import tests.

usage: export_mlp.py OUT_DIR OPSET
writes OUT_DIR/NAME.onnx and OUT_DIR/NAME.json ({"input": [...], "shape": [...],
"output": [...]}) for each model, and the same input and output as
OUT_DIR/NAME.x.npy and OUT_DIR/NAME.y.npy (float32).

mlp.onnx and cnn.onnx in this folder, with their .x.npy and .y.npy, are its
output at opset 17 (with PyTorch 1.13), kept so that the golden packages
and the predictor tests need no PyTorch.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn


def models():
    torch.manual_seed(0)
    yield "mlp", nn.Sequential(
        nn.Flatten(),
        nn.Linear(12, 16), nn.ReLU(),
        nn.Linear(16, 16), nn.Tanh(),
        nn.Linear(16, 8), nn.Sigmoid(),
        nn.Linear(8, 5), nn.Softmax(dim=-1),
    ), (4, 3, 4)


class Residual(nn.Module):
    """x + Linear(relu(Linear(x))): an Add of two computed tensors."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(6, 6)
        self.b = nn.Linear(6, 6)

    def forward(self, x):
        return x + self.b(torch.relu(self.a(x)))


class CNN(nn.Module):
    """Conv with padding and strides, batch norm (folded into its conv by
    the exporter, and after a pool, where it stays), max and average
    pooling, a residual block with a strided 1x1 projection, global average
    pooling, Flatten and a Linear head."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(2, 4, 3, padding=1)
        self.b1 = nn.BatchNorm2d(4)
        self.pool = nn.MaxPool2d(2)
        self.b2 = nn.BatchNorm2d(4)
        self.r1 = nn.Conv2d(4, 8, 3, stride=2, padding=1)
        self.rb1 = nn.BatchNorm2d(8)
        self.r2 = nn.Conv2d(8, 8, 3, padding=1)
        self.proj = nn.Conv2d(4, 8, 1, stride=2)
        self.avg = nn.AvgPool2d(2)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 3)
        for bn in (self.b1, self.b2, self.rb1):
            # Running statistics other than the initial 0 and 1, so that
            # the test sees them used.
            nn.init.uniform_(bn.weight, 0.5, 1.5)
            nn.init.uniform_(bn.bias, -0.5, 0.5)
            nn.init.uniform_(bn.running_mean, -0.5, 0.5)
            nn.init.uniform_(bn.running_var, 0.5, 1.5)

    def forward(self, x):
        h = self.b2(self.pool(torch.relu(self.b1(self.c1(x)))))
        r = self.r2(torch.relu(self.rb1(self.r1(h))))
        h = self.avg(torch.relu(r + self.proj(h)))
        return self.fc(self.gap(h).flatten(1))


def more():
    torch.manual_seed(1)
    yield "residual", Residual(), (3, 6)
    torch.manual_seed(2)
    yield "cnn", CNN(), (2, 2, 16, 16)


def main():
    out, opset = sys.argv[1], int(sys.argv[2])
    for name, model, shape in list(models()) + list(more()):
        model.eval()
        x = torch.randn(*shape)
        with torch.no_grad():
            y = model(x)
        path = os.path.join(out, name)
        torch.onnx.export(model, (x,), path + ".onnx", opset_version=opset,
                          input_names=["x"], output_names=["y"])
        with open(path + ".json", "w") as f:
            json.dump({"shape": list(shape), "input": x.flatten().tolist(),
                       "output": y.flatten().tolist()}, f)
        np.save(path + ".x.npy", x.numpy().astype(np.float32))
        np.save(path + ".y.npy", y.numpy().astype(np.float32))


if __name__ == "__main__":
    main()
