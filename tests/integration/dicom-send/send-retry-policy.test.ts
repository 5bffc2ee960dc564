/**
 * Which failed sends are retried (issue #14): the real worker process sends a run's machine
 * RTSTRUCT to dcmtk `storescp` peers (tests/peers/dcmtk.ts) set up to fail in each way.
 *
 * - A peer that rejects the association permanently (`storescp --refuse`, as a PACS that does not
 *   know our calling AE title) and one that does not accept the RT Structure Set SOP class
 *   (a CT-only profile: 0x0122) fail the send at the first try with the reason, and the job
 *   completes: pg-boss does not retry it.
 * - A peer that is down (nothing listens on the port) is retried with backoff: the send shows
 *   "Attempt 1 of 4 failed, will retry", and once storescp listens there, a later try stores it.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgBoss } from 'pg-boss';
import type { Caller } from '@/lib/server/auth/roles';
import { importStudy } from '@/lib/server/studies/import-study';
import { createSegmentationRun } from '@/lib/server/runs/create-segmentation-run';
import { executeSegmentationRun, type SegmentFn } from '@/lib/server/runs/execute-segmentation-run';
import { createVolumeStore, type VolumeStore } from '@/lib/server/storage/volume-store';
import { createBoss } from '@/lib/server/jobs/boss';
import { findRunJobs } from '@/lib/server/jobs/find-run-jobs';
import { saveDicomDestination } from '@/lib/server/dicom-send/save-dicom-destination';
import { approveRunContours } from '@/lib/server/dicom-send/approve-run-contours';
import { requestDicomSend } from '@/lib/server/dicom-send/request-dicom-send';
import { findRunSends } from '@/lib/server/dicom-send/find-run-sends';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { startWorker, waitFor, type WorkerProcess } from '../helpers/worker-process';
import { writePhantomStudy } from '../import/phantom-fixture';
import { freePort } from '../../peers/orthanc';
import { haveDcmtk, startStorescp, type StorescpPeer } from '../../peers/dcmtk';

const MODEL_DIR = join(import.meta.dirname, '..', '..', 'fixtures', 'models', 'tiny-test');
const admin: Caller = { userId: 'u-admin', email: 'admin@example.org', name: 'Admin', role: 'ADMIN' };
const physicist: Caller = { userId: 'u-phys', email: 'phys@example.org', name: 'Curie^Marie', role: 'PHYSICIST' };

describe.skipIf(!haveDcmtk())('send retry policy: permanent failures at once, a peer that is down with backoff (real worker, dcmtk storescp)', () => {
  let t: TestDatabase;
  let tmp: string;
  let store: VolumeStore;
  let boss: PgBoss;
  let worker: WorkerProcess;
  let runId: string;
  let studyId: string;
  const peers: StorescpPeer[] = [];

  /** What the study page's send panel shows in the send's Tries column. */
  const triesLabelOf = async (id: string) =>
    (await findRunSends(t.db, { caller: physicist, studyId })).flatMap((r) => r.dicomSends).find((x) => x.id === id)!.triesLabel;
  const sendOf = (id: string) => t.db.dicomSend.findUniqueOrThrow({ where: { id }, include: { tries: { orderBy: { attempt: 'asc' } } } });
  const destination = (name: string, port: number, aeTitle = 'STORESCP') =>
    saveDicomDestination(t.db, { caller: admin, input: { name, aeTitle, host: '127.0.0.1', port, callingAeTitle: 'ISEG_QA', enabled: true, autoSend: false } });
  /** The send's pg-boss job, once it has finished (completed or failed for good). */
  const finishedJob = (jobId: string) =>
    waitFor(`job ${jobId} to finish`, async () => {
      const j = (await findRunJobs(t.db, [jobId])).get(jobId);
      return j && (j.state === 'completed' || j.state === 'failed') ? j : null;
    });

  beforeAll(async () => {
    t = await createTestDatabase('dicom_send_retry_policy');
    tmp = mkdtempSync(join(tmpdir(), 'iseg-send-retry-'));
    store = createVolumeStore({ dir: join(tmp, 'volumes') });
    const phantom = await writePhantomStudy(join(tmp, 'patient'), { seed: 'send-retry', phasePercents: [0, 50] });
    studyId = (await importStudy({ db: t.db, caller: physicist, dir: phantom.dicomDir, store })).studyId;
    const segment: SegmentFn = async (ct) => {
      const [nx, ny] = ct.grid.dims;
      const data = new Uint8Array(ct.data.length);
      for (let k = 7; k < 17; k++) for (let j = 18; j < 30; j++) for (let i = 18; i < 30; i++) data[i + nx * (j + ny * k)] = 1;
      return { mask: { grid: ct.grid, data }, timingsMs: {} };
    };
    const fakeBoss = { send: async () => 'job-send-retry-run' } as unknown as PgBoss;
    runId = (await createSegmentationRun(t.db, fakeBoss, { caller: physicist, studyId, modelDir: MODEL_DIR })).runId;
    expect(await executeSegmentationRun({ db: t.db, store, runId, segment, attempt: 1, maxAttempts: 1, codeVersion: 'test' })).toBe('succeeded');
    await approveRunContours(t.db, { caller: physicist, runId });
    boss = await createBoss({ databaseUrl: t.url, worker: false });
    mkdirSync(join(tmp, 'no-models'));
    worker = await startWorker(t.url, { ISEG_VOLUME_DIR: join(tmp, 'volumes'), ISEG_DATA_DIR: join(tmp, 'data'), ISEG_MODELS_DIR: join(tmp, 'no-models') });
  }, 180_000);

  afterAll(async () => {
    await worker?.stop();
    await boss?.stop({ graceful: false });
    for (const p of peers) await p.stop();
    await t?.drop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('a peer that rejects the association permanently fails the send at the first try, with the reason; the job is not retried', async () => {
    const port = await freePort();
    peers.push(await startStorescp({ port, workDir: join(tmp, 'refuse'), mode: 'refuse' }));
    const d = await destination('Refusing PACS', port);
    const { sendId } = await requestDicomSend(t.db, boss, { caller: physicist, runId, destinationId: d.id });
    const s = await waitFor('the send to fail', async () => {
      const x = await sendOf(sendId);
      return x.state === 'FAILED' || x.state === 'SENT' ? x : null;
    });
    expect(s.state).toBe('FAILED');
    expect(s.attempts).toBe(1);
    expect(s.tries.map((x) => [x.attempt, x.state])).toEqual([[1, 'FAILED']]);
    expect(s.error).toMatch(/^Failed, not retried/);
    expect(s.error).toContain(`Destination "Refusing PACS" (AE "STORESCP" at 127.0.0.1:${port}) permanently rejected the association`);
    expect(s.error).toContain('calling AE title "ISEG_QA"');
    expect(await triesLabelOf(sendId)).toBe('failed on attempt 1 of 4, not retried');
    const job = await finishedJob(s.jobId!);
    expect([job.state, job.retryCount]).toEqual(['completed', 0]);
    const audit = await t.db.auditEvent.findFirstOrThrow({ where: { action: 'run.send.failed', target: `run:${runId}` }, orderBy: { at: 'desc' } });
    expect(audit.details).toMatchObject({ destination: 'Refusing PACS', attempts: 1, retried: false, failure: 'ASSOCIATION_REJECTED' });
  }, 120_000);

  it('a peer that does not take the RT Structure Set SOP class (0x0122) fails at the first try; not retried', async () => {
    const port = await freePort();
    peers.push(await startStorescp({ port, workDir: join(tmp, 'ct-only'), mode: 'ct-only' }));
    const d = await destination('CT-only archive', port);
    const { sendId } = await requestDicomSend(t.db, boss, { caller: physicist, runId, destinationId: d.id });
    const s = await waitFor('the send to fail', async () => {
      const x = await sendOf(sendId);
      return x.state === 'FAILED' || x.state === 'SENT' ? x : null;
    });
    expect(s.state).toBe('FAILED');
    expect(s.attempts).toBe(1);
    expect(s.statusCode).toBe(0x0122);
    expect(s.error).toMatch(/^Failed, not retried/);
    expect(s.error).toContain('not the RT Structure Set storage SOP class');
    const job = await finishedJob(s.jobId!);
    expect([job.state, job.retryCount]).toEqual(['completed', 0]);
  }, 120_000);

  it('a peer that is down is retried with backoff ("attempt 1 of 4 failed, will retry") and stored once it listens', async () => {
    const port = await freePort();
    const d = await destination('Late PACS', port);
    const { sendId } = await requestDicomSend(t.db, boss, { caller: physicist, runId, destinationId: d.id });
    const waiting = await waitFor('the first try to fail', async () => {
      const x = await sendOf(sendId);
      return x.tries.some((y) => y.state === 'FAILED') ? x : null;
    });
    expect(waiting.state).toBe('QUEUED');
    expect(waiting.error).toMatch(/^Attempt 1 of 4 failed, will retry: /);
    expect(waiting.error).toContain(`refused the connection: the peer is down or not listening on port ${port}`);
    // The panel names the next try and when pg-boss starts it (once pg-boss has scheduled the retry).
    const label = await waitFor('the retry to be scheduled', async () => {
      const l = await triesLabelOf(sendId);
      return / at \d\d:\d\d:\d\d UTC$/.test(l) || !l.startsWith('attempt 1 of 4 failed') ? l : null;
    });
    // (On a slow machine the second try may already run, or have failed, when this looks.)
    expect(label).toMatch(/^attempt [1-3] of 4 failed; attempt [2-4] of 4 at \d\d:\d\d:\d\d UTC$|^attempt [2-4] of 4$/);
    const received = join(tmp, 'late');
    peers.push(await startStorescp({ port, workDir: received }));
    const s = await waitFor(
      'the send to be stored',
      async () => {
        const x = await sendOf(sendId);
        return x.state === 'SENT' || x.state === 'FAILED' ? x : null;
      },
      120_000,
    );
    expect(s.state).toBe('SENT');
    expect(s.attempts).toBeGreaterThanOrEqual(2);
    expect(s.tries[0].state).toBe('FAILED');
    expect(s.tries.at(-1)!.state).toBe('SENT');
    expect(await triesLabelOf(sendId)).toBe(`sent on attempt ${s.attempts} of 4`);
    expect(readdirSync(received).filter((n) => n.startsWith('RS.'))).toHaveLength(1); // storescp names an RT Structure Set RS.<SOP Instance UID>
  }, 180_000);
});
