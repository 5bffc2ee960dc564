#!/usr/bin/python3
"""Synthetic RTSTRUCTs with hard cases, rasterised by plastimatch as the reference.

Run from the project root (python3-pydicom, python3-nibabel, plastimatch 1.9.4):

    /usr/bin/python3 tests/reference/dicom/make_synthetic_rtstruct.py

Writes tests/fixtures/dicom/:
  synthetic-axial-rs.dcm    on the rt-utils mock CT (512x512x2, 0.488 mm, z = 60, 65 mm)
  synthetic-oblique-rs.dcm  on the rt-utils oriented CT (100x50x3, 2.5 x 3.5 x 4.5 mm, oblique)
  masks-synthetic-plastimatch.json.gz  plastimatch --xor-contours masks on our grid (RLE)

ROIs (contours made with a seeded generator, so the files are reproducible):
  Marker    a triangle covering a few voxels
  Keyhole   a square ring drawn as ONE contour that cuts in to the hole and back
  Nested    ring (outer + hole) with an island inside the hole, plus a separate island
  Star      a concave 40-point star on both slices
  Oblique   (oblique CT) a concave polygon in the plane of slice 1, and a hole in it
"""
import gzip
import json
import os
import shutil
import subprocess
import tempfile

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.abspath(os.path.join(HERE, '../../../../shared/data'))
OUT = os.path.abspath(os.path.join(HERE, '../../fixtures/dicom'))
import sys
sys.path.insert(0, HERE)
from make_fixtures import masks_on_our_grid  # noqa: E402

RNG = np.random.default_rng(20261128)


def ring(cx, cy, r, n, phase=0.0, wobble=0.0):
    t = phase + 2 * np.pi * np.arange(n) / n
    rr = r * (1 + wobble * RNG.uniform(-1, 1, n))
    return np.c_[cx + rr * np.cos(t), cy + rr * np.sin(t)]


def star(cx, cy, r_out, r_in, points, phase):
    q = np.arange(2 * points)
    r = np.where(q % 2 == 0, r_out, r_in)
    t = phase + np.pi * q / points
    return np.c_[cx + r * np.cos(t), cy + r * np.sin(t)]


def build_rtstruct(cts, rois, path, uid_seed):
    """cts: pydicom CT datasets (sorted); rois: list of (name, [(slice_index, Nx3 mm points), ...])."""
    ct0 = cts[0]
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.481.3'
    meta.MediaStorageSOPInstanceUID = f'2.25.{uid_seed}1'
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(path, {}, file_meta=meta, preamble=b'\0' * 128)
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = 'RTSTRUCT'
    ds.PatientName = str(ct0.get('PatientName', ''))
    ds.PatientID = str(ct0.get('PatientID', ''))
    ds.StudyInstanceUID = ct0.StudyInstanceUID
    ds.SeriesInstanceUID = f'2.25.{uid_seed}2'
    ds.StructureSetLabel = 'synthetic'
    for_uid = ct0.get('FrameOfReferenceUID', f'2.25.{uid_seed}3')
    fr = Dataset()
    fr.FrameOfReferenceUID = for_uid
    st = Dataset()
    st.ReferencedSOPClassUID = '1.2.840.10008.3.1.2.3.2'
    st.ReferencedSOPInstanceUID = ct0.StudyInstanceUID
    se = Dataset()
    se.SeriesInstanceUID = ct0.SeriesInstanceUID
    imgs = []
    for c in cts:
        i = Dataset()
        i.ReferencedSOPClassUID = c.SOPClassUID
        i.ReferencedSOPInstanceUID = c.SOPInstanceUID
        imgs.append(i)
    se.ContourImageSequence = Sequence(imgs)
    st.RTReferencedSeriesSequence = Sequence([se])
    fr.RTReferencedStudySequence = Sequence([st])
    ds.ReferencedFrameOfReferenceSequence = Sequence([fr])
    ssroi, roic, obs = [], [], []
    for n, (name, contours) in enumerate(rois, start=1):
        r = Dataset()
        r.ROINumber = n
        r.ReferencedFrameOfReferenceUID = for_uid
        r.ROIName = name
        r.ROIGenerationAlgorithm = 'MANUAL'
        ssroi.append(r)
        rc = Dataset()
        rc.ReferencedROINumber = n
        rc.ROIDisplayColor = [255, 0, 0]
        seq = []
        for k, pts in contours:
            c = Dataset()
            img = Dataset()
            img.ReferencedSOPClassUID = cts[k].SOPClassUID
            img.ReferencedSOPInstanceUID = cts[k].SOPInstanceUID
            c.ContourImageSequence = Sequence([img])
            c.ContourGeometricType = 'CLOSED_PLANAR'
            c.NumberOfContourPoints = len(pts)
            c.ContourData = [f'{v:.6f}' for v in np.asarray(pts).flatten()]
            seq.append(c)
        rc.ContourSequence = Sequence(seq)
        roic.append(rc)
        o = Dataset()
        o.ObservationNumber = n
        o.ReferencedROINumber = n
        o.RTROIInterpretedType = 'GTV'
        o.ROIInterpreter = ''
        obs.append(o)
    ds.StructureSetROISequence = Sequence(ssroi)
    ds.ROIContourSequence = Sequence(roic)
    ds.RTROIObservationsSequence = Sequence(obs)
    ds.save_as(path, write_like_original=False)


def plane_to_mm(ct, ab):
    """In-plane mm (a along rows/i, b along columns/j) from the slice's IPP → patient mm."""
    iop = np.array([float(v) for v in ct.ImageOrientationPatient])
    ipp = np.array([float(v) for v in ct.ImagePositionPatient])
    return ipp + np.outer(ab[:, 0], iop[:3]) + np.outer(ab[:, 1], iop[3:])


def grid_of(cts):
    iop = np.array([float(v) for v in cts[0].ImageOrientationPatient])
    normal = np.cross(iop[:3], iop[3:])
    normal /= np.linalg.norm(normal)
    pos = [float(np.dot(normal, [float(v) for v in c.ImagePositionPatient])) for c in cts]
    ps = [float(v) for v in cts[0].PixelSpacing]
    return {'dims': [int(cts[0].Columns), int(cts[0].Rows), len(cts)],
            'spacingMm': [ps[1], ps[0], (pos[-1] - pos[0]) / (len(pos) - 1)],
            'originMm': [float(v) for v in cts[0].ImagePositionPatient],
            'direction': list(np.c_[iop[:3], iop[3:], normal].flatten())}


def main():
    tmp = tempfile.mkdtemp(prefix='iseg-synth-rs-')
    out = {}
    try:
        # Axial mock CT.
        files = [os.path.join(DATA, 'rtutils/mock_data', f) for f in ['ct_1.dcm', 'ct_2.dcm']]
        cts = [pydicom.dcmread(f) for f in files]
        cts.sort(key=lambda d: float(d.ImagePositionPatient[2]))
        z = [float(c.ImagePositionPatient[2]) for c in cts]
        xyz = lambda xy, k: np.c_[xy, np.full(len(xy), z[k])]
        rois = [
            ('Marker', [(0, xyz(np.array([[10.1, 10.2], [11.3, 10.4], [10.6, 11.5]]), 0))]),
            ('Keyhole', [(1, xyz(np.array([[-40.3, -40.1], [40.2, -40.1], [40.2, 40.3], [-40.3, 40.3], [-40.3, 0.1],
                                           [-20.2, 0.1], [-20.2, 20.4], [20.1, 20.4], [20.1, -20.3], [-20.2, -20.3],
                                           [-20.2, 0.1], [-40.3, 0.1]]), 1))]),
            ('Nested', [(0, xyz(ring(-60, 50, 30, 90, wobble=0.03), 0)), (0, xyz(ring(-60, 50, 18, 70, 0.3), 0)),
                        (0, xyz(ring(-58, 52, 7, 40, 0.1), 0)), (0, xyz(ring(30, -70, 9, 36), 0))]),
            ('Star', [(k, xyz(star(70, 60, 25, 11, 20, 0.05 * k), k)) for k in (0, 1)]),
        ]
        path = os.path.join(OUT, 'synthetic-axial-rs.dcm')
        build_rtstruct(cts, rois, path, 7001)
        ctdir = os.path.join(tmp, 'axial_ct')
        os.makedirs(ctdir)
        for f in files:
            shutil.copy(f, ctdir)
        grid = grid_of(cts)
        prefix = os.path.join(tmp, 'axial_masks')
        subprocess.run(['plastimatch', 'convert', '--input', path, '--referenced-ct', ctdir, '--output-prefix', prefix,
                        '--prefix-format', 'nii.gz', '--xor-contours'], check=True, capture_output=True)
        out['synthetic-axial-rs.dcm'] = {'ct': 'rtutils/mock_data', 'grid': grid, 'rois': masks_on_our_grid(prefix, grid)}

        # Oblique, anisotropic CT (rt-utils oriented_data): the contour lies in slice 1's plane.
        files = sorted(os.path.join(DATA, 'rtutils/oriented_data', f) for f in os.listdir(os.path.join(DATA, 'rtutils/oriented_data')) if f.endswith('.dcm'))
        cts = [pydicom.dcmread(f) for f in files]
        g = grid_of(cts)
        normal = np.array(g['direction']).reshape(3, 3)[:, 2]
        cts.sort(key=lambda d: float(np.dot(normal, [float(v) for v in d.ImagePositionPatient])))
        g = grid_of(cts)
        poly = np.array([[12.3, 8.9], [180.7, 20.2], [230.1, 150.6], [120.4, 60.3], [60.2, 160.8], [30.5, 90.1]])
        hole = ring(150, 70, 18, 24, 0.2)[::-1]
        rois = [('Oblique', [(1, plane_to_mm(cts[1], poly)), (1, plane_to_mm(cts[1], hole))]),
                ('Marker', [(2, plane_to_mm(cts[2], np.array([[98.1, 58.2], [108.3, 59.1], [101.4, 68.8]])))])]
        path = os.path.join(OUT, 'synthetic-oblique-rs.dcm')
        build_rtstruct(cts, rois, path, 7002)
        ctdir = os.path.join(tmp, 'oblique_ct')
        os.makedirs(ctdir)
        for f in files:
            shutil.copy(f, ctdir)
        prefix = os.path.join(tmp, 'oblique_masks')
        r = subprocess.run(['plastimatch', 'convert', '--input', path, '--referenced-ct', ctdir, '--output-prefix', prefix,
                            '--prefix-format', 'nii.gz', '--xor-contours'], capture_output=True, text=True)
        if r.returncode == 0:
            out['synthetic-oblique-rs.dcm'] = {'ct': 'rtutils/oriented_data', 'grid': g, 'rois': masks_on_our_grid(prefix, g)}
        else:
            print('plastimatch failed on the oblique CT:', (r.stdout + r.stderr).strip().splitlines()[-3:])
        with gzip.open(os.path.join(OUT, 'masks-synthetic-plastimatch.json.gz'), 'wt') as fh:
            json.dump({'generator': 'plastimatch 1.9.4 convert --referenced-ct DIR --output-prefix P --prefix-format nii.gz --xor-contours',
                       'masks': out}, fh)
        for k, v in out.items():
            print(k, {n: r['voxels'] for n, r in v['rois'].items()})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
