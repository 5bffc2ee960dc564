import { describe, expect, it } from 'vitest';
import { rankReviewCases, parseReviewCriterion, discordanceScore } from '@/lib/core/review/rank-review-cases';
import type { CaseKeyNumbers } from '@/lib/core/review/case-key-numbers';

function n(itvDice: number | null, itvFpCc: number | null, maxFpDistanceMm: number | null): CaseKeyNumbers {
  return {
    itvDice,
    itvHd95Mm: null,
    itvFpCc,
    maxFpDistanceMm,
    gtvMedianDice: null,
    gtvMedianHd95Mm: null,
    machineMotionMm: null,
    physicianMotionMm: null,
    flags: [],
  };
}

// Hand-made cases; the expected orders below were worked out by hand (and agree with
// python3: sorted(cases, key=lambda c: (c.dice is None, c.dice or 0, -(c.fp or 0), -(c.dist or 0), c.name))).
const cases = [
  { pseudonym: 'A', numbers: n(0.8, 1.0, 5) },
  { pseudonym: 'B', numbers: n(0.5, 0.2, 30) },
  { pseudonym: 'C', numbers: n(0.8, 3.0, 2) }, // ties A on Dice; more FP → before A
  { pseudonym: 'D', numbers: n(null, 9.0, 40) }, // no Dice: not ranked by Dice, last there
  { pseudonym: 'E', numbers: null }, // no metrics at all: last everywhere
  { pseudonym: 'F', numbers: n(0.95, 0, 0) },
  { pseudonym: 'G', numbers: n(0.6, 3.0, 12) }, // ties C on FP cc; farther → before C
];

describe('rankReviewCases', () => {
  it('low Dice first; ties broken by FP cc, then FP distance, then pseudonym; unranked last', () => {
    expect(rankReviewCases(cases, 'low-dice').map((c) => c.pseudonym)).toEqual(['B', 'G', 'C', 'A', 'F', 'D', 'E']);
  });
  it('largest FP volume first', () => {
    expect(rankReviewCases(cases, 'large-fp').map((c) => c.pseudonym)).toEqual(['D', 'G', 'C', 'A', 'B', 'F', 'E']);
  });
  it('most distant FP region first', () => {
    expect(rankReviewCases(cases, 'distant-fp').map((c) => c.pseudonym)).toEqual(['D', 'B', 'G', 'A', 'C', 'F', 'E']);
  });
  it('does not change its input and gives equal cases a fixed order by pseudonym', () => {
    const copy = cases.map((c) => c.pseudonym);
    rankReviewCases(cases, 'large-fp');
    expect(cases.map((c) => c.pseudonym)).toEqual(copy);
    const same = [
      { pseudonym: 'Z', numbers: n(0.7, 1, 1) },
      { pseudonym: 'Y', numbers: n(0.7, 1, 1) },
    ];
    expect(rankReviewCases(same, 'low-dice').map((c) => c.pseudonym)).toEqual(['Y', 'Z']);
  });
  it('scores: larger = more discordant; null when the number is missing', () => {
    expect(discordanceScore(n(0.7, 2, 3), 'low-dice')).toBeCloseTo(-0.7);
    expect(discordanceScore(n(null, 2, 3), 'low-dice')).toBeNull();
    expect(discordanceScore(null, 'large-fp')).toBeNull();
  });
  it('parses the criterion, defaulting to low Dice for anything unknown', () => {
    expect(parseReviewCriterion('distant-fp')).toBe('distant-fp');
    expect(parseReviewCriterion('DROP TABLE')).toBe('low-dice');
    expect(parseReviewCriterion(undefined)).toBe('low-dice');
  });
});
