"""examples/text/gpt.dl in PyTorch 1.13, for side-by-side training speed.

Usage: torch_gpt.py --data TEXT [--steps N] [--warmup W] [--threads T] [--seed S] [--eval-every K]

nanoGPT's baby GPT as the model file writes it: byte tokens (vocabulary
256), context 64, 4 pre-norm blocks of 4 heads, width 128, a 4x gelu MLP,
learned token and position embeddings, final layernorm, a linear head,
cross-entropy at every position, no dropout; AdamW (lr 1e-3, betas
0.9/0.99, weight decay 0.1 on matrices only), batch 32 of windows at
random offsets of the first 90% of the text, the last 10% held out as
dlc holds it out. Attention is written out (PyTorch 1.13 has no fused
scaled_dot_product_attention). It takes W untimed steps, times N, and
prints one JSON object with tokens_per_sec and the losses; with
--eval-every K, also the validation loss every K steps and after the
last (the evaluations are not timed).
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

T, C, H, L, V, B = 64, 128, 4, 4, 256, 32


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(C), nn.LayerNorm(C)
        self.qkv, self.proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
        self.fc, self.out = nn.Linear(C, 4 * C), nn.Linear(4 * C, C)
        self.register_buffer("mask", torch.tril(torch.ones(T, T, dtype=torch.bool)))

    def attn(self, x):
        b, t, _ = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q, k, v = (z.view(b, t, H, C // H).transpose(1, 2) for z in (q, k, v))
        s = (q @ k.transpose(-2, -1)) / math.sqrt(C // H)
        s = s.masked_fill(~self.mask[:t, :t], float("-inf"))
        y = F.softmax(s, dim=-1) @ v
        return self.proj(y.transpose(1, 2).reshape(b, t, C))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.out(F.gelu(self.fc(self.ln2(x))))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok, self.pos = nn.Embedding(V, C), nn.Embedding(T, C)
        self.blocks = nn.Sequential(*[Block() for _ in range(L)])
        self.ln, self.head = nn.LayerNorm(C), nn.Linear(C, V)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0, 0.02)
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def forward(self, idx, targets):
        x = self.tok(idx) + self.pos(torch.arange(idx.shape[1]))
        logits = self.head(self.ln(self.blocks(x)))
        return F.cross_entropy(logits.view(-1, V), targets.view(-1))


def adamw(model):
    """The model file's AdamW: decay on the weight matrices only (the
    model file's exclude = "bias norm embedding")."""
    def decays(name, p):
        return p.dim() == 2 and not name.startswith(("tok.", "pos."))
    named = list(model.named_parameters())
    groups = [{"params": [p for n, p in named if decays(n, p)], "weight_decay": 0.1},
              {"params": [p for n, p in named if not decays(n, p)], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=1e-3, betas=(0.9, 0.99), eps=1e-8)


def split(text, frac=0.1):
    """dlc's split of a text (runtime.TailSplit): validation is the last
    frac of it as whole non-overlapping windows; training windows start
    early enough that their labels end before it."""
    n = len(text)
    start = n - int(math.floor(frac * n + 0.5))
    val = list(range(start, n - T, T))
    return start - T, val  # training windows start in [0, start - T - 1]


def windows(text, starts):
    x = torch.stack([text[i:i + T] for i in starts])
    y = torch.stack([text[i + 1:i + T + 1] for i in starts])
    return x, y


@torch.no_grad()
def val_loss(model, text, starts):
    """Mean nats per token over the validation windows, as dlc's val_loss."""
    total = 0.0
    for k in range(0, len(starts), B):
        x, y = windows(text, starts[k:k + B])
        total += model(x, y).item() * len(x) * T
    return total / (len(starts) * T)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--eval-every", type=int, default=0,
                    help="evaluate every K steps and report the validation curve (0: time training alone)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    text = torch.frombuffer(bytearray(open(a.data, "rb").read()), dtype=torch.uint8).long()
    train_end, val = split(text)
    model = GPT()
    opt = adamw(model)

    def step():
        x, y = windows(text, torch.randint(train_end, (B,)).tolist())
        loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(a.warmup):
        step()
    losses, curve, secs = [], [], 0.0
    start = time.perf_counter()
    for i in range(1, a.steps + 1):
        losses.append(step())
        if a.eval_every and (i % a.eval_every == 0 or i == a.steps):
            secs += time.perf_counter() - start
            curve.append([i, val_loss(model, text, val)])
            start = time.perf_counter()
    secs += time.perf_counter() - start
    print(json.dumps({"threads": a.threads, "steps": a.steps, "train_seconds": secs,
                      "train_samples_per_sec": a.steps * B / secs, "tokens_per_sec": a.steps * B * T / secs,
                      "first_loss": losses[0], "last_loss": losses[-1], "val_curve": curve}))


if __name__ == "__main__":
    main()
