/**
 * `iseg-qa dose dvh` as a user runs it: the JSON contract of docs/cli.md on the small dose
 * phantom (prescription from the plan or --prescription-gy), and one-line errors for bad input.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMALL_DOSE_PHANTOM, writeDosePhantom, type DosePhantomFiles, encodeRtDose } from '@/lib/dicom';

const root = path.resolve(__dirname, '..', '..', '..');
const cli = (args: string[]) =>
  spawnSync(process.execPath, [path.join(root, 'cli/iseg-qa.mjs'), ...args], { cwd: os.tmpdir(), encoding: 'utf8', timeout: 120_000 });
const tmp = mkdtempSync(path.join(os.tmpdir(), 'iseg-dose-cli-'));
let f: DosePhantomFiles;
beforeAll(async () => {
  f = await writeDosePhantom(tmp, SMALL_DOSE_PHANTOM);
}, 60_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('iseg-qa dose dvh', () => {
  it('--json: per-structure metrics and DVH with the documented field names', () => {
    const r = cli([
      'dose',
      'dvh',
      '--ct',
      f.ctDir,
      '--rtstruct',
      f.rtstruct,
      '--rtdose',
      f.rtdose,
      '--rtplan',
      f.rtplan,
      '--roi',
      'PTV',
      '--roi',
      'gtv',
      '--json',
      '--bin-gy',
      '0.1',
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      convention: 'iseg',
      doseUnits: 'GY',
      prescriptionGy: 60,
      prescriptionSource: 'plan',
      plan: { prescriptionGy: 60, fractions: 30 },
    });
    expect(out.structures.map((s: { roiName: string }) => s.roiName)).toEqual(['PTV', 'GTV']);
    const ptv = out.structures[0];
    for (const k of [
      'roiNumber',
      'roiName',
      'interpretedType',
      'voxels',
      'volumeCc',
      'outsideDoseGridCc',
      'dminGy',
      'dmeanGy',
      'dmaxGy',
      'd98Gy',
      'd95Gy',
      'd50Gy',
      'd2Gy',
      'v95Percent',
      'v100Percent',
      'dvh',
    ])
      expect(ptv).toHaveProperty(k);
    expect(ptv.dminGy).toBeLessThanOrEqual(ptv.d98Gy);
    expect(ptv.d98Gy).toBeLessThanOrEqual(ptv.d50Gy);
    expect(ptv.d2Gy).toBeLessThanOrEqual(ptv.dmaxGy);
    expect(ptv.dvh.binWidthGy).toBe(0.1);
    expect(ptv.dvh.volumePercent[0]).toBe(100);
    expect(ptv.dvh.volumePercent.at(-1)).toBe(0);
    expect(ptv.dvh.doseGy.length).toBe(ptv.dvh.volumeCc.length);
    // The GTV sits inside the high-dose region of the phantom (≈ 104–107 % of 60 Gy).
    expect(out.structures[1].v95Percent).toBe(100);
  });

  it('--prescription-gy overrides the plan; without either V95/V100 are null', () => {
    const a = JSON.parse(
      cli([
        'dose',
        'dvh',
        '--ct',
        f.ctDir,
        '--rtstruct',
        f.rtstruct,
        '--rtdose',
        f.rtdose,
        '--rtplan',
        f.rtplan,
        '--roi',
        'PTV',
        '--prescription-gy',
        '70',
        '--json',
      ]).stdout,
    );
    expect(a).toMatchObject({ prescriptionGy: 70, prescriptionSource: 'option' });
    expect(a.structures[0].v100Percent).toBe(0);
    const b = JSON.parse(cli(['dose', 'dvh', '--ct', f.ctDir, '--rtstruct', f.rtstruct, '--rtdose', f.rtdose, '--roi', 'PTV', '--json']).stdout);
    expect(b.prescriptionGy).toBeNull();
    expect(b.structures[0].v95Percent).toBeNull();
  });

  it('text output: one row per structure', () => {
    const r = cli(['dose', 'dvh', '--ct', f.ctDir, '--rtstruct', f.rtstruct, '--rtdose', f.rtdose, '--rtplan', f.rtplan, '--convention', 'dicompyler']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/convention dicompyler/);
    for (const n of ['PTV', 'GTV', 'Ring', 'OAR_edge', 'Far']) expect(r.stdout).toMatch(new RegExp(`^${n}\\s`, 'm'));
  });

  it('bad input: one line naming the problem', () => {
    const noRoi = cli(['dose', 'dvh', '--ct', f.ctDir, '--rtstruct', f.rtstruct, '--rtdose', f.rtdose, '--roi', 'Liver']);
    expect(noRoi.status).not.toBe(0);
    expect(noRoi.stderr.trim().split('\n')).toHaveLength(1);
    expect(noRoi.stderr).toMatch(/No ROI "Liver".*PTV/);
    const conv = cli(['dose', 'dvh', '--ct', f.ctDir, '--rtstruct', f.rtstruct, '--rtdose', f.rtdose, '--convention', 'eclipse']);
    expect(conv.stderr).toMatch(/--convention "eclipse" is not one of iseg, plastimatch, dicompyler, dose-grid/);
    const rx = cli(['dose', 'dvh', '--ct', f.ctDir, '--rtstruct', f.rtstruct, '--rtdose', f.rtdose, '--prescription-gy=-2']);
    expect(rx.stderr).toMatch(/--prescription-gy "-2" is not a positive dose/);
    const missing = cli(['dose', 'dvh', '--ct', f.ctDir, '--rtstruct', f.rtstruct]);
    expect(missing.stderr).toMatch(/needs --rtdose/);
    // A dose without DoseGridScaling is refused with the file named.
    const bad = path.join(tmp, 'noscale.dcm');
    writeFileSync(
      bad,
      encodeRtDose({
        patientName: 'X',
        patientId: 'X',
        studyInstanceUid: '1.2',
        frameOfReferenceUid: '1.2.3',
        studyDate: '20261206',
        uidSeed: 'x',
        dose: { grid: f.doseGrid, data: new Float32Array(f.doseGrid.dims[0] * f.doseGrid.dims[1] * f.doseGrid.dims[2]).fill(1) },
        scaling: null,
      }).bytes,
    );
    const ns = cli(['dose', 'dvh', '--ct', f.ctDir, '--rtstruct', f.rtstruct, '--rtdose', bad]);
    expect(ns.status).not.toBe(0);
    expect(ns.stderr).toMatch(/noscale\.dcm.*DoseGridScaling/);
  });

  it('a dose on another frame of reference is used with a warning naming both', () => {
    const other = path.join(tmp, 'otherfor.dcm');
    const data = new Float32Array(f.doseGrid.dims[0] * f.doseGrid.dims[1] * f.doseGrid.dims[2]).fill(2);
    writeFileSync(
      other,
      encodeRtDose({
        patientName: 'X',
        patientId: 'X',
        studyInstanceUid: '1.2',
        frameOfReferenceUid: '1.2.3.999',
        studyDate: '20261206',
        uidSeed: 'y',
        dose: { grid: f.doseGrid, data },
      }).bytes,
    );
    const r = cli(['dose', 'dvh', '--ct', f.ctDir, '--rtstruct', f.rtstruct, '--rtdose', other, '--roi', 'GTV', '--json']);
    const out = JSON.parse(r.stdout);
    expect(out.findings.map((x: { code: string }) => x.code)).toContain('FRAME_OF_REFERENCE_MISMATCH');
    expect(out.structures[0].dmeanGy).toBeCloseTo(2, 5);
  });
});
