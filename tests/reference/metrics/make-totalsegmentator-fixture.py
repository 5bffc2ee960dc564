#!/usr/bin/python3
"""Build tests/fixtures/metrics/totalsegmentator-labels-scipy.json: real anatomy, two machine
segmentations of the same CT (TotalSegmentator's example_seg.nii.gz as reference and
example_seg_fast.nii.gz as test, ../shared/data/totalsegmentator, Apache-2.0), per label:
voxel counts, Dice and the `voxel` convention computed with scipy (mask ^ binary_erosion,
distance_transform_edt with sampling, np.percentile), surface Dice at 2 mm and at 3 mm (the voxel size).
Only numbers are stored, not the data.

Run from the project root:
  /usr/bin/python3 tests/reference/metrics/make-totalsegmentator-fixture.py
"""
import json
import os

import nibabel as nib
import numpy as np
from scipy import ndimage

DATA = os.path.join("..", "shared", "data", "totalsegmentator")
LABELS = [1, 2, 5, 6, 20, 86, 87, 3, 30]
TOLERANCES = [2.0, 3.0]


def main():
    ref_img = nib.load(os.path.join(DATA, "example_seg.nii.gz"))
    test_img = nib.load(os.path.join(DATA, "example_seg_fast.nii.gz"))
    ref = np.asarray(ref_img.dataobj)
    test = np.asarray(test_img.dataobj)
    sp = [float(z) for z in ref_img.header.get_zooms()[:3]]
    cases = []
    for label in LABELS:
        a = ref == label
        b = test == label
        ea = a ^ ndimage.binary_erosion(a)
        eb = b ^ ndimage.binary_erosion(b)
        d_ab = ndimage.distance_transform_edt(~eb, sampling=sp)[ea]
        d_ba = ndimage.distance_transform_edt(~ea, sampling=sp)[eb]
        both = np.concatenate([d_ab, d_ba])
        tp = int((a & b).sum())
        cases.append({
            "label": label,
            "referenceVoxels": int(a.sum()), "testVoxels": int(b.sum()), "truePositiveVoxels": tp,
            "dice": 2 * tp / float(a.sum() + b.sum()),
            "voxel": {
                "hausdorffMm": float(max(d_ab.max(), d_ba.max())),
                "hd95Mm": float(max(np.percentile(d_ab, 95), np.percentile(d_ba, 95))),
                "meanSurfaceDistanceMm": float(both.mean()),
                "surfaceDice": {str(t): float(((d_ab <= t).sum() + (d_ba <= t).sum()) / both.size) for t in TOLERANCES},
            },
        })
    dest = os.path.join("tests", "fixtures", "metrics", "totalsegmentator-labels-scipy.json")
    with open(dest, "w") as f:
        json.dump({"generator": "tests/reference/metrics/make-totalsegmentator-fixture.py",
                   "reference": "totalsegmentator/example_seg.nii.gz", "test": "totalsegmentator/example_seg_fast.nii.gz",
                   "dims": list(ref.shape), "spacingMm": sp, "scipy": __import__("scipy").__version__, "cases": cases}, f, indent=1)
        f.write("\n")
    for c in cases:
        print(c["label"], c["referenceVoxels"], c["testVoxels"], round(c["dice"], 4), c["voxel"]["hd95Mm"])


if __name__ == "__main__":
    main()
