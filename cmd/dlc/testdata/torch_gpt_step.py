"""One AdamW step of examples/text/gpt.dl in PyTorch, for the parity test.

Usage: torch_gpt_step.py WEIGHTS.safetensors IDS.npy LABELS.npy OUT.safetensors

The model is bench/torch_gpt.py's GPT and its AdamW parameter groups, so
the test also checks that the benchmark trains the same model as dlc. It
runs in float64: the reference then carries no rounding of its own, and
what the test measures is dlc's float32 error alone.

The weights, AdamW's moments and the step count come from dlc's names and
layouts; the script writes what dlc's `step` subcommand writes: "loss",
"<param>.grad", the updated "<param>" and its "<param>.adam_m" and
"<param>.adam_v". dlc stores a dense layer's weight as [in, out],
torch.nn.Linear's is [out, in]: weights, their gradients and moments are
transposed on the way in and out. The fused projection "qkv.w" [C, 3C]
holds the queries, keys and values in that order, head h in columns
h*D ... (h+1)*D - 1 of each, which is the column order of nanoGPT's
c_attn split into three and viewed as heads.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "bench"))
from torch_gpt import GPT, L, adamw  # noqa: E402
from torch_mlp_step import read_npy, read_safetensors, write_safetensors  # noqa: E402


def dlc_names(model):
    """dlc's parameter name -> (torch parameter, transposed?)."""
    names = {"h.tok": (model.tok.weight, False), "h.pos": (model.pos.weight, False)}

    def linear(prefix, lin):
        names[prefix + ".w"] = (lin.weight, True)
        names[prefix + ".b"] = (lin.bias, False)

    def norm(prefix, ln):
        names[prefix + ".gamma"] = (ln.weight, False)
        names[prefix + ".beta"] = (ln.bias, False)

    for i in range(L):
        b = model.blocks[i]
        norm("h.%d.a.layernorm" % i, b.ln1)
        linear("h.%d.a.attention.qkv" % i, b.qkv)
        linear("h.%d.a.attention.proj" % i, b.proj)
        norm("h.%d.out.layernorm" % i, b.ln2)
        linear("h.%d.out.dense" % i, b.fc)
        linear("h.%d.out.dense2" % i, b.out)
    norm("logits.layernorm", model.ln)
    linear("logits.dense", model.head)
    return names


def main():
    weights_path, ids_path, labels_path, out_path = sys.argv[1:]
    w, meta = read_safetensors(weights_path)
    step = int(meta.get("step", "0"))
    model = GPT().double()
    params = dlc_names(model)
    if len(params) != len(list(model.parameters())):
        sys.exit("the name table misses some of the model's parameters")
    fix = {True: lambda t: t.T, False: lambda t: t}
    with torch.no_grad():
        for name, (p, tr) in params.items():
            p.copy_(fix[tr](w[name]))
    opt = adamw(model)
    for name, (p, tr) in params.items():
        m, v = w.get(name + ".adam_m"), w.get(name + ".adam_v")
        if m is None:
            m, v = torch.zeros_like(w[name]), torch.zeros_like(w[name])
        opt.state[p] = {"step": torch.tensor(float(step)),
                        "exp_avg": fix[tr](m).double().contiguous().clone(),
                        "exp_avg_sq": fix[tr](v).double().contiguous().clone()}

    ids = read_npy(ids_path).to(torch.int64)
    labels = read_npy(labels_path).to(torch.int64)
    opt.zero_grad()
    loss = model(ids, labels)
    loss.backward()
    grads = {name: fix[tr](p.grad).clone() for name, (p, tr) in params.items()}
    opt.step()

    out = {"loss": loss.reshape([])}
    for name in params:
        out[name + ".grad"] = grads[name]
    for name, (p, tr) in params.items():
        s = opt.state[p]
        out[name] = fix[tr](p.data)
        out[name + ".adam_m"] = fix[tr](s["exp_avg"])
        out[name + ".adam_v"] = fix[tr](s["exp_avg_sq"])
    write_safetensors(out_path, out)


if __name__ == "__main__":
    main()
