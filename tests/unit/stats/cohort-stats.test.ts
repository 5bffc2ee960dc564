import { describe, expect, it } from 'vitest';
import { computeCohortStats, medianIqr, sortCases, type CohortCase, type PooledPhases } from '@/lib/core/stats/cohort-stats';
import { wilcoxonSignedRank } from '@/lib/core/stats/wilcoxon-signed-rank';

function kase(k: number, o: Partial<CohortCase> = {}): CohortCase {
  return {
    studyId: `s${k}`,
    pseudonym: `P${String(k).padStart(2, '0')}`,
    institution: 'A',
    studyDate: null,
    dateShifted: false,
    physician: null,
    scanner: null,
    model: 'm 1',
    latestRunStatus: 'SUCCEEDED',
    latestRunError: null,
    hasSummary: true,
    gtvMedianDice: null,
    gtvMedianHd95Mm: null,
    itvDice: null,
    itvHd95Mm: null,
    itvFpCc: null,
    itvMachineCc: null,
    itvPhysicianCc: null,
    motionMm: null,
    flags: [],
    ...o,
  };
}

/** No pooled phases (the GTV row's values come from the cohort query). */
const noPhases: PooledPhases = { studies: 0, dice: medianIqr([]), hd95Mm: medianIqr([]), fpCc: medianIqr([]) };

describe('cohort statistics', () => {
  it('median [IQR] is R quantile type 7 and ignores nulls', () => {
    // R: quantile(c(0.2, 0.55, 0.6, 0.62, 0.7, 0.71, 0.75, 0.8), c(.25, .5, .75)) -> 0.5875 0.66 0.72
    const m = medianIqr([0.7, null, 0.2, 0.55, 0.6, 0.62, 0.71, 0.75, 0.8]);
    expect(m.n).toBe(8);
    expect(m.q1).toBeCloseTo(0.5875, 14);
    expect(m.median).toBeCloseTo(0.66, 14);
    expect(m.q3).toBeCloseTo(0.72, 14);
    expect(medianIqr([null])).toEqual({ n: 0, median: null, q1: null, q3: null });
  });

  it('boxes by institution: Tukey whiskers and outliers as R boxplot.stats gives them here', () => {
    // R: boxplot.stats(x)$stats[c(1, 5)] -> 0.55 0.80; $out -> 0.2
    const dice = [0.2, 0.55, 0.6, 0.62, 0.7, 0.71, 0.75, 0.8];
    const cases = [...dice.map((d, k) => kase(k, { institution: 'B', itvDice: d })), kase(20, { institution: 'A', itvDice: 0.9 })];
    const s = computeCohortStats(cases, noPhases);
    expect(s.byInstitution.map((b) => b.institution)).toEqual(['A', 'B']);
    const b = s.byInstitution[1];
    expect(b).toMatchObject({ n: 8, lowWhisker: 0.55, highWhisker: 0.8, outliers: [0.2] });
    expect(b.median).toBeCloseTo(0.66, 14);
  });

  it('GTV row from the pooled phases, ITV row one value per study; only studies with a summary count', () => {
    const pooled: PooledPhases = {
      studies: 2,
      dice: medianIqr([0.8, 0.9, 0.7, null, 0.6]),
      hd95Mm: medianIqr([2, 4, 6, null, 8]),
      fpCc: medianIqr([1, 3, 5, null, 7]),
    };
    const cases = [
      kase(1, { itvDice: 0.85, itvHd95Mm: 5, itvFpCc: 2 }),
      kase(2, { itvDice: 0.65, itvHd95Mm: 9, itvFpCc: 4, flags: ['LOW_DICE'] }),
      kase(3, { hasSummary: false, latestRunStatus: 'FAILED', itvDice: 0.1, model: 'm 1' }),
      kase(4, { hasSummary: false, latestRunStatus: 'QUEUED', model: null }),
      kase(5, { hasSummary: false, latestRunStatus: null, model: null }),
    ];
    const s = computeCohortStats(cases, pooled);
    expect(s).toMatchObject({ studies: 5, withSummary: 2, failed: 1, pending: 1, notRun: 1, missingSummary: 1, flagCounts: { LOW_DICE: 1 } });
    expect(s.rows[0]).toMatchObject({
      structure: 'GTV',
      studies: 2,
      phases: 4,
      dice: { n: 4, median: 0.75 },
      hd95Mm: { n: 4, median: 5 },
      fpCc: { n: 4, median: 4 },
    });
    expect(s.rows[1]).toMatchObject({ structure: 'ITV', studies: 2, dice: { n: 2, median: 0.75 }, hd95Mm: { median: 7 }, fpCc: { median: 3 } });
  });

  it('machine vs physician ITV volumes: the paired test over studies with both', () => {
    const machine = [22, 31, 18, 40, 27, 35, 12, 50];
    const physician = [20, 33, 15, 36, 25, 30, 13, 44];
    const cases = machine.map((m, k) => kase(k, { itvMachineCc: m, itvPhysicianCc: physician[k] }));
    cases.push(kase(99, { itvMachineCc: 10, itvPhysicianCc: null }));
    const s = computeCohortStats(cases, noPhases);
    const w = wilcoxonSignedRank(machine, physician);
    expect(s.paired).toMatchObject({ n: 8, p: w.p, statistic: w.statistic, method: 'normal', note: null });
    // R: wilcox.test(machine, physician, paired = TRUE) -> V = 32, p = 0.05747074469647417 (ties: normal)
    expect(w.p).toBeCloseTo(0.05747074469647417, 14);
    // differences 2, −2, 3, 4, 2, 5, −1, 6 → median 2.5
    expect(s.paired.medianDifferenceCc).toBe(2.5);
    expect(computeCohortStats([kase(1, { itvMachineCc: 1, itvPhysicianCc: 2 })], noPhases).paired).toMatchObject({
      n: 1,
      p: null,
      note: expect.stringContaining('at least two'),
    });
    expect(
      computeCohortStats([kase(1, { itvMachineCc: 1, itvPhysicianCc: 1 }), kase(2, { itvMachineCc: 2, itvPhysicianCc: 2 })], noPhases).paired.note,
    ).toMatch(/zero/);
  });

  it('sorts with nulls last either way, ties by pseudonym; a failed run counts as a flag', () => {
    const cases = [kase(3, { itvDice: 0.5 }), kase(1, { itvDice: null }), kase(2, { itvDice: 0.9 }), kase(4, { itvDice: 0.5 })];
    expect(sortCases(cases, 'itvDice', 'asc').map((c) => c.pseudonym)).toEqual(['P03', 'P04', 'P02', 'P01']);
    expect(sortCases(cases, 'itvDice', 'desc').map((c) => c.pseudonym)).toEqual(['P02', 'P03', 'P04', 'P01']);
    const flagged = [kase(1), kase(2, { flags: ['LOW_DICE'] }), kase(3, { latestRunStatus: 'FAILED', flags: ['LOW_DICE'] })];
    expect(sortCases(flagged, 'flags', 'desc').map((c) => c.pseudonym)).toEqual(['P03', 'P02', 'P01']);
  });
});
