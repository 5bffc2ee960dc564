/**
 * Fault suite, worker part (issue 12): kill -9 of the worker at each stage of a run, then a
 * fresh worker finishes it. Stages, as the run row records them and the worker's fault hook
 * (ISEG_FAULT_HOLD_AT_STAGE) pauses at them, so each kill lands inside the stage:
 *   reading GTV:phase:0      before anything is stored
 *   segmenting GTV:phase:1   phase 0's GTV stored, phase 1's not
 *   ITV                      every phase GTV stored, no ITV
 *   metrics ITV              the phase GTVs' metrics computed, no metric row written yet
 *   writing results          every metric computed, no metric row written, the run not yet
 *                            SUCCEEDED (metric rows, summary and SUCCEEDED commit together,
 *                            lib/server/runs/persist-run-results.ts)
 * After each: the run SUCCEEDED exactly once (second attempt, by the second worker), with one
 * row per structure and per (reference, test, convention), what was stored before the kill kept
 * rather than redone, its job completed, and nothing stranded (no run queued or running, no job
 * waiting or active). The counts are printed at the end.
 *
 * The model's queue has a 10 s heartbeat (pg-boss's minimum) and a 1 s retry delay here, so a
 * killed worker's job is retried within about 20 s.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { PgBoss } from 'pg-boss';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { startWorker, waitFor, type WorkerProcess } from '../helpers/worker-process';
import { createBoss } from '../../../lib/server/jobs/boss';
import { segmentationQueueFor } from '../../../lib/server/jobs/queues';
import { SEGMENTATION_RUN_JOB } from '../../../lib/server/jobs/job-definitions';
import { createVolumeStore, type VolumeStore } from '../../../lib/server/storage/volume-store';
import { createSegmentationRun } from '../../../lib/server/runs/create-segmentation-run';
import { seedRunStudy } from './seed-run-study';
import { copyModel, type ModelCopy } from './model-copies';

const physicist = { userId: 'u', email: 'p@example.org', name: 'P', role: 'PHYSICIST' as const };

/** Two phases: GTV per phase + ITV = 3 machine structures; 3 pairs × 4 conventions = 12 metric rows. */
const METRIC_ROWS = 12;

const STAGES = [
  { stage: 'reading GTV:phase:0', storedBefore: { structures: 0, metrics: 0 } },
  { stage: 'segmenting GTV:phase:1', storedBefore: { structures: 1, metrics: 0 } },
  { stage: 'ITV', storedBefore: { structures: 2, metrics: 0 } },
  { stage: 'metrics ITV', storedBefore: { structures: 3, metrics: 0 } },
  { stage: 'writing results', storedBefore: { structures: 3, metrics: 0 } },
] as const;

describe('kill -9 of the worker at each stage of a run', () => {
  let t: TestDatabase;
  let boss: PgBoss;
  let tmp: string;
  let store: VolumeStore;
  let tiny: ModelCopy;
  let env: Record<string, string>;
  const outcomes: { stage: string; kills: number; status: string; attempts: number; structures: number; metricRows: number; keptBeforeKill: number }[] = [];
  beforeAll(async () => {
    t = await createTestDatabase('kill_stages');
    boss = await createBoss({ databaseUrl: t.url, worker: false });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-kill-stages-'));
    tiny = copyModel(path.join(tmp, 'models'), { folder: 'tiny-test' });
    store = createVolumeStore({ dir: path.join(tmp, 'volumes') });
    env = { ISEG_MODELS_DIR: path.join(tmp, 'models'), ISEG_MODEL: 'tiny-test', ISEG_VOLUME_DIR: path.join(tmp, 'volumes') };
    await boss.createQueue(segmentationQueueFor(tiny), {
      ...SEGMENTATION_RUN_JOB.policy,
      heartbeatSeconds: 10,
      retryLimit: 2,
      retryDelay: 1,
      retryBackoff: false,
    });
  });
  afterAll(async () => {
    await boss.stop({ graceful: false });
    await t.drop();
    fs.rmSync(tmp, { recursive: true, force: true });
    if (outcomes.length) {
      console.log(
        `[fault suite: worker] kills ${outcomes.reduce((a, o) => a + o.kills, 0)}, stages ${outcomes.length}, succeeded once ${outcomes.filter((o) => o.status === 'SUCCEEDED' && o.attempts === 2).length}/${outcomes.length}`,
      );
      for (const o of outcomes)
        console.log(
          `  ${o.stage.padEnd(24)} kills ${o.kills}  ${o.status} on attempt ${o.attempts}  structures ${o.structures}  metric rows ${o.metricRows}  kept from before the kill ${o.keptBeforeKill}`,
        );
    }
  });

  for (const { stage, storedBefore } of STAGES) {
    it(`killed in "${stage}": finishes exactly once, nothing duplicated or stranded`, async () => {
      const { study } = await seedRunStudy(t, store, `kill-${stage.replace(/\W+/g, '-')}`);
      const first = await startWorker(t.url, { ...env, ISEG_FAULT_HOLD_AT_STAGE: stage });
      let second: WorkerProcess | undefined;
      // Whatever happens, no worker of this stage is left to take the next stage's run.
      onTestFinished(async () => {
        if (first.child.exitCode === null && first.child.signalCode === null) await first.kill();
        await second?.stop();
      });
      const { runId, jobId } = await createSegmentationRun(t.db, boss, { caller: physicist, studyId: study.id, modelDir: tiny.dir });
      await waitFor(`the run to reach "${stage}"`, async () => first.output().includes(`fault hold: stage "${stage}"`), 90_000);
      const held = await t.db.segmentationRun.findUniqueOrThrow({ where: { id: runId } });
      expect(held).toMatchObject({ status: 'RUNNING', stage, attempts: 1 });
      const before = {
        structures: await t.db.machineStructure.findMany({ where: { runId }, orderBy: { label: 'asc' } }),
        metrics: await t.db.metricResult.findMany({ where: { runId }, orderBy: { id: 'asc' } }),
      };
      expect(before.structures).toHaveLength(storedBefore.structures);
      expect(before.metrics).toHaveLength(storedBefore.metrics);
      await first.kill();

      second = await startWorker(t.url, env);
      const run = await waitFor(
        'the run to succeed on the next attempt',
        async () => {
          const r = await t.db.segmentationRun.findUnique({ where: { id: runId } });
          if (r?.status === 'FAILED') throw new Error(`run failed: ${r.error}\n${second!.output()}`);
          return r?.status === 'SUCCEEDED' ? r : null;
        },
        120_000,
      );
      const secondInstance = await t.db.workerInstance.findFirstOrThrow({ where: { pid: second!.child.pid! } });
      expect(run).toMatchObject({ attempts: 2, progress: 100, stage: 'done', workerId: secondInstance.id, errorCode: null });
      expect(await t.db.runSummary.count({ where: { runId } })).toBe(1);

      // Exactly one of each row; what was stored before the kill is the same row, unchanged.
      const structures = await t.db.machineStructure.findMany({ where: { runId }, orderBy: { label: 'asc' } });
      expect(structures.map((s) => s.label)).toEqual(['GTV:phase:0', 'GTV:phase:1', 'ITV']);
      const metrics = await t.db.metricResult.findMany({ where: { runId } });
      expect(metrics).toHaveLength(METRIC_ROWS);
      expect(new Set(metrics.map((m) => `${m.referenceStructureId}|${m.testStructureId}|${m.convention}`)).size).toBe(METRIC_ROWS);
      let kept = 0;
      for (const s of before.structures) {
        const now = structures.find((x) => x.label === s.label)!;
        expect(now.id).toBe(s.id);
        if (s.kind === 'GTV') expect(now.maskSha256).toBe(s.maskSha256); // a phase GTV is not segmented again
        kept++;
      }
      for (const m of before.metrics) {
        const now = metrics.find((x) => x.id === m.id)!;
        expect(now.values).toEqual(m.values);
        kept++;
      }

      // Its job completed after one retry; no run or job left waiting anywhere. The run row
      // commits SUCCEEDED inside the handler and pg-boss marks the job completed after the
      // handler returns, so the job's state is awaited, not read once.
      const job = await waitFor(
        'the job to be marked completed',
        async () => {
          const [j] = await t.db.$queryRawUnsafe<{ state: string; retry_count: number }[]>(
            'SELECT state::text, retry_count FROM pgboss.job WHERE id = $1::uuid',
            jobId,
          );
          return j && j.state !== 'active' ? j : null;
        },
        10_000,
      );
      expect(job).toEqual({ state: 'completed', retry_count: 1 });
      await waitFor(
        'no job waiting or active',
        async () => {
          const [open] = await t.db.$queryRawUnsafe<{ n: number }[]>(
            `SELECT count(*)::int AS n FROM pgboss.job WHERE starts_with(name, 'segmentation.run') AND state IN ('created', 'retry', 'active')`,
          );
          return open.n === 0;
        },
        10_000,
      );
      expect(await t.db.segmentationRun.count({ where: { status: { in: ['QUEUED', 'RUNNING'] } } })).toBe(0);
      expect(await t.db.segmentationRun.count({ where: { studyId: study.id } })).toBe(1);
      outcomes.push({
        stage,
        kills: 1,
        status: run.status,
        attempts: run.attempts,
        structures: structures.length,
        metricRows: metrics.length,
        keptBeforeKill: kept,
      });
    }, 200_000);
  }
});
