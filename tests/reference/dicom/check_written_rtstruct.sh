#!/bin/sh
# One-off independent check of lib/dicom/write-rtstruct.ts (its UIDs are random, so no fixture):
# write an RTSTRUCT for a ring + island mask on the rt-utils mock CT, read it with pydicom and
# rasterise it with plastimatch; the voxel count must equal ours.
# Last run (2026-11-28): ours 34933, plastimatch 34933; pydicom reads Modality RTSTRUCT, 5 contours.
set -e
DATA=${DATA:-../shared/data}
T=$(mktemp -d)
mkdir -p "$T/ct" && cp "$DATA/rtutils/mock_data/ct_1.dcm" "$DATA/rtutils/mock_data/ct_2.dcm" "$T/ct/"
cat > "$T/w.ts" <<TS
import { readDicom, writeRtStruct } from '@/lib/dicom';
import { writeFileSync } from 'node:fs';
const ct = await readDicom(['$T/ct/ct_1.dcm', '$T/ct/ct_2.dcm']);
const s = ct.series[0]; const g = s.grid!; const [nx, ny, nz] = g.dims;
const data = new Uint8Array(nx * ny * nz); let n = 0;
for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
  const d = Math.hypot(i - 256, j - 250);
  if ((d < 80 && d > 30) || (k === 1 && Math.hypot(i - 100, j - 400) < 12)) { data[i + nx * (j + ny * k)] = 1; n++; }
}
writeFileSync('$T/rs.dcm', writeRtStruct({ series: s, structures: [{ name: 'GTV_iSeg', mask: { grid: g, data } }] }).bytes);
console.log('ours', n);
TS
cp "$T/w.ts" ./.check-written-rtstruct.tmp.ts && npx tsx ./.check-written-rtstruct.tmp.ts; rm -f ./.check-written-rtstruct.tmp.ts
plastimatch convert --input "$T/rs.dcm" --referenced-ct "$T/ct" --output-prefix "$T/out" --prefix-format nii.gz --xor-contours >/dev/null
/usr/bin/python3 -c "
import nibabel as nib, numpy as np, pydicom
ds = pydicom.dcmread('$T/rs.dcm'); print(ds.Modality, [r.ROIName for r in ds.StructureSetROISequence], len(ds.ROIContourSequence[0].ContourSequence), 'contours')
print('plastimatch', int((np.asarray(nib.load('$T/out/GTV_iSeg.nii.gz').dataobj) > 0).sum()))
"
rm -rf "$T"
