#!/usr/bin/env python3
"""
DVH statistics of the small dose phantom from two independent tools, for
tests/unit/dose/tool-conventions.test.ts:

    /usr/bin/python3 tests/reference/dose/make-dose-tool-reference.py     # from the repo root

writes tests/fixtures/dose/phantom-tool-reference.json. Needs (Debian) plastimatch,
python3-dicompylercore, python3-pydicom, python3-numpy, and node (npx tsx) to write the phantom
(tests/reference/dose/write-dose-phantom.ts = lib/dicom/dose-phantom.ts SMALL_DOSE_PHANTOM).

- dicompyler-core (dvhcalc.get_dvh, default options: no interpolation in-plane, the dose plane at
  each contour's z): per ROI the volume (cc), min, max, mean and D98/D95/D50/D2, V95 %/V100 % of the
  plan's 60 Gy, from its DVH object (1 cGy bins).
- plastimatch 1.9.4: `plastimatch convert --input RS.dcm --referenced-ct CT --output-ss-img ss.nrrd
  --output-ss-list ss.txt`, then `plastimatch dvh --input-dose RD.dcm --input-ss-img ss.nrrd
  --input-ss-list ss.txt --bin-width 0.05 --num-bins 2000 --normalization vox`: per ROI the
  cumulative voxel count at each 0.05 Gy bin (trailing zeros dropped).
"""
import csv
import json
import os
import subprocess
import tempfile

from dicompylercore import dicomparser, dvhcalc

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..')
OUT = os.path.join(ROOT, 'tests', 'fixtures', 'dose', 'phantom-tool-reference.json')
RX = 60.0
BIN = 0.05


def main():
    tmp = tempfile.mkdtemp(prefix='dose-ref-')
    subprocess.run(['npx', 'tsx', 'tests/reference/dose/write-dose-phantom.ts', tmp], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    rs = os.path.join(tmp, 'RS.dcm')
    rd = os.path.join(tmp, 'RD.dcm')
    ss = dicomparser.DicomParser(rs)
    structures = ss.GetStructures()
    dicompyler = {}
    for number, s in structures.items():
        d = dvhcalc.get_dvh(rs, rd, number)
        if d.volume == 0:
            continue
        rel = d.relative_volume
        dicompyler[s['name']] = {
            'volumeCc': float(d.volume),
            'min': float(d.min), 'max': float(d.max), 'mean': float(d.mean),
            'd98': float(rel.statistic('D98').value), 'd95': float(rel.statistic('D95').value),
            'd50': float(rel.statistic('D50').value), 'd2': float(rel.statistic('D2').value),
            'v95Percent': float(rel.statistic('V%gGy' % (0.95 * RX)).value), 'v100Percent': float(rel.statistic('V%gGy' % RX).value),
        }
    ssimg = os.path.join(tmp, 'ss.nrrd')
    sslist = os.path.join(tmp, 'ss.txt')
    csvf = os.path.join(tmp, 'dvh.csv')
    subprocess.run(['plastimatch', 'convert', '--input', rs, '--referenced-ct', os.path.join(tmp, 'CT'), '--output-ss-img', ssimg, '--output-ss-list', sslist], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(['plastimatch', 'dvh', '--input-dose', rd, '--input-ss-img', ssimg, '--input-ss-list', sslist, '--output-csv', csvf,
                    '--bin-width', str(BIN), '--num-bins', '2000', '--normalization', 'vox'], check=True, stdout=subprocess.DEVNULL)
    rows = list(csv.reader(open(csvf)))
    names = rows[0][1:]
    plast = {}
    for c, name in enumerate(names):
        counts = [int(float(r[c + 1])) for r in rows[1:]]
        while counts and counts[-1] == 0:
            counts.pop()
        plast[name] = counts
    json.dump({'prescriptionGy': RX, 'plastimatch': {'binWidthGy': BIN, 'cumulativeVoxels': plast}, 'dicompyler': dicompyler}, open(OUT, 'w'))
    print('wrote', OUT)


if __name__ == '__main__':
    main()
