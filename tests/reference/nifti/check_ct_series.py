#!/usr/bin/python3
"""Independent check of lib/dicom/write-ct-series output with pydicom (Debian python3-pydicom 2.3)
and dciodvfy (Debian dicom3tools).

Run from the project root, after `npx tsx tests/reference/nifti/write-ct-fixture.ts`:
    /usr/bin/python3 tests/reference/nifti/check_ct_series.py [DIR] [OUT.json]
Defaults: DIR = tests/fixtures/nifti/ct-series-written-by-iseg,
          OUT = tests/fixtures/nifti/ct-series-pydicom.json.

Per file it records what pydicom reads: UIDs, geometry tags, the HU of every pixel
(pixel_array * RescaleSlope + RescaleIntercept, rows then columns) and, per file, dciodvfy's
Error lines (warnings are summarised separately). The unit test compares these with the volume
the writer was given.
"""
import json
import os
import subprocess
import sys

import pydicom

DIR = sys.argv[1] if len(sys.argv) > 1 else 'tests/fixtures/nifti/ct-series-written-by-iseg'
OUT = sys.argv[2] if len(sys.argv) > 2 else 'tests/fixtures/nifti/ct-series-pydicom.json'


def dciodvfy(path):
    try:
        p = subprocess.run(['dciodvfy', path], capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        return None, None
    lines = (p.stdout + p.stderr).splitlines()
    errors = [l for l in lines if l.startswith('Error')]
    warnings = sorted({l for l in lines if l.startswith('Warning')})
    return errors, warnings


files = []
all_warnings = set()
for name in sorted(os.listdir(DIR)):
    path = os.path.join(DIR, name)
    ds = pydicom.dcmread(path)
    assert ds.file_meta.TransferSyntaxUID == '1.2.840.10008.1.2.1', ds.file_meta.TransferSyntaxUID
    hu = ds.pixel_array.astype('float64') * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    errors, warnings = dciodvfy(path)
    if warnings:
        all_warnings.update(warnings)
    files.append({
        'file': name,
        'sopClassUid': str(ds.SOPClassUID),
        'sopInstanceUid': str(ds.SOPInstanceUID),
        'mediaStorageSopInstanceUid': str(ds.file_meta.MediaStorageSOPInstanceUID),
        'studyInstanceUid': str(ds.StudyInstanceUID),
        'seriesInstanceUid': str(ds.SeriesInstanceUID),
        'frameOfReferenceUid': str(ds.FrameOfReferenceUID),
        'instanceNumber': int(ds.InstanceNumber),
        'imagePositionPatient': [float(v) for v in ds.ImagePositionPatient],
        'imageOrientationPatient': [float(v) for v in ds.ImageOrientationPatient],
        'pixelSpacing': [float(v) for v in ds.PixelSpacing],
        'sliceThickness': float(ds.SliceThickness),
        'rows': int(ds.Rows),
        'columns': int(ds.Columns),
        'pixelRepresentation': int(ds.PixelRepresentation),
        'seriesDescription': str(ds.SeriesDescription),
        'temporalPositionIndex': int(ds.TemporalPositionIndex) if 'TemporalPositionIndex' in ds else None,
        'patientName': str(ds.PatientName),
        'patientId': str(ds.PatientID),
        'patientBirthDate': str(ds.PatientBirthDate),
        'studyDate': str(ds.StudyDate),
        'manufacturer': str(ds.Manufacturer),
        'manufacturerModelName': str(ds.ManufacturerModelName),
        'hu': hu.reshape(-1).tolist(),
        'dciodvfyErrors': errors,
    })

with open(OUT, 'w') as f:
    json.dump({'pydicomVersion': pydicom.__version__, 'dciodvfyWarnings': sorted(all_warnings), 'files': files}, f, indent=1)
    f.write('\n')
print(f'{len(files)} files checked; dciodvfy errors: {sum(len(x["dciodvfyErrors"] or []) for x in files)}')
