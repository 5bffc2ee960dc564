/**
 * Measurement (opt-in, long): the demo cohort's dose → outcome effect through the app (issue #15
 * item 5, docs/dose-cohort.md). Seeds ISEG_DEMO_COX_PATIENTS demo patients (default seed
 * `iseg-demo`) on the grid ISEG_DEMO_COX_GRID (default the demo's 96×96×48), runs the bundled demo
 * model on every study (the worker's own code: createSegmentationRun + executeSegmentationRun with
 * the model segmenter, then the run's dose metrics), and fits the outcomes explorer's Cox model
 * (runOutcomeAnalysis, local failure, Efron) on "FP volume receiving < 95 % of prescription (cc)";
 * it prints HR, 95 % CI, p, n and events beside the same fit on the generator's own covariate
 * (truth ITV ∖ physician ITV below 95 %, cohort.json) for the same patients.
 *
 *   ISEG_DEMO_COX_PATIENTS=40 nice -n 10 npx vitest run --project integration tests/integration/dose/demo-cox-through-app.test.ts
 *
 * Skipped without ISEG_DEMO_COX_PATIENTS: 40 patients take over an hour on a 2-core machine (one
 * model run is 1–2 minutes there). The e2e seed checks the same path on two patients
 * (seed-demo-dose-outcomes.test.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { seedDemoCohort } from '@/lib/server/seed/seed-demo-cohort';
import { createVolumeStore } from '@/lib/server/storage/volume-store';
import { createSegmentationRun } from '@/lib/server/runs/create-segmentation-run';
import { executeSegmentationRun } from '@/lib/server/runs/execute-segmentation-run';
import { getOutcomeDataset } from '@/lib/server/outcomes/get-outcome-dataset';
import { runOutcomeAnalysis } from '@/lib/server/outcomes/run-outcome-analysis';
import { coxph } from '@/lib/core/survival';
import { loadModel } from '@/lib/inference';
import { modelSegmenter } from '@/workers/tasks/segmentation-run';
import type { Caller } from '@/lib/server/auth/roles';

const DEMO_MODEL_DIR = path.resolve(import.meta.dirname, '..', '..', '..', 'models', 'demo');
const physicist: Caller = { userId: 'u-phys', email: 'phys@example.org', name: 'Phys', role: 'PHYSICIST' };
const patients = Number(process.env.ISEG_DEMO_COX_PATIENTS ?? 0);
const grid = (process.env.ISEG_DEMO_COX_GRID ?? '96,96,48').split(',').map(Number) as [number, number, number];

describe.skipIf(!patients)('demo cohort: Cox model of local failure on the FP volume below 95 % Rx, through the app', () => {
  let t: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    t = await createTestDatabase('demo_cox');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-demo-cox-'));
  });
  afterAll(async () => {
    await t?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`${patients} patients on ${grid.join('×')}`, async () => {
    const volumeDir = path.join(dir, 'volumes');
    const t0 = Date.now();
    // The demo's field of view (320 mm square, 4 mm slices at 48) whatever the grid.
    await seedDemoCohort(t.db, { dataDir: dir, volumeDir, patients, dims: grid, spacingMm: [320 / grid[0], 320 / grid[1], (4 * 48) / grid[2]] });
    const seeded = Date.now();
    console.log(`seeded ${patients} patients in ${((seeded - t0) / 1000).toFixed(0)} s`);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'demo-cohort', 'cohort.json'), 'utf8')) as {
      cohort: {
        patientId: string;
        plan: { tight: boolean; underdosedMissedTumourCc: number };
        outcome: { localFailure: boolean };
      }[];
    };
    const store = createVolumeStore({ dir: volumeDir });
    const segment = modelSegmenter(await loadModel({ modelDir: DEMO_MODEL_DIR, provider: 'cpu' }));
    const pseudonymOf = new Map<string, string>();
    for (const row of manifest.cohort) {
      const study = await t.db.study.findFirstOrThrow({
        where: { patient: { identity: { mrn: row.patientId } } },
        select: { id: true, patient: { select: { pseudonym: true } } },
      });
      pseudonymOf.set(row.patientId, study.patient.pseudonym);
      const { runId } = await createSegmentationRun(t.db, { send: async () => 'job-x' } as unknown as PgBoss, {
        caller: physicist,
        studyId: study.id,
        modelDir: DEMO_MODEL_DIR,
      });
      const r0 = Date.now();
      expect(await executeSegmentationRun({ db: t.db, store, runId, segment, attempt: 1, maxAttempts: 1, codeVersion: 'measure' })).toBe('succeeded');
      console.log(
        `${row.patientId}: run ${((Date.now() - r0) / 1000).toFixed(0)} s (${row.plan.tight ? 'tight' : 'generous'} plan, generator ${row.plan.underdosedMissedTumourCc} cc)`,
      );
    }
    const ran = Date.now();
    const key = 'metric:fpBelow95PctRxCc';
    const ds = await getOutcomeDataset(t.db, { caller: physicist });
    const a = await runOutcomeAnalysis(t.db, { caller: physicist, request: { event: 'localFailure', covariates: [key] }, dataset: ds });
    const perPatient = manifest.cohort.map((r) => ({
      id: r.patientId,
      tight: r.plan.tight,
      truthCc: r.plan.underdosedMissedTumourCc,
      appCc: ds.rows.find((x) => x.pseudonym === pseudonymOf.get(r.patientId))?.values[key] ?? null,
      lf: r.outcome.localFailure,
    }));
    console.log(
      perPatient
        .map(
          (p) =>
            `${p.id} ${p.tight ? 'tight' : 'generous'} truth ${p.truthCc.toFixed(2)} cc, app ${p.appCc === null ? 'NA' : Number(p.appCc).toFixed(2)} cc, LF ${p.lf}`,
        )
        .join('\n'),
    );
    // The generator's covariate on the same patients, times and events (lib/core/survival, Efron).
    const rowOf = (id: string) => ds.rows.find((x) => x.pseudonym === pseudonymOf.get(id))!;
    try {
      const truth = coxph(
        {
          time: manifest.cohort.map((r) => rowOf(r.patientId).lfTimeDays!),
          event: manifest.cohort.map((r) => rowOf(r.patientId).lfEvent!),
          covariates: [manifest.cohort.map((r) => r.plan.underdosedMissedTumourCc)],
          names: ['underdosedMissedTumourCc'],
        },
        { ties: 'efron' },
      );
      const tc = truth.coefficients[0]!;
      console.log(
        `generator covariate: HR ${tc.hr.toFixed(2)} (95 % CI ${tc.lower95.toFixed(2)}–${tc.upper95.toFixed(2)}), p ${tc.p.toPrecision(2)}, n ${truth.n}, events ${truth.nevent}`,
      );
    } catch (e) {
      console.log(`generator covariate: no fit (${(e as Error).message})`);
    }
    expect(a.cox.status, JSON.stringify(a.cox)).toBe('ok');
    if (a.cox.status !== 'ok') return;
    const c = a.cox.value.coefficients[0]!;
    console.log(
      `through the app (${grid.join('×')}, ${patients} patients): ${JSON.stringify({ hr: c.hr, lower95: c.lower95, upper95: c.upper95, p: c.p, n: a.cox.value.n, events: a.cox.value.nevent, dropped: a.cox.value.nDropped })}; seed ${((seeded - t0) / 1000).toFixed(0)} s, ${manifest.cohort.length} runs ${((ran - seeded) / 1000).toFixed(0)} s`,
    );
    expect(a.cox.value.n).toBe(patients);
  }, 7_200_000);
});
