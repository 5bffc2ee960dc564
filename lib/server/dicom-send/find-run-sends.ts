/**
 * For the study page: the study's succeeded runs with their approval and their sends (state,
 * DICOM status, error, tries), newest first (permission studies:view; the AE title, host and
 * port of a destination are not identifiers). Each send carries `triesLabel`, what the panel's
 * Tries column says: "attempt 2 of 4" while a try is running, "attempt 1 of 4 failed; attempt 2
 * of 4 at 14:05:31 UTC" while pg-boss waits to retry (the time is its job's start_after), "sent
 * on attempt 2 of 4" / "failed after 4 of 4 attempts" / "failed on attempt 1 of 4, not retried"
 * once finished. N is DICOM_SEND_JOB's policy (the first try plus its retries).
 */
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import { BOSS_SCHEMA } from '../jobs/boss';
import { maxAttempts } from '../jobs/define-job';
import { hasJobTable } from '../jobs/find-run-jobs';
import { DICOM_SEND_JOB } from '../jobs/job-definitions';

/** Tries a send gets in all (the first plus pg-boss's retries). */
export const DICOM_SEND_MAX_ATTEMPTS = maxAttempts(DICOM_SEND_JOB);

const clock = (d: Date) => `${d.toISOString().slice(11, 19)} UTC`;

/** The Tries column's text for one send (see the file comment). */
export function describeSendTries(s: {
  state: 'QUEUED' | 'SENDING' | 'SENT' | 'FAILED';
  attempts: number;
  error: string | null;
  /** When pg-boss starts the next try (its job's start_after), for a send waiting to be retried. */
  nextTryAt: Date | null;
  maxAttempts?: number;
}): string {
  const n = s.attempts;
  const of = s.maxAttempts ?? DICOM_SEND_MAX_ATTEMPTS;
  switch (s.state) {
    case 'SENDING':
      return `attempt ${n} of ${of}`;
    case 'SENT':
      return `sent on attempt ${n} of ${of}`;
    case 'FAILED':
      return s.error?.startsWith('Failed, not retried') ? `failed on attempt ${n} of ${of}, not retried` : `failed after ${n} of ${of} attempts`;
    case 'QUEUED':
      if (n === 0) return `waiting for attempt 1 of ${of}`;
      return `attempt ${n} of ${of} failed; attempt ${n + 1} of ${of} ${s.nextTryAt ? `at ${clock(s.nextTryAt)}` : 'soon'}`;
  }
}

export async function findRunSends(db: Db, { caller, studyId }: { caller: Caller | null; studyId: string }) {
  authorize(caller, 'studies:view');
  const runs = await db.segmentationRun.findMany({
    where: { studyId, status: 'SUCCEEDED' },
    orderBy: [{ finishedAt: 'desc' }, { id: 'desc' }],
    select: {
      id: true,
      finishedAt: true,
      modelVersion: { select: { name: true, version: true } },
      approval: true,
      dicomSends: {
        orderBy: { queuedAt: 'desc' },
        include: { destination: { select: { name: true, aeTitle: true, host: true, port: true } }, tries: { orderBy: { attempt: 'asc' } } },
      },
    },
  });
  // When pg-boss starts the next try of each send waiting for a retry.
  const waiting = runs.flatMap((r) => r.dicomSends.filter((s) => s.state === 'QUEUED' && s.attempts > 0 && s.jobId).map((s) => s.jobId!));
  const nextTry = new Map<string, Date>();
  if (waiting.length && (await hasJobTable(db))) {
    const rows = await db.$queryRawUnsafe<{ id: string; start_after: Date }[]>(
      `SELECT id::text, start_after FROM ${BOSS_SCHEMA}.job WHERE id::text = ANY($1::text[]) AND state IN ('retry', 'created')`,
      waiting,
    );
    for (const r of rows) nextTry.set(r.id, r.start_after);
  }
  return runs.map((r) => ({
    ...r,
    dicomSends: r.dicomSends.map((s) => {
      const nextTryAt = s.state === 'QUEUED' && s.jobId ? (nextTry.get(s.jobId) ?? null) : null;
      return { ...s, nextTryAt, triesLabel: describeSendTries({ ...s, nextTryAt }) };
    }),
  }));
}
