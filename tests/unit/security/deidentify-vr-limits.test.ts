/**
 * Every text attribute that lib/dicom/deidentify.ts writes or leaves in a file stays within the
 * maximum length of its value representation (PS3.5 Table 6.2-1): DeidentificationMethod (LO,
 * 64) was 146 characters. Checked on a de-identified CT slice and RTSTRUCT, walking every element
 * at every sequence depth with dicom-parser (not the dcmjs writer under test).
 */
import { describe, expect, it } from 'vitest';
import { encodeCtSeries } from '../../../lib/dicom/write-ct-series';
import { deidentifyDicom, DEIDENTIFICATION_METHOD } from '../../../lib/dicom/deidentify';
import { parseDicomBytes } from '../../../lib/dicom/parse-file';
import { readDicom, writeRtStruct } from '../../../lib/dicom';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Maximum characters per value (PS3.5 6.2); PN: 64 per component group. */
const MAX: Record<string, number> = { AE: 16, AS: 4, CS: 16, DA: 8, DS: 16, DT: 26, IS: 12, LO: 64, LT: 10240, PN: 64, SH: 16, ST: 1024, TM: 14, UI: 64 };

interface Element {
  tag: string;
  vr?: string;
  length: number;
  dataOffset: number;
  items?: { dataSet?: { elements: Record<string, Element> } }[];
}

/** "LO (0012,0063) = 146 characters", one per value over its limit, at any depth. */
function overLimit(bytes: Uint8Array, elements: Record<string, Element>, path = ''): string[] {
  const out: string[] = [];
  for (const e of Object.values(elements)) {
    if (e.items) {
      e.items.forEach((item, n) => item.dataSet && out.push(...overLimit(bytes, item.dataSet.elements, `${path}${e.tag}[${n}]/`)));
      continue;
    }
    const max = e.vr ? MAX[e.vr] : undefined;
    if (max === undefined) continue;
    const text = Buffer.from(bytes.subarray(e.dataOffset, e.dataOffset + e.length))
      .toString('latin1')
      .replace(/[\0 ]+$/, '');
    const values = e.vr === 'LT' || e.vr === 'ST' ? [text] : text.split('\\');
    for (const v of values) {
      const parts = e.vr === 'PN' ? v.split('=') : [v];
      for (const part of parts) if (part.trimEnd().length > max) out.push(`${e.vr} ${path}${e.tag} = ${part.length} characters: ${part.slice(0, 40)}…`);
    }
  }
  return out;
}

const grid = {
  dims: [4, 3, 2] as [number, number, number],
  spacingMm: [1, 1, 2] as [number, number, number],
  originMm: [0, 0, 0] as [number, number, number],
  direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
};
const remapUid = (u: string) => `2.25.${[...u].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 1_000_000_007, 7)}`;

describe('de-identified files respect the VR length limits', () => {
  const slices = encodeCtSeries(
    { grid, data: new Float32Array(24).fill(40) },
    {
      patientName: 'DOE^JANE',
      patientId: 'MRN-778899',
      patientBirthDate: '19570304',
      studyInstanceUid: '1.2.826.0.1.3680043.2.1125.1.1',
      seriesInstanceUid: '1.2.826.0.1.3680043.2.1125.1.2',
      frameOfReferenceUid: '1.2.826.0.1.3680043.2.1125.1.3',
      studyDate: '20260115',
      seriesNumber: 3,
      seriesDescription: '4D CT phase 20%',
      manufacturer: 'ACME',
      manufacturerModelName: 'Scan 9',
      studyDescription: 'CT THORAX DOE^JANE',
    },
  );

  it('DeidentificationMethod is at most 64 characters (LO)', () => {
    expect(DEIDENTIFICATION_METHOD.length).toBeLessThanOrEqual(64);
  });

  it('a de-identified CT slice: no value over its VR maximum', () => {
    const out = deidentifyDicom(slices[0].bytes, { pseudonym: 'P-4F2A9C', dateShiftDays: -20, remapUid });
    const { parsed } = parseDicomBytes(out, 'ct.dcm');
    const elements = parsed!.dataSet.elements as unknown as Record<string, Element>;
    expect(elements.x00120063, 'DeidentificationMethod present').toBeDefined();
    expect(elements.x00120063.vr).toBe('LO');
    expect(overLimit(out, elements)).toEqual([]);
  });

  it('a de-identified RTSTRUCT: no value over its VR maximum, at any sequence depth', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iseg-vr-'));
    for (const f of slices) writeFileSync(join(dir, f.fileName), f.bytes);
    const series = (await readDicom(dir)).series[0];
    rmSync(dir, { recursive: true, force: true });
    const mask = { grid, data: new Uint8Array(24).map((_, i) => (i % 12 > 4 ? 1 : 0)) };
    const rt = writeRtStruct({
      series,
      structures: [{ name: 'GTV 20%', mask }],
      label: 'Physician',
      seriesDescription: 'Physician structures 4D CT phase 20%',
      now: new Date(Date.UTC(2026, 0, 1)),
    });
    const out = deidentifyDicom(rt.bytes, { pseudonym: 'P-4F2A9C', dateShiftDays: -20, remapUid });
    const { parsed } = parseDicomBytes(out, 'rs.dcm');
    const elements = parsed!.dataSet.elements as unknown as Record<string, Element>;
    expect(
      Object.values(elements).some((e) => e.items && e.items.length > 0),
      'sequences were walked',
    ).toBe(true);
    expect(overLimit(out, elements)).toEqual([]);
  });

  it('the check can fail: a 146-character LO value is reported', () => {
    const bytes = new Uint8Array(146).fill(0x41);
    expect(overLimit(bytes, { x00120063: { tag: 'x00120063', vr: 'LO', length: 146, dataOffset: 0 } })).toHaveLength(1);
    expect(overLimit(bytes, { x00120063: { tag: 'x00120063', vr: 'LO', length: 64, dataOffset: 0 } })).toEqual([]);
  });
});
