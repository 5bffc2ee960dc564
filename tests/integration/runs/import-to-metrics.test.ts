/**
 * The whole chain as a department runs it: a 4D CT study written as real DICOM (CT per phase
 * plus RTSTRUCT) → `iseg-qa import` → a segmentation run is queued automatically → a worker
 * process segments every phase with the configured model (tests/fixtures/models/tiny-test here: a fixed
 * filter, so this checks the chain, not segmentation quality) → metrics against the imported
 * physician contours.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { startWorker, waitFor } from '../helpers/worker-process';
import { TEST_MODELS_DIR } from '../helpers/test-models';
import { writePhantomStudy } from '../import/phantom-fixture';

const root = fileURLToPath(new URL('../../..', import.meta.url));

describe('import → automatic segmentation run → metrics', () => {
  let t: TestDatabase;
  let tmp: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    t = await createTestDatabase('chain');
    tmp = mkdtempSync(join(tmpdir(), 'iseg-chain-'));
    await writePhantomStudy(join(tmp, 'PAT0'), { dims: [32, 32, 16], spacingMm: [10, 10, 12], phasePercents: [0, 50], index: 0, seed: 'chain' });
    env = {
      DATABASE_URL: t.url,
      ISEG_VOLUME_DIR: join(tmp, 'volumes'),
      ISEG_DATA_DIR: join(tmp, 'data'),
      ISEG_MODELS_DIR: TEST_MODELS_DIR,
      ISEG_MODEL: 'tiny-test',
    };
  });
  afterAll(async () => {
    await t.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('queues a run on import and a worker turns it into metric rows', async () => {
    const r = spawnSync(process.execPath, ['cli/iseg-qa.mjs', 'import', join(tmp, 'PAT0'), '--json'], {
      cwd: root,
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const [study] = JSON.parse(r.stdout).studies;
    expect(study.segmentation).toMatchObject({ queued: true, runId: expect.any(String) });
    const queued = await t.db.segmentationRun.findUniqueOrThrow({ where: { id: study.segmentation.runId } });
    expect(queued.status).toBe('QUEUED');
    expect(queued.jobId).toBeTruthy();

    const worker = await startWorker(t.url, env);
    try {
      const run = await waitFor(
        'the run to succeed',
        async () => {
          const x = await t.db.segmentationRun.findUnique({
            where: { id: queued.id },
            include: { structures: true, metricResults: { include: { referenceStructure: true } } },
          });
          if (x?.status === 'FAILED') throw new Error(`run failed: ${x.error}\n${worker.output()}`);
          return x?.status === 'SUCCEEDED' ? x : null;
        },
        120_000,
      );
      expect(run.structures.map((s) => s.label).sort()).toEqual(['GTV:phase:0', 'GTV:phase:1', 'ITV']);
      // Each machine GTV is compared with the physician GTV of its phase, and the ITVs with each other.
      const refs = new Set(run.metricResults.map((m) => `${m.referenceStructure.kind}:${m.referenceStructure.phaseIndex ?? '-'}`));
      expect([...refs].sort()).toEqual(['GTV:0', 'GTV:1', 'ITV:-']);
      expect(run.metricResults.every((m) => m.codeVersion.startsWith('iseg-qa'))).toBe(true);

      // The run summary (what the cohort page reads) carries the same numbers: one Dice per phase GTV and one for the ITV.
      const summary = await t.db.runSummary.findUniqueOrThrow({ where: { runId: run.id }, include: { phases: { orderBy: { position: 'asc' } } } });
      const dice = (label: string) =>
        (
          run.metricResults.find((m) => m.convention === 'overlap' && run.structures.find((s) => s.id === m.testStructureId)?.label === label)!.values as {
            dice: number;
          }
        ).dice;
      expect(summary.itvDice).toBe(dice('ITV'));
      expect(summary.phases.map((p) => p.dice)).toEqual([dice('GTV:phase:0'), dice('GTV:phase:1')]);
      expect(summary.gtvMedianDice).toBeCloseTo((dice('GTV:phase:0') + dice('GTV:phase:1')) / 2, 12);
    } finally {
      await worker.stop();
    }
  }, 240_000);
});
