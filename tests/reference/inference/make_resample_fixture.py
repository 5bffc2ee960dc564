#!/usr/bin/python3
"""
Reference values for lib/core/inference/resample.ts and connected-components.ts, from scipy.

Run from the repository root with Debian's Python (apt-get install -y python3-scipy):
    /usr/bin/python3 tests/reference/inference/make_resample_fixture.py

Writes tests/fixtures/inference/resample-cases.json:
  - "trilinear": a source volume on a rotated, anisotropic grid and a target grid with another
    rotation, spacing and origin; "expected" is scipy.ndimage.map_coordinates(order=1,
    mode='nearest') at the source index of every target voxel centre, the index computed from
    patient coordinates (x_patient = origin + D · diag(spacing) · index; D's columns are the axes).
  - "components": a random 0/1 mask and the sizes of its 26-connected components from
    scipy.ndimage.label(mask, structure=np.ones((3, 3, 3))), in label order.
Volumes are flattened in iseg-qa order, index i + nx·(j + ny·k).
"""
import json
import os

import numpy as np
from scipy import ndimage

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "inference", "resample-cases.json")


def rotation(axis, deg):
    a = np.deg2rad(deg)
    c, s = np.cos(a), np.sin(a)
    if axis == "z":
        return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
    if axis == "x":
        return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def flat(a_ijk):
    # a[i, j, k] -> index i + nx (j + ny k): Fortran order of the [i, j, k] array.
    return [float(v) for v in np.asarray(a_ijk).flatten(order="F")]


def grid(dims, spacing, origin, direction):
    return {"dims": list(dims), "spacingMm": list(spacing), "originMm": list(origin), "direction": [float(v) for v in direction.flatten()]}


def main():
    rng = np.random.default_rng(7)

    # Trilinear case.
    s_dims, s_sp, s_org = (7, 6, 5), (1.2, 0.9, 2.5), (-10.0, 5.0, 30.0)
    s_dir = rotation("z", 30) @ rotation("x", 10)
    src = np.round(rng.normal(0, 100, size=s_dims), 2).astype(np.float32)  # src[i, j, k]
    t_dims, t_sp, t_org = (9, 8, 6), (1.0, 1.1, 1.7), (-11.0, 4.0, 29.0)
    t_dir = rotation("z", 20) @ rotation("y", -8)
    ii, jj, kk = np.meshgrid(*[np.arange(n) for n in t_dims], indexing="ij")
    idx = np.stack([ii, jj, kk], axis=-1).reshape(-1, 3).astype(np.float64)
    p = np.asarray(t_org) + (t_dir @ (idx * np.asarray(t_sp)).T).T
    s_idx = (s_dir.T @ (p - np.asarray(s_org)).T).T / np.asarray(s_sp)
    vals = ndimage.map_coordinates(src.astype(np.float64), s_idx.T, order=1, mode="nearest").reshape(t_dims)
    inside = np.all((s_idx >= -0.5) & (s_idx <= np.asarray(s_dims) - 0.5), axis=1).reshape(t_dims)

    # Components case.
    c_dims = (19, 14, 11)
    mask = (rng.random(c_dims) < 0.07).astype(np.uint8)
    labels, n = ndimage.label(mask, structure=np.ones((3, 3, 3)))
    # scipy numbers components in C order of the [i, j, k] array; sizes are compared as multisets.
    sizes = sorted(int(v) for v in np.bincount(labels.flatten())[1:])

    case = {
        "generator": "tests/reference/inference/make_resample_fixture.py",
        "trilinear": {
            "source": {"grid": grid(s_dims, s_sp, s_org, s_dir), "data": flat(src)},
            "target": grid(t_dims, t_sp, t_org, t_dir),
            "expected": flat(vals),
            "insideSourceExtent": [int(v) for v in np.asarray(inside).flatten(order="F")],
        },
        "components": {"dims": list(c_dims), "mask": [int(v) for v in mask.flatten(order="F")], "count": int(n), "sortedSizes": sizes},
    }
    with open(OUT, "w") as f:
        json.dump(case, f)
        f.write("\n")
    print(OUT, "components", n, "inside", int(inside.sum()), "of", inside.size)


if __name__ == "__main__":
    main()
