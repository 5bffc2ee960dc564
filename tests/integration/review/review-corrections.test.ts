/**
 * Correcting a review decision (issue #16.8): a correction is a new row that supersedes the
 * mistaken one, with a reason; both are kept (the app role cannot update or delete decisions),
 * the queue, the presenter view and the minutes show the current decision and the history, and the
 * correction is audited. Real Postgres, connected as the app role.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import type { Caller } from '@/lib/server/auth/roles';
import { AppError } from '@/lib/server/errors';
import { findReviewQueue } from '@/lib/server/review/find-review-queue';
import { getReviewCase } from '@/lib/server/review/get-review-case';
import { recordReviewDecision } from '@/lib/server/review/record-review-decision';
import { correctReviewDecision } from '@/lib/server/review/correct-review-decision';
import { findMeetingMinutes, minutesCsvRows } from '@/lib/server/review/find-meeting-minutes';
import { formatMinutesCsv } from '@/lib/core/review/format-minutes-csv';
import { seedReviewCohort, type SeededReviewCohort } from './seed-review-cohort';

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error('expected a rejection');
}

describe('review decision corrections (real Postgres, app role)', () => {
  let t: TestDatabase;
  let seed: SeededReviewCohort;
  const as = (role: keyof SeededReviewCohort['users']): Caller => ({ ...seed.users[role], userId: seed.users[role].id, role, ip: '10.0.0.9' });
  const counts = async () => ({ decisions: await t.db.reviewDecision.count(), audit: await t.db.auditEvent.count() });

  beforeAll(async () => {
    t = await createTestDatabase('review_corrections');
    seed = await seedReviewCohort(t.db);
  });
  afterAll(async () => t.drop());

  it('a correction supersedes the decision: both rows kept, the current one shown in the queue, case and minutes, audited', async () => {
    const s = seed.studies['REV-02'];
    const wrong = await recordReviewDecision(t.db, {
      caller: as('REVIEWER'),
      input: { studyId: s.studyId, decision: 'MACHINE_WRONG', comment: 'clicked the wrong one', meeting: '2026-12-05' },
    });
    const before = await counts();
    const fixed = await correctReviewDecision(t.db, {
      caller: as('PHYSICIST'),
      input: { decisionId: wrong.id, decision: 'MACHINE_ACCEPTABLE', reason: '  Recorded under the wrong case  ', comment: '' },
    });
    expect(fixed).toMatchObject({
      supersedesId: wrong.id,
      studyId: s.studyId,
      runId: wrong.runId,
      decision: 'MACHINE_ACCEPTABLE',
      previousDecision: 'MACHINE_WRONG',
      correctionReason: 'Recorded under the wrong case',
      comment: null,
      meeting: '2026-12-05',
    });
    expect(await counts()).toEqual({ decisions: before.decisions + 1, audit: before.audit + 1 });
    // The mistaken decision is unchanged.
    expect(await t.db.reviewDecision.findUniqueOrThrow({ where: { id: wrong.id } })).toMatchObject({
      decision: 'MACHINE_WRONG',
      comment: 'clicked the wrong one',
      supersedesId: null,
    });
    const ev = await t.db.auditEvent.findFirstOrThrow({ where: { action: 'review.decision.corrected' }, orderBy: { id: 'desc' } });
    expect(ev).toMatchObject({ userId: seed.users.PHYSICIST.id, role: 'PHYSICIST', patientId: s.patientId, target: `study:${s.studyId}`, ip: '10.0.0.9' });
    expect(ev.details).toEqual({
      decisionId: fixed.id,
      supersedesId: wrong.id,
      runId: wrong.runId,
      from: 'MACHINE_WRONG',
      to: 'MACHINE_ACCEPTABLE',
      meeting: '2026-12-05',
    });

    const q = await findReviewQueue(t.db, { caller: as('REVIEWER'), criterion: 'low-dice' });
    const c = q.cases.find((x) => x.pseudonym === 'REV-02')!;
    expect(c.decisions.map((d) => [d.decision, d.supersededById, d.supersedesId])).toEqual([
      ['MACHINE_ACCEPTABLE', null, wrong.id],
      ['MACHINE_WRONG', fixed.id, null],
    ]);
    expect(c.undecided).toBe(false);
    const detail = await getReviewCase(t.db, { caller: as('REVIEWER'), studyId: s.studyId, criterion: 'low-dice', undecidedOnly: false });
    expect(detail.case.decisions.find((d) => !d.supersededById)).toMatchObject({ id: fixed.id, correctionReason: 'Recorded under the wrong case' });

    const m = await findMeetingMinutes(t.db, { caller: as('REVIEWER'), meeting: '2026-12-05', purpose: 'view' });
    expect(m.cases).toHaveLength(1);
    expect(m.cases[0].decisions.map((d) => d.id)).toEqual([wrong.id, fixed.id]); // the history, in order
    expect(m.cases[0].current.map((d) => d.decision)).toEqual(['MACHINE_ACCEPTABLE']);
    const csv = formatMinutesCsv(minutesCsvRows(m), { identified: m.identified }).split('\r\n');
    expect(csv[0].split(',').slice(-4)).toEqual(['decision_id', 'status', 'supersedes_decision_id', 'correction_reason']);
    expect(csv[1].endsWith(`,${wrong.id},superseded,,`)).toBe(true);
    expect(csv[2].endsWith(`,${fixed.id},current,${wrong.id},Recorded under the wrong case`)).toBe(true);
  });

  it('a decision is corrected once; the correction itself can be corrected', async () => {
    const s = seed.studies['REV-03'];
    const d1 = await recordReviewDecision(t.db, { caller: as('REVIEWER'), input: { studyId: s.studyId, decision: 'DISCUSS', meeting: '2026-12-05' } });
    const d2 = await correctReviewDecision(t.db, {
      caller: as('REVIEWER'),
      input: { decisionId: d1.id, decision: 'MACHINE_WRONG', reason: 'decided after discussion' },
    });
    const before = await counts();
    const e = await rejection(
      correctReviewDecision(t.db, { caller: as('REVIEWER'), input: { decisionId: d1.id, decision: 'MACHINE_ACCEPTABLE', reason: 'again' } }),
    );
    expect(e.code).toBe('CONFLICT');
    expect(e.message).toMatch(/already corrected \(to “Machine wrong”\).*correct the current decision/);
    // Two corrections of the same decision at once: exactly one lands.
    const both = await Promise.allSettled(
      ['MACHINE_ACCEPTABLE', 'PHYSICIAN_NEEDS_REVISION'].map((decision) =>
        correctReviewDecision(t.db, { caller: as('REVIEWER'), input: { decisionId: d2.id, decision, reason: 'race' } }),
      ),
    );
    expect(both.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = both.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((refused.reason as AppError).code).toBe('CONFLICT');
    expect(await counts()).toEqual({ decisions: before.decisions + 1, audit: before.audit + 1 });
  });

  it('only roles that may decide may correct; a reason is required; a missing decision is NOT_FOUND; nothing written', async () => {
    const s = seed.studies['REV-04'];
    const d = await recordReviewDecision(t.db, { caller: as('REVIEWER'), input: { studyId: s.studyId, decision: 'DISCUSS', meeting: '2026-12-05' } });
    const before = await counts();
    for (const role of ['ADMIN', 'RESEARCHER'] as const) {
      const e = await rejection(correctReviewDecision(t.db, { caller: as(role), input: { decisionId: d.id, decision: 'MACHINE_WRONG', reason: 'x' } }));
      expect(e.code).toBe('FORBIDDEN');
    }
    for (const reason of [undefined, '   ']) {
      const e = await rejection(correctReviewDecision(t.db, { caller: as('REVIEWER'), input: { decisionId: d.id, decision: 'MACHINE_WRONG', reason } }));
      expect(e.code).toBe('INVALID_INPUT');
      expect(e.message).toMatch(/Reason: say why the decision is corrected/);
    }
    const bad = await rejection(correctReviewDecision(t.db, { caller: as('REVIEWER'), input: { decisionId: d.id, decision: 'MAYBE', reason: 'x' } }));
    expect(bad.message).toMatch(/Corrected decision: "MAYBE" is not one of/);
    const missing = await rejection(
      correctReviewDecision(t.db, { caller: as('REVIEWER'), input: { decisionId: 'nope', decision: 'MACHINE_WRONG', reason: 'x' } }),
    );
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.message).toMatch(/Decision nope does not exist/);
    expect(await counts()).toEqual(before);
  });

  it('the app role may not update or delete a decision (append-only)', async () => {
    const s = seed.studies['REV-01'];
    const d = await recordReviewDecision(t.db, { caller: as('REVIEWER'), input: { studyId: s.studyId, decision: 'DISCUSS', meeting: '2026-12-05' } });
    await expect(t.db.$executeRawUnsafe(`UPDATE "ReviewDecision" SET "decision" = 'MACHINE_WRONG' WHERE "id" = $1`, d.id)).rejects.toThrow(/permission denied/);
    await expect(t.db.$executeRawUnsafe(`DELETE FROM "ReviewDecision" WHERE "id" = $1`, d.id)).rejects.toThrow(/permission denied/);
    expect(await t.db.reviewDecision.findUniqueOrThrow({ where: { id: d.id } })).toMatchObject({ decision: 'DISCUSS' });
  });
});
