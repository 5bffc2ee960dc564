/**
 * `iseg-qa metrics` as a user runs it: the JSON contract of docs/cli.md, and one-line errors
 * for bad input. Numbers themselves are checked against the reference cases and plastimatch
 * in tests/unit/metrics.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeNifti } from '../../../lib/nifti';
import type { Grid } from '../../../lib/core/volume';
import { haveSharedData, referenceSuite, sharedDataPath } from '../../shared-data';

const root = path.resolve(import.meta.dirname, '..', '..', '..');
const seg = sharedDataPath('totalsegmentator');
const cli = (args: string[]) =>
  spawnSync(process.execPath, [path.join(root, 'cli/iseg-qa.mjs'), ...args], { cwd: os.tmpdir(), encoding: 'utf8', timeout: 60_000 });

function grid(dims: [number, number, number], spacing: [number, number, number]): Grid {
  return { dims, spacingMm: spacing, originMm: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
}

describe('iseg-qa metrics', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-metrics-cli-'));
  const cube = (g: Grid, lo: number, hi: number) => {
    const d = new Uint8Array(g.dims[0] * g.dims[1] * g.dims[2]);
    for (let k = lo; k < hi; k++) for (let j = lo; j < hi; j++) for (let i = lo; i < hi; i++) d[i + g.dims[0] * (j + g.dims[1] * k)] = 1;
    return d;
  };

  it('prints the documented JSON fields; two voxels 2 mm apart give HD 2 mm', () => {
    const g = grid([8, 8, 8], [2, 2, 2]);
    const a = new Uint8Array(512);
    const b = new Uint8Array(512);
    a[3 + 8 * (3 + 8 * 3)] = 1;
    b[4 + 8 * (3 + 8 * 3)] = 1;
    writeNifti(path.join(dir, 'a.nii.gz'), { grid: g, data: a }, { intent: 'mask' });
    writeNifti(path.join(dir, 'b.nii.gz'), { grid: g, data: b }, { intent: 'mask' });
    const r = cli(['metrics', '--reference', path.join(dir, 'a.nii.gz'), '--test', path.join(dir, 'b.nii.gz'), '--json', '--convention', 'all']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    for (const f of [
      'dice',
      'jaccard',
      'referenceVoxels',
      'testVoxels',
      'truePositiveVoxels',
      'falsePositiveVoxels',
      'falseNegativeVoxels',
      'referenceVolumeCc',
      'testVolumeCc',
      'falsePositiveVolumeCc',
      'falseNegativeVolumeCc',
      'falsePositiveFraction',
      'centroidShiftMm',
    ]) {
      expect(out).toHaveProperty(f);
    }
    expect(out.dice).toBe(0);
    expect(out.falsePositiveVoxels).toBe(1);
    expect(out.falsePositiveVolumeCc).toBeCloseTo(0.008, 12);
    expect(out.voxel.hausdorffMm).toBe(2);
    expect(out.voxel.toleranceMm).toBe(2);
    expect(out.centroidShiftMm).toBe(2);
    expect(out).toHaveProperty('surfel.hausdorffMm');
    expect(out).toHaveProperty('plastimatch');
  });

  it('empty masks give null with a reason code, never 0', () => {
    const g = grid([6, 6, 6], [1, 1, 1]);
    writeNifti(path.join(dir, 'empty.nii.gz'), { grid: g, data: new Uint8Array(216) }, { intent: 'mask' });
    const r = cli(['metrics', '--reference', path.join(dir, 'empty.nii.gz'), '--test', path.join(dir, 'empty.nii.gz'), '--json']);
    const out = JSON.parse(r.stdout);
    expect(out.dice).toBeNull();
    expect(out.nullReasons.dice).toBe('BOTH_EMPTY');
  });

  it('different grids are refused with both shapes and spacings named', () => {
    writeNifti(path.join(dir, 'c1.nii.gz'), { grid: grid([10, 10, 10], [1, 1, 1]), data: cube(grid([10, 10, 10], [1, 1, 1]), 2, 6) }, { intent: 'mask' });
    writeNifti(path.join(dir, 'c2.nii.gz'), { grid: grid([10, 10, 12], [1, 1, 2.5]), data: new Uint8Array(1200) }, { intent: 'mask' });
    const r = cli(['metrics', '--reference', path.join(dir, 'c1.nii.gz'), '--test', path.join(dir, 'c2.nii.gz')]);
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('10×10×10 at 1×1×1 mm');
    expect(r.stderr).toContain('10×10×12 at 1×1×2.5 mm');
  });

  it('an unreadable file and a missing argument get one-line reasons', () => {
    fs.writeFileSync(path.join(dir, 'junk.nii.gz'), 'not a nifti');
    const r = cli(['metrics', '--reference', path.join(dir, 'junk.nii.gz'), '--test', path.join(dir, 'junk.nii.gz')]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('junk.nii.gz');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const m = cli(['metrics', '--reference', path.join(dir, 'junk.nii.gz')]);
    expect(m.status).toBe(2);
    expect(m.stderr).toContain('--test');
  });

  describe.skipIf(!haveSharedData(seg))(referenceSuite('on real machine segmentations (TotalSegmentator, ../shared/data)'), () => {
    it('refuses a label map without --label, naming the values found', () => {
      const r = cli(['metrics', '--reference', path.join(seg, 'example_seg.nii.gz'), '--test', path.join(seg, 'example_seg_fast.nii.gz')]);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/not a binary mask.*0, 1, 2/);
    });
    it('compares one label of two segmentations', () => {
      const r = cli([
        'metrics',
        '--reference',
        path.join(seg, 'example_seg.nii.gz'),
        '--test',
        path.join(seg, 'example_seg_fast.nii.gz'),
        '--label',
        '5',
        '--json',
      ]);
      expect(r.status).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.referenceVoxels).toBeGreaterThan(0);
      expect(out.dice).toBeGreaterThan(0.9);
      expect(out.truePositiveVoxels + out.falseNegativeVoxels).toBe(out.referenceVoxels);
    });
  });
});
