#!/usr/bin/python3
"""
A 512 x 512 x 100 real-CT series in JPEG lossless SV1 for bench/dicom/decode-bench.ts.

TotalSegmentator's 20 JPEG 2000 slices (../shared/data/totalsegmentator/example_ct_dicom) are
decoded (pydicom + GDCM), repeated 5 times along z (2 mm apart, new SOP/series UIDs), written
uncompressed to OUT/native/, then compressed per file by `dcmcjpeg +e1` (dcmtk) to OUT/jpeg-lossless/.
Usage: /usr/bin/python3 bench/dicom/make_series.py OUT
"""
import glob, os, subprocess, sys
import pydicom
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

out = sys.argv[1]
src = sorted(glob.glob('../shared/data/totalsegmentator/example_ct_dicom/*'), key=lambda f: float(pydicom.dcmread(f, stop_before_pixels=True).ImagePositionPatient[2]))
os.makedirs(f'{out}/native', exist_ok=True)
os.makedirs(f'{out}/jpeg-lossless', exist_ok=True)
series_uid = generate_uid(entropy_srcs=['iseg-bench-series'])
study_uid = generate_uid(entropy_srcs=['iseg-bench-study'])
z0 = None
k = 0
for rep in range(5):
    for f in src:
        ds = pydicom.dcmread(f)
        ds.decompress()
        ipp = [float(v) for v in ds.ImagePositionPatient]
        if z0 is None: z0 = ipp[2]
        ipp[2] = z0 + 2.0 * k
        ds.ImagePositionPatient = [f'{v:.4f}' for v in ipp]
        ds.InstanceNumber = k + 1
        ds.SOPClassUID = '1.2.840.10008.5.1.4.1.1.2'
        ds.SOPInstanceUID = generate_uid(entropy_srcs=['iseg-bench', str(k)])
        ds.SeriesInstanceUID, ds.StudyInstanceUID = series_uid, study_uid
        ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        for tag in ('ReferencedImageSequence', 'SourceImageSequence'):
            if tag in ds: del ds[tag]
        name = f'ct_{k:03d}.dcm'
        ds.save_as(f'{out}/native/{name}', write_like_original=False)
        subprocess.run(['dcmcjpeg', '+e1', f'{out}/native/{name}', f'{out}/jpeg-lossless/{name}'], check=True)
        k += 1
print(k, 'slices')
