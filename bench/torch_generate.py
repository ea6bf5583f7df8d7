"""Generation from examples/text/gpt.dl's model in PyTorch 1.13, as nanoGPT does it.

Usage: torch_generate.py [--tokens N] [--threads T] [--seed S]

The baby GPT of torch_gpt.py, with its initial weights (speed does not
depend on them), generates N tokens at batch 1 from a one-byte prompt the
way nanoGPT's generate does: every token runs the model over the whole
context again (cropped to the last 64 tokens), with no key/value cache,
then draws from the top 40 logits at temperature 1. After 10 untimed
tokens it prints one JSON object with tokens_per_sec.
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F

from torch_gpt import GPT, T


@torch.no_grad()
def generate(model, idx, n):
    for _ in range(n):
        x = idx[:, -T:]
        h = model.tok(x) + model.pos(torch.arange(x.shape[1]))
        logits = model.head(model.ln(model.blocks(h)))[:, -1, :]
        v, _ = torch.topk(logits, 40)
        logits[logits < v[:, [-1]]] = -float("inf")
        idx = torch.cat((idx, torch.multinomial(F.softmax(logits, dim=-1), 1)), dim=1)
    return idx


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokens", type=int, default=500)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    model = GPT().eval()
    idx = torch.tensor([[ord("\n")]])
    generate(model, idx, 10)
    start = time.perf_counter()
    generate(model, idx, a.tokens)
    secs = time.perf_counter() - start
    print(json.dumps({"threads": a.threads, "tokens": a.tokens, "seconds": secs, "tokens_per_sec": a.tokens / secs}))


if __name__ == "__main__":
    main()
