#!/usr/bin/python3
"""Build tests/fixtures/metrics/plastimatch-dice-all.json.

For each mask pair below: rasterise the shapes exactly as tests/unit/metrics/shapes.ts does
(sphere: voxel centre (i*sx, j*sy, k*sz) within radius, boundary included; box: lo <= ijk < hi),
write both masks as NIfTI with nibabel, run the real `plastimatch dice --all REF TEST`
(Debian package plastimatch 1.9.4) and store its printed output, raw and parsed.

Run from the project root:  /usr/bin/python3 tests/reference/metrics/make-plastimatch-fixture.py
Needs: Debian python3-nibabel, python3-numpy, plastimatch.
"""
import json
import os
import re
import subprocess
import tempfile

import nibabel as nib
import numpy as np

CASES = [
    {"name": "sphere-shift-grow-aniso", "dims": [64, 64, 24], "spacingMm": [0.8, 0.8, 2.5],
     "reference": [{"type": "sphere", "centreMm": [25.6, 25.6, 30], "radiusMm": 12}],
     "test": [{"type": "sphere", "centreMm": [27.6, 25.6, 30], "radiusMm": 14}]},
    {"name": "box-offset-aniso", "dims": [40, 40, 20], "spacingMm": [1.2, 0.9, 3.0],
     "reference": [{"type": "box", "lo": [10, 10, 5], "hi": [20, 22, 12]}],
     "test": [{"type": "box", "lo": [12, 9, 6], "hi": [23, 20, 14]}]},
    {"name": "two-islands-vs-one", "dims": [60, 60, 30], "spacingMm": [1, 1, 2],
     "reference": [{"type": "sphere", "centreMm": [20, 30, 30], "radiusMm": 8},
                   {"type": "sphere", "centreMm": [42, 30, 30], "radiusMm": 6}],
     "test": [{"type": "sphere", "centreMm": [20, 30, 30], "radiusMm": 9}]},
    {"name": "far-apart-tumour-fp", "dims": [80, 80, 40], "spacingMm": [0.98, 0.98, 3],
     "reference": [{"type": "sphere", "centreMm": [30, 40, 60], "radiusMm": 10}],
     "test": [{"type": "sphere", "centreMm": [31, 40, 60], "radiusMm": 10},
              {"type": "sphere", "centreMm": [62, 40, 60], "radiusMm": 4}]},
    {"name": "hollow-shell-vs-solid", "dims": [50, 50, 50], "spacingMm": [1, 1, 1],
     "reference": [{"type": "sphere", "centreMm": [25, 25, 25], "radiusMm": 15},
                   {"type": "sphere", "centreMm": [25, 25, 25], "radiusMm": 7, "subtract": True}],
     "test": [{"type": "sphere", "centreMm": [25, 25, 25], "radiusMm": 15}]},
    {"name": "ellipsoid-like-aniso-xy", "dims": [70, 50, 30], "spacingMm": [0.7, 1.1, 1.9],
     "reference": [{"type": "sphere", "centreMm": [24, 27, 28], "radiusMm": 11}],
     "test": [{"type": "sphere", "centreMm": [21.5, 28, 26], "radiusMm": 10},
              {"type": "box", "lo": [40, 20, 10], "hi": [46, 26, 13]}]},
    {"name": "reaches-last-slice-and-column", "dims": [40, 36, 12], "spacingMm": [0.9, 1.1, 3.0],
     "reference": [{"type": "sphere", "centreMm": [30, 18, 31], "radiusMm": 7}],
     "test": [{"type": "sphere", "centreMm": [31.5, 19, 33], "radiusMm": 7.5}]},
    {"name": "spans-whole-i-axis", "dims": [24, 30, 12], "spacingMm": [1.3, 0.9, 2.5],
     "reference": [{"type": "box", "lo": [0, 6, 3], "hi": [24, 16, 8]},
                   {"type": "sphere", "centreMm": [28, 13, 12], "radiusMm": 6}],
     "test": [{"type": "box", "lo": [0, 8, 2], "hi": [20, 18, 9]},
              {"type": "sphere", "centreMm": [26, 14, 15], "radiusMm": 6.5}]},
    {"name": "touches-grid-edge", "dims": [30, 30, 10], "spacingMm": [1, 1, 3],
     "reference": [{"type": "box", "lo": [0, 0, 0], "hi": [12, 15, 6]}],
     "test": [{"type": "box", "lo": [0, 2, 1], "hi": [14, 15, 6]}]},
]


def rasterise(dims, sp, shapes):
    i, j, k = np.meshgrid(*[np.arange(n) for n in dims], indexing="ij")
    out = np.zeros(dims, np.uint8)
    for s in shapes:
        if s["type"] == "sphere":
            dx = i * sp[0] - s["centreMm"][0]
            dy = j * sp[1] - s["centreMm"][1]
            dz = k * sp[2] - s["centreMm"][2]
            inside = dx * dx + dy * dy + dz * dz <= s["radiusMm"] * s["radiusMm"]
        else:
            lo, hi = s["lo"], s["hi"]
            inside = ((i >= lo[0]) & (i < hi[0]) & (j >= lo[1]) & (j < hi[1])
                      & (k >= lo[2]) & (k < hi[2]))
        out[inside] = 0 if s.get("subtract") else 1
    return out


NUM = r"([-+0-9.eE]+|nan|inf|-inf)"
FIELDS = {
    "truePositiveVoxels": r"^TP:\s+" + NUM,
    "falseNegativeVoxels": r"^FN:\s+" + NUM,
    "falsePositiveVoxels": r"^FP:\s+" + NUM,
    "dice": r"^DICE:\s+" + NUM,
    "hausdorffMm": r"^Hausdorff distance = " + NUM,
    "avgAverageHausdorffMm": r"^Avg average Hausdorff distance = " + NUM,
    "maxAverageHausdorffMm": r"^Max average Hausdorff distance = " + NUM,
    "percentHausdorffMm": r"^Percent \(0\.95\) Hausdorff distance = " + NUM,
    "boundaryHausdorffMm": r"^Hausdorff distance \(boundary\) = " + NUM,
    "boundaryAvgAverageHausdorffMm": r"^Avg average Hausdorff distance \(boundary\) = " + NUM,
    "boundaryMaxAverageHausdorffMm": r"^Max average Hausdorff distance \(boundary\) = " + NUM,
    "boundaryPercentHausdorffMm": r"^Percent \(0\.95\) Hausdorff distance \(boundary\) = " + NUM,
}


def main():
    version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "plastimatch"],
                             capture_output=True, text=True).stdout.strip()
    out_cases = []
    with tempfile.TemporaryDirectory() as tmp:
        for c in CASES:
            paths = []
            for role in ("reference", "test"):
                m = rasterise(c["dims"], c["spacingMm"], c[role])
                p = os.path.join(tmp, f"{c['name']}-{role}.nii.gz")
                nib.save(nib.Nifti1Image(m, np.diag(list(c["spacingMm"]) + [1.0])), p)
                paths.append(p)
            run = subprocess.run(["plastimatch", "dice", "--all", *paths],
                                 capture_output=True, text=True, check=True)
            parsed = {}
            for key, rx in FIELDS.items():
                hit = re.search(rx, run.stdout, re.M)
                parsed[key] = float(hit.group(1)) if hit else None
            out_cases.append({**c, "command": "plastimatch dice --all REFERENCE.nii.gz TEST.nii.gz",
                              "plastimatch": parsed, "stdout": run.stdout})
    dest = os.path.join("tests", "fixtures", "metrics", "plastimatch-dice-all.json")
    with open(dest, "w") as f:
        json.dump({"plastimatchVersion": version, "generator": "tests/reference/metrics/make-plastimatch-fixture.py",
                   "cases": out_cases}, f, indent=1)
        f.write("\n")
    print("wrote", dest, len(out_cases), "cases")


if __name__ == "__main__":
    main()
