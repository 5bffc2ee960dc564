/**
 * The worker process for real: jobs sent from the web side (inside a Prisma transaction) run
 * in a separate worker process; a killed worker's job is retried and completes exactly once;
 * SIGTERM lets the active job finish.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgBoss } from 'pg-boss';
import { createTestDatabase, type TestDatabase } from './helpers/test-database';
import { startWorker, waitFor } from './helpers/worker-process';
import { createBoss } from '../../lib/server/jobs/boss';
import { QUEUES } from '../../lib/server/jobs/queues';
import { sendJobInTransaction } from '../../lib/server/jobs/send-job';
import { WORKER_SELF_TEST_JOB } from '../../lib/server/jobs/job-definitions';
import type { Caller } from '../../lib/server/auth/roles';

const physicist: Caller = { userId: 'u1', email: 'phys@example.org', name: 'Phys', role: 'PHYSICIST' };

async function jobState(t: TestDatabase, id: string) {
  const rows = await t.db.$queryRawUnsafe<{ state: string; retry_count: number }[]>('SELECT state::text, retry_count FROM pgboss.job WHERE id = $1::uuid', id);
  return rows[0];
}

describe('worker process', () => {
  let t: TestDatabase;
  let web: PgBoss;
  beforeAll(async () => {
    t = await createTestDatabase('worker');
    web = await createBoss({ databaseUrl: t.url, worker: false });
  });
  afterAll(async () => {
    await web.stop({ graceful: false });
    await t.drop();
  });

  it('runs a job that the web side enqueued in a transaction', async () => {
    const worker = await startWorker(t.url);
    try {
      // The job and its audit row in one transaction, as the web side's operations send them.
      const jobId = await t.db.$transaction(async (tx) => {
        const id = await sendJobInTransaction(web, tx, WORKER_SELF_TEST_JOB, { holdMs: 0 });
        await tx.auditEvent.create({
          data: {
            action: 'job.enqueued',
            userId: physicist.userId,
            userEmail: physicist.email,
            role: physicist.role,
            target: `job:${id}`,
            details: { queue: WORKER_SELF_TEST_JOB.name },
          },
        });
        return id;
      });
      expect(jobId).toBeTruthy();
      const row = await waitFor('the worker check row', () => t.db.workerCheck.findUnique({ where: { jobId: jobId! } }));
      expect(row.attempt).toBe(1);
      await waitFor('the job to complete', async () => ((await jobState(t, jobId!))?.state === 'completed' ? true : null));
      const audit = await t.db.auditEvent.findFirst({ where: { action: 'job.enqueued' } });
      expect(audit?.target).toBe(`job:${jobId}`);
      const instance = await t.db.workerInstance.findFirst({ where: { pid: worker.child.pid! } });
      expect(instance?.stoppedAt).toBeNull();
    } finally {
      expect(await worker.stop()).toBe(0);
    }
    const stopped = await t.db.workerInstance.findFirst({ where: { pid: worker.child.pid! } });
    expect(stopped?.stoppedAt).not.toBeNull();
  });

  it('a job sent in a transaction that rolls back never exists', async () => {
    let sentId: string | null = null;
    await expect(
      t.db.$transaction(async (tx) => {
        sentId = await sendJobInTransaction(web, tx, WORKER_SELF_TEST_JOB, { holdMs: 0 });
        throw new Error('domain write failed');
      }),
    ).rejects.toThrow('domain write failed');
    expect(sentId).toBeTruthy();
    expect(await jobState(t, sentId!)).toBeUndefined();
  });

  it('kill -9 mid-job: the job is retried by another worker and completes exactly once', async () => {
    const first = await startWorker(t.url);
    const jobId = (await web.send(QUEUES.workerSelfTest, { holdMs: 6_000 }))!;
    await waitFor('the job to become active', async () => (await jobState(t, jobId))?.state === 'active');
    await first.kill();
    expect(await t.db.workerCheck.count({ where: { jobId } })).toBe(0);
    const second = await startWorker(t.url);
    try {
      // Missed heartbeats (10 s) are noticed by the supervisor of the live worker.
      await waitFor('the retried job to complete', async () => (await jobState(t, jobId))?.state === 'completed', 90_000);
      const checks = await t.db.workerCheck.findMany({ where: { jobId } });
      expect(checks).toHaveLength(1);
      const state = await jobState(t, jobId);
      expect(state.retry_count).toBeGreaterThanOrEqual(1);
    } finally {
      await second.stop();
    }
  }, 150_000);

  it('SIGTERM lets the active job finish, then the worker exits 0', async () => {
    const worker = await startWorker(t.url);
    const jobId = (await web.send(QUEUES.workerSelfTest, { holdMs: 2_500 }))!;
    await waitFor('the job to become active', async () => (await jobState(t, jobId))?.state === 'active');
    const code = await worker.stop();
    expect(code).toBe(0);
    expect(worker.output()).toContain('SIGTERM: finishing active jobs');
    expect(await t.db.workerCheck.count({ where: { jobId } })).toBe(1);
    expect((await jobState(t, jobId)).state).toBe('completed');
  });
});
