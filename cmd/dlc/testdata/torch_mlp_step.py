"""One training step of examples/mnist/mlp.dl in PyTorch, for the parity test.

Usage: torch_mlp_step.py WEIGHTS.safetensors X.npy Y.npy OUT.safetensors

Builds the same MLP (784-512-512-10, ReLU, cross-entropy) from dlc's
weights, restores Adam's state (moments and step count) from the same file,
takes one forward/backward/Adam step on the batch and writes what dlc's
`step` subcommand writes: "loss", "<param>.grad", the updated "<param>"
and its "<param>.adam_m" and "<param>.adam_v", in dlc's layout.

PyTorch 1.13 reads no safetensors and NumPy is not needed: both formats are
read and written here with json, struct and torch.frombuffer alone.
dlc stores a dense layer's weight as [in, out]; torch.nn.Linear's is
[out, in], so weights, their gradients and their Adam moments are
transposed on the way in and out.
"""
import ast
import json
import struct
import sys

import torch

DTYPES = {"F32": (torch.float32, 4), "F64": (torch.float64, 8)}
LAYERS = [("h1", 784, 512), ("h2", 512, 512), ("logits", 512, 10)]
LR, BETAS, EPS = 1e-3, (0.9, 0.999), 1e-8  # mlp.dl: adam(lr = 1e-3)


def read_safetensors(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = bytearray(raw[8 + n:])
    tensors = {}
    for name, e in header.items():
        dtype, size = DTYPES[e["dtype"]]
        begin, end = e["data_offsets"]
        t = torch.frombuffer(data, dtype=dtype, count=(end - begin) // size, offset=begin)
        tensors[name] = t.reshape(e["shape"]).clone()
    return tensors, meta


def write_safetensors(path, tensors):
    header, chunks, offset = {}, [], 0
    for name, t in tensors.items():
        values = t.detach().to(torch.float32).flatten().tolist()
        b = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        chunks.append(b)
        offset += len(b)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def read_npy(path):
    raw = open(path, "rb").read()
    assert raw[:6] == b"\x93NUMPY", path
    major = raw[6]
    if major == 1:
        (n,) = struct.unpack("<H", raw[8:10])
        start = 10
    else:
        (n,) = struct.unpack("<I", raw[8:12])
        start = 12
    header = ast.literal_eval(raw[start:start + n].decode("latin1"))
    assert not header["fortran_order"], path
    dtype = {"<f4": torch.float32, "<f8": torch.float64, "<i8": torch.int64, "|u1": torch.uint8}[header["descr"]]
    t = torch.frombuffer(bytearray(raw[start + n:]), dtype=dtype)
    return t.reshape(header["shape"])


def main():
    weights_path, x_path, y_path, out_path = sys.argv[1:]
    w, meta = read_safetensors(weights_path)
    step = int(meta.get("step", "0"))

    layers = []
    for name, n_in, n_out in LAYERS:
        lin = torch.nn.Linear(n_in, n_out)
        with torch.no_grad():
            lin.weight.copy_(w[name + ".w"].T)
            lin.bias.copy_(w[name + ".b"])
        layers.append((name, lin))
    model = torch.nn.Sequential(layers[0][1], torch.nn.ReLU(), layers[1][1], torch.nn.ReLU(), layers[2][1])

    opt = torch.optim.Adam(model.parameters(), lr=LR, betas=BETAS, eps=EPS)
    params = {}  # dlc name -> (torch parameter, transposed?)
    for name, lin in layers:
        params[name + ".w"] = (lin.weight, True)
        params[name + ".b"] = (lin.bias, False)
    for pname, (p, tr) in params.items():
        m, v = w.get(pname + ".adam_m"), w.get(pname + ".adam_v")
        if m is None:
            m, v = torch.zeros_like(w[pname]), torch.zeros_like(w[pname])
        if tr:
            m, v = m.T, v.T
        opt.state[p] = {"step": torch.tensor(float(step)), "exp_avg": m.contiguous().clone(),
                        "exp_avg_sq": v.contiguous().clone()}

    x = read_npy(x_path).to(torch.float32).reshape(-1, 784)
    y = read_npy(y_path).to(torch.int64).reshape(-1)
    opt.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    grads = {pname: (p.grad.T if tr else p.grad).clone() for pname, (p, tr) in params.items()}
    opt.step()

    out = {"loss": loss.reshape([])}
    for pname, (p, tr) in params.items():
        out[pname + ".grad"] = grads[pname]
    for pname, (p, tr) in params.items():
        s = opt.state[p]
        fix = (lambda t: t.T) if tr else (lambda t: t)
        out[pname] = fix(p.data)
        out[pname + ".adam_m"] = fix(s["exp_avg"])
        out[pname + ".adam_v"] = fix(s["exp_avg_sq"])
    write_safetensors(out_path, out)


if __name__ == "__main__":
    main()
