/**
 * The cohort statistics kept incrementally (lib/core/stats/kept-cohort-stats.ts): after any
 * sequence of studies changed, removed and added, the statistics read from the kept sorted
 * arrays equal computeCohortStats over the same studies, bit for bit (Object.is on every number,
 * through toStrictEqual on the whole object); the one-pass signed-rank test equals
 * wilcoxonSignedRank on tied data, with zeros, below and above 50 pairs.
 */
import { describe, expect, it } from 'vitest';
import { computeCohortStats, medianIqr, type CaseRunStatus, type CohortCase, type PooledPhases } from '../../../lib/core/stats/cohort-stats';
import { keepCohortStats, keptCohortStats, signedRankOfSortedDifferences, updateKeptCohortStats } from '../../../lib/core/stats/kept-cohort-stats';
import { wilcoxonSignedRank } from '../../../lib/core/stats/wilcoxon-signed-rank';

function rng(seed: number) {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}
const noPhases: PooledPhases = { studies: 0, dice: medianIqr([]), hd95Mm: medianIqr([]), fpCc: medianIqr([]) };
const STATUSES: (CaseRunStatus | null)[] = ['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'QUEUED', 'RUNNING', null];

/** A study with rounded values (ties on purpose), some nulls, a few flags. */
function study(r: () => number, id: number): CohortCase {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const maybe = (x: number) => (r() < 0.1 ? null : x);
  const status = pick(STATUSES);
  const done = status === 'SUCCEEDED' && r() > 0.1;
  return {
    studyId: `s${id}`,
    pseudonym: `P${id}`,
    institution: pick(['Alpha', 'beta', 'Gamma']),
    studyDate: null,
    dateShifted: false,
    physician: null,
    scanner: null,
    model: status === null ? null : 'm 1',
    latestRunStatus: status,
    latestRunError: null,
    hasSummary: done,
    gtvMedianDice: null,
    gtvMedianHd95Mm: null,
    itvDice: done ? maybe(Math.round(r() * 40) / 40) : null,
    itvHd95Mm: done ? maybe(Math.round(r() * 100) / 10) : null,
    itvFpCc: done ? maybe(Math.round(r() * 50) / 10) : null,
    itvMachineCc: done ? maybe(Math.round(r() * 30)) : null,
    itvPhysicianCc: done ? maybe(Math.round(r() * 30)) : null,
    motionMm: null,
    flags: r() < 0.2 ? [pick(['LOW_DICE', 'LARGE_FP'])] : [],
  };
}

describe('kept cohort statistics', () => {
  it('equal computeCohortStats after studies are changed, removed and added, at every size from none up', () => {
    const r = rng(11);
    let next = 0;
    const cases: CohortCase[] = [];
    let kept = keepCohortStats(cases);
    expect(keptCohortStats(kept, cases, noPhases)).toStrictEqual(computeCohortStats(cases, noPhases));
    for (let round = 0; round < 400; round++) {
      const removed: CohortCase[] = [];
      const added: CohortCase[] = [];
      const what = r();
      if (cases.length === 0 || what < 0.45) {
        const c = study(r, next++);
        cases.push(c);
        added.push(c);
      } else {
        const i = Math.floor(r() * cases.length);
        removed.push(cases[i]!);
        if (what < 0.9) {
          const c = { ...study(r, 0), studyId: cases[i]!.studyId, pseudonym: cases[i]!.pseudonym };
          cases[i] = c;
          added.push(c);
        } else cases.splice(i, 1);
      }
      kept = updateKeptCohortStats(kept, removed, added);
      expect(keptCohortStats(kept, cases, noPhases)).toStrictEqual(computeCohortStats(cases, noPhases));
      expect(kept).toStrictEqual(keepCohortStats(cases));
    }
    expect(cases.length).toBeGreaterThan(60);
    // The whiskers and outliers were exercised (a box with outliers), and the normal approximation.
    const stats = keptCohortStats(kept, cases, noPhases);
    expect(stats.paired.method).toBe('normal');
    expect(stats.byInstitution.length).toBe(3);
  });

  it('has outliers beyond the whiskers as box() has them', () => {
    const cases = [0.9, 0.91, 0.9, 0.92, 0.93, 0.9, 0.1, 0.2, 0.99, 0.91].map((d, i) => ({
      ...study(rng(i), i),
      latestRunStatus: 'SUCCEEDED' as const,
      hasSummary: true,
      institution: 'A',
      itvDice: d,
    }));
    const kept = keepCohortStats(cases);
    const s = keptCohortStats(kept, cases, noPhases);
    expect(s.byInstitution[0]!.outliers).toEqual([0.1, 0.2, 0.99]);
    expect(s).toStrictEqual(computeCohortStats(cases, noPhases));
  });

  it('a non-finite ITV value (as the query can return it) gives computeCohortStats, and the kept arrays recover once it is gone', () => {
    const r = rng(3);
    const cases = Array.from({ length: 30 }, (_, i) => ({ ...study(r, i), latestRunStatus: 'SUCCEEDED' as const, hasSummary: true }));
    let kept = keepCohortStats(cases);
    const odd = { ...cases[4]!, itvDice: Number.NaN, itvMachineCc: Infinity, itvPhysicianCc: 3 };
    kept = updateKeptCohortStats(kept, [cases[4]!], [odd]);
    const before = cases[4]!;
    cases[4] = odd;
    expect(kept.irregular).toBe(1);
    expect(keptCohortStats(kept, cases, noPhases)).toStrictEqual(computeCohortStats(cases, noPhases));
    kept = updateKeptCohortStats(kept, [odd], [before]);
    cases[4] = before;
    expect(kept.irregular).toBe(0);
    expect(keptCohortStats(kept, cases, noPhases)).toStrictEqual(computeCohortStats(cases, noPhases));
  });

  it('says when a removed row is not kept', () => {
    const r = rng(5);
    const cases = [{ ...study(r, 1), latestRunStatus: 'SUCCEEDED' as const, hasSummary: true, itvDice: 0.5 }];
    const kept = keepCohortStats(cases);
    expect(() => updateKeptCohortStats(kept, [{ ...cases[0]!, itvDice: 0.75 }], [])).toThrow(/0.75 to remove is not in the pool/);
  });

  it('the one-pass signed-rank test equals wilcoxonSignedRank on tied differences with zeros, below and above 50 pairs', () => {
    const r = rng(17);
    for (const n of [0, 1, 2, 10, 49, 50, 51, 60, 200, 5000]) {
      for (const zeros of [0, 3]) {
        const d = Float64Array.from({ length: n + zeros }, (_, i) => (i < zeros ? 0 : Math.round((r() - 0.45) * 40) / 4)).sort();
        const zero = new Float64Array(d.length);
        const expected = (() => {
          try {
            return wilcoxonSignedRank(d, zero);
          } catch (e) {
            return (e as Error).message;
          }
        })();
        const got = (() => {
          try {
            return signedRankOfSortedDifferences(d);
          } catch (e) {
            return (e as Error).message;
          }
        })();
        expect(got).toStrictEqual(expected);
      }
    }
    // All differences tied.
    const tied = new Float64Array(60).fill(2);
    expect(signedRankOfSortedDifferences(tied)).toStrictEqual(wilcoxonSignedRank(tied, new Float64Array(60)));
    // Without ties, above 50 pairs (no tie group larger than one).
    const distinct = Float64Array.from({ length: 80 }, (_, i) => (i % 2 ? i : -i) + 0.5).sort();
    expect(signedRankOfSortedDifferences(distinct)).toStrictEqual(wilcoxonSignedRank(distinct, new Float64Array(80)));
  });
});
