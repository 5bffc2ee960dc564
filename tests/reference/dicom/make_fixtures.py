#!/usr/bin/python3
"""Reference fixtures for lib/dicom and lib/core/raster, from independent tools.

Run from the project root (needs Debian's python3-pydicom, python3-nibabel, python3-pil with
OpenJPEG, plastimatch 1.9.4):

    /usr/bin/python3 tests/reference/dicom/make_fixtures.py

Writes tests/fixtures/dicom/:
  rtstruct-pydicom.json   ROI numbers/names/types, contour and point counts, references (pydicom)
  ct-pydicom.json         CT geometry (sorted by IPP . normal) and HU = pixel_array*slope+intercept
                          at sample voxels (pydicom; the JPEG 2000 series decoded through Pillow)
  ct-plastimatch.json     the same CT series read by plastimatch (ITK/GDCM): geometry and HU
  masks-plastimatch.json.gz  ROI masks rasterised by `plastimatch convert --xor-contours`, as
                          run-length encoded flat indices on OUR grid (i + nx*(j + ny*k), i along
                          DICOM columns, j along rows, k along the slice normal), plus per-slice
                          voxel counts.

dicompyler's rtss.dcm references 98 CT slices of which only ct.0.dcm is public: the script
builds the missing slices as copies of ct.0.dcm at the contour planes, each with the
SOPInstanceUID that the contours on that plane reference (z from the contours, x/y geometry
from ct.0.dcm), so plastimatch and our rasteriser see the same grid.
"""
import copy
import glob
import gzip
import json
import os
import shutil
import subprocess
import tempfile

import nibabel as nib
import numpy as np
import pydicom

DATA = os.path.abspath(os.path.join(os.path.dirname(__file__), '../../../../shared/data'))
OUT = os.path.abspath(os.path.join(os.path.dirname(__file__), '../../fixtures/dicom'))


def rel(p):
    return os.path.relpath(p, DATA)


def rtstruct_summary(path):
    ds = pydicom.dcmread(path)
    names = {int(r.ROINumber): str(r.ROIName) for r in ds.StructureSetROISequence}
    types = {int(o.ReferencedROINumber): (str(o.get('RTROIInterpretedType', '')) or None)
             for o in ds.get('RTROIObservationsSequence', [])}
    rois = []
    for c in ds.ROIContourSequence:
        n = int(c.ReferencedROINumber)
        cs = c.get('ContourSequence', [])
        rois.append({
            'number': n,
            'name': names.get(n),
            'interpretedType': types.get(n),
            'contourCount': len(cs),
            'pointCount': sum(int(x.NumberOfContourPoints) for x in cs),
            'coordinateCount': sum(len(x.ContourData) for x in cs),
            'geometricTypes': sorted({str(x.ContourGeometricType) for x in cs}),
        })
    for n, name in names.items():
        if n not in {r['number'] for r in rois}:
            rois.append({'number': n, 'name': name, 'interpretedType': types.get(n), 'contourCount': 0,
                         'pointCount': 0, 'coordinateCount': 0, 'geometricTypes': []})
    rois.sort(key=lambda r: r['number'])
    fr = ds.get('ReferencedFrameOfReferenceSequence', [])
    series = []
    for f in fr:
        for st in f.get('RTReferencedStudySequence', []):
            for se in st.get('RTReferencedSeriesSequence', []):
                series.append(str(se.SeriesInstanceUID))
    return {
        'file': rel(path),
        'frameOfReferenceUid': str(fr[0].FrameOfReferenceUID) if fr else None,
        'referencedSeriesUids': series,
        'rois': rois,
    }


def ct_summary(files, samples):
    dss = [pydicom.dcmread(f) for f in files]
    iop = np.array([float(v) for v in dss[0].ImageOrientationPatient])
    normal = np.cross(iop[:3], iop[3:])
    dss.sort(key=lambda d: float(np.dot(normal, [float(v) for v in d.ImagePositionPatient])))
    pos = [float(np.dot(normal, [float(v) for v in d.ImagePositionPatient])) for d in dss]
    ps = [float(v) for v in dss[0].PixelSpacing]
    spacing_z = (pos[-1] - pos[0]) / (len(pos) - 1) if len(pos) > 1 else float(dss[0].SliceThickness)
    hu = []
    for (i, j, k) in samples:
        d = dss[k]
        v = float(d.pixel_array[j, i]) * float(d.get('RescaleSlope', 1)) + float(d.get('RescaleIntercept', 0))
        hu.append({'i': i, 'j': j, 'k': k, 'hu': v})
    return {
        'files': [rel(f) for f in files],
        'dims': [int(dss[0].Columns), int(dss[0].Rows), len(dss)],
        'spacingMm': [ps[1], ps[0], spacing_z],
        'originMm': [float(v) for v in dss[0].ImagePositionPatient],
        'rowDirection': list(iop[:3]),
        'columnDirection': list(iop[3:]),
        'normal': list(normal / np.linalg.norm(normal)),
        'transferSyntaxUid': str(dss[0].file_meta.TransferSyntaxUID),
        'sortedInstanceNumbers': [int(d.InstanceNumber) if d.get('InstanceNumber') is not None else None for d in dss],
        'samples': hu,
    }


def plastimatch_ct(files, samples, tmp):
    d = os.path.join(tmp, 'ct_in')
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for f in files:
        shutil.copy(f, d)
    out = os.path.join(tmp, 'ct.nii.gz')
    r = subprocess.run(['plastimatch', 'convert', '--input', d, '--output-img', out, '--output-type', 'float'],
                       capture_output=True, text=True)
    if r.returncode != 0:
        # plastimatch 1.9.4 cannot read the anonymised JPEG 2000 TotalSegmentator slices.
        return {'error': (r.stdout + r.stderr).strip().splitlines()[-1]}
    img = nib.load(out)
    a = img.affine
    data = np.asarray(img.dataobj)
    # NIfTI affine is RAS; LPS = diag(-1,-1,1) RAS.
    flip = np.diag([-1.0, -1.0, 1.0])
    m = flip @ a[:3, :3]
    spacing = np.linalg.norm(m, axis=0)
    return {
        'dims': list(map(int, data.shape)),
        'spacingMm': list(map(float, spacing)),
        'originMm': list(map(float, flip @ a[:3, 3])),
        'direction': [float(v) for v in (m / spacing).flatten()],
        'samples': [{'i': i, 'j': j, 'k': k, 'hu': float(data[i, j, k])} for (i, j, k) in samples],
    }


def masks_on_our_grid(prefix_dir, grid):
    """Read plastimatch's per-ROI NIfTI masks and express them on our grid (LPS, our index order)."""
    nx, ny, nz = grid['dims']
    origin = np.array(grid['originMm'])
    spacing = np.array(grid['spacingMm'])
    d = np.array(grid['direction']).reshape(3, 3)
    out = {}
    for f in sorted(glob.glob(os.path.join(prefix_dir, '*.nii.gz'))):
        name = os.path.basename(f)[:-len('.nii.gz')]
        img = nib.load(f)
        data = np.asarray(img.dataobj) > 0
        idx = np.argwhere(data)
        flat = np.zeros(0, dtype=np.int64)
        if len(idx):
            ras = (img.affine @ np.c_[idx, np.ones(len(idx))].T)[:3].T
            lps = ras * np.array([-1.0, -1.0, 1.0])
            ours = ((lps - origin) @ d) / spacing
            r = np.rint(ours)
            assert np.abs(ours - r).max() < 1e-3, f'{name}: plastimatch grid is not our grid'
            r = r.astype(np.int64)
            assert (r >= 0).all() and (r[:, 0] < nx).all() and (r[:, 1] < ny).all() and (r[:, 2] < nz).all()
            flat = np.sort(r[:, 0] + nx * (r[:, 1] + ny * r[:, 2]))
        # Run-length encoding: [start, length, start, length, ...].
        runs = []
        if len(flat):
            breaks = np.nonzero(np.diff(flat) != 1)[0]
            starts = np.r_[flat[0], flat[breaks + 1]]
            ends = np.r_[flat[breaks], flat[-1]]
            for s, e in zip(starts, ends):
                runs += [int(s), int(e - s + 1)]
        per_slice = np.bincount(flat // (nx * ny), minlength=nz) if len(flat) else np.zeros(nz, dtype=int)
        out[name] = {'voxels': int(len(flat)), 'perSlice': [int(v) for v in per_slice], 'runs': runs}
    return out


def plastimatch_masks(rtss, ct_dir, grid, tmp, tag):
    prefix = os.path.join(tmp, f'masks_{tag}')
    shutil.rmtree(prefix, ignore_errors=True)
    subprocess.run(['plastimatch', 'convert', '--input', rtss, '--referenced-ct', ct_dir, '--output-prefix', prefix,
                    '--prefix-format', 'nii.gz', '--xor-contours'], check=True, capture_output=True)
    return masks_on_our_grid(prefix, grid)


def main():
    os.makedirs(OUT, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix='iseg-dicom-ref-')
    try:
        # 1. RTSTRUCT headers.
        rts = [os.path.join(DATA, p) for p in ['dicompyler/rtss.dcm', 'rtutils/mock_data/rt.dcm',
                                              'rtutils/mock_data/invalid_reference_rt.dcm',
                                              'rtutils/mock_data/non_existent_reference_rt.dcm',
                                              'rtutils/empty/dummy_rt.dcm']]
        with open(os.path.join(OUT, 'rtstruct-pydicom.json'), 'w') as fh:
            json.dump({'generator': f'pydicom {pydicom.__version__}', 'structureSets': [rtstruct_summary(p) for p in rts]}, fh, indent=1)

        # 2. CT series.
        series = {
            'rtutils/mock_data': ([os.path.join(DATA, 'rtutils/mock_data/ct_1.dcm'), os.path.join(DATA, 'rtutils/mock_data/ct_2.dcm')],
                                  [(0, 0, 0), (256, 256, 0), (100, 300, 1), (511, 511, 1), (300, 120, 1)]),
            'rtutils/oriented_data': (sorted(glob.glob(os.path.join(DATA, 'rtutils/oriented_data/*.dcm'))),
                                      [(0, 0, 0), (50, 25, 1), (99, 49, 2), (10, 40, 2), (70, 5, 0)]),
            'dicompyler': ([os.path.join(DATA, 'dicompyler/ct.0.dcm')], [(0, 0, 0), (256, 256, 0), (200, 300, 0), (400, 100, 0)]),
            'totalsegmentator/example_ct_dicom': (sorted(glob.glob(os.path.join(DATA, 'totalsegmentator/example_ct_dicom/*'))),
                                                  [(0, 0, 0), (256, 256, 0), (256, 300, 10), (100, 200, 19), (400, 350, 5)]),
        }
        ct = {}
        pct = {}
        for key, (files, samples) in series.items():
            ct[key] = ct_summary(files, samples)
            pct[key] = plastimatch_ct(files, samples, tmp)
        with open(os.path.join(OUT, 'ct-pydicom.json'), 'w') as fh:
            json.dump({'generator': f'pydicom {pydicom.__version__}', 'series': ct}, fh, indent=1)
        with open(os.path.join(OUT, 'ct-plastimatch.json'), 'w') as fh:
            json.dump({'generator': 'plastimatch 1.9.4 convert --output-type float', 'series': pct}, fh, indent=1)

        masks = {}
        # 3a. rt-utils mock data: the 2-slice CT with rt.dcm and with invalid_reference_rt.dcm.
        mock_ct = os.path.join(tmp, 'mock_ct')
        os.makedirs(mock_ct)
        for f in ['ct_1.dcm', 'ct_2.dcm']:
            shutil.copy(os.path.join(DATA, 'rtutils/mock_data', f), mock_ct)
        m = ct['rtutils/mock_data']
        mock_grid = {'dims': m['dims'], 'spacingMm': m['spacingMm'], 'originMm': m['originMm'],
                     'direction': list(np.c_[m['rowDirection'], m['columnDirection'], m['normal']].flatten())}
        masks['rtutils/mock_data/rt.dcm'] = {'grid': mock_grid, 'rois': plastimatch_masks(os.path.join(DATA, 'rtutils/mock_data/rt.dcm'), mock_ct, mock_grid, tmp, 'rt')}
        masks['rtutils/mock_data/invalid_reference_rt.dcm'] = {'grid': mock_grid, 'rois': plastimatch_masks(os.path.join(DATA, 'rtutils/mock_data/invalid_reference_rt.dcm'), mock_ct, mock_grid, tmp, 'inv')}

        # 3b. dicompyler: synthesise the 98-slice CT the RTSTRUCT references.
        rt = pydicom.dcmread(os.path.join(DATA, 'dicompyler/rtss.dcm'))
        z_to_sop = {}
        for c in rt.ROIContourSequence:
            for x in c.get('ContourSequence', []):
                z = round(float(x.ContourData[2]), 2)
                sop = str(x.ContourImageSequence[0].ReferencedSOPInstanceUID)
                assert z_to_sop.setdefault(z, sop) == sop, f'two SOPs at z={z}'
        ct0 = pydicom.dcmread(os.path.join(DATA, 'dicompyler/ct.0.dcm'))
        z0 = float(ct0.ImagePositionPatient[2])
        zs = sorted(z_to_sop)
        assert abs(zs[-1] - z0) < 0.01 and z_to_sop[zs[-1]] == str(ct0.SOPInstanceUID)
        nz = len(zs)
        assert all(abs((zs[-1] - z) / 3.0 - round((zs[-1] - z) / 3.0)) < 1e-6 for z in zs) and round((zs[-1] - zs[0]) / 3) == nz - 1
        syn = os.path.join(tmp, 'dicompyler_ct')
        os.makedirs(syn)
        for n, z in enumerate(zs):
            d = copy.deepcopy(ct0)
            zz = z0 - 3.0 * (nz - 1 - n)
            d.ImagePositionPatient = [ct0.ImagePositionPatient[0], ct0.ImagePositionPatient[1], f'{zz:.4f}']
            d.SliceLocation = f'{zz:.4f}'
            d.SOPInstanceUID = z_to_sop[z]
            d.file_meta.MediaStorageSOPInstanceUID = z_to_sop[z]
            d.InstanceNumber = n + 1
            d.save_as(os.path.join(syn, f'ct.{n}.dcm'))
        ps = [float(v) for v in ct0.PixelSpacing]
        dgrid = {'dims': [int(ct0.Columns), int(ct0.Rows), nz], 'spacingMm': [ps[1], ps[0], 3.0],
                 'originMm': [float(ct0.ImagePositionPatient[0]), float(ct0.ImagePositionPatient[1]), z0 - 3.0 * (nz - 1)],
                 'direction': [1, 0, 0, 0, 1, 0, 0, 0, 1]}
        masks['dicompyler/rtss.dcm'] = {'grid': dgrid, 'rois': plastimatch_masks(os.path.join(DATA, 'dicompyler/rtss.dcm'), syn, dgrid, tmp, 'dpy')}
        with gzip.open(os.path.join(OUT, 'masks-plastimatch.json.gz'), 'wt') as fh:
            json.dump({'generator': 'plastimatch 1.9.4 convert --referenced-ct DIR --output-prefix P --prefix-format nii.gz --xor-contours',
                       'masks': masks}, fh)
        for k, v in masks.items():
            print(k, {n: r['voxels'] for n, r in v['rois'].items()})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
