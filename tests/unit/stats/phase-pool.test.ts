/**
 * The pooled GTV phase values kept sorted (lib/core/stats/phase-pool.ts): a pool updated by
 * removing some studies' values and inserting others equals the pool built from scratch, and
 * its quartiles are medianIqr's (R type 7).
 */
import { describe, expect, it } from 'vitest';
import { mergeSorted, poolPhases, pooledPhases, updatePool, type StudyPhases } from '../../../lib/core/stats/phase-pool';
import { medianIqr } from '../../../lib/core/stats/cohort-stats';

function rng(seed: number) {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}
const study = (r: () => number): StudyPhases => {
  const dice = Array.from({ length: 10 }, () => Math.round(r() * 100) / 100); // ties on purpose
  return { anyDice: r() > 0.1, dice, hd95Mm: dice.map((d) => 10 * (1 - d)), fpCc: dice.slice(0, 5).map((d) => d * 3) };
};

describe('phase pool', () => {
  it('an updated pool equals the pool built from the updated studies', () => {
    const r = rng(7);
    const studies = Array.from({ length: 300 }, () => study(r));
    let pool = poolPhases(studies);
    for (let round = 0; round < 20; round++) {
      const i = Math.floor(r() * studies.length);
      const j = Math.floor(r() * studies.length);
      const before = [studies[i]!, studies[j]!].filter((_, k) => k === 0 || i !== j);
      const after = [study(r)];
      // Study i replaced, study j (when another) removed.
      studies[i] = after[0]!;
      if (i !== j) studies.splice(j, 1);
      pool = updatePool(pool, before, after);
      expect(pool).toEqual(poolPhases(studies));
    }
    const all = studies.flatMap((s) => Array.from(s.dice));
    expect(pooledPhases(pool).dice).toEqual(medianIqr(all));
    expect(pooledPhases(pool).studies).toBe(studies.filter((s) => s.anyDice).length);
  });

  it('leaves non-finite values out, and says when a value to remove is not in the pool', () => {
    const pool = poolPhases([{ anyDice: true, dice: [0.5, Number.NaN, Infinity, 0.2], hd95Mm: [], fpCc: [] }]);
    expect(Array.from(pool.dice)).toEqual([0.2, 0.5]);
    expect(pooledPhases(pool).hd95Mm).toEqual({ n: 0, median: null, q1: null, q3: null });
    expect(() => mergeSorted(Float64Array.of(1, 2), Float64Array.of(1.5), new Float64Array())).toThrow(/1.5 to remove is not in the pool/);
    expect(() => mergeSorted(Float64Array.of(1, 2), Float64Array.of(3), new Float64Array())).toThrow(/3 to remove/);
  });
});
