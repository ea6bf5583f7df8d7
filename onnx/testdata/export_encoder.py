"""Exports a small BERT-like encoder to ONNX with random weights, with
inputs and PyTorch's output for them, for dlc's import tests.

usage: export_encoder.py OUT_DIR OPSET [slice] [additive]
writes OUT_DIR/encoder.onnx (input_ids [batch, time] int64 and
attention_mask [batch, time] int64, both axes dynamic; output pooled
[batch, width]) and OUT_DIR/encoder.json ({"shape": [batch, time],
"input_ids": [...], "attention_mask": [...], "output": [...]}), and the
inputs and output as OUT_DIR/encoder.input_ids.npy,
OUT_DIR/encoder.attention_mask.npy and OUT_DIR/encoder.y.npy (float32).

With "slice", the attention cuts queries, keys and values out of their
projection by slicing (ONNX Slice) rather than by split (ONNX Split); with
"additive", it adds (1 - mask) * -10000 to the scores, as Hugging Face's
BERT does, rather than filling them with -inf (ONNX Where).

encoder.onnx in this folder, with its .npy files, is its output at opset
17 (with PyTorch 1.13), kept so that the golden package needs no PyTorch.
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn

VOCAB, CONTEXT, WIDTH, HEADS, LAYERS = 50, 16, 32, 4, 2


class SelfAttention(nn.Module):
    """Multi-head self-attention written out as BERT does: one projection
    to queries, keys and values, split, heads by view and transpose,
    scores scaled by 1/sqrt(head width), padded keys masked with -inf."""

    def __init__(self, slicing, additive):
        super().__init__()
        self.slicing, self.additive = slicing, additive
        self.qkv = nn.Linear(WIDTH, 3 * WIDTH)
        self.proj = nn.Linear(WIDTH, WIDTH)

    def forward(self, x, mask):
        b, t, c = x.shape
        d = c // HEADS
        if self.slicing:
            qkv = self.qkv(x)
            q, k, v = qkv[..., :c], qkv[..., c:2 * c], qkv[..., 2 * c:]
        else:
            q, k, v = self.qkv(x).split(c, dim=-1)
        q = q.view(b, t, HEADS, d).transpose(1, 2)
        k = k.view(b, t, HEADS, d).transpose(1, 2)
        v = v.view(b, t, HEADS, d).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(d)
        if self.additive:
            scores = scores + (1.0 - mask[:, None, None, :].float()) * -10000.0
        else:
            scores = scores.masked_fill(mask[:, None, None, :] == 0, float("-inf"))
        y = scores.softmax(dim=-1) @ v
        y = y.transpose(1, 2).reshape(b, t, c)
        return self.proj(y)


class Layer(nn.Module):
    """A post-norm BERT layer: attention and a GELU feed-forward block,
    each added to its input and layer-normalised."""

    def __init__(self, slicing, additive):
        super().__init__()
        self.attn = SelfAttention(slicing, additive)
        self.ln1 = nn.LayerNorm(WIDTH)
        self.ff1 = nn.Linear(WIDTH, 4 * WIDTH)
        self.ff2 = nn.Linear(4 * WIDTH, WIDTH)
        self.ln2 = nn.LayerNorm(WIDTH)

    def forward(self, x, mask):
        x = self.ln1(x + self.attn(x, mask))
        return self.ln2(x + self.ff2(torch.nn.functional.gelu(self.ff1(x))))


class Encoder(nn.Module):
    """Token and position embeddings, layer norm, two layers, mean pooling
    over the positions."""

    def __init__(self, slicing=False, additive=False):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, WIDTH)
        self.pos = nn.Embedding(CONTEXT, WIDTH)
        self.ln = nn.LayerNorm(WIDTH)
        self.layers = nn.ModuleList(Layer(slicing, additive) for _ in range(LAYERS))
        for m in self.modules():
            if isinstance(m, nn.LayerNorm):
                # Not the initial 1 and 0, so that the test sees them used.
                nn.init.uniform_(m.weight, 0.5, 1.5)
                nn.init.uniform_(m.bias, -0.5, 0.5)

    def forward(self, input_ids, attention_mask):
        t = input_ids.shape[1]
        positions = torch.arange(t, device=input_ids.device)
        x = self.ln(self.tok(input_ids) + self.pos(positions))
        for layer in self.layers:
            x = layer(x, attention_mask)
        return x.mean(dim=1)


def main():
    out, opset = sys.argv[1], int(sys.argv[2])
    torch.manual_seed(3)
    model = Encoder(slicing="slice" in sys.argv[3:], additive="additive" in sys.argv[3:]).eval()
    batch, time = 2, 8
    ids = torch.randint(0, VOCAB, (batch, time))
    mask = torch.ones(batch, time, dtype=torch.int64)
    mask[1, 5:] = 0  # the second sequence is padded after 5 tokens
    with torch.no_grad():
        y = model(ids, mask)
    path = os.path.join(out, "encoder")
    torch.onnx.export(model, (ids, mask), path + ".onnx", opset_version=opset,
                      input_names=["input_ids", "attention_mask"], output_names=["pooled"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "time"},
                                    "attention_mask": {0: "batch", 1: "time"}})
    with open(path + ".json", "w") as f:
        json.dump({"shape": [batch, time], "input_ids": ids.flatten().tolist(),
                   "attention_mask": mask.flatten().tolist(),
                   "output": y.flatten().tolist()}, f)
    np.save(path + ".input_ids.npy", ids.numpy().astype(np.float32))
    np.save(path + ".attention_mask.npy", mask.numpy().astype(np.float32))
    np.save(path + ".y.npy", y.numpy().astype(np.float32))


if __name__ == "__main__":
    main()
