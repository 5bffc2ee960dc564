#!/usr/bin/python3
"""
Compressed CT fixtures for tests/unit/dicom/compressed-pixel-data.test.ts, and their references.

Sources (real CT, ../shared/data, see its README):
  rtutils      rtutils/mock_data/ct_1.dcm, ct_2.dcm   signed 16-bit (values -2000..1149), explicit VR LE
  totalseg     totalsegmentator/example_ct_dicom, the two slices at z = 1.0 and 2.0 ... (the first two
               along the normal)                       unsigned, 12 bits stored, JPEG 2000 lossless
Each source slice is cropped to 80 columns x 96 rows (non-square, so a row/column swap shows),
its ImagePositionPatient moved to the crop's first voxel, blank UIDs filled in (TotalSegmentator's
are blank and GDCM will not write such files), and written uncompressed (explicit VR LE)
as native/. That copy is then compressed by independent encoders:
  jpeg-lossless-sv1   dcmcjpeg +e1                  1.2.840.10008.1.2.4.70
  jpeg-lossless-sv6   dcmcjpeg +el +sv 6            1.2.840.10008.1.2.4.57
  jpeg-lossless-frag  dcmcjpeg +e1 +fs 1 -ot        .70, 1 KB fragments, empty Basic Offset Table
  jpeg-ls             dcmcjpls                      1.2.840.10008.1.2.4.80
  jpeg-ls-near        dcmcjpls +en +md 2            1.2.840.10008.1.2.4.81 (near-lossless, |error| <= 2;
                      or gdcmconv --jpegls --lossy  for signed pixels, which dcmcjpls refuses)
  rle                 dcmcrle                       1.2.840.10008.1.2.5
  j2k                 gdcmconv --j2k                1.2.840.10008.1.2.4.90
  j2k-lossy           gdcmconv --j2k --lossy -r 10  1.2.840.10008.1.2.4.91 (rate 10:1; -q 40 gave a constant
                                                    image that GDCM and Pillow/OpenJPEG both decode as such)
  jpeg-baseline       dcmcjpeg +eb                  1.2.840.10008.1.2.4.50 (dcmtk windows to 8 bits
                                                    and sets a new rescale slope; lossy)
  htj2k               ojph_compress -reversible true 1.2.840.10008.1.2.4.201 (OpenJPH 0.9, Debian
                      + pydicom encapsulate         openjph-tools; reference decoded by ojph_expand)
plus multiframe/: one 2-frame image per source, frames JPEG lossless SV1 (dcmcjpeg), encapsulated by
pydicom.encaps.encapsulate with 2 fragments per frame, with a Basic Offset Table (bot.dcm) and
without one (nobot.dcm).

references.json.gz: for every fixture file, the HU that pydicom 2.3 (GDCM handler for JPEG/JPEG-LS/
JPEG 2000, its own RLE handler) decodes: HU = stored * RescaleSlope + RescaleIntercept, as rows of
the frame(s), and for the lossless ones a check that they equal native/ exactly; and for the whole
TotalSegmentator series (uncropped, as shipped) a sha256 of each slice's HU (int16 LE) and its sum.

Run from the project root:  /usr/bin/python3 tests/reference/dicom/make_compressed_fixtures.py
Needs: dcmtk (dcmcjpeg, dcmcjpls, dcmcrle), libgdcm-tools (gdcmconv), openjph-tools (ojph_compress,
ojph_expand), python3-pydicom, python3-gdcm.
"""
import glob, gzip, json, os, shutil, subprocess, sys
import numpy as np
import pydicom
from pydicom.encaps import encapsulate, generate_pixel_data_frame
from pydicom.uid import ExplicitVRLittleEndian
from pydicom._uid_dict import UID_dictionary

# pydicom 2.3 predates HTJ2K: register its UID so that it writes the file as encapsulated.
UID_dictionary.setdefault('1.2.840.10008.1.2.4.201', ('High-Throughput JPEG 2000 Image Compression (Lossless Only)', 'Transfer Syntax', '', '', 'HTJ2KLossless'))

DATA = '../shared/data'
OUT = 'tests/fixtures/dicom/compressed'
ROWS, COLS = 96, 80

def crop(src, dst, r0, c0):
    ds = pydicom.dcmread(src)
    ds.decompress()  # GDCM for the JPEG 2000 source
    px = ds.pixel_array[r0:r0 + ROWS, c0:c0 + COLS].copy()
    row = np.array([float(v) for v in ds.ImageOrientationPatient[:3]])
    col = np.array([float(v) for v in ds.ImageOrientationPatient[3:]])
    ps = [float(v) for v in ds.PixelSpacing]  # [between rows, between columns]
    ipp = np.array([float(v) for v in ds.ImagePositionPatient]) + c0 * ps[1] * row + r0 * ps[0] * col
    ds.ImagePositionPatient = [f'{v:.4f}' for v in ipp]
    ds.Rows, ds.Columns = ROWS, COLS
    ds.PixelData = px.tobytes()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.is_little_endian, ds.is_implicit_VR = True, False
    # TotalSegmentator's export blanked its UIDs, which GDCM refuses to write: give the crop some.
    stem = '2.25.' + str(int.from_bytes(__import__('hashlib').sha256(src.encode()).digest()[:12], 'big'))
    if not ds.get('SOPClassUID'): ds.SOPClassUID = '1.2.840.10008.5.1.4.1.1.2'
    if not ds.get('SOPInstanceUID'): ds.SOPInstanceUID = stem + '.1'
    if not ds.get('StudyInstanceUID'): ds.StudyInstanceUID = '2.25.7301'
    if not ds.get('SeriesInstanceUID'): ds.SeriesInstanceUID = '2.25.7302'
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    # GDCM's lossy derivation cannot append to an existing Referenced/Source Image Sequence.
    for tag in ('LargestImagePixelValue', 'SmallestImagePixelValue', 'ReferencedImageSequence', 'SourceImageSequence'):
        if tag in ds: del ds[tag]
    ds.save_as(dst, write_like_original=False)

def run(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

def htj2k(a, b):
    # OpenJPH (Debian openjph-tools) encodes the raw samples; pydicom 2.3 encapsulates the
    # codestream (it does not know the HTJ2K UID, so it is set by hand).
    ds = pydicom.dcmread(a)
    px = ds.pixel_array
    signed = int(ds.PixelRepresentation) == 1
    raw, j2c = b + '.yuv', b + '.j2c'
    px.astype('<i2' if signed else '<u2').tofile(raw)
    run('ojph_compress', '-i', raw, '-o', j2c, '-reversible', 'true', '-dims', f'{{{px.shape[1]},{px.shape[0]}}}', '-num_comps', '1',
        '-signed', 'true' if signed else 'false', '-bit_depth', str(int(ds.BitsStored)), '-downsamp', '{1,1}')
    ds.PixelData = encapsulate([open(j2c, 'rb').read()])
    ds['PixelData'].VR = 'OB'
    ds['PixelData'].is_undefined_length = True
    ds.file_meta.TransferSyntaxUID = '1.2.840.10008.1.2.4.201'
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.save_as(b, write_like_original=False)
    os.remove(raw)
    os.remove(j2c)

def htj2k_reference(path, ds):
    # pydicom 2.3 has no HTJ2K decoder: the reference is OpenJPH's own decoder (ojph_expand).
    from pydicom.encaps import generate_pixel_data_frame
    j2c, raw = path + '.ref.j2c', path + '.ref.yuv'
    open(j2c, 'wb').write(next(generate_pixel_data_frame(ds.PixelData, 1)))
    run('ojph_expand', '-i', j2c, '-o', raw)
    px = np.fromfile(raw, dtype='<i2' if int(ds.PixelRepresentation) == 1 else '<u2').reshape(int(ds.Rows), int(ds.Columns))
    os.remove(j2c)
    os.remove(raw)
    return px[None].astype(np.float64) * float(getattr(ds, 'RescaleSlope', 1)) + float(getattr(ds, 'RescaleIntercept', 0))

def near_lossless(a, b):
    # dcmcjpls refuses signed pixels for near-lossless; GDCM refuses some unsigned 12-bit ones.
    try: run('dcmcjpls', '+en', '+md', '2', '+un', a, b)
    except subprocess.CalledProcessError: run('gdcmconv', '--quiet', '--jpegls', '--lossy', a, b)

VARIANTS = {
    'jpeg-lossless-sv1': lambda a, b: run('dcmcjpeg', '+e1', '+un', a, b),
    'jpeg-lossless-sv6': lambda a, b: run('dcmcjpeg', '+el', '+sv', '6', '+un', a, b),
    'jpeg-lossless-frag': lambda a, b: run('dcmcjpeg', '+e1', '+fs', '1', '-ot', '+un', a, b),
    'jpeg-ls': lambda a, b: run('dcmcjpls', '+un', a, b),
    'jpeg-ls-near': lambda a, b: near_lossless(a, b),
    'rle': lambda a, b: run('dcmcrle', '+un', a, b),
    'j2k': lambda a, b: run('gdcmconv', '--quiet', '--j2k', a, b),
    'j2k-lossy': lambda a, b: run('gdcmconv', '--quiet', '--j2k', '--lossy', '-r', '10', a, b),
    'jpeg-baseline': lambda a, b: run('dcmcjpeg', '+eb', '+un', a, b),
    'htj2k': htj2k,
}
LOSSLESS = {'jpeg-lossless-sv1', 'jpeg-lossless-sv6', 'jpeg-lossless-frag', 'jpeg-ls', 'rle', 'j2k', 'htj2k'}

def hu_frames(path):
    ds = pydicom.dcmread(path)
    if str(ds.file_meta.TransferSyntaxUID) == '1.2.840.10008.1.2.4.201': return htj2k_reference(path, ds), ds
    arr = ds.pixel_array.astype(np.float64)
    if int(getattr(ds, 'NumberOfFrames', 1) or 1) == 1: arr = arr[None]
    return arr * float(getattr(ds, 'RescaleSlope', 1)) + float(getattr(ds, 'RescaleIntercept', 0)), ds

def main():
    for old in glob.glob(f'{OUT}/*/'): shutil.rmtree(old)  # keeps README.md
    sources = {
        'rtutils': ([f'{DATA}/rtutils/mock_data/ct_1.dcm', f'{DATA}/rtutils/mock_data/ct_2.dcm'], 200, 220),
    }
    ts = sorted(glob.glob(f'{DATA}/totalsegmentator/example_ct_dicom/*'), key=lambda f: float(pydicom.dcmread(f, stop_before_pixels=True).ImagePositionPatient[2]))
    sources['totalseg'] = (ts[:2], 230, 200)
    refs = {}
    for name, (files, r0, c0) in sources.items():
        native = f'{OUT}/{name}/native'
        os.makedirs(native)
        for n, f in enumerate(files):
            crop(f, f'{native}/ct_{n + 1}.dcm', r0, c0)
        for variant, make in VARIANTS.items():
            d = f'{OUT}/{name}/{variant}'
            os.makedirs(d)
            for n in range(len(files)):
                make(f'{native}/ct_{n + 1}.dcm', f'{d}/ct_{n + 1}.dcm')
        # Multi-frame: the two JPEG lossless slices as frames of one image, 2 fragments each.
        d = f'{OUT}/{name}/multiframe'
        os.makedirs(d)
        frames = []
        for n in range(len(files)):
            ds = pydicom.dcmread(f'{OUT}/{name}/jpeg-lossless-sv1/ct_{n + 1}.dcm')
            frames.append(next(generate_pixel_data_frame(ds.PixelData, 1)))
        for bot, fname in ((True, 'bot.dcm'), (False, 'nobot.dcm')):
            ds = pydicom.dcmread(f'{OUT}/{name}/jpeg-lossless-sv1/ct_1.dcm')
            ds.NumberOfFrames = len(frames)
            ds.PixelData = encapsulate(frames, fragments_per_frame=2, has_bot=bot)
            ds['PixelData'].is_undefined_length = True
            ds.save_as(f'{d}/{fname}', write_like_original=False)
        for path in sorted(glob.glob(f'{OUT}/{name}/*/*.dcm')):
            hu, ds = hu_frames(path)
            rel = os.path.relpath(path, OUT)
            entry = {
                'transferSyntaxUid': str(ds.file_meta.TransferSyntaxUID),
                'frames': int(hu.shape[0]), 'rows': int(hu.shape[1]), 'columns': int(hu.shape[2]),
                'hu': [float(v) for v in hu.ravel()],
            }
            variant = rel.split('/')[1]
            if variant in LOSSLESS or variant == 'multiframe':
                nat = np.concatenate([hu_frames(f'{OUT}/{name}/native/ct_{n + 1}.dcm')[0] for n in range(len(files))])
                mine = hu if hu.shape[0] > 1 else hu_frames(f'{OUT}/{name}/native/{os.path.basename(path)}')[0]
                assert np.array_equal(hu, mine if variant != 'multiframe' else nat), f'{rel}: pydicom decode differs from native'
            refs[rel] = entry
    # The whole TotalSegmentator series (20 slices, 512 x 512, JPEG 2000 lossless) as GDCM decodes
    # it: per slice in order along the normal (z ascending here), sha256 of the HU as int16 LE.
    full = []
    for path in ts:
        hu, ds = hu_frames(path)
        full.append({'file': os.path.relpath(path, DATA), 'z': float(ds.ImagePositionPatient[2]),
                     'sha256': __import__('hashlib').sha256(hu[0].astype('<i2').tobytes()).hexdigest(),
                     'sum': float(hu.sum()), 'min': float(hu.min()), 'max': float(hu.max())})
    with gzip.open(f'{OUT}/references.json.gz', 'wt') as f:
        json.dump({'generator': 'tests/reference/dicom/make_compressed_fixtures.py', 'pydicom': pydicom.__version__, 'gdcm': __import__('gdcm').Version.GetVersion(), 'files': refs, 'totalsegmentatorSeries': full}, f)
    total = sum(os.path.getsize(p) for p in glob.glob(f'{OUT}/**/*', recursive=True) if os.path.isfile(p))
    print(f'{len(refs)} files, {total} bytes')

main()
