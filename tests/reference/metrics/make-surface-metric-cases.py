#!/usr/bin/env python3
"""
The surface-metric reference cases: analytic mask pairs and the values two independent
implementations give for them (docs/metrics.md; checked by tests/unit/metrics/reference-cases.test.ts).

    # regenerate the reference file (needs MONAI and DeepMind's surface-distance, which are pip
    # packages, not Debian ones: pip install numpy scipy monai surface-distance)
    python3 make-surface-metric-cases.py --generate > surface-metric-cases.json

    # check the file's voxel-convention values with scipy alone (Debian python3-scipy; runs here)
    /usr/bin/python3 make-surface-metric-cases.py --check-voxel-with-scipy PATH/surface-metric-cases.json

The file the tests read lives beside the checkout (../shared/reference/surface-metric-cases.json);
this script is its recipe. Masks are rasterised with the rule of tests/unit/metrics/shapes.ts:
a sphere holds voxel (i, j, k) when its centre (i*sx, j*sy, k*sz) mm is within radiusMm of
centreMm (boundary included); a box holds lo <= (i, j, k) < hi; `subtract` shapes clear voxels.

Conventions:
- voxel (MONAI 1.x with spacing): boundary = mask XOR its 6-connected erosion (outside the grid is
  background); distances between boundary voxel centres; HD = max of directed maxima; HD95 = max of
  the directed 95th percentiles (numpy linear); MSD = mean of both directions pooled; surface Dice =
  share of both boundaries within the tolerance.
- surfel (surface-distance, Nikolov et al. 2021): compute_surface_distances, then
  compute_robust_hausdorff(100 and 95), compute_average_surface_distance (per direction),
  compute_surface_dice_at_tolerance.
"""
import json
import sys

import numpy as np

TOLERANCE_MM = 2.0

CASES = [
  {
    "name": "sphere-shift-1vox-iso",
    "dims": [
      48,
      48,
      48
    ],
    "spacingMm": [
      1,
      1,
      1
    ],
    "reference": [
      {
        "type": "sphere",
        "centreMm": [
          24,
          24,
          24
        ],
        "radiusMm": 10
      }
    ],
    "test": [
      {
        "type": "sphere",
        "centreMm": [
          25,
          24,
          24
        ],
        "radiusMm": 10
      }
    ]
  },
  {
    "name": "sphere-vs-larger-aniso",
    "dims": [
      64,
      64,
      24
    ],
    "spacingMm": [
      0.8,
      0.8,
      2.5
    ],
    "reference": [
      {
        "type": "sphere",
        "centreMm": [
          25.6,
          25.6,
          30
        ],
        "radiusMm": 12
      }
    ],
    "test": [
      {
        "type": "sphere",
        "centreMm": [
          25.6,
          25.6,
          30
        ],
        "radiusMm": 14
      }
    ]
  },
  {
    "name": "box-offset-aniso",
    "dims": [
      40,
      40,
      20
    ],
    "spacingMm": [
      1.2,
      0.9,
      3.0
    ],
    "reference": [
      {
        "type": "box",
        "lo": [
          10,
          10,
          5
        ],
        "hi": [
          20,
          22,
          12
        ]
      }
    ],
    "test": [
      {
        "type": "box",
        "lo": [
          12,
          9,
          6
        ],
        "hi": [
          23,
          20,
          14
        ]
      }
    ]
  },
  {
    "name": "two-islands-vs-one",
    "dims": [
      60,
      60,
      30
    ],
    "spacingMm": [
      1,
      1,
      2
    ],
    "reference": [
      {
        "type": "sphere",
        "centreMm": [
          20,
          30,
          30
        ],
        "radiusMm": 8
      },
      {
        "type": "sphere",
        "centreMm": [
          42,
          30,
          30
        ],
        "radiusMm": 6
      }
    ],
    "test": [
      {
        "type": "sphere",
        "centreMm": [
          20,
          30,
          30
        ],
        "radiusMm": 9
      }
    ]
  },
  {
    "name": "hollow-shell-vs-solid",
    "dims": [
      50,
      50,
      50
    ],
    "spacingMm": [
      1,
      1,
      1
    ],
    "reference": [
      {
        "type": "sphere",
        "centreMm": [
          25,
          25,
          25
        ],
        "radiusMm": 15
      },
      {
        "type": "sphere",
        "centreMm": [
          25,
          25,
          25
        ],
        "radiusMm": 7,
        "subtract": True
      }
    ],
    "test": [
      {
        "type": "sphere",
        "centreMm": [
          25,
          25,
          25
        ],
        "radiusMm": 15
      }
    ]
  },
  {
    "name": "touches-grid-edge",
    "dims": [
      30,
      30,
      10
    ],
    "spacingMm": [
      1,
      1,
      3
    ],
    "reference": [
      {
        "type": "box",
        "lo": [
          0,
          0,
          0
        ],
        "hi": [
          12,
          15,
          6
        ]
      }
    ],
    "test": [
      {
        "type": "box",
        "lo": [
          0,
          2,
          1
        ],
        "hi": [
          14,
          15,
          6
        ]
      }
    ]
  },
  {
    "name": "single-voxels-2mm-apart",
    "dims": [
      10,
      10,
      10
    ],
    "spacingMm": [
      1,
      1,
      1
    ],
    "reference": [
      {
        "type": "box",
        "lo": [
          3,
          5,
          5
        ],
        "hi": [
          4,
          6,
          6
        ]
      }
    ],
    "test": [
      {
        "type": "box",
        "lo": [
          5,
          5,
          5
        ],
        "hi": [
          6,
          6,
          6
        ]
      }
    ]
  },
  {
    "name": "far-apart-tumour-fp",
    "dims": [
      80,
      80,
      40
    ],
    "spacingMm": [
      0.98,
      0.98,
      3
    ],
    "reference": [
      {
        "type": "sphere",
        "centreMm": [
          30,
          40,
          60
        ],
        "radiusMm": 10
      }
    ],
    "test": [
      {
        "type": "sphere",
        "centreMm": [
          31,
          40,
          60
        ],
        "radiusMm": 10
      },
      {
        "type": "sphere",
        "centreMm": [
          62,
          40,
          60
        ],
        "radiusMm": 4
      }
    ]
  }
]


def rasterise(dims, spacing, shapes):
    nx, ny, nz = dims
    i, j, k = np.meshgrid(np.arange(nx), np.arange(ny), np.arange(nz), indexing="ij")
    out = np.zeros((nx, ny, nz), dtype=bool)
    for s in shapes:
        if s["type"] == "sphere":
            c = s["centreMm"]
            inside = (i * spacing[0] - c[0]) ** 2 + (j * spacing[1] - c[1]) ** 2 + (k * spacing[2] - c[2]) ** 2 <= s["radiusMm"] ** 2
        else:
            lo, hi = s["lo"], s["hi"]
            inside = (i >= lo[0]) & (i < hi[0]) & (j >= lo[1]) & (j < hi[1]) & (k >= lo[2]) & (k < hi[2])
        out[inside] = not s.get("subtract", False)
    return out


def overlap(ref, test):
    tp = int(np.sum(ref & test))
    fp = int(np.sum(test & ~ref))
    fn = int(np.sum(ref & ~test))
    r, t = int(ref.sum()), int(test.sum())
    return {"referenceVoxels": r, "testVoxels": t, "truePositiveVoxels": tp, "falsePositiveVoxels": fp, "falseNegativeVoxels": fn, "dice": 2 * tp / (r + t)}


def voxel_with_scipy(ref, test, spacing, tol):
    """The voxel convention computed independently with scipy's exact Euclidean distance transform."""
    from scipy import ndimage

    six = ndimage.generate_binary_structure(3, 1)

    def border(m):
        return m ^ ndimage.binary_erosion(m, structure=six, border_value=0)

    br, bt = border(ref), border(test)
    d_to_t = ndimage.distance_transform_edt(~bt, sampling=spacing)[br]
    d_to_r = ndimage.distance_transform_edt(~br, sampling=spacing)[bt]
    pooled = np.concatenate([d_to_t, d_to_r])
    return {
        "hausdorffMm": float(max(d_to_t.max(), d_to_r.max())),
        "hd95Mm": float(max(np.percentile(d_to_t, 95), np.percentile(d_to_r, 95))),
        "meanSurfaceDistanceMm": float(pooled.mean()),
        "surfaceDice": float(((d_to_t <= tol).sum() + (d_to_r <= tol).sum()) / pooled.size),
    }


def voxel_with_monai(ref, test, spacing, tol):
    import torch
    from monai.metrics import compute_average_surface_distance, compute_hausdorff_distance, compute_surface_dice

    y = torch.from_numpy(ref[None, None].astype(np.float32))
    p = torch.from_numpy(test[None, None].astype(np.float32))
    sp = list(spacing)
    return {
        "hausdorffMm": float(compute_hausdorff_distance(p, y, include_background=True, spacing=sp)),
        "hd95Mm": float(compute_hausdorff_distance(p, y, include_background=True, percentile=95, spacing=sp)),
        "meanSurfaceDistanceMm": float(compute_average_surface_distance(p, y, include_background=True, symmetric=True, spacing=sp)),
        "surfaceDice": float(compute_surface_dice(p, y, class_thresholds=[tol], include_background=True, spacing=sp)),
    }


def surfel_with_surface_distance(ref, test, spacing, tol):
    import surface_distance as sd

    d = sd.compute_surface_distances(ref, test, spacing)
    return {
        "hausdorffMm": float(sd.compute_robust_hausdorff(d, 100)),
        "hd95Mm": float(sd.compute_robust_hausdorff(d, 95)),
        "averageSurfaceDistanceMm": [float(x) for x in sd.compute_average_surface_distance(d)],
        "surfaceDice": float(sd.compute_surface_dice_at_tolerance(d, tol)),
    }


def generate():
    out = {"toleranceMm": TOLERANCE_MM, "cases": []}
    for c in CASES:
        ref = rasterise(c["dims"], c["spacingMm"], c["reference"])
        test = rasterise(c["dims"], c["spacingMm"], c["test"])
        out["cases"].append({**c, **overlap(ref, test),
                             "voxel": voxel_with_monai(ref, test, c["spacingMm"], TOLERANCE_MM),
                             "surfel": surfel_with_surface_distance(ref, test, c["spacingMm"], TOLERANCE_MM)})
    json.dump(out, sys.stdout, indent=1)


def check(path):
    data = json.load(open(path))
    by_name = {c["name"]: c for c in data["cases"]}
    worst = 0.0
    for c in CASES:
        stored = by_name[c["name"]]
        ref = rasterise(c["dims"], c["spacingMm"], c["reference"])
        test = rasterise(c["dims"], c["spacingMm"], c["test"])
        for k, v in overlap(ref, test).items():
            if abs(v - stored[k]) > 1e-12:
                sys.exit(f"{c['name']}: {k} {v} != {stored[k]}")
        ours = voxel_with_scipy(ref, test, c["spacingMm"], data["toleranceMm"])
        for k, v in ours.items():
            rel = abs(v - stored["voxel"][k]) / max(abs(stored["voxel"][k]), 1e-12)
            worst = max(worst, rel)
            if rel > 1e-6:
                sys.exit(f"{c['name']}: voxel {k} scipy {v} != file {stored['voxel'][k]}")
        print(f"{c['name']}: overlap and voxel convention agree")
    print(f"all {len(CASES)} cases agree (largest relative difference {worst:.2e})")


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "--generate":
        generate()
    elif len(sys.argv) == 3 and sys.argv[1] == "--check-voxel-with-scipy":
        check(sys.argv[2])
    else:
        sys.exit(__doc__)
