import { describe, expect, it } from 'vitest';
import { computeObserverRows, observerStructures } from '@/lib/server/observers/measure-run-observers';
import type { Grid } from '@/lib/core/volume';

const grid: Grid = { dims: [12, 12, 6], spacingMm: [2, 2, 3], originMm: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
const n = 12 * 12 * 6;
/** A box [i0, i1) × [j0, j1) × [k0, k1). */
function box(i0: number, i1: number, j0: number, j1: number, k0: number, k1: number): Uint8Array {
  const m = new Uint8Array(n);
  for (let k = k0; k < k1; k++) for (let j = j0; j < j1; j++) for (let i = i0; i < i1; i++) m[i + 12 * (j + 12 * k)] = 1;
  return m;
}
const count = (m: Uint8Array) => m.reduce((a, v) => a + v, 0);
const diceOf = (a: Uint8Array, b: Uint8Array) => (2 * count(a.map((v, q) => v & b[q]!))) / (count(a) + count(b));

describe('inter-observer rows of one target', () => {
  const a = box(2, 8, 2, 8, 1, 5);
  const b = box(3, 9, 2, 8, 1, 5); // shifted one voxel in x
  const c = box(2, 9, 1, 9, 1, 6); // wider
  const machine = box(3, 8, 3, 8, 2, 5);
  const rows = computeObserverRows({
    runId: 'run1',
    target: { structureId: 'm-itv', role: 'ITV', mask: machine, grid, seriesId: null, phasePercent: null },
    physicians: [
      { id: 'pa', mask: a },
      { id: 'pb', mask: b },
      { id: 'pc', mask: c },
    ],
    codeVersion: 'test',
  });
  const overlap = rows.filter((r) => r.convention === 'overlap');

  it('one row per comparison and convention, keys unique', () => {
    // 3 pairs + 3 machine-vs-physician + 2 consensus, each in overlap, voxel and surfel.
    expect(rows).toHaveLength((3 + 3 + 2) * 3);
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
    expect(overlap.filter((r) => r.comparison === 'physician-physician').map((r) => [r.referenceStructureId, r.testStructureId, r.runId])).toEqual([
      ['pa', 'pb', null],
      ['pa', 'pc', null],
      ['pb', 'pc', null],
    ]);
    expect(rows.every((r) => r.observerCount === 3 && r.role === 'ITV')).toBe(true);
  });

  it('Dice values equal a count over the masks; the majority vote is the voxels two of three drew', () => {
    const d = (cmp: string, ref: string | null, consensus: string | null = null) =>
      (overlap.find((r) => r.comparison === cmp && r.referenceStructureId === ref && r.consensus === consensus)!.values as { dice: number }).dice;
    expect(d('physician-physician', 'pa')).toBeCloseTo(diceOf(a, b), 14);
    expect(d('machine-physician', 'pc')).toBeCloseTo(diceOf(c, machine), 14);
    const majority = a.map((v, q) => (v + b[q]! + c[q]! >= 2 ? 1 : 0));
    expect(d('machine-consensus', null, 'majority')).toBeCloseTo(diceOf(majority, machine), 14);
  });
});

describe('one structure per observer', () => {
  it('the reference observer first, then by observer; a structure without a mask is left out', () => {
    const rows = [
      { id: 'z', kind: 'ITV', seriesId: 's', observer: 'obsB', referenceObserver: false, maskKey: 'k1' },
      { id: 'y', kind: 'ITV', seriesId: 's', observer: 'obsB', referenceObserver: false, maskKey: 'k2' },
      { id: 'x', kind: 'ITV', seriesId: 's', observer: 'DR^A', referenceObserver: true, maskKey: 'k3' },
      { id: 'w', kind: 'ITV', seriesId: 's', observer: 'dr2', referenceObserver: false, maskKey: null },
      { id: 'v', kind: 'GTV', seriesId: 's', observer: 'dr3', referenceObserver: false, maskKey: 'k4' },
    ];
    expect(observerStructures(rows, (r) => r.kind === 'ITV').map((r) => r.id)).toEqual(['x', 'y']);
  });
});
