/**
 * The review queue's kept ranking (LatestSucceededRun, kept by triggers; rankReviewQueue*) gives
 * exactly what the whole queue computed from scratch gives (loadReviewCases: every succeeded run
 * read, the latest per study chosen and the cases ranked in JavaScript by rankReviewCases), for
 * every page, each criterion, with and without "undecided only", and the presenter's position and
 * previous / next; and the kept table equals the latest succeeded run found by DISTINCT ON over
 * every run. Checked on a few hundred studies with ties (a 0.05 grid, two studies per patient,
 * equal finish times), missing numbers and runs without summaries, after: a bulk insert, runs
 * inserted, failed, succeeded again, re-timed, moved to another study and deleted, summaries
 * written, edited and deleted, a study deleted or moved to another patient, a pseudonym changed, and decisions recorded on
 * the current and on an earlier run and corrected.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import type { Caller } from '@/lib/server/auth/roles';
import { findReviewQueue, REVIEW_QUEUE_PER_PAGE } from '@/lib/server/review/find-review-queue';
import { getReviewCase } from '@/lib/server/review/get-review-case';
import { recordReviewDecision } from '@/lib/server/review/record-review-decision';
import { correctReviewDecision } from '@/lib/server/review/correct-review-decision';
import { runSummaryRows, type RunSummary } from '@/lib/server/runs/run-summary.types';
import { REVIEW_CRITERIA } from '@/lib/core/review/rank-review-cases';

const N = 260; // patients; every fifth has a second study: 312 studies

function unit(i: number, k: number): number {
  const x = Math.sin(i * 12.9898 + k * 78.233) * 43758.5453;
  return x - Math.floor(x);
}

function summary(i: number, salt = 0): RunSummary {
  // Coarse grids so that ties occur at every level; some numbers missing; some FP volumes 0
  // without a distance (ranked as 0 mm).
  const dice = unit(i, 1 + salt) < 0.08 ? null : Math.round(unit(i, 2 + salt) * 20) / 20;
  const fpCc = Math.round(unit(i, 3 + salt) * 4) / 2;
  const dist = fpCc === 0 || unit(i, 4 + salt) < 0.1 ? null : Math.round(unit(i, 5 + salt) * 6) * 5;
  return {
    schemaVersion: 1,
    phases: [],
    gtv: { medianDice: dice, minDice: dice, medianHd95Mm: 3, medianFpCc: 0.1 },
    itv: { dice, hd95Mm: 5, fpVoxels: 1, fpCc, fpFraction: 0.1, fnCc: 1, machineCc: 10, physicianCc: 10, maxFpDistanceMm: dist, largestFpRegionCc: fpCc },
    motion: { machine: null, physician: null },
    flags: [],
    thresholds: { itvDice: 0.6, phaseGtvDice: 0.5, largeFpCc: 5, distantFpMm: 20 },
  };
}

describe('review queue: kept ranking = ranking from scratch (real Postgres)', () => {
  let t: TestDatabase;
  let modelId: string;
  const reviewer: Caller = { userId: '', email: 'rk@t', name: 'Reviewer K', role: 'REVIEWER' };
  let physicist: Caller;

  beforeAll(async () => {
    t = await createTestDatabase('review_kept');
    const inst = await t.db.institution.create({ data: { name: 'Kept Hospital' } });
    modelId = (await t.db.modelVersion.create({ data: { name: 'm', version: '1', sha256: 'd'.repeat(64), manifest: {} } })).id;
    const u = await t.db.user.create({ data: { email: 'rk@t', name: 'Reviewer K', role: 'REVIEWER', passwordHash: 'x' } });
    reviewer.userId = u.id;
    const p = await t.db.user.create({ data: { email: 'pk@t', name: 'Physicist K', role: 'PHYSICIST', passwordHash: 'x' } });
    physicist = { userId: p.id, email: p.email, name: p.name, role: 'PHYSICIST' };
    const pad = (i: number) => String(i).padStart(4, '0');
    // A patient's two studies share the pseudonym: ties down to the study id.
    await t.db.patient.createMany({
      data: Array.from({ length: N }, (_, i) => ({ id: `kp${pad(i)}`, pseudonym: `K-${pad(i)}`, institutionId: inst.id })),
    });
    const studies = [];
    for (let i = 0; i < N; i++) {
      studies.push({ id: `ks${pad(i)}a`, patientId: `kp${pad(i)}`, studyInstanceUid: `2.25.9${pad(i)}1`, contentHash: `k${i}a` });
      if (i % 5 === 0) studies.push({ id: `ks${pad(i)}b`, patientId: `kp${pad(i)}`, studyInstanceUid: `2.25.9${pad(i)}2`, contentHash: `k${i}b` });
    }
    await t.db.study.createMany({ data: studies });
    // One statement for all runs (the trigger's bulk path): per study a succeeded run; every
    // seventh an older succeeded run too (same finish time every 14th: the queue time decides),
    // every eleventh a later failed run, every thirteenth a succeeded run without finish time.
    const runs: { id: string; studyId: string; modelVersionId: string; status: 'SUCCEEDED' | 'FAILED' | 'QUEUED'; finishedAt: Date | null; queuedAt: Date }[] =
      [];
    const day = (d: number, h = 0) => new Date(Date.UTC(2026, 10, d, h));
    studies.forEach((s, k) => {
      runs.push({ id: `${s.id}-r1`, studyId: s.id, modelVersionId: modelId, status: 'SUCCEEDED', finishedAt: day(10), queuedAt: day(9, 1) });
      if (k % 7 === 0)
        runs.push({
          id: `${s.id}-r0`,
          studyId: s.id,
          modelVersionId: modelId,
          status: 'SUCCEEDED',
          finishedAt: k % 14 === 0 ? day(10) : day(5),
          queuedAt: day(9, 2),
        });
      if (k % 11 === 0) runs.push({ id: `${s.id}-r2`, studyId: s.id, modelVersionId: modelId, status: 'FAILED', finishedAt: day(12), queuedAt: day(11) });
      if (k % 13 === 0) runs.push({ id: `${s.id}-rq`, studyId: s.id, modelVersionId: modelId, status: 'SUCCEEDED', finishedAt: null, queuedAt: day(1) });
    });
    await t.db.segmentationRun.createMany({ data: runs });
    // Summaries for most succeeded runs (every ninth study's latest run has none: no numbers).
    await t.db.runSummary.createMany({
      data: runs.flatMap((r, k) => (r.status === 'SUCCEEDED' && !(k % 9 === 0 && r.id.endsWith('-r1')) ? [runSummaryRows(r.id, summary(k)).summary] : [])),
    });
  }, 120_000);
  afterAll(async () => t.drop());

  /** The kept table against DISTINCT ON over every run (the query the queue used before). */
  async function expectTableFresh() {
    const fromScratch = await t.db.$queryRaw<object[]>`
      SELECT DISTINCT ON (r."studyId") r."studyId", r.id AS "runId", p.pseudonym, rs."itvDice" AS "lowDiceKey", -rs."itvFpCc" AS "largeFpKey",
             -COALESCE(rs."itvMaxFpDistanceMm", CASE WHEN rs."itvFpCc" = 0 THEN 0 END) AS "distantFpKey"
      FROM "SegmentationRun" r JOIN "Study" s ON s.id = r."studyId" JOIN "Patient" p ON p.id = s."patientId"
      LEFT JOIN "RunSummary" rs ON rs."runId" = r.id WHERE r.status = 'SUCCEEDED'
      ORDER BY r."studyId", r."finishedAt" DESC NULLS LAST, r."queuedAt" DESC, r.id DESC`;
    const kept = await t.db.$queryRaw<object[]>`
      SELECT "studyId", "runId", pseudonym, "lowDiceKey", "largeFpKey", "distantFpKey" FROM "LatestSucceededRun" ORDER BY "studyId"`;
    expect(kept).toEqual(fromScratch);
  }

  /** Every page and presenter position against the whole queue computed in JavaScript. */
  async function expectSameQueue(label: string) {
    await expectTableFresh();
    for (const criterion of REVIEW_CRITERIA) {
      for (const undecidedOnly of [false, true]) {
        const what = `${label}: ${criterion}${undecidedOnly ? ', undecided only' : ''}`;
        const whole = await findReviewQueue(t.db, { caller: reviewer, criterion, undecidedOnly });
        const pages = [];
        const first = await findReviewQueue(t.db, { caller: reviewer, criterion, undecidedOnly, page: 1 });
        expect(first.pageCount, what).toBe(Math.max(1, Math.ceil(whole.listed / REVIEW_QUEUE_PER_PAGE)));
        expect({ total: first.total, undecided: first.undecided, listed: first.listed }, what).toEqual({
          total: whole.total,
          undecided: whole.undecided,
          listed: whole.listed,
        });
        pages.push(...first.cases);
        for (let p = 2; p <= first.pageCount; p++) pages.push(...(await findReviewQueue(t.db, { caller: reviewer, criterion, undecidedOnly, page: p })).cases);
        expect(
          pages.map((c) => `${c.rank}:${c.studyId}`),
          what,
        ).toEqual(whole.cases.map((c) => `${c.rank}:${c.studyId}`));
        expect(pages, what).toEqual(whole.cases);
        const past = await findReviewQueue(t.db, { caller: reviewer, criterion, undecidedOnly, page: 999 });
        expect(past.page, what).toBe(first.pageCount);
        // The presenter: position, previous and next for the first, a middle and the last case, and a decided one.
        const all = (await findReviewQueue(t.db, { caller: reviewer, criterion })).cases;
        const probes = [whole.cases[0], whole.cases[Math.floor(whole.cases.length / 2)], whole.cases.at(-1), all.find((c) => !c.undecided)].filter(
          (c) => c !== undefined,
        );
        for (const c of probes) {
          const queue = undecidedOnly ? all.filter((x) => x.undecided || x.studyId === c.studyId) : all;
          const i = queue.findIndex((x) => x.studyId === c.studyId);
          const d = await getReviewCase(t.db, { caller: reviewer, studyId: c.studyId, criterion, undecidedOnly });
          expect(
            { position: d.position, queueLength: d.queueLength, previous: d.previousStudyId, next: d.nextStudyId, rank: d.case.rank },
            `${what}, presenter at ${c.studyId}`,
          ).toEqual({
            position: i + 1,
            queueLength: queue.length,
            previous: queue[i - 1]?.studyId ?? null,
            next: queue[i + 1]?.studyId ?? null,
            rank: queue[i]!.rank,
          });
          expect(d.case, `${what}, presenter case ${c.studyId}`).toEqual(queue[i]);
        }
      }
    }
  }

  it('after the bulk insert (the trigger’s bulk path) and a backfill-equivalent check', async () => {
    expect(await t.db.latestSucceededRun.count()).toBe(312);
    await expectSameQueue('seeded');
  }, 300_000);

  it('after runs, summaries, studies, pseudonyms and decisions change', async () => {
    const decide = (studyId: string, decision = 'DISCUSS') =>
      recordReviewDecision(t.db, { caller: reviewer, input: { studyId, decision, meeting: '2026-12-07' } });
    // Decisions on some current runs; one corrected; one on a run that a newer run then replaces.
    const d1 = await decide('ks0003a');
    await decide('ks0004a', 'MACHINE_WRONG');
    await decide('ks0010b');
    await decide('ks0020a');
    await correctReviewDecision(t.db, { caller: reviewer, input: { decisionId: d1.id, decision: 'MACHINE_ACCEPTABLE', reason: 'misread' } });
    // A newer succeeded run with a summary (in one transaction, as the worker writes it).
    await t.db.$transaction(async (tx) => {
      await tx.segmentationRun.create({
        data: { id: 'ks0020a-r9', studyId: 'ks0020a', modelVersionId: modelId, status: 'RUNNING', queuedAt: new Date(Date.UTC(2026, 10, 20)) },
      });
      await tx.segmentationRun.update({ where: { id: 'ks0020a-r9' }, data: { status: 'SUCCEEDED', finishedAt: new Date(Date.UTC(2026, 10, 21)) } });
      await tx.runSummary.create({ data: runSummaryRows('ks0020a-r9', summary(9001)).summary });
    });
    // A succeeded run whose summary arrives later; then the summary is edited and deleted.
    await t.db.segmentationRun.create({
      data: { id: 'ks0030a-r9', studyId: 'ks0030a', modelVersionId: modelId, status: 'SUCCEEDED', finishedAt: new Date(Date.UTC(2026, 10, 22)) },
    });
    await expectSameQueue('a run without summary yet, decisions');
    await t.db.runSummary.create({ data: runSummaryRows('ks0030a-r9', summary(9002)).summary });
    await t.db.runSummary.update({ where: { runId: 'ks0001a-r1' }, data: { itvDice: 0, itvFpCc: 0, itvMaxFpDistanceMm: null } });
    await t.db.runSummary.update({ where: { runId: 'ks0002a-r1' }, data: { itvDice: null } });
    const withSummary = await t.db.latestSucceededRun.findFirstOrThrow({ where: { lowDiceKey: { not: null }, studyId: { startsWith: 'ks005' } } });
    await t.db.runSummary.delete({ where: { runId: withSummary.runId } });
    // The latest run fails after all (the older succeeded one is current again), another
    // succeeds again, one is re-timed to be older, one moved to another study, one deleted.
    await t.db.segmentationRun.update({ where: { id: 'ks0000a-r1' }, data: { status: 'FAILED' } });
    await t.db.segmentationRun.update({ where: { id: 'ks0000a-r2' }, data: { status: 'SUCCEEDED' } });
    await t.db.segmentationRun.update({ where: { id: 'ks0005b-r0' }, data: { finishedAt: new Date(Date.UTC(2026, 10, 11)) } });
    await t.db.segmentationRun.update({ where: { id: 'ks0008a-r1' }, data: { studyId: 'ks0009a' } });
    await t.db.segmentationRun.delete({ where: { id: 'ks0006a-r1' } });
    await t.db.segmentationRun.updateMany({ where: { studyId: { in: ['ks0011a', 'ks0012a'] } }, data: { status: 'FAILED' } });
    await t.db.study.delete({ where: { id: 'ks0015b' } });
    await t.db.patient.update({ where: { id: 'kp0016' }, data: { pseudonym: 'A-FIRST' } });
    await t.db.study.update({ where: { id: 'ks0025b' }, data: { patientId: 'kp0017' } });
    await expectSameQueue('after the changes');
    expect(await t.db.latestSucceededRun.findUnique({ where: { studyId: 'ks0008a' } })).toBeNull();
    expect(await t.db.latestSucceededRun.findUnique({ where: { studyId: 'ks0015b' } })).toBeNull();
    expect((await t.db.latestSucceededRun.findUniqueOrThrow({ where: { studyId: 'ks0000a' } })).runId).toBe('ks0000a-r2');
    // Decisions on the new current runs, then every decided case is decided on an earlier run again.
    await decide('ks0000a');
    await decide('ks0030a');
    await t.db.segmentationRun.create({
      data: { id: 'ks0030a-r10', studyId: 'ks0030a', modelVersionId: modelId, status: 'SUCCEEDED', finishedAt: new Date(Date.UTC(2026, 10, 23)) },
    });
    await expectSameQueue('after more decisions and a newer run');
    // A physicist sees the same order (identified view; audited).
    const [pq, rq] = await Promise.all([
      findReviewQueue(t.db, { caller: physicist, criterion: 'large-fp', page: 2 }),
      findReviewQueue(t.db, { caller: reviewer, criterion: 'large-fp', page: 2 }),
    ]);
    expect(pq.cases.map((c) => c.studyId)).toEqual(rq.cases.map((c) => c.studyId));
  }, 600_000);

  it('two runs of one study succeeding in concurrent transactions: the later-finished one is kept, whichever commits first', async () => {
    const study = 'ks0040a';
    const a = new pg.Client({ connectionString: t.url });
    const b = new pg.Client({ connectionString: t.url });
    await a.connect();
    await b.connect();
    try {
      const insert = (c: pg.Client, id: string, day: number) =>
        c.query(`INSERT INTO "SegmentationRun" (id, "studyId", "modelVersionId", status, "finishedAt") VALUES ($1, $2, $3, 'SUCCEEDED', $4)`, [
          id,
          study,
          modelId,
          new Date(Date.UTC(2026, 11, day)),
        ]);
      await a.query('BEGIN');
      await insert(a, `${study}-late`, 3); // finished later: the one to keep
      await b.query('BEGIN');
      const bInsert = insert(b, `${study}-early`, 2);
      // b's trigger waits for a's per-study lock, then reads the study's runs with a's committed
      // (without the lock, b's refresh missed a's run and failed on a's row: duplicate key).
      for (let i = 0; ; i++) {
        const waiting = await t.db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM pg_locks WHERE NOT granted`;
        if (Number(waiting[0]!.n) > 0) break;
        if (i > 200) throw new Error('the second transaction never waited for the first one');
        await new Promise((r) => setTimeout(r, 50));
      }
      await a.query('COMMIT');
      await bInsert;
      await b.query('COMMIT');
    } finally {
      await a.end();
      await b.end();
    }
    expect((await t.db.latestSucceededRun.findUniqueOrThrow({ where: { studyId: study } })).runId).toBe(`${study}-late`);
    await expectSameQueue('after concurrent runs');
  }, 300_000);
});
