#!/usr/bin/python3
"""Write the benchmark mask pairs of bench/metrics/generate-pair.ts as NIfTI for plastimatch.

Usage: /usr/bin/python3 bench/metrics/write-nifti-pair.py OUTDIR
Writes OUTDIR/{gtv,body}-{reference,test}.nii.gz. Same grid, shapes and voxel-centre rule
(same floating-point operations) as generate-pair.ts, so both tools see identical masks.
"""
import os
import sys

import nibabel as nib
import numpy as np

DIMS = (512, 512, 177)
SPACING = (0.977, 0.977, 3.0)
ORIGIN = (-250.0, -250.0, -265.5)
GTV = (32.0, 28.0, 32.0)
PAIRS = {
    "gtv": ([((30, 10, 20), GTV)],
            [((32, 8.5, 23), tuple(a + 1.5 for a in GTV)), ((30, 10, 72), (6, 6, 6))]),
    "body": ([((0, 0, 0), (160, 110, 95))], [((1.5, 2, -3), (162, 112, 97))]),
}


def rasterise(shapes):
    out = np.zeros(DIMS, np.uint8)
    i = np.arange(DIMS[0])
    j = np.arange(DIMS[1])
    for (c, a) in shapes:
        x = (ORIGIN[0] + i * SPACING[0] - c[0]) / a[0]
        for k in range(DIMS[2]):
            z = (ORIGIN[2] + k * SPACING[2] - c[2]) / a[2]
            if z * z > 1:
                continue
            y = (ORIGIN[1] + j * SPACING[1] - c[1]) / a[1]
            rem = 1 - z * z - y * y
            inside = (x[:, None] * x[:, None]) <= rem[None, :]
            out[:, :, k] |= inside.astype(np.uint8)
    return out


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    # NIfTI affine is RAS; LPS x and y flip sign. Distances and overlap do not depend on it.
    affine = np.diag([-SPACING[0], -SPACING[1], SPACING[2], 1.0])
    affine[:3, 3] = [-ORIGIN[0], -ORIGIN[1], ORIGIN[2]]
    for name, (ref, test) in PAIRS.items():
        for role, shapes in (("reference", ref), ("test", test)):
            m = rasterise(shapes)
            nib.save(nib.Nifti1Image(m, affine), os.path.join(outdir, f"{name}-{role}.nii.gz"))
            print(name, role, int(m.sum()))


if __name__ == "__main__":
    main()
