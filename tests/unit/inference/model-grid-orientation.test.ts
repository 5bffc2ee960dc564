import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Grid, IDENTITY_DIRECTION, type Vec3, indexToPatientMm } from '@/lib/core/volume';
import { parseModelManifest } from '@/lib/core/inference/manifest';
import { modelGridFor } from '@/lib/core/inference/model-grid';
import { runSegmentation } from '@/lib/core/inference/run-segmentation';
import type { PatchPredictor } from '@/lib/core/inference/sliding-window';

// A: axial, head-first. B: the same voxels stored with i and k reversed (as a RAS-ordered NIfTI
// of a feet-first series would be). C: the same voxels with the axes permuted (i along +z).
const A: Grid = { dims: [20, 15, 9], spacingMm: [0.8, 0.9, 2.5], originMm: [-10, -5, -20], direction: IDENTITY_DIRECTION };
const B: Grid = { dims: [20, 15, 9], spacingMm: [0.8, 0.9, 2.5], originMm: indexToPatientMm(A, 19, 0, 8), direction: [-1, 0, 0, 0, 1, 0, 0, 0, -1] };
const C: Grid = { dims: [9, 20, 15], spacingMm: [2.5, 0.8, 0.9], originMm: [-10, -5, -20], direction: [0, 1, 0, 0, 0, 1, 1, 0, 0] };
const idxA = (i: number, j: number, k: number) => i + 20 * (j + 15 * k);
const fromB = (i: number, j: number, k: number) => idxA(19 - i, j, 8 - k); // B voxel (i,j,k) is A voxel (19−i, j, 8−k)
const fromC = (i: number, j: number, k: number) => idxA(j, k, i); // C voxel (i,j,k) is A voxel (j, k, i)

function relabel(src: Int16Array, grid: Grid, map: (i: number, j: number, k: number) => number): Int16Array {
  const out = new Int16Array(src.length);
  for (let k = 0, t = 0; k < grid.dims[2]; k++) for (let j = 0; j < grid.dims[1]; j++) for (let i = 0; i < grid.dims[0]; i++, t++) out[t] = src[map(i, j, k)];
  return out;
}

describe('modelGridFor orientation', () => {
  it('"native" keeps the CT axes; "LPS" gives the same grid for any storage order of the same voxels', () => {
    const t: Vec3 = [1.5, 1.5, 2];
    const a = modelGridFor(A, t, 'LPS');
    expect(a).toEqual(modelGridFor(A, t, 'native'));
    for (const g of [B, C]) {
      const m = modelGridFor(g, t, 'LPS');
      expect(m.dims).toEqual(a.dims);
      for (let n = 0; n < 3; n++) expect(m.originMm[n]).toBeCloseTo(a.originMm[n], 9);
      expect(m.direction.map((v) => v + 0)).toEqual(a.direction);
    }
    expect(modelGridFor(B, t, 'native').direction).toEqual(B.direction);
    expect(modelGridFor(C, t, 'native').dims).toEqual([Math.ceil((9 * 2.5) / 1.5), Math.ceil((20 * 0.8) / 1.5), Math.ceil((15 * 0.9) / 2)]);
  });

  it('keeps an oblique CT’s obliquity, only reordering and flipping its axes', () => {
    const c = Math.cos(0.3);
    const s = Math.sin(0.3);
    // i ≈ −y, j ≈ +x, k ≈ −z, rotated 0.3 rad about z.
    const g: Grid = { dims: [10, 12, 8], spacingMm: [1, 1.2, 3], originMm: [0, 0, 0], direction: [s, c, 0, -c, s, 0, 0, 0, -1] };
    const m = modelGridFor(g, [2, 2, 2], 'LPS');
    // Model x = CT j, model y = −CT i, model z = −CT k.
    expect(m.direction.map((v) => v + 0)).toEqual([c, -s, 0, s, c, 0, 0, 0, 1]);
    expect(m.dims).toEqual([Math.ceil(14.4 / 2), Math.ceil(10 / 2), Math.ceil(24 / 2)]);
    const o = indexToPatientMm(g, 9, 0, 7);
    for (let n = 0; n < 3; n++) expect(m.originMm[n]).toBeCloseTo(o[n], 9);
  });
});

describe('runSegmentation with modelGridOrientation', () => {
  const manifest = (orientation: 'native' | 'LPS') => {
    const m = JSON.parse(readFileSync(new URL('../../fixtures/inference/tiny/manifest.json', import.meta.url), 'utf8'));
    m.modelGridOrientation = orientation;
    m.targetSpacingMm = [1.5, 1.5, 2];
    m.input.patchSizeXyz = [8, 8, 6];
    m.postprocess.keep = 'all';
    return parseModelManifest(m);
  };
  // Not mirror-symmetric: each voxel's logit comes from its +W neighbour in the patch, so a
  // network that sees a flipped array gives a different answer.
  const shifted: PatchPredictor = async (b, shape) => {
    const w = shape[4];
    const out = new Float32Array(b.length);
    for (let t = 0; t < b.length; t++) out[t] = 20 * ((t % w === w - 1 ? b[t] : b[t + 1]) - 0.4);
    return out;
  };
  const ct = new Int16Array(20 * 15 * 9);
  for (let k = 0, t = 0; k < 9; k++)
    for (let j = 0; j < 15; j++)
      for (let i = 0; i < 20; i++, t++) {
        const p = indexToPatientMm(A, i, j, k);
        ct[t] = Math.hypot(p[0] + 3, p[1] - 1.3, p[2] + 10) < 5.2 ? 40 : -800;
      }

  it('"LPS" gives the same mask in patient space for differently stored copies; "native" need not', async () => {
    const differences: Record<string, number> = {};
    for (const orientation of ['LPS', 'native'] as const) {
      const a = await runSegmentation({ volume: { grid: A, data: ct }, manifest: manifest(orientation), predict: shifted });
      expect(a.voxelCount).toBeGreaterThan(50);
      let diff = 0;
      for (const [g, map] of [
        [B, fromB],
        [C, fromC],
      ] as const) {
        const r = await runSegmentation({ volume: { grid: g, data: relabel(ct, g, map) }, manifest: manifest(orientation), predict: shifted });
        for (let k = 0, t = 0; k < g.dims[2]; k++)
          for (let j = 0; j < g.dims[1]; j++) for (let i = 0; i < g.dims[0]; i++, t++) if (r.mask.data[t] !== a.mask.data[map(i, j, k)]) diff++;
      }
      differences[orientation] = diff;
    }
    expect(differences.LPS).toBe(0);
    expect(differences.native).toBeGreaterThan(0);
  });
});
