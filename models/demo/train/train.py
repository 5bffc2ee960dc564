#!/usr/bin/python3
"""
Train the demo 3D UNet on synthetic phantoms and export it to ONNX with its manifest.

Demonstration only, not for clinical use. Reproduce from the repository root (Debian's Python
with python3-torch 1.13, CPU, 2 threads):

    npx tsx models/demo/train/make-data.ts --out /tmp/demo-data/train --seed demo-train --patients 48
    /usr/bin/python3 models/demo/train/train.py --data /tmp/demo-data/train --out models/demo

Data: make-data.ts writes each patient's 10 respiratory phases (CT in HU, truth GTV) at the demo
cohort's grid (96 x 96 x 48 voxels over 320 x 320 x 192 mm), arrays [phase, z, y, x].
Training: random patches [z, y, x] = PATCH_DHW, 70 % of them centred (with jitter) on a random
truth-GTV voxel, the rest anywhere; random left-right flip; CT clipped to CLIP_HU and scaled to
[0, 1]; loss = BCE + soft Dice (over the batch); Adam; fixed seed; fixed number of steps.
Writes OUT/model.onnx (opset 17, input "ct" [batch, 1, 32, 64, 64], output "logits", dynamic
batch), OUT/manifest.json (with the file's sha256), OUT/train/demo_unet.pt (weights, used by
bench/inference) and OUT/train/train-log.json (loss per step, time, settings).
"""
import argparse
import hashlib
import json
import os
import platform
import random
import time

import numpy as np
import torch

from unet import UNet3D, param_count

SEED = 20261128
CLIP_HU = (-1000.0, 400.0)
PATCH_DHW = (24, 48, 48)          # training patches [z, y, x]
INFER_PATCH_DHW = (32, 64, 64)    # exported / sliding-window patch [z, y, x]
TUMOUR_FRACTION = 0.7
BASE = 8


def load(data_dir):
    meta = json.load(open(os.path.join(data_dir, "meta.json")))
    nx, ny, nz = meta["dims"]
    nph = len(meta["phasePercents"])
    cts, truths = [], []
    for p in range(meta["patients"]):
        tag = "p%03d" % p
        ct = np.fromfile(os.path.join(data_dir, tag + "_ct.i16"), dtype="<i2").reshape(nph, nz, ny, nx)
        tr = np.fromfile(os.path.join(data_dir, tag + "_truth.u8"), dtype=np.uint8).reshape(nph, nz, ny, nx)
        cts.append(ct)
        truths.append(tr)
    return meta, np.stack(cts), np.stack(truths)


def normalise(hu):
    lo, hi = CLIP_HU
    return (np.clip(hu.astype(np.float32), lo, hi) - lo) / (hi - lo)


def sample_batch(rng, cts, truths, fg_index, batch):
    P, F, D, H, W = cts.shape
    pd, ph, pw = PATCH_DHW
    xs = np.zeros((batch, 1, pd, ph, pw), np.float32)
    ys = np.zeros((batch, 1, pd, ph, pw), np.float32)
    for b in range(batch):
        p = rng.randint(P)
        f = rng.randint(F)
        if rng.rand() < TUMOUR_FRACTION and len(fg_index[p][f]) > 0:
            v = fg_index[p][f][rng.randint(len(fg_index[p][f]))]
            c = np.unravel_index(v, (D, H, W))
            start = [int(c[a]) - s // 2 + rng.randint(-s // 3, s // 3 + 1) for a, s in enumerate(PATCH_DHW)]
        else:
            start = [rng.randint(0, n - s + 1) for n, s in zip((D, H, W), PATCH_DHW)]
        start = [min(max(0, st), n - s) for st, n, s in zip(start, (D, H, W), PATCH_DHW)]
        z, y, x = start
        xb = normalise(cts[p, f, z:z + pd, y:y + ph, x:x + pw])
        yb = truths[p, f, z:z + pd, y:y + ph, x:x + pw].astype(np.float32)
        if rng.rand() < 0.5:  # left-right flip (x axis)
            xb, yb = xb[:, :, ::-1], yb[:, :, ::-1]
        xs[b, 0], ys[b, 0] = xb, yb
    return torch.from_numpy(xs), torch.from_numpy(ys)


def loss_fn(logits, target):
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, target)
    prob = torch.sigmoid(logits)
    inter = (prob * target).sum()
    dice = (2 * inter + 1) / (prob.sum() + target.sum() + 1)
    return bce + (1 - dice), float(bce), float(dice)


def sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", default="models/demo")
    ap.add_argument("--steps", type=int, default=1200)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    rng = np.random.RandomState(SEED)

    t0 = time.time()
    meta, cts, truths = load(args.data)
    fg_index = [[np.flatnonzero(truths[p, f]) for f in range(truths.shape[1])] for p in range(truths.shape[0])]
    print("data", cts.shape, "loaded in %.1fs" % (time.time() - t0), flush=True)

    model = UNet3D(BASE)
    with torch.no_grad():  # start from the foreground prior (~2 %), not p = 0.5 everywhere
        model.head.bias.fill_(-4.0)
    n_params = param_count(model)
    print("params", n_params, flush=True)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.steps, pct_start=0.05)
    log = []
    t_train = time.time()
    model.train()
    for step in range(args.steps):
        x, y = sample_batch(rng, cts, truths, fg_index, args.batch)
        logits = model(x)
        loss, bce, dice = loss_fn(logits, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        log.append({"step": step + 1, "loss": round(float(loss), 5), "bce": round(bce, 5), "softDice": round(dice, 5)})
        if (step + 1) % 10 == 0:
            recent = log[-10:]
            print("step %d loss %.4f bce %.4f softDice %.3f  %.0fs" % (
                step + 1, np.mean([r["loss"] for r in recent]), np.mean([r["bce"] for r in recent]),
                np.mean([r["softDice"] for r in recent]), time.time() - t_train), flush=True)
    train_s = time.time() - t_train

    model.eval()
    os.makedirs(os.path.join(args.out, "train"), exist_ok=True)
    torch.save(model.state_dict(), os.path.join(args.out, "train", "demo_unet.pt"))
    onnx_path = os.path.join(args.out, "model.onnx")
    torch.onnx.export(
        model, torch.zeros((1, 1) + INFER_PATCH_DHW), onnx_path,
        input_names=["ct"], output_names=["logits"],
        dynamic_axes={"ct": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17,
    )
    spacing = meta["spacingMm"]
    notes = (
        "Demonstration only, not for clinical use. 3D UNet (%d parameters) trained on synthetic phantoms "
        "only: %d patients x %d phases of cohort seed '%s' (lib/core/phantom) at %s voxels, %s mm; "
        "%d steps of batch %d patches [x,y,z]=[%d,%d,%d], Adam, BCE+Dice, seed %d. "
        "Held-out results: see MODEL_CARD.md." % (
            n_params, meta["patients"], len(meta["phasePercents"]), meta["seed"],
            "x".join(map(str, meta["dims"])), "x".join("%.4f" % s for s in spacing),
            args.steps, args.batch, PATCH_DHW[2], PATCH_DHW[1], PATCH_DHW[0], SEED))
    manifest = {
        "schemaVersion": 1,
        "name": "demo",
        "version": "1.0.0",
        "intendedStructure": "lung GTV",
        "description": "Small 3D UNet trained on synthetic phantoms only. Demonstration only, NOT for clinical use.",
        "file": "model.onnx",
        "sha256": sha256(onnx_path),
        "input": {"name": "ct", "layout": "NCDHW", "patchSizeXyz": [INFER_PATCH_DHW[2], INFER_PATCH_DHW[1], INFER_PATCH_DHW[0]]},
        "output": {"name": "logits", "activation": "sigmoid", "threshold": 0.5},
        "targetSpacingMm": spacing,
        "modelGridOrientation": "native",
        "intensity": {"clipHu": list(CLIP_HU), "normalisation": {"method": "minmax"}},
        "slidingWindow": {"overlap": 0.5, "mode": "gaussian", "sigmaScale": 0.125, "batchSize": 2},
        "postprocess": {"keep": "largest-and-near", "nearLargestMm": 10, "minComponentCc": 0.1},
        "training": {
            "notes": notes,
            "seed": SEED,
            "dataSeed": meta["seed"],
            "patients": meta["patients"],
            "phases": meta["phasePercents"],
            "dims": meta["dims"],
            "steps": args.steps,
            "batch": args.batch,
            "trainPatchXyz": [PATCH_DHW[2], PATCH_DHW[1], PATCH_DHW[0]],
            "parameters": n_params,
            "trainingSeconds": round(train_s),
            "threads": args.threads,
            "torch": torch.__version__,
            "opset": 17,
        },
    }
    with open(os.path.join(args.out, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=2)
        fh.write("\n")
    with open(os.path.join(args.out, "train", "train-log.json"), "w") as fh:
        json.dump({"seed": SEED, "parameters": n_params, "trainingSeconds": round(train_s), "steps": args.steps,
                   "batch": args.batch, "lr": args.lr, "threads": args.threads, "machine": platform.machine(),
                   "processor": platform.processor(), "log": log}, fh)
        fh.write("\n")
    print("trained in %.0fs; wrote %s (%d bytes), sha256 %s" % (train_s, onnx_path, os.path.getsize(onnx_path), manifest["sha256"]), flush=True)


if __name__ == "__main__":
    main()
