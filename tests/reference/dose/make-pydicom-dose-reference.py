#!/usr/bin/env python3
"""
Reference values for the RTDOSE/RTPLAN reader (tests/unit/dose/rtdose-read.test.ts) and the
trilinear interpolation (tests/unit/dose/interpolation-scipy.test.ts), from independent tools.

    /usr/bin/python3 tests/reference/dose/make-pydicom-dose-reference.py   # from the repo root

writes tests/fixtures/dose/pydicom-dose-reference.json and tests/fixtures/dose/scipy-interpolation.json.
Needs Debian's python3-pydicom, python3-numpy, python3-scipy (/usr/bin/python3, not the pyenv shim).

1. pydicom's RT test files (copied to tests/fixtures/dose/pydicom/; pydicom is MIT/Expat licensed,
   see tests/fixtures/dose/pydicom/LICENSE.md): for each RTDOSE, pydicom's pixel_array × DoseGridScaling
   (flattened in frame, row, column order = our i + nx·(j + ny·k)), the geometry, units and types;
   for rtplan.dcm the TargetPrescriptionDose of the TARGET dose reference and the fractions.
2. scipy.interpolate.RegularGridInterpolator(method='linear', bounds_error=False, fill_value=0) on a
   random 7×6×5 dose grid with anisotropic spacing at 400 random points (some outside the grid), and
   at every CT voxel centre of a small CT grid offset from the dose grid.
"""
import json
import os

import numpy as np
import pydicom
from scipy.interpolate import RegularGridInterpolator

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..')
FIX = os.path.join(ROOT, 'tests', 'fixtures', 'dose')


def dose_reference():
    out = {}
    for name in ['rtdose.dcm', 'rtdose_1frame.dcm', 'rtdose_rle.dcm', 'rtdose_expb.dcm', 'rtdose_rle_1frame.dcm', 'rtdose_expb_1frame.dcm']:
        ds = pydicom.dcmread(os.path.join(FIX, 'pydicom', name))
        arr = ds.pixel_array.astype(np.float64) * float(ds.DoseGridScaling)
        if arr.ndim == 2:
            arr = arr[np.newaxis]
        out[name] = {
            'transferSyntaxUid': str(ds.file_meta.TransferSyntaxUID),
            'dims': [int(ds.Columns), int(ds.Rows), int(arr.shape[0])],
            'pixelSpacing': [float(v) for v in ds.PixelSpacing],
            'imagePositionPatient': [float(v) for v in ds.ImagePositionPatient],
            'gridFrameOffsetVector': [float(v) for v in ds.GridFrameOffsetVector][: arr.shape[0]],
            'units': str(ds.DoseUnits),
            'doseType': str(ds.DoseType),
            'summationType': str(ds.DoseSummationType),
            'scaling': float(ds.DoseGridScaling),
            'frameOfReferenceUid': str(ds.FrameOfReferenceUID),
            'dose': [float(v) for v in arr.reshape(-1)],
        }
    plan = pydicom.dcmread(os.path.join(FIX, 'pydicom', 'rtplan.dcm'))
    targets = [float(r.TargetPrescriptionDose) for r in plan.DoseReferenceSequence if r.DoseReferenceType == 'TARGET' and 'TargetPrescriptionDose' in r]
    out['rtplan.dcm'] = {
        'prescriptionGy': max(targets) if targets else None,
        'fractions': int(plan.FractionGroupSequence[0].NumberOfFractionsPlanned),
        'label': str(plan.get('RTPlanLabel', '')),
    }
    return out


def interpolation_reference():
    rng = np.random.default_rng(20261206)
    nx, ny, nz = 7, 6, 5
    spacing = [2.5, 3.0, 4.0]
    origin = [-10.0, 5.0, -30.0]
    dose = rng.uniform(0, 70, size=(nz, ny, nx))  # [k][j][i]
    xs = origin[0] + spacing[0] * np.arange(nx)
    ys = origin[1] + spacing[1] * np.arange(ny)
    zs = origin[2] + spacing[2] * np.arange(nz)
    f = RegularGridInterpolator((zs, ys, xs), dose, method='linear', bounds_error=False, fill_value=0.0)
    lo = np.array(origin) - 2.0
    hi = np.array(origin) + np.array(spacing) * (np.array([nx, ny, nz]) - 1) + 2.0
    pts = rng.uniform(lo, hi, size=(400, 3))
    # a few points exactly on grid centres and on the faces
    pts[:5] = [[xs[0], ys[0], zs[0]], [xs[-1], ys[-1], zs[-1]], [xs[3], ys[2], zs[1]], [xs[-1], ys[0], zs[2]], [xs[2], ys[-1], zs[-1]]]
    vals = f(pts[:, ::-1])
    # CT grid: 1.1 × 1.3 × 2 mm, 12 × 11 × 9, starting 0.37 mm off the dose grid corner
    ct = {'dims': [12, 11, 9], 'spacingMm': [1.1, 1.3, 2.0], 'originMm': [origin[0] - 0.37, origin[1] + 0.21, origin[2] + 0.5]}
    ii, jj, kk = np.meshgrid(np.arange(12), np.arange(11), np.arange(9), indexing='ij')
    cx = ct['originMm'][0] + ii * 1.1
    cy = ct['originMm'][1] + jj * 1.3
    cz = ct['originMm'][2] + kk * 2.0
    cpts = np.stack([cz, cy, cx], axis=-1)  # [i][j][k][3]
    cvals = f(cpts.reshape(-1, 3)).reshape(12, 11, 9)
    # flatten in our order i + nx*(j + ny*k)
    ct_values = cvals.transpose(2, 1, 0).reshape(-1)
    return {
        'dose': {'dims': [nx, ny, nz], 'spacingMm': spacing, 'originMm': origin, 'values': [float(v) for v in dose.reshape(-1)]},
        'points': [[float(a) for a in p] for p in pts],
        'values': [float(v) for v in vals],
        'ct': ct,
        'ctValues': [float(v) for v in ct_values],
    }


if __name__ == '__main__':
    with open(os.path.join(FIX, 'pydicom-dose-reference.json'), 'w') as fh:
        json.dump(dose_reference(), fh)
    with open(os.path.join(FIX, 'scipy-interpolation.json'), 'w') as fh:
        json.dump(interpolation_reference(), fh)
    print('wrote', FIX)
