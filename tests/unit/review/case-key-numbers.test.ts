import { describe, expect, it } from 'vitest';
import { keyNumbersFromMetricRows, keyNumbersFromSummary } from '@/lib/core/review/case-key-numbers';
import { medianOf } from '@/lib/core/stats/quantile';

describe('keyNumbersFromMetricRows (runs without a stored summary)', () => {
  it('reads the ITV overlap, voxel and discordance rows and the medians over the phase GTVs', () => {
    const rows = [
      { structureKind: 'ITV', convention: 'overlap', values: { dice: 0.71, falsePositiveVolumeCc: 2.5 } },
      { structureKind: 'ITV', convention: 'voxel', values: { hd95Mm: 6.2 } },
      {
        structureKind: 'ITV',
        convention: 'discordance',
        values: { falsePositive: [{ volumeCc: 2, maxDistanceMm: 7.5 }, { volumeCc: 0.5, maxDistanceMm: 18.25 }, { volumeCc: 0.1, maxDistanceMm: null }], falseNegative: [{ maxDistanceMm: 99 }] },
      },
      // phase GTVs: Dice 0.9, 0.6, 0.8, null → median of three = 0.8; HD95 3, 5 → 4
      { structureKind: 'GTV', convention: 'overlap', values: { dice: 0.9 } },
      { structureKind: 'GTV', convention: 'overlap', values: { dice: 0.6 } },
      { structureKind: 'GTV', convention: 'overlap', values: { dice: 0.8 } },
      { structureKind: 'GTV', convention: 'overlap', values: { dice: null } },
      { structureKind: 'GTV', convention: 'voxel', values: { hd95Mm: 3 } },
      { structureKind: 'GTV', convention: 'voxel', values: { hd95Mm: 5 } },
    ];
    expect(keyNumbersFromMetricRows(rows)).toEqual({
      source: 'metrics',
      itvDice: 0.71,
      itvHd95Mm: 6.2,
      itvFpCc: 2.5,
      maxFpDistanceMm: 18.25, // FP regions only; FN distances do not count
      gtvMedianDice: 0.8,
      gtvMedianHd95Mm: 4,
      machineMotionMm: null,
      physicianMotionMm: null,
      flags: [],
    });
  });

  it('no FP region at all gives a distance of 0; no discordance row gives null', () => {
    expect(keyNumbersFromMetricRows([{ structureKind: 'ITV', convention: 'discordance', values: { falsePositive: [], falseNegative: [] } }]).maxFpDistanceMm).toBe(0);
    expect(keyNumbersFromMetricRows([{ structureKind: 'ITV', convention: 'overlap', values: { dice: 0.5 } }]).maxFpDistanceMm).toBeNull();
  });

  it('treats a stored null (undefined Dice, both masks empty) as null, never 0', () => {
    const n = keyNumbersFromMetricRows([{ structureKind: 'ITV', convention: 'overlap', values: { dice: null, falsePositiveVolumeCc: 0 } }]);
    expect(n.itvDice).toBeNull();
    expect(n.itvFpCc).toBe(0);
    expect(n.gtvMedianDice).toBeNull();
  });
});

describe('keyNumbersFromSummary', () => {
  it('copies the summary fields the meeting uses', () => {
    const n = keyNumbersFromSummary({
      gtv: { medianDice: 0.82, medianHd95Mm: 3.1 },
      itv: { dice: 0.77, hd95Mm: 5.5, fpCc: 1.25, maxFpDistanceMm: 11 },
      motion: { machine: { maxMm: 9.5 }, physician: null },
      flags: ['LARGE_FP'],
    });
    expect(n).toEqual({
      source: 'summary', itvDice: 0.77, itvHd95Mm: 5.5, itvFpCc: 1.25, maxFpDistanceMm: 11, gtvMedianDice: 0.82, gtvMedianHd95Mm: 3.1,
      machineMotionMm: 9.5, physicianMotionMm: null, flags: ['LARGE_FP'],
    });
  });
});

describe('keyNumbersFromSummary without FP', () => {
  it('reads a null FP distance with 0 cc of FP as 0 mm (no FP region), but keeps null when FP volume is unknown', () => {
    const base = { gtv: { medianDice: 0.9, medianHd95Mm: 2 }, motion: { machine: null, physician: null }, flags: [] };
    expect(keyNumbersFromSummary({ ...base, itv: { dice: 0.9, hd95Mm: 2, fpCc: 0, maxFpDistanceMm: null } }).maxFpDistanceMm).toBe(0);
    expect(keyNumbersFromSummary({ ...base, itv: { dice: null, hd95Mm: null, fpCc: null, maxFpDistanceMm: null } }).maxFpDistanceMm).toBeNull();
  });
});

describe('medianOf', () => {
  it('ignores nulls; even count averages the middle two', () => {
    expect(medianOf([4, null, 1, 3, 2])).toBe(2.5);
    expect(medianOf([null])).toBeNull();
  });
});
