/**
 * RTDOSE / RTPLAN reading: pydicom's RT test files (native LE, big endian, RLE, single frame)
 * against pydicom's own pixel_array × DoseGridScaling (tests/reference/dose/make-pydicom-dose-reference.py),
 * and the findings for what planning systems get wrong, on files our writer makes.
 */
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeRtDose, encodeRtPlan, readRtDoseFile, readRtPlanFile } from '@/lib/dicom';
import type { Volume } from '@/lib/core/volume';

const FIX = join(__dirname, '..', '..', 'fixtures', 'dose');
const ref = JSON.parse(readFileSync(join(FIX, 'pydicom-dose-reference.json'), 'utf8')) as Record<
  string,
  {
    transferSyntaxUid: string;
    dims: number[];
    pixelSpacing: number[];
    imagePositionPatient: number[];
    gridFrameOffsetVector: number[];
    units: string;
    doseType: string;
    summationType: string;
    scaling: number;
    frameOfReferenceUid: string;
    dose: number[];
  }
>;
const tmp = mkdtempSync(join(tmpdir(), 'iseg-dose-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('pydicom RT Dose files read as pydicom reads them', () => {
  for (const name of ['rtdose.dcm', 'rtdose_1frame.dcm', 'rtdose_rle.dcm', 'rtdose_expb.dcm', 'rtdose_rle_1frame.dcm', 'rtdose_expb_1frame.dcm']) {
    it(name, async () => {
      const want = ref[name]!;
      const { dose, findings } = await readRtDoseFile(join(FIX, 'pydicom', name));
      expect(findings.filter((f) => f.severity === 'error')).toEqual([]);
      expect(dose).not.toBeNull();
      const d = dose!;
      expect(d.volume.grid.dims).toEqual(want.dims);
      expect(d.volume.grid.spacingMm.slice(0, 2)).toEqual([want.pixelSpacing[1], want.pixelSpacing[0]]);
      expect(d.volume.grid.originMm).toEqual(want.imagePositionPatient);
      if (want.dims[2]! > 1) expect(d.volume.grid.spacingMm[2]).toBeCloseTo(want.gridFrameOffsetVector[1]! - want.gridFrameOffsetVector[0]!, 9);
      expect(d.units).toBe(want.units);
      expect(d.doseType).toBe(want.doseType);
      expect(d.summationType).toBe(want.summationType);
      expect(d.scaling).toBe(want.scaling);
      expect(d.frameOfReferenceUid).toBe(want.frameOfReferenceUid);
      expect(d.volume.data.length).toBe(want.dose.length);
      let worst = 0;
      want.dose.forEach((v, t) => (worst = Math.max(worst, Math.abs(d.volume.data[t]! - v) / Math.max(1e-12, Math.abs(v)))));
      expect(worst).toBeLessThan(1e-6); // Float32 storage of stored × scaling
      // RELATIVE units are reported, not silently taken as Gy.
      expect(findings.map((f) => f.code)).toContain('DOSE_UNITS_UNKNOWN');
      if (name.includes('1frame')) expect(findings.map((f) => f.code)).toContain('DOSE_GEOMETRY_INVALID'); // 15 offsets for 1 frame
    });
  }

  it('rtplan.dcm: prescription from the TARGET dose reference, fractions from the fraction group', async () => {
    const want = ref['rtplan.dcm'] as unknown as { prescriptionGy: number; fractions: number };
    const { plan, findings } = await readRtPlanFile(join(FIX, 'pydicom', 'rtplan.dcm'));
    expect(plan!.prescriptionGy).toBe(want.prescriptionGy);
    expect(plan!.fractions).toBe(want.fractions);
    expect(plan!.prescriptionSource).toBe('PTV');
    // The ORGAN_AT_RISK item's DeliveryMaximumDose (75 Gy) is a limit, not the prescription.
    expect(plan!.doseReferences.find((r) => r.type === 'ORGAN_AT_RISK')?.deliveryMaximumDoseGy).toBe(75);
    expect(findings.filter((f) => f.code === 'PLAN_WITHOUT_PRESCRIPTION')).toEqual([]);
  });
});

const meta = {
  patientName: 'DOSE^TEST',
  patientId: 'D1',
  studyInstanceUid: '1.2.3',
  frameOfReferenceUid: '1.2.3.4',
  studyDate: '20261206',
  uidSeed: 'dose-test',
};

function ramp(): Volume<Float32Array> {
  const dims: [number, number, number] = [4, 3, 5];
  const data = new Float32Array(60);
  for (let k = 0; k < 5; k++) for (let j = 0; j < 3; j++) for (let i = 0; i < 4; i++) data[i + 4 * (j + 3 * k)] = 1 + i + 10 * j + 0.5 * k;
  return { grid: { dims, spacingMm: [2.5, 3, 2], originMm: [-5, 10, -20], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] }, data };
}

async function readWritten(name: string, opts: Partial<Parameters<typeof encodeRtDose>[0]>) {
  const { bytes } = encodeRtDose({ ...meta, dose: ramp(), ...opts });
  const file = join(tmp, name);
  writeFileSync(file, bytes);
  return readRtDoseFile(file);
}

describe('RT Dose findings', () => {
  it('a dose written by encodeRtDose reads back (geometry, values within the scaling step)', async () => {
    const { dose, findings } = await readWritten('ok.dcm', {});
    expect(findings).toEqual([]);
    const v = ramp();
    expect(dose!.volume.grid).toEqual(v.grid);
    v.data.forEach((x, t) => expect(dose!.volume.data[t]).toBeCloseTo(x, 6));
    expect(dose!.units).toBe('GY');
  });

  it('absolute GridFrameOffsetVector (first value = IPP z) is read as positions', async () => {
    const { dose, findings } = await readWritten('abs.dcm', { frameOffsetsMm: [-20, -18, -16, -14, -12] });
    expect(findings).toEqual([]);
    expect(dose!.volume.grid.originMm).toEqual([-5, 10, -20]);
    expect(dose!.volume.grid.spacingMm[2]).toBeCloseTo(2, 9);
  });

  it('decreasing offsets keep the file order with the k axis along −z', async () => {
    const { dose } = await readWritten('down.dcm', { frameOffsetsMm: [0, -2, -4, -6, -8] });
    expect(dose!.volume.grid.direction[8]).toBe(-1);
    expect(dose!.volume.grid.spacingMm[2]).toBeCloseTo(2, 9);
  });

  it('non-uniform frame offsets: DOSE_FRAME_OFFSET_NONUNIFORM names the gap', async () => {
    const { dose, findings } = await readWritten('uneven.dcm', { frameOffsetsMm: [0, 2, 4, 7, 9] });
    expect(dose).toBeNull();
    const f = findings.find((x) => x.code === 'DOSE_FRAME_OFFSET_NONUNIFORM')!;
    expect(f.severity).toBe('error');
    expect(f.message).toContain('uneven.dcm');
    expect(f.message).toMatch(/3 mm after frame 2/);
  });

  it('missing DoseGridScaling: DOSE_SCALING_MISSING, the dose is refused', async () => {
    const { dose, findings } = await readWritten('noscale.dcm', { scaling: null });
    expect(dose).toBeNull();
    expect(findings.map((f) => [f.code, f.severity])).toContainEqual(['DOSE_SCALING_MISSING', 'error']);
    expect(findings[0]!.message).toMatch(/noscale\.dcm.*DoseGridScaling \(3004,000E\) is missing/);
  });

  it('unknown or missing DoseUnits: DOSE_UNITS_UNKNOWN warning, values kept', async () => {
    for (const units of ['CGY', null]) {
      const { dose, findings } = await readWritten(`units-${units}.dcm`, { units });
      expect(dose).not.toBeNull();
      const f = findings.find((x) => x.code === 'DOSE_UNITS_UNKNOWN')!;
      expect(f.severity).toBe('warning');
      expect(f.message).toContain(units === null ? 'missing' : '"CGY"');
    }
  });

  it('a plan without a prescription: PLAN_WITHOUT_PRESCRIPTION asks for it', async () => {
    const file = join(tmp, 'plan-norx.dcm');
    writeFileSync(file, encodeRtPlan({ ...meta, label: 'NoRx', prescriptionGy: null, fractions: 5 }).bytes);
    const { plan, findings } = await readRtPlanFile(file);
    expect(plan!.prescriptionGy).toBeNull();
    expect(plan!.fractions).toBe(5);
    const f = findings.find((x) => x.code === 'PLAN_WITHOUT_PRESCRIPTION')!;
    expect(f.message).toMatch(/"NoRx".*--prescription-gy/);
    const file2 = join(tmp, 'plan-rx.dcm');
    writeFileSync(file2, encodeRtPlan({ ...meta, label: 'Rx', prescriptionGy: 60, fractions: 30 }).bytes);
    const r2 = await readRtPlanFile(file2);
    expect(r2.plan).toMatchObject({ prescriptionGy: 60, fractions: 30, dosePerFractionGy: 2 });
    expect(r2.findings).toEqual([]);
  });

  it('a CT file passed as the dose is refused with a finding naming it', async () => {
    const file = join(tmp, 'plan-as-dose.dcm');
    writeFileSync(file, encodeRtPlan({ ...meta, label: 'X', prescriptionGy: 60, fractions: 30 }).bytes);
    const { dose, findings } = await readRtDoseFile(file);
    expect(dose).toBeNull();
    expect(findings[0]).toMatchObject({ code: 'IGNORED_OBJECT', severity: 'error' });
  });
});
