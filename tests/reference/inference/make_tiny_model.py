#!/usr/bin/python3
"""
Build the tiny ONNX test model and its PyTorch reference output.

Run from the repository root with Debian's Python (apt-get install -y python3-torch python3-onnx):
    /usr/bin/python3 tests/reference/inference/make_tiny_model.py

Writes tests/fixtures/inference/tiny/:
  model.onnx     a fixed, hand-defined network: logits = K * (mean3x3x3(x) - C), one Conv3d with
                 zero padding 1, weights K/27 and bias -K*C. On a CT clipped to [-1000, 500] HU
                 and scaled to [0, 1] it segments soft tissue (HU above about -380) in lung.
                 Input "ct" [batch, 1, 10, 12, 16] (NCDHW: D = slices z, H = rows y, W = columns x,
                 i.e. patch [x, y, z] = [16, 12, 10]), output "logits" of the same shape; dynamic
                 batch axis; opset 17.
  model-batch1.onnx  the same network exported with a fixed batch of 1 (no dynamic axes).
  manifest.json  its manifest (sha256 of model.onnx computed here).
  input.f32      a deterministic batch [3, 1, 10, 12, 16] (little-endian float32):
                 x[t] = 0.4 + 0.5 sin(0.05 t) + 0.3 cos(0.011 t^2), t = flat C-order index.
  expected.f32   PyTorch's output of the same module on input.f32 (eager, float32, CPU).
  case.json      shapes of input.f32 / expected.f32.

and copies model.onnx and manifest.json to tests/fixtures/models/tiny-test/, the model folder that
the integration tests point ISEG_MODELS_DIR at (a unit test checks the two copies are identical).
"""
import hashlib
import json
import os
import shutil

import numpy as np
import torch

K = 30.0
C = 0.4133  # midway between lung (-800 HU -> 0.1333) and soft tissue (40 HU -> 0.6933)
PATCH_DHW = (10, 12, 16)
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "inference", "tiny")
MODEL_FOLDER = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "models", "tiny-test")


class MeanThenLogit(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv3d(1, 1, kernel_size=3, padding=1, bias=True)
        with torch.no_grad():
            self.conv.weight.fill_(K / 27.0)
            self.conv.bias.fill_(-K * C)

    def forward(self, ct):
        return self.conv(ct)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    model = MeanThenLogit().eval()
    onnx_path = os.path.join(OUT, "model.onnx")
    dummy = torch.zeros((1, 1) + PATCH_DHW, dtype=torch.float32)
    torch.onnx.export(
        model,
        dummy,
        onnx_path,
        input_names=["ct"],
        output_names=["logits"],
        dynamic_axes={"ct": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=17,
        do_constant_folding=True,
    )
    import onnx

    onnx.checker.check_model(onnx.load(onnx_path))
    # The same network with a fixed batch of 1 (no dynamic axes), to test the batch-size check.
    torch.onnx.export(model, dummy, os.path.join(OUT, "model-batch1.onnx"), input_names=["ct"], output_names=["logits"], opset_version=17)

    shape = (3, 1) + PATCH_DHW
    t = np.arange(int(np.prod(shape)), dtype=np.float64)
    x = (0.4 + 0.5 * np.sin(0.05 * t) + 0.3 * np.cos(0.011 * t * t)).astype(np.float32).reshape(shape)
    with torch.no_grad():
        y = model(torch.from_numpy(x)).numpy().astype(np.float32)
    x.astype("<f4").tofile(os.path.join(OUT, "input.f32"))
    y.astype("<f4").tofile(os.path.join(OUT, "expected.f32"))
    with open(os.path.join(OUT, "case.json"), "w") as f:
        json.dump({"inputShape": list(shape), "outputShape": list(y.shape), "torch": torch.__version__}, f, indent=2)
        f.write("\n")

    sha = hashlib.sha256(open(onnx_path, "rb").read()).hexdigest()
    manifest = {
        "schemaVersion": 1,
        "name": "tiny-test",
        "version": "1.0.0",
        "intendedStructure": "lung GTV",
        "description": "Test fixture only: a fixed 3x3x3 mean filter and a logit; not a trained model.",
        "file": "model.onnx",
        "sha256": sha,
        "input": {"name": "ct", "layout": "NCDHW", "patchSizeXyz": [PATCH_DHW[2], PATCH_DHW[1], PATCH_DHW[0]]},
        "output": {"name": "logits", "activation": "sigmoid", "threshold": 0.5},
        "targetSpacingMm": [2.0, 2.0, 2.5],
        "intensity": {"clipHu": [-1000, 500], "normalisation": {"method": "minmax"}},
        "slidingWindow": {"overlap": 0.25, "mode": "gaussian", "sigmaScale": 0.125, "batchSize": 4},
        "postprocess": {"keep": "largest-and-near", "nearLargestMm": 10, "minComponentCc": 0},
        "training": {
            "notes": f"Not trained: weights set by hand (K={K}, C={C}) in tests/reference/inference/make_tiny_model.py.",
            "torch": torch.__version__,
            "opset": 17,
        },
    }
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    os.makedirs(MODEL_FOLDER, exist_ok=True)
    for name in ("model.onnx", "manifest.json"):
        shutil.copyfile(os.path.join(OUT, name), os.path.join(MODEL_FOLDER, name))
    print(onnx_path, os.path.getsize(onnx_path), "bytes, sha256", sha)


if __name__ == "__main__":
    main()
