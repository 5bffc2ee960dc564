#!/usr/bin/python3
"""Reference fixtures for lib/nifti, made with nibabel (Debian python3-nibabel 5.0).

Run from the project root (after `npx tsx tests/reference/nifti/write-ours-fixture.ts`):
    /usr/bin/python3 tests/reference/nifti/make_nifti_fixtures.py

Writes
  tests/fixtures/nifti/nibabel-*.nii(.gz)      small images written BY nibabel (qform-only oblique with
                                               scaling, left-handed sform float64, NIfTI-2, big-endian,
                                               uint16, int8) for our reader;
  tests/fixtures/nifti/nibabel-reference.json  what nibabel reads from those, from our writer's
                                               written-by-iseg-oblique.nii.gz, and from the
                                               TotalSegmentator example files in /work/shared/data.

Geometry is given in our convention (DICOM LPS): nibabel's RAS affine A becomes
diag(-1,-1,1,1)·A; spacing is the column norms of the 3×3 part, direction the normalised columns
(row-major), origin the translation. Voxel arrays are flattened in Fortran order, which is our
index order i + nx*(j + ny*k).
"""
import json
import os

import nibabel as nib
import numpy as np

FIX = 'tests/fixtures/nifti'
SHARED = '/work/shared/data/totalsegmentator'
FLIP = np.diag([-1.0, -1.0, 1.0, 1.0])


def grid_of(affine_ras, shape):
    a = FLIP @ np.asarray(affine_ras, dtype=np.float64)
    m = a[:3, :3]
    spacing = np.sqrt((m ** 2).sum(axis=0))
    direction = m / spacing
    return {
        'dims': [int(s) for s in shape[:3]],
        'spacingMm': spacing.tolist(),
        'originMm': a[:3, 3].tolist(),
        'direction': direction.reshape(-1).tolist(),
    }


def describe(path, with_values=True):
    img = nib.load(path)
    h = img.header
    out = {
        'file': os.path.basename(path),
        'niftiVersion': 2 if isinstance(img, nib.Nifti2Image) else 1,
        'datatype': str(h.get_data_dtype().newbyteorder('=')),
        'sformCode': int(h['sform_code']),
        'qformCode': int(h['qform_code']),
        'grid': grid_of(img.affine, img.shape),
        'qformGrid': grid_of(h.get_qform(), img.shape) if int(h['qform_code']) > 0 else None,
        'affineRas': np.asarray(img.affine)[:3, :].reshape(-1).tolist(),
    }
    if with_values:
        out['values'] = np.asarray(img.get_fdata()).reshape(-1, order='F').tolist()
    return out, img


def write_nibabel_fixtures():
    rng = np.random.default_rng(20261128)
    made = []

    # 1. qform only, oblique rotation, int16 with scl_slope/scl_inter.
    arr = rng.integers(-500, 500, size=(4, 3, 5)).astype(np.int16)
    q = np.array([0.2, -0.3, 0.5])
    a = np.sqrt(1 - (q ** 2).sum())
    from nibabel.quaternions import quat2mat
    rot = quat2mat([a, *q])
    aff = np.eye(4)
    aff[:3, :3] = rot @ np.diag([1.1, 0.9, 3.0])
    aff[:3, 3] = [10.5, -20.25, 33.0]
    img = nib.Nifti1Image(arr, None)
    img.set_qform(aff, code=1)
    img.set_sform(None, code=0)
    img.header.set_slope_inter(2.0, -1024.0)
    p = f'{FIX}/nibabel-qform-oblique-scaled.nii.gz'
    nib.save(img, p)
    made.append(p)

    # 2. sform only, left-handed (one flipped axis), float64, uncompressed.
    arr = rng.normal(0, 100, size=(3, 4, 2))
    aff = np.array([[0, 0, -2.0, 5], [1.5, 0, 0, -7], [0, 1.25, 0, 11], [0, 0, 0, 1]])
    img = nib.Nifti1Image(arr.astype(np.float64), aff)
    img.set_qform(None, code=0)
    img.set_sform(aff, code=2)
    p = f'{FIX}/nibabel-sform-lefthanded-float64.nii'
    nib.save(img, p)
    made.append(p)

    # 3. NIfTI-2, int32, sform + qform.
    arr = rng.integers(-100000, 100000, size=(3, 2, 4)).astype(np.int32)
    aff = np.diag([0.8, 0.8, 1.6, 1.0])
    aff[:3, 3] = [-100, -120, 40]
    img = nib.Nifti2Image(arr, aff)
    p = f'{FIX}/nibabel-nifti2-int32.nii.gz'
    nib.save(img, p)
    made.append(p)

    # 4. Big-endian int16.
    arr = rng.integers(-1000, 1000, size=(2, 3, 4)).astype('>i2')
    aff = np.diag([-1.0, -1.0, 2.0, 1.0])
    aff[:3, 3] = [3, 4, 5]
    hdr = nib.Nifti1Header(endianness='>')
    img = nib.Nifti1Image(arr, aff, header=hdr)
    img.set_data_dtype('>i2')
    p = f'{FIX}/nibabel-bigendian-int16.nii'
    nib.save(img, p)
    made.append(p)

    # 5. uint16 and 6. int8 label maps, identity-ish geometry.
    arr = rng.integers(0, 60000, size=(3, 3, 2)).astype(np.uint16)
    img = nib.Nifti1Image(arr, np.diag([1.0, 2.0, 3.0, 1.0]))
    p = f'{FIX}/nibabel-uint16.nii.gz'
    nib.save(img, p)
    made.append(p)
    arr = rng.integers(-3, 4, size=(3, 2, 2)).astype(np.int8)
    img = nib.Nifti1Image(arr, np.diag([1.0, 1.0, 1.0, 1.0]))
    img.set_data_dtype(np.int8)
    p = f'{FIX}/nibabel-int8-labels.nii.gz'
    nib.save(img, p)
    made.append(p)
    return made


def describe_shared(path, labels):
    info, img = describe(path, with_values=False)
    data = np.asarray(img.dataobj)
    flat = data.reshape(-1, order='F').astype(np.int64)
    idx = np.random.default_rng(7).integers(0, flat.size, size=25)
    info['sampleIndices'] = idx.tolist()
    info['sampleValues'] = flat[idx].tolist()
    info['sum'] = int(flat.sum())
    # Weighted sum: sensitive to axis order and flips, not just the histogram.
    info['indexWeightedSumMod'] = int((flat * (np.arange(flat.size, dtype=np.int64) % 9973)).sum())
    info['min'] = int(flat.min())
    info['max'] = int(flat.max())
    if labels:
        values, counts = np.unique(flat, return_counts=True)
        info['labelCounts'] = {str(int(v)): int(c) for v, c in zip(values, counts)}
    return info


def main():
    made = write_nibabel_fixtures()
    ref = {
        'nibabelVersion': nib.__version__,
        'nibabelWritten': [describe(p)[0] for p in made],
        'writtenByIseg': describe(f'{FIX}/written-by-iseg-oblique.nii.gz')[0],
        'shared': {},
    }
    if os.path.isdir(SHARED):
        ref['shared']['example_ct_sm.nii.gz'] = describe_shared(f'{SHARED}/example_ct_sm.nii.gz', False)
        ref['shared']['example_seg.nii.gz'] = describe_shared(f'{SHARED}/example_seg.nii.gz', True)
    with open(f'{FIX}/nibabel-reference.json', 'w') as f:
        json.dump(ref, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
