/**
 * The review queue over 5,000 studies (the dashboard's scale, issue #7): every study with a
 * succeeded run is listed once, in the order an independent sort of the stored numbers gives.
 * The time it took is printed (not asserted: no timing assertions in tests).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import type { Caller } from '@/lib/server/auth/roles';
import { findReviewQueue, REVIEW_QUEUE_PER_PAGE } from '@/lib/server/review/find-review-queue';
import { runSummaryRows } from '@/lib/server/runs/run-summary.types';

const N = 5000;

function unit(i: number, k: number): number {
  const x = Math.sin(i * 12.9898 + k * 78.233) * 43758.5453;
  return x - Math.floor(x);
}

describe('review queue at 5,000 studies (real Postgres)', () => {
  let t: TestDatabase;
  const truth: { pseudonym: string; dice: number; fpCc: number; distMm: number }[] = [];
  beforeAll(async () => {
    t = await createTestDatabase('review_scale');
    const inst = await t.db.institution.create({ data: { name: 'Scale Hospital' } });
    const model = await t.db.modelVersion.create({ data: { name: 'm', version: '1', sha256: 'c'.repeat(64), manifest: {} } });
    const pad = (i: number) => String(i).padStart(5, '0');
    await t.db.patient.createMany({ data: Array.from({ length: N }, (_, i) => ({ id: `p${pad(i)}`, pseudonym: `S-${pad(i)}`, institutionId: inst.id })) });
    await t.db.study.createMany({
      data: Array.from({ length: N }, (_, i) => ({ id: `s${pad(i)}`, patientId: `p${pad(i)}`, studyInstanceUid: `2.25.1${pad(i)}`, contentHash: `h${i}` })),
    });
    const runs = [];
    const summaries = [];
    for (let i = 0; i < N; i++) {
      // Dice on a 0.01 grid so that ties occur and the tie-breaks matter.
      const dice = Math.round(unit(i, 1) * 100) / 100;
      const fpCc = Math.round(unit(i, 2) * 50) / 10;
      const distMm = Math.round(unit(i, 3) * 400) / 10;
      truth.push({ pseudonym: `S-${pad(i)}`, dice, fpCc, distMm });
      const itv = {
        dice,
        hd95Mm: 5,
        fpVoxels: 1,
        fpCc,
        fpFraction: 0.1,
        fnCc: 1,
        machineCc: 10,
        physicianCc: 10,
        maxFpDistanceMm: distMm,
        largestFpRegionCc: fpCc,
      };
      runs.push({
        id: `r${pad(i)}`,
        studyId: `s${pad(i)}`,
        modelVersionId: model.id,
        status: 'SUCCEEDED' as const,
        finishedAt: new Date(Date.UTC(2026, 10, 1)),
      });
      summaries.push(
        runSummaryRows(`r${pad(i)}`, {
          schemaVersion: 1,
          phases: [],
          gtv: { medianDice: dice, minDice: dice, medianHd95Mm: 4, medianFpCc: 0.1 },
          itv,
          motion: { machine: null, physician: null },
          flags: [],
          thresholds: { itvDice: 0.6, phaseGtvDice: 0.5, largeFpCc: 5, distantFpMm: 20 },
        }).summary,
      );
    }
    await t.db.segmentationRun.createMany({ data: runs });
    await t.db.runSummary.createMany({ data: summaries });
  }, 300_000);
  afterAll(async () => t.drop());

  it('ranks every study once, as an independent sort does (Dice ascending, then FP cc, then FP distance descending, then pseudonym)', async () => {
    const reviewer: Caller = { userId: 'u', email: 'r@t', name: 'R', role: 'REVIEWER' };
    const started = performance.now();
    const q = await findReviewQueue(t.db, { caller: reviewer, criterion: 'low-dice' });
    const ms = performance.now() - started;
    console.log(`[review] queue of ${q.cases.length} studies ranked in ${ms.toFixed(0)} ms`);
    const expected = [...truth]
      .sort((a, b) => a.dice - b.dice || b.fpCc - a.fpCc || b.distMm - a.distMm || (a.pseudonym < b.pseudonym ? -1 : 1))
      .map((x) => x.pseudonym);
    expect(q.cases).toHaveLength(N);
    expect(q.cases.map((c) => c.pseudonym)).toEqual(expected);

    // Paged (the review page): the same ranking, one page of it, with the same numbers.
    const p2 = await findReviewQueue(t.db, { caller: reviewer, criterion: 'low-dice', page: 2 });
    expect(p2.pageCount).toBe(Math.ceil(N / REVIEW_QUEUE_PER_PAGE));
    expect(p2.page).toBe(2);
    expect(p2.total).toBe(N);
    expect(p2.listed).toBe(N);
    expect(p2.cases.map((c) => c.rank)).toEqual(Array.from({ length: REVIEW_QUEUE_PER_PAGE }, (_, i) => REVIEW_QUEUE_PER_PAGE + i + 1));
    expect(p2.cases).toEqual(q.cases.slice(REVIEW_QUEUE_PER_PAGE, 2 * REVIEW_QUEUE_PER_PAGE));
    const last = await findReviewQueue(t.db, { caller: reviewer, criterion: 'low-dice', page: 10_000 });
    expect(last.page).toBe(last.pageCount);
    expect(last.cases.map((c) => c.pseudonym)).toEqual(expected.slice((last.pageCount - 1) * REVIEW_QUEUE_PER_PAGE));
  });
});
