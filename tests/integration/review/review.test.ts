import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import type { Caller } from '@/lib/server/auth/roles';
import { AppError } from '@/lib/server/errors';
import { findReviewQueue } from '@/lib/server/review/find-review-queue';
import { getReviewCase } from '@/lib/server/review/get-review-case';
import { recordReviewDecision } from '@/lib/server/review/record-review-decision';
import { findMeetingMinutes, minutesCsvRows } from '@/lib/server/review/find-meeting-minutes';
import { formatMinutesCsv } from '@/lib/core/review/format-minutes-csv';
import { seedReviewCohort, type SeededReviewCohort } from './seed-review-cohort';

// Expected queue orders, worked out by hand from seed-review-cohort.ts (REV-05 uses its newer
// run; REV-07 has only a failed run and is absent; REV-06 has no numbers; REV-08 has no ITV Dice)
// and confirmed with python3:
//   c = {'01':(.62,4,14.5),'02':(.85,.5,3),'03':(.62,6.5,22),'04':(.55,1,30),'05':(.9,0,0),'06':(None,None,None),'08':(None,2,9)}
//   nz = lambda v, d: (v is None, d)
//   sorted(c, key=lambda k: (nz(c[k][0], c[k][0] or 0), nz(c[k][1], -(c[k][1] or 0)), nz(c[k][2], -(c[k][2] or 0)), k))
//   → ['04','03','01','02','05','08','06']  (likewise 'large-fp': fp, dist, dice; 'distant-fp': dist, fp, dice)
const EXPECTED = {
  'low-dice': ['REV-04', 'REV-03', 'REV-01', 'REV-02', 'REV-05', 'REV-08', 'REV-06'],
  'large-fp': ['REV-03', 'REV-01', 'REV-08', 'REV-04', 'REV-02', 'REV-05', 'REV-06'],
  'distant-fp': ['REV-04', 'REV-03', 'REV-01', 'REV-08', 'REV-02', 'REV-05', 'REV-06'],
} as const;

function expectAppError(e: unknown, code: string, message?: RegExp) {
  expect(e).toBeInstanceOf(AppError);
  expect((e as AppError).code).toBe(code);
  if (message) expect((e as AppError).message).toMatch(message);
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('review meeting (real Postgres)', () => {
  let t: TestDatabase;
  let seed: SeededReviewCohort;
  const as = (role: keyof SeededReviewCohort['users']): Caller => ({ ...seed.users[role], userId: seed.users[role].id, role, ip: '10.0.0.7' });
  const counts = async () => ({ decisions: await t.db.reviewDecision.count(), audit: await t.db.auditEvent.count() });

  beforeAll(async () => {
    t = await createTestDatabase('review');
    seed = await seedReviewCohort(t.db);
  });
  afterAll(async () => t.drop());

  it('ranks the queue by each criterion in the hand-computed order, from the run summaries', async () => {
    for (const criterion of ['low-dice', 'large-fp', 'distant-fp'] as const) {
      const q = await findReviewQueue(t.db, { caller: as('REVIEWER'), criterion });
      expect(
        q.cases.map((c) => c.pseudonym),
        criterion,
      ).toEqual(EXPECTED[criterion]);
      expect(q.cases.map((c) => c.rank)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    }
    const q = await findReviewQueue(t.db, { caller: as('REVIEWER'), criterion: 'low-dice' });
    const by = Object.fromEntries(q.cases.map((c) => [c.pseudonym, c]));
    // GTV median of 0.7, 0.75, 0.8; largest FP region distance (not the FN's 99 mm)
    expect(by['REV-01'].numbers).toMatchObject({ itvDice: 0.62, itvFpCc: 4, maxFpDistanceMm: 14.5, itvHd95Mm: 8, gtvMedianDice: 0.75 });
    // stored summary, with motion and flags
    expect(by['REV-04'].numbers).toMatchObject({ itvDice: 0.55, maxFpDistanceMm: 30, machineMotionMm: 12.5, flags: ['LOW_DICE', 'DISTANT_FP'] });
    // the newer of two succeeded runs
    expect(by['REV-05'].runId).toBe(seed.studies['REV-05'].latestRunId);
    expect(by['REV-05'].numbers).toMatchObject({ itvDice: 0.9, maxFpDistanceMm: 0 });
    expect(by['REV-06'].numbers).toBeNull();
    expect(q.total).toBe(7);
    expect(q.undecided).toBe(7);
  });

  it('gives a reviewer pseudonyms only and audits nothing; a physicist sees names, audited as an identified view', async () => {
    const before = await counts();
    const rq = await findReviewQueue(t.db, { caller: as('REVIEWER'), criterion: 'low-dice' });
    const json = JSON.stringify(rq);
    for (const s of Object.values(seed.studies)) {
      expect(json).not.toContain(s.name);
      expect(json).not.toContain(s.mrn);
    }
    expect(rq.cases.every((c) => c.identity === undefined)).toBe(true);
    expect((await counts()).audit).toBe(before.audit);

    const pq = await findReviewQueue(t.db, { caller: as('PHYSICIST'), criterion: 'low-dice' });
    expect(pq.cases.find((c) => c.pseudonym === 'REV-01')!.identity).toEqual({ name: seed.studies['REV-01'].name, mrn: seed.studies['REV-01'].mrn });
    const ev = await t.db.auditEvent.findFirstOrThrow({ where: { action: 'review.queue.viewed_identified' }, orderBy: { id: 'desc' } });
    expect(ev.userId).toBe(seed.users.PHYSICIST.id);
    expect((ev.details as { patientIds: string[] }).patientIds).toHaveLength(7);
  });

  it('refuses a researcher the queue, the case and the minutes (FORBIDDEN)', async () => {
    expectAppError(await rejection(findReviewQueue(t.db, { caller: as('RESEARCHER'), criterion: 'low-dice' })), 'FORBIDDEN');
    expectAppError(
      await rejection(getReviewCase(t.db, { caller: as('RESEARCHER'), studyId: seed.studies['REV-01'].studyId, criterion: 'low-dice' })),
      'FORBIDDEN',
    );
    expectAppError(await rejection(findMeetingMinutes(t.db, { caller: as('RESEARCHER'), meeting: '2026-11-28', purpose: 'view' })), 'FORBIDDEN');
  });

  it('a reviewer records a decision: one row on the current run by the signed-in reviewer, and its audit event', async () => {
    const s = seed.studies['REV-05'];
    const before = await counts();
    const d = await recordReviewDecision(t.db, {
      caller: as('REVIEWER'),
      input: { studyId: s.studyId, decision: 'MACHINE_WRONG', comment: '  FP region in the mediastinum  ', meeting: '2026-11-28' },
    });
    expect(d).toMatchObject({
      studyId: s.studyId,
      runId: s.latestRunId,
      decision: 'MACHINE_WRONG',
      comment: 'FP region in the mediastinum',
      meeting: '2026-11-28',
    });
    const row = await t.db.reviewDecision.findUniqueOrThrow({ where: { id: d.id } });
    expect(row).toMatchObject({ reviewerId: seed.users.REVIEWER.id, runId: s.latestRunId, decision: 'MACHINE_WRONG', meeting: '2026-11-28' });
    const ev = await t.db.auditEvent.findFirstOrThrow({ where: { action: 'review.decision.recorded' }, orderBy: { id: 'desc' } });
    expect(ev).toMatchObject({ userId: seed.users.REVIEWER.id, role: 'REVIEWER', patientId: s.patientId, target: `study:${s.studyId}`, ip: '10.0.0.7' });
    expect(ev.details).toMatchObject({ decisionId: d.id, runId: s.latestRunId, decision: 'MACHINE_WRONG', meeting: '2026-11-28' });
    expect(await counts()).toEqual({ decisions: before.decisions + 1, audit: before.audit + 1 });

    // The queue shows it as the latest decision; "undecided only" leaves the case out.
    const q = await findReviewQueue(t.db, { caller: as('REVIEWER'), criterion: 'low-dice' });
    const c = q.cases.find((x) => x.pseudonym === 'REV-05')!;
    expect(c.undecided).toBe(false);
    expect(c.decisions[0]).toMatchObject({ decision: 'MACHINE_WRONG', reviewerName: seed.users.REVIEWER.name, meeting: '2026-11-28', forCurrentRun: true });
    const u = await findReviewQueue(t.db, { caller: as('REVIEWER'), criterion: 'low-dice', undecidedOnly: true });
    expect(u.cases.map((x) => x.pseudonym)).toEqual(EXPECTED['low-dice'].filter((p) => p !== 'REV-05'));
    expect(u.total).toBe(7);
    expect(u.undecided).toBe(6);
    // The paged queue (the review page; ranked in one query) agrees, decisions and ranks included.
    const up = await findReviewQueue(t.db, { caller: as('REVIEWER'), criterion: 'low-dice', undecidedOnly: true, page: 1 });
    expect(up).toMatchObject({ page: 1, pageCount: 1, listed: 6, total: 7, undecided: 6 });
    expect(up.cases).toEqual(u.cases);
    const all = await findReviewQueue(t.db, { caller: as('REVIEWER'), criterion: 'low-dice', page: 1 });
    expect(all.cases).toEqual(q.cases);
  });

  it('a physicist may decide too; an admin may view but not decide; a researcher may not decide', async () => {
    const s = seed.studies['REV-01'];
    await recordReviewDecision(t.db, { caller: as('PHYSICIST'), input: { studyId: s.studyId, decision: 'DISCUSS', meeting: '2026-11-28' } });
    const before = await counts();
    for (const role of ['ADMIN', 'RESEARCHER'] as const) {
      const e = await rejection(
        recordReviewDecision(t.db, { caller: as(role), input: { studyId: s.studyId, decision: 'MACHINE_ACCEPTABLE', meeting: '2026-11-28' } }),
      );
      expectAppError(e, 'FORBIDDEN', new RegExp(`${role.toLowerCase()} role may not review decide`));
    }
    expect(await counts()).toEqual(before);
  });

  it('bad input gets a clear error naming the field, and writes nothing', async () => {
    const s = seed.studies['REV-02'];
    const before = await counts();
    const bad: [unknown, string, RegExp][] = [
      [
        { studyId: s.studyId, decision: 'MAYBE', meeting: '2026-11-28' },
        'INVALID_INPUT',
        /Decision: "MAYBE" is not one of MACHINE_ACCEPTABLE, PHYSICIAN_NEEDS_REVISION, MACHINE_WRONG, DISCUSS/,
      ],
      [{ studyId: s.studyId, decision: 'DISCUSS', comment: 'x'.repeat(2001), meeting: '2026-11-28' }, 'INVALID_INPUT', /Comment: at most 2000 characters/],
      [{ studyId: s.studyId, decision: 'DISCUSS', meeting: '' }, 'INVALID_INPUT', /Meeting: give the meeting a name/],
      [{ studyId: s.studyId, decision: 'DISCUSS', meeting: '<script>' }, 'INVALID_INPUT', /Meeting: use letters, digits/],
      [{ decision: 'DISCUSS', meeting: '2026-11-28' }, 'INVALID_INPUT', /Study: missing study id|expected string/],
      [{ studyId: 'no-such-study', decision: 'DISCUSS', meeting: '2026-11-28' }, 'NOT_FOUND', /Study no-such-study does not exist/],
      [{ studyId: seed.studies['REV-07'].studyId, decision: 'DISCUSS', meeting: '2026-11-28' }, 'CONFLICT', /has no finished segmentation run/],
    ];
    for (const [input, code, message] of bad) {
      expectAppError(await rejection(recordReviewDecision(t.db, { caller: as('REVIEWER'), input })), code, message);
    }
    // Exactly 2000 characters is allowed (the limit is inclusive).
    expect(await counts()).toEqual(before);
    await recordReviewDecision(t.db, {
      caller: as('REVIEWER'),
      input: { studyId: s.studyId, decision: 'MACHINE_ACCEPTABLE', comment: 'y'.repeat(2000), meeting: 'other meeting' },
    });
    expect((await counts()).decisions).toBe(before.decisions + 1);
  });

  it('presenter view: previous and next follow the queue order, the case keeps its history', async () => {
    const order = EXPECTED['large-fp'];
    const mid = await getReviewCase(t.db, { caller: as('REVIEWER'), studyId: seed.studies['REV-08'].studyId, criterion: 'large-fp' });
    expect(mid.position).toBe(order.indexOf('REV-08') + 1);
    expect(mid.queueLength).toBe(7);
    expect(mid.previousStudyId).toBe(seed.studies['REV-01'].studyId);
    expect(mid.nextStudyId).toBe(seed.studies['REV-04'].studyId);
    expect(mid.phases).toBe(1);
    const first = await getReviewCase(t.db, { caller: as('REVIEWER'), studyId: seed.studies['REV-03'].studyId, criterion: 'large-fp' });
    expect(first.previousStudyId).toBeNull();
    // With "undecided only", decided cases are skipped (REV-01 was decided above), but the case shown stays in.
    const u = await getReviewCase(t.db, { caller: as('REVIEWER'), studyId: seed.studies['REV-08'].studyId, criterion: 'large-fp', undecidedOnly: true });
    expect(u.previousStudyId).toBe(seed.studies['REV-03'].studyId);
    const decided = await getReviewCase(t.db, { caller: as('REVIEWER'), studyId: seed.studies['REV-05'].studyId, criterion: 'large-fp', undecidedOnly: true });
    expect(decided.case.decisions.map((d) => d.decision)).toEqual(['MACHINE_WRONG']);
    expectAppError(
      await rejection(getReviewCase(t.db, { caller: as('REVIEWER'), studyId: seed.studies['REV-07'].studyId, criterion: 'low-dice' })),
      'NOT_FOUND',
      /no finished segmentation run/,
    );
    expectAppError(
      await rejection(getReviewCase(t.db, { caller: as('REVIEWER'), studyId: 'nope', criterion: 'low-dice' })),
      'NOT_FOUND',
      /Study nope does not exist/,
    );
  });

  it('a newer run makes the case undecided again; the old decision is marked as on an earlier run', async () => {
    const s = seed.studies['REV-02'];
    const model = await t.db.modelVersion.findFirstOrThrow();
    const newer = await t.db.segmentationRun.create({
      data: { studyId: s.studyId, modelVersionId: model.id, status: 'SUCCEEDED', finishedAt: new Date(Date.UTC(2026, 10, 27)) },
    });
    const q = await findReviewQueue(t.db, { caller: as('REVIEWER'), criterion: 'low-dice' });
    const c = q.cases.find((x) => x.pseudonym === 'REV-02')!;
    expect(c.runId).toBe(newer.id);
    expect(c.undecided).toBe(true);
    expect(c.decisions[0]).toMatchObject({ meeting: 'other meeting', forCurrentRun: false });
    await t.db.segmentationRun.delete({ where: { id: newer.id } });
  });

  it('minutes: the decided cases of one meeting, and a CSV that python3 reads back, injection-safe, identifiers only for a physicist', async () => {
    const s = seed.studies['REV-03'];
    await recordReviewDecision(t.db, {
      caller: as('REVIEWER'),
      input: {
        studyId: s.studyId,
        decision: 'PHYSICIAN_NEEDS_REVISION',
        comment: '=HYPERLINK("http://evil","x"), then "quoted"\nsecond line',
        meeting: '2026-11-28',
      },
    });
    const m = await findMeetingMinutes(t.db, { caller: as('REVIEWER'), meeting: '2026-11-28', purpose: 'view' });
    expect(m.cases.map((c) => c.pseudonym)).toEqual(['REV-05', 'REV-01', 'REV-03']); // in the order first decided
    expect(m.cases[1].decisions[0]).toMatchObject({ decision: 'DISCUSS', reviewerName: seed.users.PHYSICIST.name });
    expect(m.cases[1].decisions[0].numbers).toMatchObject({ itvDice: 0.62, itvFpCc: 4 });
    expect(m.meetings).toEqual(['other meeting', '2026-11-28']);

    const parse = (csv: string) =>
      JSON.parse(
        execFileSync('python3', ['-c', 'import csv,io,json,sys; print(json.dumps(list(csv.DictReader(io.StringIO(sys.stdin.read(), newline="")))))'], {
          input: csv,
          encoding: 'utf8',
        }),
      ) as Record<string, string>[];
    const rows = parse(formatMinutesCsv(minutesCsvRows(m), { identified: m.identified }));
    expect(rows).toHaveLength(3);
    expect(Object.keys(rows[0])).not.toContain('mrn');
    expect(Object.keys(rows[0])).not.toContain('patient_name');
    expect(rows[2]).toMatchObject({
      meeting: '2026-11-28',
      pseudonym: 'REV-03',
      decision: 'PHYSICIAN_NEEDS_REVISION',
      decision_label: 'Physician contour needs revision',
      comment: `'=HYPERLINK("http://evil","x"), then "quoted"\nsecond line`,
      reviewer: seed.users.REVIEWER.name,
      itv_dice: '0.62',
      itv_fp_cc: '6.5',
      max_fp_distance_mm: '22',
      itv_hd95_mm: '12',
      gtv_median_dice: '0.63',
    });
    const csvText = JSON.stringify(rows);
    for (const st of Object.values(seed.studies)) expect(csvText).not.toContain(st.mrn);

    const auditBefore = await t.db.auditEvent.count({ where: { action: 'review.minutes.exported_identified' } });
    const pm = await findMeetingMinutes(t.db, { caller: as('PHYSICIST'), meeting: '2026-11-28', purpose: 'export' });
    const prow = parse(formatMinutesCsv(minutesCsvRows(pm), { identified: pm.identified }));
    expect(prow[0]).toMatchObject({ pseudonym: 'REV-05', patient_name: seed.studies['REV-05'].name, mrn: seed.studies['REV-05'].mrn });
    expect(await t.db.auditEvent.count({ where: { action: 'review.minutes.exported_identified' } })).toBe(auditBefore + 1);

    const empty = await findMeetingMinutes(t.db, { caller: as('REVIEWER'), meeting: '2020-01-01', purpose: 'view' });
    expect(empty.cases).toEqual([]);
    expectAppError(
      await rejection(findMeetingMinutes(t.db, { caller: as('REVIEWER'), meeting: 'a;b', purpose: 'view' })),
      'INVALID_INPUT',
      /Meeting: use letters/,
    );
  });
});
