/**
 * The pure stage of a segmentation run (lib/core/runs/compute-run-metrics.ts) on small real
 * masks, its numbers checked against counts made here voxel by voxel.
 */
import { describe, expect, it } from 'vitest';
import { computePairMetrics, computeRunSummary, countMaskVoxels, type PairMetrics } from '@/lib/core/runs/compute-run-metrics';
import { IDENTITY_DIRECTION, type Grid } from '@/lib/core/volume';

// 10 mm voxels: one voxel is 1 cc.
const grid: Grid = { dims: [3, 3, 3], spacingMm: [10, 10, 10], originMm: [0, 0, 0], direction: IDENTITY_DIRECTION };
const at = (x: number, y: number, z: number) => x + 3 * (y + 3 * z);

/** The voxels (x, y, z) with lo ≤ coordinate ≤ hi on each axis. */
function box(lo: [number, number, number], hi: [number, number, number]): Uint8Array {
  const m = new Uint8Array(27);
  for (let z = lo[2]; z <= hi[2]; z++) for (let y = lo[1]; y <= hi[1]; y++) for (let x = lo[0]; x <= hi[0]; x++) m[at(x, y, z)] = 1;
  return m;
}

/** Counted here, independently of lib/core/metrics. */
function handCount(reference: Uint8Array, test: Uint8Array) {
  let both = 0;
  let refOnly = 0;
  let testOnly = 0;
  for (let i = 0; i < reference.length; i++) {
    if (reference[i] && test[i]) both++;
    else if (reference[i]) refOnly++;
    else if (test[i]) testOnly++;
  }
  return { both, refOnly, testOnly, dice: (2 * both) / (2 * both + refOnly + testOnly) };
}

const options = { codeVersion: 'iseg-qa test' };

describe('computePairMetrics', () => {
  // Reference: the 2×2×2 cube at the low corner; test: the same cube one voxel along x.
  const reference = box([0, 0, 0], [1, 1, 1]);
  const test = box([1, 0, 0], [2, 1, 1]);

  it('Dice, Jaccard, FP and FN of a 3×3×3 case equal a count by hand', () => {
    const hand = handCount(reference, test);
    expect(hand).toEqual({ both: 4, refOnly: 4, testOnly: 4, dice: 0.5 });
    const m = computePairMetrics(
      { reference: { id: 'ref', mask: reference, sha256: 'r1', phasePercent: 50 }, test: { id: 'test', mask: test, sha256: 't1' }, grid },
      options,
    );
    expect(m.overlap).toMatchObject({
      dice: hand.dice,
      jaccard: hand.both / (hand.both + hand.refOnly + hand.testOnly),
      truePositiveVoxels: hand.both,
      falsePositiveVoxels: hand.testOnly,
      falseNegativeVoxels: hand.refOnly,
      referenceVolumeCc: 8,
      testVolumeCc: 8,
      falsePositiveVolumeCc: 4,
      falseNegativeVolumeCc: 4,
    });
    // The 4 FP voxels (x = 2) and the 4 FN voxels (x = 0) each form one connected region.
    expect(m.discordance.falsePositive.map((r) => r.volumeCc)).toEqual([4]);
    expect((m.discordance.falseNegative as { volumeCc: number }[]).map((r) => r.volumeCc)).toEqual([4]);
    expect(m).toMatchObject({ referenceStructureId: 'ref', testStructureId: 'test', referencePercent: 50, referenceMask: reference });
  });

  it('one row per convention, each carrying the grid, the code version and both masks’ sha256', () => {
    const m = computePairMetrics(
      { reference: { id: 'ref', mask: reference, sha256: 'r1', phasePercent: null }, test: { id: 'test', mask: test, sha256: 't1' }, grid },
      { ...options, toleranceMm: 5 },
    );
    expect(m.rows.map((r) => r.convention)).toEqual(['overlap', 'voxel', 'surfel', 'discordance']);
    for (const r of m.rows)
      expect(r).toMatchObject({ spacingMm: [10, 10, 10], dims: [3, 3, 3], codeVersion: 'iseg-qa test', referenceSha256: 'r1', testSha256: 't1' });
    expect(m.rows.find((r) => r.convention === 'overlap')!.toleranceMm).toBeNull();
    expect(m.rows.find((r) => r.convention === 'surfel')!.toleranceMm).toBe(5);
    expect(m.rows.find((r) => r.convention === 'discordance')!.values).toBe(m.discordance);
    expect(m.voxel).toBe(m.rows.find((r) => r.convention === 'voxel')!.values);
  });

  it('an empty machine mask: Dice 0, every reference voxel a false negative', () => {
    const m = computePairMetrics(
      { reference: { id: 'ref', mask: reference, sha256: null, phasePercent: null }, test: { id: 'test', mask: new Uint8Array(27), sha256: null }, grid },
      options,
    );
    expect(m.overlap).toMatchObject({ dice: 0, falseNegativeVoxels: 8, falsePositiveVoxels: 0 });
    expect(m.discordance.falsePositive).toEqual([]);
  });

  it('a mask that does not fit the grid is refused', () => {
    expect(() =>
      computePairMetrics(
        { reference: { id: 'ref', mask: new Uint8Array(26), sha256: null, phasePercent: null }, test: { id: 'test', mask: test, sha256: null }, grid },
        options,
      ),
    ).toThrow(/26|27|grid|length/i);
  });
});

describe('computeRunSummary', () => {
  // Two phases: the machine GTV moves one voxel along z between them; the physician GTV does not.
  const phase0 = box([0, 0, 0], [1, 1, 0]);
  const phase1 = box([0, 0, 1], [1, 1, 1]);
  const physician = box([0, 0, 0], [1, 1, 0]);
  const itvMask = box([0, 0, 0], [1, 1, 1]);
  const physicianItv = box([0, 0, 0], [2, 1, 0]);
  const pair = (refId: string, ref: Uint8Array, testId: string, t: Uint8Array, percent: number | null): PairMetrics =>
    computePairMetrics(
      { reference: { id: refId, mask: ref, sha256: null, phasePercent: percent }, test: { id: testId, mask: t, sha256: null }, grid },
      options,
    );

  it('per-phase and ITV values equal the pairs’ and a count by hand; the phase percent falls back to the reference’s', () => {
    const measured = [pair('p0', physician, 'g0', phase0, 0), pair('p1', physician, 'g1', phase1, 50), pair('pitv', physicianItv, 'itv', itvMask, null)];
    const s = computeRunSummary({
      grid,
      phases: [
        { structureId: 'g0', phaseIndex: 0, phasePercent: 0, mask: phase0 },
        { structureId: 'g1', phaseIndex: 1, phasePercent: null, mask: phase1 },
      ],
      itv: { structureId: 'itv', mask: itvMask },
      measured,
    });
    expect(s.phases.map((p) => p.phasePercent)).toEqual([0, 50]);
    expect(s.phases.map((p) => p.machineCc)).toEqual([countMaskVoxels(phase0), countMaskVoxels(phase1)]);
    expect(s.phases.map((p) => p.physicianCc)).toEqual([4, 4]);
    expect(s.phases.map((p) => p.dice)).toEqual([handCount(physician, phase0).dice, handCount(physician, phase1).dice]);
    expect(s.phases.map((p) => p.dice)).toEqual([1, 0]);
    // The origin is the centre of voxel (0, 0, 0): the 2×2 slab's centre is at (5, 5) mm, z = 0 or 10 mm.
    expect(s.phases.map((p) => p.machineCentroidMm)).toEqual([
      [5, 5, 0],
      [5, 5, 10],
    ]);
    expect(s.motion.machine).toEqual({ LR: 0, AP: 0, SI: 10, maxMm: 10 });
    const itvHand = handCount(physicianItv, itvMask);
    expect(s.itv).toMatchObject({ dice: itvHand.dice, machineCc: 8, physicianCc: 6, fpCc: itvHand.testOnly, fnCc: itvHand.refOnly, largestFpRegionCc: 4 });
    expect(s.gtv).toMatchObject({ minDice: 0, medianDice: 0.5 });
    expect(s.flags).toContain('LOW_DICE');
    expect(s.flags).not.toContain('NO_REFERENCE');
  });

  it('without any physician structure: the machine ITV volume is counted from its mask and the run is flagged NO_REFERENCE', () => {
    const s = computeRunSummary({
      grid,
      phases: [{ structureId: 'g', phaseIndex: null, phasePercent: null, mask: phase0 }],
      itv: { structureId: 'itv', mask: phase0 },
      measured: [],
    });
    expect(s.itv).toMatchObject({ dice: null, machineCc: countMaskVoxels(phase0), physicianCc: null });
    expect(s.phases).toEqual([expect.objectContaining({ dice: null, physicianCc: null, machineCc: 4 })]);
    expect(s.flags).toEqual(['NO_REFERENCE']);
  });
});
