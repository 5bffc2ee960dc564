/**
 * `iseg-qa segment` with the tiny fixture model (tests/fixtures/inference/tiny; recipe in
 * tests/reference/inference/make_tiny_model.py). The model thresholds smoothed intensity, so on
 * a phantom CT (lung with a soft-tissue ball) the mask must be the ball, in patient space, on
 * the CT's own grid: NIfTI and DICOM input, identity and oblique orientations.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run } from '@/cli/commands/segment';
import { type Grid, type Mask, type Vec3, IDENTITY_DIRECTION, indexToPatientMm, sameGrid } from '@/lib/core/volume';
import { writeCtSeries } from '@/lib/dicom';
import { releaseModels } from '@/lib/inference';
import { readMask, writeNifti } from '@/lib/nifti';

const ROOT = join(__dirname, '../../..');
const TINY = join(ROOT, 'tests/fixtures/inference/tiny');
const tmp = mkdtempSync(join(tmpdir(), 'iseg-cli-segment-'));
afterAll(async () => {
  await releaseModels();
  rmSync(tmp, { recursive: true, force: true });
});

let stdout: string[] = [];
beforeEach(() => {
  stdout = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    stdout.push(String(s));
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

const BALL = { centre: [4.2, -3.1, 2.6] as Vec3, radiusMm: 11 };
const inBall = (p: Vec3) => Math.hypot(p[0] - BALL.centre[0], p[1] - BALL.centre[1], p[2] - BALL.centre[2]) <= BALL.radiusMm;

function phantom(grid: Grid): { grid: Grid; data: Int16Array } {
  const data = new Int16Array(grid.dims[0] * grid.dims[1] * grid.dims[2]);
  for (let k = 0, t = 0; k < grid.dims[2]; k++)
    for (let j = 0; j < grid.dims[1]; j++) for (let i = 0; i < grid.dims[0]; i++, t++) data[t] = inBall(indexToPatientMm(grid, i, j, k)) ? 40 : -800;
  return { grid, data };
}

function diceWithBall(mask: Mask): number {
  const g = mask.grid;
  let tp = 0;
  let ref = 0;
  let test = 0;
  for (let k = 0, t = 0; k < g.dims[2]; k++)
    for (let j = 0; j < g.dims[1]; j++)
      for (let i = 0; i < g.dims[0]; i++, t++) {
        const b = inBall(indexToPatientMm(g, i, j, k));
        ref += b ? 1 : 0;
        test += mask.data[t];
        if (b && mask.data[t]) tp++;
      }
  return (2 * tp) / (ref + test);
}

const axial: Grid = { dims: [64, 58, 21], spacingMm: [0.9, 0.9, 2.5], originMm: [-25, -29, -22], direction: IDENTITY_DIRECTION };
// Oblique: i along (cos 20°, sin 20°, 0), j along (−sin 20°, cos 20°, 0) flipped in z-order of slices.
const c = Math.cos((20 * Math.PI) / 180);
const s = Math.sin((20 * Math.PI) / 180);
const oblique: Grid = { dims: [60, 62, 24], spacingMm: [0.95, 0.85, 2], originMm: [-12, -36, 24], direction: [c, -s, 0, s, c, 0, 0, 0, -1] };

describe('iseg-qa segment', () => {
  it.each([
    ['axial', axial],
    ['oblique', oblique],
  ])('segments a %s NIfTI CT and writes the mask on its grid', async (_name, grid) => {
    const ct = join(tmp, `ct-${_name}.nii.gz`);
    writeNifti(ct, phantom(grid));
    const out = join(tmp, `mask-${_name}.nii.gz`);
    expect(await run(['--ct', ct, '--out', out, '--model-dir', TINY, '--json'])).toBe(0);
    const res = JSON.parse(stdout.join(''));
    const sha = JSON.parse(readFileSync(join(TINY, 'manifest.json'), 'utf8')).sha256;
    expect(res.model).toMatchObject({ name: 'tiny-test', version: '1.0.0', sha256: sha, provider: 'cpu', intendedStructure: 'lung GTV' });
    const mask = readMask(out);
    expect(sameGrid(mask.grid, grid)).toBe(true);
    const voxels = mask.data.reduce((n, v) => n + v, 0);
    expect(res.voxels).toBe(voxels);
    expect(res.volumeCc).toBeCloseTo((voxels * grid.spacingMm[0] * grid.spacingMm[1] * grid.spacingMm[2]) / 1000, 3);
    // Analytic ball volume 4/3·π·11³ mm³ = 5.575 cc.
    expect(res.volumeCc).toBeGreaterThan(5.575 * 0.85);
    expect(res.volumeCc).toBeLessThan(5.575 * 1.15);
    expect(diceWithBall(mask)).toBeGreaterThan(0.9);
    for (const k of [
      'readCt',
      'loadModel',
      'resampleToModel',
      'normalise',
      'slidingWindow',
      'predict',
      'activation',
      'resampleToNative',
      'postprocess',
      'writeMask',
      'wall',
    ])
      expect(res.timingsMs[k]).toBeGreaterThanOrEqual(0);
    expect(res.ct).toMatchObject({ kind: 'nifti', dims: grid.dims });
  });

  it('segments a DICOM CT folder the same way as the NIfTI of the same volume', async () => {
    const vol = phantom(axial);
    const dir = join(tmp, 'dicom');
    writeCtSeries(dir, vol, {
      patientName: 'PHANTOM^BALL',
      patientId: 'BALL1',
      studyInstanceUid: '2.25.1',
      seriesInstanceUid: '2.25.2',
      frameOfReferenceUid: '2.25.3',
      studyDate: '20260101',
      seriesNumber: 1,
      seriesDescription: 'BALL',
      manufacturer: 'iseg-qa test',
      manufacturerModelName: 'none',
    });
    const outDicom = join(tmp, 'mask-dicom.nii');
    expect(await run(['--ct', dir, '--out', outDicom, '--model-dir', TINY, '--json'])).toBe(0);
    const res = JSON.parse(stdout.join(''));
    expect(res.ct).toMatchObject({ kind: 'dicom', seriesUid: '2.25.2' });
    const ct = join(tmp, 'ct-axial-2.nii.gz');
    writeNifti(ct, vol);
    const outNifti = join(tmp, 'mask-nifti-2.nii');
    stdout = [];
    expect(await run(['--ct', ct, '--out', outNifti, '--model-dir', TINY, '--json'])).toBe(0);
    const a = readMask(outDicom);
    const b = readMask(outNifti);
    expect(sameGrid(a.grid, b.grid)).toBe(true);
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
  });

  it('finds tests/fixtures/models/tiny-test by name under ISEG_MODELS_DIR, byte-identical to the fixture', async () => {
    const modelsDir = join(ROOT, 'tests/fixtures/models');
    for (const f of ['model.onnx', 'manifest.json']) expect(readFileSync(join(modelsDir, 'tiny-test', f)).equals(readFileSync(join(TINY, f)))).toBe(true);
    const ct = join(tmp, 'ct-by-name.nii.gz');
    writeNifti(ct, phantom(axial));
    // The shipped models/ folder does not hold the tests' model.
    await expect(run(['--ct', ct, '--out', join(tmp, 'by-name.nii.gz'), '--model', 'tiny-test', '--provider', 'cpu', '--json'])).rejects.toThrow(
      /No model "tiny-test"/,
    );
    vi.stubEnv('ISEG_MODELS_DIR', modelsDir);
    try {
      expect(await run(['--ct', ct, '--out', join(tmp, 'by-name.nii.gz'), '--model', 'tiny-test', '--provider', 'cpu', '--json'])).toBe(0);
    } finally {
      vi.unstubAllEnvs();
    }
    expect(JSON.parse(stdout.join('')).model.dir).toBe(join(modelsDir, 'tiny-test'));
  });

  it('asks for --series when a DICOM folder holds several series (4D CT phases), and uses the one named', async () => {
    const vol = phantom(axial);
    const dir = join(tmp, 'dicom-4d');
    const meta = (uid: string, n: number) => ({
      patientName: 'PHANTOM^FOURD',
      patientId: 'FOURD',
      studyInstanceUid: '2.25.10',
      seriesInstanceUid: uid,
      frameOfReferenceUid: '2.25.11',
      studyDate: '20260101',
      seriesNumber: n,
      seriesDescription: `4D CT ${n * 10}%`,
      manufacturer: 'iseg-qa test',
      manufacturerModelName: 'none',
      temporalPositionIndex: n + 1,
      numberOfTemporalPositions: 2,
    });
    writeCtSeries(join(dir, 'p0'), vol, meta('2.25.20', 0));
    writeCtSeries(join(dir, 'p1'), { grid: vol.grid, data: vol.data.map(() => -800) }, meta('2.25.21', 1));
    const out = join(tmp, 'mask-4d.nii.gz');
    await expect(run(['--ct', dir, '--out', out, '--model-dir', TINY])).rejects.toThrow(/holds 2 CT series; choose one with --series: 2\.25\.20.*; 2\.25\.21/);
    await expect(run(['--ct', dir, '--series', '2.25.99', '--out', out, '--model-dir', TINY])).rejects.toThrow(/No series 2\.25\.99/);
    expect(await run(['--ct', dir, '--series', '2.25.21', '--out', out, '--model-dir', TINY, '--json'])).toBe(0);
    const res = JSON.parse(stdout.join(''));
    expect(res.ct.seriesUid).toBe('2.25.21');
    // Phase 1 is all lung: nothing to segment.
    expect(res.voxels).toBe(0);
    expect(res.probability.meanInThresholdedMask).toBeNull();
  });

  it('refuses bad arguments with a reason', async () => {
    await expect(run(['--out', join(tmp, 'x.nii.gz'), '--model-dir', TINY])).rejects.toThrow(/needs --ct/);
    await expect(run(['--ct', join(tmp, 'missing.nii.gz'), '--out', join(tmp, 'x.nii.gz'), '--model-dir', TINY])).rejects.toThrow(/does not exist/);
    await expect(run(['--ct', TINY, '--out', join(tmp, 'x.nrrd'), '--model-dir', TINY])).rejects.toThrow(/must end in \.nii or \.nii\.gz/);
    await expect(run(['--ct', TINY, '--out', join(tmp, 'x.nii'), '--model', '../etc'])).rejects.toThrow(/folder name under models/);
    await expect(run(['--ct', TINY, '--out', join(tmp, 'x.nii'), '--model', 'no-such-model'])).rejects.toThrow(/No model "no-such-model"/);
    await expect(run(['--ct', TINY, '--out', join(tmp, 'x.nii'), '--model-dir', TINY, '--provider', 'tpu'])).rejects.toThrow(
      /--provider tpu is not one of cpu, cuda, webgpu/,
    );
  });

  it('through the real entry point: a corrupted model exits non-zero with one line naming the hashes', () => {
    const ct = join(tmp, 'ct-entry.nii.gz');
    writeNifti(ct, phantom(axial));
    const bad = join(tmp, 'tiny-corrupt');
    cpSync(TINY, bad, { recursive: true });
    const bytes = readFileSync(join(bad, 'model.onnx'));
    bytes[bytes.length - 5] ^= 0x55;
    writeFileSync(join(bad, 'model.onnx'), bytes);
    const entry = join(ROOT, 'cli/iseg-qa.mjs');
    const r = spawnSync(process.execPath, [entry, 'segment', '--ct', ct, '--out', join(tmp, 'never.nii.gz'), '--model-dir', bad, '--json'], {
      encoding: 'utf8',
      cwd: ROOT,
      timeout: 60_000,
    });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^iseg-qa: Model file .*tiny-corrupt\/model\.onnx has sha256 [0-9a-f]{64} but .* expects [0-9a-f]{64}/);

    const ok = spawnSync(process.execPath, [entry, 'segment', '--ct', ct, '--out', join(tmp, 'entry.nii.gz'), '--model-dir', TINY, '--json'], {
      encoding: 'utf8',
      cwd: ROOT,
      timeout: 60_000,
    });
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout).voxels).toBeGreaterThan(1000);
  });
});
