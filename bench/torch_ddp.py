"""The PyTorch side of `make bench-mpi`: DistributedDataParallel on gloo.

Usage: torch_ddp.py --model NAME --data MNIST_DIR [--ranks N] [--steps N] [--warmup W]

Trains the model of torch_bench.py (same layers, initialisation, optimizer)
in N processes of one thread each on this machine, joined over loopback
by the gloo backend, each on its 1/N of the model file's global batch, as
`mpirun -np N` runs a `dlc build -mpi` trainer. Rank 0 times the steps
after W warm-up steps and prints one JSON object: the global training
samples per second.
"""
import argparse
import json
import os
import socket
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel

from torch_bench import IMAGE_MODELS, RECIPES, build, he_init, load_mnist, timed_training


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker(rank, args, port):
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)  # the same initial weights on every rank
    dist.init_process_group("gloo", init_method="tcp://127.0.0.1:%d" % port, rank=rank, world_size=args.ranks)
    batch, optimizer, lr = RECIPES[args.model]
    shape = (1, 28, 28) if args.model in IMAGE_MODELS else (784,)
    x, y, _, _ = load_mnist(args.data, shape)
    model = build(args.model)
    he_init(model)
    model = DistributedDataParallel(model)
    opt = (torch.optim.Adam if optimizer == "adam" else torch.optim.SGD)(model.parameters(), lr=lr)
    torch.manual_seed(args.seed + 1 + rank)  # each rank its own shuffle of its shard
    shard = torch.arange(rank, len(x) * 9 // 10, args.ranks)
    seconds, _ = timed_training(model, opt, x, y, shard, batch // args.ranks, args.warmup, args.steps)
    if rank == 0:
        print(json.dumps({"samples_per_sec": args.steps * batch / seconds, "ranks": args.ranks}))
    dist.destroy_process_group()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, choices=sorted(RECIPES))
    ap.add_argument("--data", required=True)
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if RECIPES[args.model][0] % args.ranks:
        raise SystemExit("torch_ddp.py: %d ranks do not divide the batch of %d" % (args.ranks, RECIPES[args.model][0]))
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    mp.spawn(worker, args=(args, free_port()), nprocs=args.ranks)


if __name__ == "__main__":
    main()
