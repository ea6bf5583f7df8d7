"""The PyTorch side of `make bench`: one benchmark model, one thread setting.

Usage: torch_bench.py --model NAME --data MNIST_DIR [--threads N] [--steps N]
                      [--warmup W] [--infer 128:2560,1:500] [--seed S]
       torch_bench.py --model NAME --data MNIST_DIR --epochs N

Builds the same model as examples/mnist/NAME.dl (same layers, He-normal
weights and zero biases, the same optimizer and batch size), loads MNIST
into float32 tensors up front (no DataLoader), holds out 10% for
validation, and trains on shuffled batches gathered from the pre-loaded
tensor, as dlc's trainer does. It takes W untimed warm-up steps, times the
next N, then times eval-mode inference on the test set (for each
BATCH:SAMPLES of --infer, SAMPLES predictions in batches of BATCH), and
prints one JSON object. Thread count: torch.set_num_threads.

With --epochs it instead trains N whole epochs (every full batch once per
epoch) and prints the test accuracy after each.
"""
import argparse
import gzip
import json
import os
import struct
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# name -> (batch, optimizer, learning rate); mirrors each model file's train section.
RECIPES = {
    "mlp": (128, "adam", 1e-3),
    "mlp_small": (32, "sgd", 0.1),
    "resmlp": (128, "adam", 1e-3),
    "lenet": (128, "adam", 1e-3),
    "vgg": (128, "adam", 1e-3),
    "resnet": (128, "adam", 1e-3),
}

# Models whose input is the 28×28 image rather than its 784 pixels.
IMAGE_MODELS = ("lenet", "vgg", "resnet")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = struct.unpack(">%dI" % ndim, raw[4:4 + 4 * ndim])
    data = torch.frombuffer(bytearray(raw[4 + 4 * ndim:]), dtype=torch.uint8)
    return data.reshape(dims)


def load_mnist(folder, image_shape):
    def images(name):
        x = read_idx(os.path.join(folder, name)).to(torch.float32).div_(255)
        return x.reshape((x.shape[0],) + image_shape)

    def labels(name):
        return read_idx(os.path.join(folder, name)).to(torch.int64)

    return (images("train-images-idx3-ubyte.gz"), labels("train-labels-idx1-ubyte.gz"),
            images("t10k-images-idx3-ubyte.gz"), labels("t10k-labels-idx1-ubyte.gz"))


class Residual(nn.Module):
    """x + dense(dropout(relu(batchnorm(dense(x))))), as resmlp.dl's block."""

    def __init__(self, width):
        super().__init__()
        self.inner = nn.Sequential(nn.Linear(width, width), nn.BatchNorm1d(width, eps=1e-5, momentum=0.1),
                                   nn.ReLU(), nn.Dropout(0.1), nn.Linear(width, width))

    def forward(self, x):
        return x + self.inner(x)


def conv_bn(cin, cout, stride=1):
    """conv2d(x, cout, 3, stride, padding = 1) |> batchnorm, bias kept as the .dl files write it."""
    return [nn.Conv2d(cin, cout, 3, stride=stride, padding=1), nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)]


class Basic(nn.Module):
    """resnet.dl's block: relu(x + bn(conv(relu(bn(conv(x)))))), the skip
    projected by a bias-free 1×1 convolution when the shapes differ."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.inner = nn.Sequential(*conv_bn(cin, cout, stride), nn.ReLU(), *conv_bn(cout, cout))
        self.proj = nn.Conv2d(cin, cout, 1, stride=stride, bias=False) if (cin, stride) != (cout, 1) else None

    def forward(self, x):
        skip = x if self.proj is None else self.proj(x)
        return F.relu(skip + self.inner(x))


def build(name):
    if name == "mlp":
        return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    if name == "mlp_small":
        return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    if name == "resmlp":
        return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), *[Residual(256) for _ in range(4)], nn.Linear(256, 10))
    if name == "lenet":
        return nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    if name == "vgg":
        return nn.Sequential(
            *conv_bn(1, 32), nn.ReLU(), *conv_bn(32, 32), nn.ReLU(), nn.MaxPool2d(2),
            *conv_bn(32, 64), nn.ReLU(), *conv_bn(64, 64), nn.ReLU(), nn.MaxPool2d(2),
            *conv_bn(64, 128), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10))
    if name == "resnet":
        return nn.Sequential(
            *conv_bn(1, 32), nn.ReLU(), Basic(32, 32, 1), Basic(32, 64, 2), Basic(64, 128, 2),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10))
    raise SystemExit("torch_bench.py: unknown model %r (one of %s)" % (name, ", ".join(RECIPES)))


def he_init(model):
    # dlc's default for dense and conv2d: he_normal weights (std sqrt(2/fan_in)), zero biases.
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def timed_training(model, opt, x, y, train_idx, batch, warmup, steps):
    """Takes warmup then steps training steps over shuffled full batches; times the latter."""
    model.train()
    per_epoch = len(train_idx) // batch
    order, pos = None, per_epoch
    last = 0.0
    start = 0.0
    for i in range(warmup + steps):
        if i == warmup:
            start = time.perf_counter()
        if pos == per_epoch:
            order, pos = train_idx[torch.randperm(len(train_idx))], 0
        idx = order[pos * batch:(pos + 1) * batch]
        pos += 1
        xb, yb = x[idx], y[idx]
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        last = loss.item()  # dlc's loop reads every step's loss too
    return time.perf_counter() - start, last


def timed_inference(model, x, batch, samples):
    """Predicts full batches of the test set (one untimed first), samples in all."""
    model.eval()
    full = len(x) // batch * batch
    done, pos = 0, 0
    with torch.inference_mode():
        model(x[:batch])
        start = time.perf_counter()
        while done < samples:
            if pos + batch > full:
                pos = 0
            model(x[pos:pos + batch])
            pos += batch
            done += batch
        return done, time.perf_counter() - start


def test_accuracy(model, x, y):
    model.eval()
    with torch.inference_mode():
        correct = sum(int((model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum()) for i in range(0, len(x), 1000))
    return correct / len(x)


def train_epochs(model, opt, x, y, train_idx, batch, test_x, test_y, epochs):
    """Trains whole epochs; returns the test accuracy after each."""
    per_epoch = len(train_idx) // batch
    accuracies = []
    for _ in range(epochs):
        timed_training(model, opt, x, y, train_idx, batch, 0, per_epoch)
        accuracies.append(test_accuracy(model, test_x, test_y))
    return accuracies


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--infer", default="", help="BATCH:SAMPLES,... predictions to time (default: none)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=0, help="train N epochs and report test accuracy instead")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    batch, optimizer, lr = RECIPES.get(args.model, (None, None, None))
    model = build(args.model)
    he_init(model)
    image_shape = (1, 28, 28) if args.model in IMAGE_MODELS else (784,)
    x, y, test_x, test_y = load_mnist(args.data, image_shape)
    # Hold out 10% for validation, as the model files' `split 0.1`.
    perm = torch.randperm(len(x))
    train_idx = perm[len(x) // 10:]
    opt = torch.optim.Adam(model.parameters(), lr=lr) if optimizer == "adam" else torch.optim.SGD(model.parameters(), lr=lr)

    if args.epochs > 0:
        acc = train_epochs(model, opt, x, y, train_idx, batch, test_x, test_y, args.epochs)
        print(json.dumps({"model": args.model, "epochs": args.epochs, "test_acc": acc, "torch": torch.__version__}))
        return

    secs, last = timed_training(model, opt, x, y, train_idx, batch, args.warmup, args.steps)
    result = {
        "model": args.model, "batch": batch, "threads": torch.get_num_threads(),
        "warmup_steps": args.warmup, "steps": args.steps, "train_seconds": secs,
        "train_samples_per_sec": args.steps * batch / secs if secs > 0 else 0, "last_loss": last,
        "torch": torch.__version__, "infer": {},
    }
    for item in filter(None, args.infer.split(",")):
        b, samples = (int(v) for v in item.split(":"))
        n, s = timed_inference(model, test_x, b, samples)
        result["infer"][str(b)] = {"samples": n, "seconds": s, "samples_per_sec": n / s if s > 0 else 0}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
