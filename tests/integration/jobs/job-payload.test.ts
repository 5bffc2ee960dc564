/**
 * A job whose payload does not match its definition's schema, received by the real worker
 * process: the job fails with a message naming the job and the field, and its handler never
 * runs (no WorkerCheck row). The same sender's valid job is worked as usual. Refusal at send
 * is covered without a database in tests/unit/server/jobs/define-job.test.ts; here sendJob's
 * refusal is shown to leave no job behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgBoss } from 'pg-boss';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { startWorker, waitFor, type WorkerProcess } from '../helpers/worker-process';
import { createBoss } from '../../../lib/server/jobs/boss';
import { WORKER_SELF_TEST_JOB } from '../../../lib/server/jobs/job-definitions';
import { jobFailureMessage } from '../../../lib/server/jobs/find-run-jobs';
import { sendJob } from '../../../lib/server/jobs/send-job';

async function job(t: TestDatabase, id: string) {
  const rows = await t.db.$queryRawUnsafe<{ state: string; output: unknown }[]>('SELECT state::text, output FROM pgboss.job WHERE id = $1::uuid', id);
  return rows[0];
}

describe('job payloads checked at send and at receipt', () => {
  let t: TestDatabase;
  let boss: PgBoss;
  let worker: WorkerProcess | undefined;
  beforeAll(async () => {
    t = await createTestDatabase('job_payload');
    boss = await createBoss({ databaseUrl: t.url, worker: false });
  });
  afterAll(async () => {
    await worker?.stop();
    await boss.stop({ graceful: false });
    await t.drop();
  });

  it('sendJob refuses a bad payload and no job is written', async () => {
    const before = await t.db.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1`, WORKER_SELF_TEST_JOB.name);
    // @ts-expect-error: holdMs is a number of milliseconds
    await expect(sendJob(boss, WORKER_SELF_TEST_JOB, { holdMs: 'ten' })).rejects.toThrow(/Job "worker\.selftest" sent has an invalid payload: holdMs:/);
    const after = await t.db.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1`, WORKER_SELF_TEST_JOB.name);
    expect(after[0]!.n).toBe(before[0]!.n);
  });

  it('the worker fails a received job with a bad payload, naming job and field, without running its handler', async () => {
    worker = await startWorker(t.url, { ISEG_MODEL: 'no-such-model' });
    // Sent past sendJob (as an older version or a hand-written job would): pg-boss takes any object.
    const bad = (await boss.send(WORKER_SELF_TEST_JOB.name, { holdMs: -1 }))!;
    const good = (await sendJob(boss, WORKER_SELF_TEST_JOB, { holdMs: 0 }))!;
    const failed = await waitFor('the bad job to fail', async () => {
      const j = await job(t, bad);
      return j && (j.state === 'retry' || j.state === 'failed') ? j : null;
    });
    expect(jobFailureMessage(failed.output)).toMatch(
      new RegExp(`^Job "worker\\.selftest" ${bad} \\(queue worker\\.selftest\\) received has an invalid payload: holdMs: `),
    );
    await waitFor('the good job to complete', async () => (await job(t, good))?.state === 'completed');
    // The handler records one WorkerCheck per job it runs: the good one, never the bad one.
    expect(await t.db.workerCheck.count({ where: { jobId: good } })).toBe(1);
    expect(await t.db.workerCheck.count({ where: { jobId: bad } })).toBe(0);
  });
});
