#!/usr/bin/python3
"""Build tests/fixtures/metrics/random-pairs-scipy.json: irregular mask pairs with the `voxel`
convention computed independently with scipy, and `plastimatch dice --all` output.

Masks are smoothed seeded noise thresholded into blobs (holes, several components, some touching
the grid edge), on anisotropic grids. For each pair:
- voxel convention with scipy 1.10 (Debian): boundary = mask ^ binary_erosion(mask) (6-connected,
  border_value 0), directed distances = distance_transform_edt(~other_boundary, sampling=spacing)
  at the boundary voxels; HD = max, HD95 = max of np.percentile(d, 95) per direction, MSD =
  mean of both directions pooled, surface Dice = share of both boundaries within tolerance (<=);
- Dice and counts with numpy;
- plastimatch 1.9.4 `dice --all` on NIfTI copies (nibabel), its stdout kept verbatim.
Masks are stored as np.packbits of the mask flattened with i fastest (order='F').

Run from the project root: /usr/bin/python3 tests/reference/metrics/make-random-pairs-fixture.py
"""
import base64
import json
import os
import re
import subprocess
import tempfile

import nibabel as nib
import numpy as np
from scipy import ndimage

TOL = 2.0
PAIRS = [
    # name, dims, spacing, seed, sigma (voxels), threshold, shift of the test noise field
    ("blobs-aniso-a", (28, 24, 14), (0.9, 1.1, 2.5), 1, 2.0, 0.55, (1, 0, 0)),
    ("blobs-aniso-b", (30, 22, 12), (0.7, 0.7, 3.0), 2, 1.6, 0.5, (0, 2, 1)),
    ("blobs-iso-holes", (24, 24, 24), (1.0, 1.0, 1.0), 3, 1.3, 0.45, (1, 1, 0)),
    ("blobs-edge", (20, 26, 10), (1.2, 0.8, 2.0), 4, 2.5, 0.4, (0, 0, 1)),
    ("blobs-sparse", (32, 32, 16), (0.98, 0.98, 3.0), 5, 1.2, 0.72, (2, -1, 0)),
]


def field(dims, seed, sigma):
    rng = np.random.default_rng(seed)
    big = rng.standard_normal(tuple(d + 8 for d in dims))
    sm = ndimage.gaussian_filter(big, sigma)
    sm = (sm - sm.min()) / (sm.max() - sm.min())
    return sm


def masks(dims, seed, sigma, thr, shift):
    f = field(dims, seed, sigma)
    a = f[4:4 + dims[0], 4:4 + dims[1], 4:4 + dims[2]] > thr
    s = shift
    b = f[4 + s[0]:4 + s[0] + dims[0], 4 + s[1]:4 + s[1] + dims[1], 4 + s[2]:4 + s[2] + dims[2]] > thr - 0.02
    return a, b


def voxel_metrics(a, b, sp):
    ea = a ^ ndimage.binary_erosion(a)
    eb = b ^ ndimage.binary_erosion(b)
    d_ab = ndimage.distance_transform_edt(~eb, sampling=sp)[ea]
    d_ba = ndimage.distance_transform_edt(~ea, sampling=sp)[eb]
    both = np.concatenate([d_ab, d_ba])
    return {
        "hausdorffMm": float(max(d_ab.max(), d_ba.max())),
        "hd95Mm": float(max(np.percentile(d_ab, 95), np.percentile(d_ba, 95))),
        "meanSurfaceDistanceMm": float(both.mean()),
        "surfaceDice": float(((d_ab <= TOL).sum() + (d_ba <= TOL).sum()) / both.size),
    }


NUM = r"([-+0-9.eE]+|nan|inf|-inf)"


def plastimatch(a, b, sp, tmp, name):
    paths = []
    for role, m in (("reference", a), ("test", b)):
        p = os.path.join(tmp, f"{name}-{role}.nii.gz")
        nib.save(nib.Nifti1Image(m.astype(np.uint8), np.diag(list(sp) + [1.0])), p)
        paths.append(p)
    out = subprocess.run(["plastimatch", "dice", "--all", *paths], capture_output=True, text=True, check=True).stdout
    get = lambda rx: float(re.search(rx + NUM, out, re.M).group(1))
    return {
        "dice": get(r"^DICE:\s+"),
        "boundaryHausdorffMm": get(r"^Hausdorff distance \(boundary\) = "),
        "boundaryAvgAverageHausdorffMm": get(r"^Avg average Hausdorff distance \(boundary\) = "),
        "boundaryPercentHausdorffMm": get(r"^Percent \(0\.95\) Hausdorff distance \(boundary\) = "),
    }, out


def main():
    cases = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, dims, sp, seed, sigma, thr, shift in PAIRS:
            a, b = masks(dims, seed, sigma, thr, shift)
            tp = int((a & b).sum())
            pm, stdout = plastimatch(a, b, sp, tmp, name)
            cases.append({
                "name": name, "dims": list(dims), "spacingMm": list(sp),
                "reference": base64.b64encode(np.packbits(a.flatten(order="F"))).decode(),
                "test": base64.b64encode(np.packbits(b.flatten(order="F"))).decode(),
                "referenceVoxels": int(a.sum()), "testVoxels": int(b.sum()), "truePositiveVoxels": tp,
                "dice": 2 * tp / float(a.sum() + b.sum()),
                "components": [int(ndimage.label(a)[1]), int(ndimage.label(b)[1])],
                "voxel": voxel_metrics(a, b, sp),
                "plastimatch": pm, "plastimatchStdout": stdout,
            })
    dest = os.path.join("tests", "fixtures", "metrics", "random-pairs-scipy.json")
    with open(dest, "w") as f:
        json.dump({"toleranceMm": TOL, "generator": "tests/reference/metrics/make-random-pairs-fixture.py",
                   "scipy": __import__("scipy").__version__, "numpy": np.__version__, "cases": cases}, f, indent=1)
        f.write("\n")
    for c in cases:
        print(c["name"], c["referenceVoxels"], c["testVoxels"], c["components"], c["voxel"])


if __name__ == "__main__":
    main()
