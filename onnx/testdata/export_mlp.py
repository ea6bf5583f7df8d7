"""Exports small PyTorch models to ONNX with random weights, with an input
and PyTorch's output for it, for dlc's import tests.

usage: export_mlp.py OUT_DIR OPSET
writes OUT_DIR/NAME.onnx and OUT_DIR/NAME.json ({"input": [...], "shape": [...],
"output": [...]}) for each model, and the same input and output as
OUT_DIR/NAME.x.npy and OUT_DIR/NAME.y.npy (float32).
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


def more():
    torch.manual_seed(1)
    yield "residual", Residual(), (3, 6)


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
