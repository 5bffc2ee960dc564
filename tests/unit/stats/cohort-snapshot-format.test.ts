/**
 * The stored form of a kept cohort (lib/server/cohort/cohort-snapshot-format.ts) gives back the
 * same rows, phase values and pooled values (every bit of the numbers), for an empty cohort too,
 * and refuses bytes that are not a snapshot.
 */
import { describe, expect, it } from 'vitest';
import { decodeCohortSnapshot, encodeCohortSnapshot, type CohortSnapshotContent } from '../../../lib/server/cohort/cohort-snapshot-format';
import { poolPhases } from '../../../lib/core/stats/phase-pool';
import type { CohortCase } from '../../../lib/core/stats/cohort-stats';

const kase = (i: number): CohortCase => ({
  studyId: `s${i}`,
  pseudonym: `P${i}`,
  institution: i % 2 ? 'A' : 'B',
  studyDate: i % 3 ? '2021-03-04' : null,
  dateShifted: true,
  physician: i % 2 ? 'Dr Ø' : null,
  scanner: null,
  model: 'm 1',
  latestRunStatus: i % 4 ? 'SUCCEEDED' : 'FAILED',
  latestRunError: i % 4 ? null : 'Failed: "quoted" \n',
  hasSummary: i % 4 !== 0,
  gtvMedianDice: 0.1 + i / 7,
  gtvMedianHd95Mm: null,
  itvDice: 1 / 3,
  itvHd95Mm: 'NaN' as unknown as number, // as PostgreSQL's JSON writes a NaN
  itvFpCc: 1e-300,
  itvMachineCc: 12.5,
  itvPhysicianCc: 11,
  motionMm: null,
  flags: i % 2 ? ['LOW_DICE', 'LARGE_FP'] : [],
  gtvMinDice: null,
  itvLargestFpRegionCc: null,
  itvMaxFpDistanceMm: null,
  hasDose: false,
  fpDoseCc: null,
  fpBelow95PctRxCc: null,
});

describe('cohort snapshot format', () => {
  it('round-trips rows, phase values and the sorted pool bit for bit', async () => {
    const phases = Array.from({ length: 7 }, (_, i) => ({
      anyDice: i !== 3,
      dice: i === 3 ? [] : [0.5, 1 / 3, -0, 0.1 * i],
      hd95Mm: [i * Math.PI],
      fpCc: i % 2 ? [] : [5e-324, 2],
    }));
    const content: CohortSnapshotContent = { datesShifted: true, cases: phases.map((_, i) => kase(i)), phases, pool: poolPhases(phases) };
    const back = await decodeCohortSnapshot(await encodeCohortSnapshot(content));
    // The phase values come back as typed-array views; the same numbers.
    const asArrays = (c: CohortSnapshotContent) => ({
      ...c,
      phases: c.phases.map((p) => ({ anyDice: p.anyDice, dice: Array.from(p.dice), hd95Mm: Array.from(p.hd95Mm), fpCc: Array.from(p.fpCc) })),
    });
    expect(asArrays(back)).toStrictEqual(asArrays(content));
    expect(Object.is(back.phases[0]!.dice[2], -0)).toBe(true);
  });

  it('round-trips an empty cohort', async () => {
    const content: CohortSnapshotContent = { datesShifted: false, cases: [], phases: [], pool: poolPhases([]) };
    expect(await decodeCohortSnapshot(await encodeCohortSnapshot(content))).toStrictEqual(content);
  });

  it('refuses bytes that are not a snapshot, and a truncated one', async () => {
    await expect(decodeCohortSnapshot(Buffer.from('{"format":1}'))).rejects.toThrow(/not a ISEGCOH2 snapshot/);
    const phases = [{ anyDice: true, dice: [0.5], hd95Mm: [1], fpCc: [2] }];
    const data = await encodeCohortSnapshot({ datesShifted: false, cases: [kase(1)], phases, pool: poolPhases(phases) });
    await expect(decodeCohortSnapshot(data.subarray(0, data.length - 3))).rejects.toThrow(/do not match the header/);
  });
});
