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

describe('keyNumbersFromSummary: flag details', () => {
  it('a full summary names the phase of a low phase GTV Dice; the ITV 0.81 case is not "low Dice"', () => {
    const n = keyNumbersFromSummary({
      gtv: { medianDice: 0.8, medianHd95Mm: 3, minDice: 0.42 },
      itv: { dice: 0.81, hd95Mm: 4, fpCc: 1, maxFpDistanceMm: 3, physicianCc: 20, largestFpRegionCc: 1 },
      motion: { machine: null, physician: null },
      flags: ['LOW_PHASE_DICE'],
      phases: [
        { phaseIndex: 0, phasePercent: 0, dice: 0.8, physicianCc: 10, outlier: false },
        { phaseIndex: 3, phasePercent: 30, dice: 0.42, physicianCc: 10, outlier: false },
      ],
      thresholds: { itvDice: 0.65, phaseGtvDice: 0.5, largeFpCc: 5, distantFpMm: 10 },
    });
    expect(n.flagDetails?.map((f) => [f.code, f.label, f.text])).toEqual([
      ['LOW_PHASE_DICE', 'phase 30 % GTV Dice 0.42', 'phase 30 % GTV Dice 0.42 is below 0.5'],
    ]);
  });
});
