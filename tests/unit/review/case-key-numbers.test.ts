import { describe, expect, it } from 'vitest';
import { keyNumbersFromSummary } from '@/lib/core/review/case-key-numbers';
import { medianOf } from '@/lib/core/stats/quantile';

describe('keyNumbersFromSummary', () => {
  it('copies the summary fields the meeting uses', () => {
    const n = keyNumbersFromSummary({
      gtv: { medianDice: 0.82, medianHd95Mm: 3.1 },
      itv: { dice: 0.77, hd95Mm: 5.5, fpCc: 1.25, maxFpDistanceMm: 11 },
      motion: { machine: { maxMm: 9.5 }, physician: null },
      flags: ['LARGE_FP'],
    });
    expect(n).toEqual({
      itvDice: 0.77,
      itvHd95Mm: 5.5,
      itvFpCc: 1.25,
      maxFpDistanceMm: 11,
      gtvMedianDice: 0.82,
      gtvMedianHd95Mm: 3.1,
      machineMotionMm: 9.5,
      physicianMotionMm: null,
      flags: ['LARGE_FP'],
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
