import { describe, expect, it } from 'vitest';
import { DEFAULT_FLAG_THRESHOLDS, evaluateFlags, explainFlagCodes, flagTitle, FlagRuleError, parseFlagThresholds, type FlagInput } from '@/lib/core/flags';

/** A 4D run: ten phases at 0 %, 10 %, … with the given GTV Dice values, and its ITV numbers. */
function run(itvDice: number | null, phaseDice: (number | null)[], itv: Partial<FlagInput['itv']> = {}): FlagInput {
  return {
    phases: phaseDice.map((dice, i) => ({ phaseIndex: i, phasePercent: i * 10, dice, physicianCc: 12, outlier: false })),
    itv: { dice: itvDice, physicianCc: 20, largestFpRegionCc: 1, maxFpDistanceMm: 4, ...itv },
  };
}

describe('evaluateFlags', () => {
  it('"low Dice" is about the ITV: ITV 0.58 and 0.61 are flagged with the rule and value, ITV 0.81 is not', () => {
    for (const d of [0.58, 0.61]) {
      const f = evaluateFlags(run(d, [0.7, 0.72, 0.69]), DEFAULT_FLAG_THRESHOLDS);
      expect(f.map((x) => x.code)).toEqual(['LOW_DICE']);
      expect(f[0]).toMatchObject({ structure: 'ITV', value: d, threshold: 0.65, rule: 'ITV Dice below 0.65' });
      expect(f[0].text).toBe(`ITV Dice ${d} is below 0.65`);
      expect(flagTitle(f[0])).toBe(`ITV Dice ${d} is below 0.65. Rule: ITV Dice below 0.65.`);
    }
    expect(evaluateFlags(run(0.81, [0.85, 0.8, 0.83]), DEFAULT_FLAG_THRESHOLDS)).toEqual([]);
  });

  it('a low phase GTV Dice is its own flag that names the phase ("phase 30 % GTV Dice 0.42"), not "low Dice"', () => {
    const f = evaluateFlags(run(0.81, [0.8, 0.7, 0.45, 0.42, 0.8]), DEFAULT_FLAG_THRESHOLDS);
    expect(f.map((x) => x.code)).toEqual(['LOW_PHASE_DICE']);
    expect(f[0]).toMatchObject({ structure: 'phase 30 % GTV', value: 0.42, threshold: 0.5, label: 'phase 30 % GTV Dice 0.42' });
    expect(f[0].text).toBe('phase 30 % GTV Dice 0.42 is below 0.5 (2 phases below 0.5; this is the lowest)');
    // A planning CT (no phase number) says "GTV".
    const planning: FlagInput = {
      phases: [{ phaseIndex: null, phasePercent: null, dice: 0.3, physicianCc: 5, outlier: false }],
      itv: { dice: null, physicianCc: null, largestFpRegionCc: null, maxFpDistanceMm: null },
    };
    expect(evaluateFlags(planning, DEFAULT_FLAG_THRESHOLDS).map((x) => [x.code, x.structure])).toEqual([['LOW_PHASE_DICE', 'GTV']]);
  });

  it('FP region and distance flags are strictly above their thresholds; outlier phases and a missing reference are named', () => {
    const at = evaluateFlags(run(0.8, [0.8], { largestFpRegionCc: 5, maxFpDistanceMm: 10 }), DEFAULT_FLAG_THRESHOLDS);
    expect(at).toEqual([]);
    const above = evaluateFlags(run(0.8, [0.8], { largestFpRegionCc: 5.04, maxFpDistanceMm: 12.25 }), DEFAULT_FLAG_THRESHOLDS);
    expect(above.map((x) => [x.code, x.value, x.threshold])).toEqual([
      ['LARGE_FP', 5.04, 5],
      ['DISTANT_FP', 12.25, 10],
    ]);
    expect(above[0].text).toBe('largest ITV false-positive region 5 cc is above 5 cc');
    expect(above[1].text).toBe('an ITV false-positive voxel lies 12.3 mm from the physician ITV, more than 10 mm');
    const r = run(0.8, [0.8, 0.8, 0.8]);
    r.phases[2].outlier = true;
    expect(evaluateFlags(r, DEFAULT_FLAG_THRESHOLDS).map((x) => [x.code, x.structure])).toEqual([['OUTLIER_PHASE', 'phase 20 % GTV']]);
    const none: FlagInput = {
      phases: [{ phaseIndex: null, phasePercent: null, dice: null, physicianCc: null, outlier: false }],
      itv: { dice: null, physicianCc: null, largestFpRegionCc: null, maxFpDistanceMm: null },
    };
    expect(evaluateFlags(none, DEFAULT_FLAG_THRESHOLDS).map((x) => x.code)).toEqual(['NO_REFERENCE']);
  });

  it('follows the thresholds it is given', () => {
    const input = run(0.7, [0.6, 0.62]);
    expect(evaluateFlags(input, DEFAULT_FLAG_THRESHOLDS)).toEqual([]);
    const strict = evaluateFlags(input, { ...DEFAULT_FLAG_THRESHOLDS, itvDice: 0.75, phaseGtvDice: 0.65 });
    expect(strict.map((x) => [x.code, x.structure, x.value])).toEqual([
      ['LOW_DICE', 'ITV', 0.7],
      ['LOW_PHASE_DICE', 'phase 0 % GTV', 0.6],
    ]);
  });
});

describe('parseFlagThresholds', () => {
  it('reads numbers and numeric strings (a form) and refuses a missing, non-numeric or out-of-range field by name', () => {
    expect(parseFlagThresholds({ itvDice: '0.7', phaseGtvDice: 0.5, largeFpCc: '5', distantFpMm: 12 })).toEqual({
      itvDice: 0.7,
      phaseGtvDice: 0.5,
      largeFpCc: 5,
      distantFpMm: 12,
    });
    expect(() => parseFlagThresholds({ itvDice: 0.7, phaseGtvDice: 0.5, largeFpCc: 5 })).toThrow(/"distantFpMm".*missing or not a number/);
    expect(() => parseFlagThresholds({ itvDice: 'abc', phaseGtvDice: 0.5, largeFpCc: 5, distantFpMm: 1 })).toThrow(FlagRuleError);
    expect(() => parseFlagThresholds({ itvDice: 1.2, phaseGtvDice: 0.5, largeFpCc: 5, distantFpMm: 1 })).toThrow(
      'Flag threshold "itvDice" is 1.2; it must be from 0 to 1.',
    );
    expect(() => parseFlagThresholds(null)).toThrow(/must be an object/);
  });
});

describe('explainFlagCodes (a table row: stored codes and the row numbers)', () => {
  it('words each stored code with its value and rule; a missing number keeps the rule', () => {
    const f = explainFlagCodes(
      ['LOW_DICE', 'LOW_PHASE_DICE', 'LARGE_FP', 'DISTANT_FP', 'OUTLIER_PHASE'],
      { itvDice: 0.58, gtvMinDice: 0.42, largestFpRegionCc: 6.2, maxFpDistanceMm: null },
      DEFAULT_FLAG_THRESHOLDS,
    );
    expect(f.map(flagTitle)).toEqual([
      'ITV Dice 0.58 is below 0.65. Rule: ITV Dice below 0.65.',
      'lowest phase GTV Dice 0.42 is below 0.5. Rule: a phase GTV Dice below 0.5.',
      'largest ITV false-positive region 6.2 cc is above 5 cc. Rule: largest ITV false-positive region above 5 cc.',
      'an ITV false-positive voxel farther than 10 mm from the physician ITV (value not stored). Rule: an ITV false-positive voxel farther than 10 mm from the physician ITV.',
      'a machine GTV phase is empty or departs from its neighbouring phases. Rule: a machine GTV phase is empty, or its volume or centroid departs from its neighbours.',
    ]);
    expect(
      explainFlagCodes(['FAILED_RUN'], { itvDice: null, gtvMinDice: null, largestFpRegionCc: null, maxFpDistanceMm: null }, DEFAULT_FLAG_THRESHOLDS),
    ).toEqual([]);
  });
});
