#!/usr/bin/python3
"""
PyTorch eager side of bench/inference/bench.ts: the demo UNet with the weights train.py saved
(models/demo/train/demo_unet.pt, the last argument), on the CPU with a fixed thread count.

    /usr/bin/python3 bench/inference/torch_worker.py PATCHES.f32 N D H W THREADS OUT0.f32 WEIGHTS.pt

Reads N float32 patches [N, 1, D, H, W] (little-endian) and then serves stdin lines: "i" runs the
forward pass of patch i (batch 1, torch.no_grad, eval mode) and answers with the wall time in ms;
"q" quits. Before serving, writes the logits of patch 0 to OUT0.f32 (for an agreement check)
and prints "ready".
"""
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "models", "demo", "train"))
from unet import UNet3D  # noqa: E402


def main():
    path, n, d, h, w, threads, out0, weights = sys.argv[1], *map(int, sys.argv[2:7]), sys.argv[7], sys.argv[8]
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    model = UNet3D(8)
    model.load_state_dict(torch.load(weights, map_location="cpu"))
    model.eval()
    patches = torch.from_numpy(np.fromfile(path, dtype="<f4").reshape(n, 1, d, h, w))
    with torch.no_grad():
        model(patches[0:1]).numpy().astype("<f4").tofile(out0)
    print("ready torch %s threads %d" % (torch.__version__, torch.get_num_threads()), flush=True)
    for line in sys.stdin:
        line = line.strip()
        if line == "q":
            break
        i = int(line)
        x = patches[i:i + 1]
        with torch.no_grad():
            t = time.perf_counter()
            model(x)
            ms = (time.perf_counter() - t) * 1000
        print("%.3f" % ms, flush=True)


if __name__ == "__main__":
    main()
