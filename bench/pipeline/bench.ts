/**
 * `npm run bench:pipeline [-- --studies 6 --dims 96,96,48 --json FILE --outputs FILE]`: the
 * segmentation run per stage (issue #19), through the worker's own code.
 *
 * `studies` demo patients (the demo seed's generator: 10-phase 4D CT over 320 × 320 × 192 mm, the
 * physician RTSTRUCTs, a second observer every third patient, a plan and its dose) are imported by
 * the real importer into a throw-away embedded Postgres and volume store; then each gets a run,
 * executed one after another by `executeSegmentationRun` with the worker's segmenter
 * (`modelSegmenter` on the `demo` model through onnxruntime, CPU), exactly as a worker does.
 *
 * Prints, per stage, the median per run of its wall and CPU milliseconds (CPU: this process, all
 * threads, onnxruntime's included) and the share of the run, and the non-inference share (the run
 * less the network's forward passes). `--outputs FILE` writes what the runs produced (every
 * machine mask's sha256, metric, dose and observer rows, keyed by patient, ids left out) and its
 * sha256, so two versions of the code can be shown to give byte-identical results.
 * `--cohort DIR` keeps the written DICOM there and reuses it when present (two versions of the code
 * on the same input). `--profile FILE` writes a V8 CPU profile of the runs alone (not the writing and importing of the
 * studies) to FILE (.cpuprofile: Chrome DevTools or `npx tsx bench/pipeline/top-functions.ts FILE`).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Session } from 'node:inspector/promises';
import type { PgBoss } from 'pg-boss';
import { startEmbeddedPostgres } from '../../lib/server/db/embedded-postgres';
import { prepareDatabase } from '../../lib/server/startup/prepare-database';
import { createDb, type Db } from '../../lib/server/db/client';
import type { Caller } from '../../lib/server/auth/roles';
import { importStudy } from '../../lib/server/studies/import-study';
import { createVolumeStore } from '../../lib/server/storage/volume-store';
import { createSegmentationRun } from '../../lib/server/runs/create-segmentation-run';
import { executeSegmentationRun } from '../../lib/server/runs/execute-segmentation-run';
import { generatePhantomCohort } from '../../lib/server/seed/write-phantom-cohort';
import { loadModel } from '../../lib/inference';
import { modelSegmenter } from '../../workers/tasks/segmentation-run';
import { freePort } from '../../tests/peers/orthanc';

const root = path.resolve(import.meta.dirname, '..', '..');
const { values } = parseArgs({
  options: {
    studies: { type: 'string', default: '6' },
    dims: { type: 'string', default: '96,96,48' },
    model: { type: 'string', default: path.join(root, 'models', 'demo') },
    json: { type: 'string' },
    outputs: { type: 'string' },
    profile: { type: 'string' },
    cohort: { type: 'string' },
  },
});
const studies = Number(values.studies);
const dims = values.dims.split(',').map(Number) as [number, number, number];
if (!(studies >= 1) || dims.length !== 3 || dims.some((d) => !(d >= 8)))
  throw new Error('bench:pipeline: --studies must be ≥ 1 and --dims three voxel counts "nx,ny,nz" (each ≥ 8), e.g. 96,96,48.');
const fovMm = [320, 320, 192];
const spacingMm = dims.map((n, a) => fovMm[a]! / n) as [number, number, number];
const log = (m: string) => console.log(`[bench:pipeline] ${m}`);
const physicist: Caller = { userId: 'bench-phys', email: 'phys@bench', name: 'Bench Physicist', role: 'PHYSICIST' };

/** The stages of a run, as the table shows them; `inference` is the network alone. */
const STAGES = [
  ['read CT', (k: string) => /^GTV:.*:read$/.test(k)],
  ['resample to model', (k: string) => k.endsWith(':resampleToModel') || k.endsWith(':normalise')],
  ['inference (network)', (k: string) => k.endsWith(':predict')],
  ['sliding window (patches, stitching)', (k: string) => k.endsWith(':slidingWindow')], // less predict, below
  ['activation + resample to native', (k: string) => k.endsWith(':activation') || k.endsWith(':resampleToNative')],
  ['post-process', (k: string) => k.endsWith(':postprocess')],
  ['write GTV masks', (k: string) => /^GTV:.*:write$/.test(k)],
  ['ITV (union)', (k: string) => k === 'itv'],
  ['write ITV', (k: string) => k === 'itv:write'],
  ['read physician masks', (k: string) => /^reference:.*:read$/.test(k)],
  ['metrics (pairs)', (k: string) => k.startsWith('metrics:')],
  ['summary', (k: string) => k === 'summary'],
  ['persist (transaction)', (k: string) => k === 'persist'],
  ['dose metrics', (k: string) => k === 'dose'],
  ['observer metrics', (k: string) => k === 'observers'],
] as const;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Per stage: wall and CPU ms of one run, from executeSegmentationRun's onTimings. */
function stageTotals(t: { wallMs: Record<string, number>; cpuMs: Record<string, number> }, runWall: number, runCpu: number) {
  const sum = (rec: Record<string, number>, pick: (k: string) => boolean) =>
    Object.entries(rec).reduce((n, [k, v]) => (pick(k) && typeof v === 'number' ? n + v : n), 0);
  const rows: { name: string; wall: number; cpu: number }[] = STAGES.map(([name, pick]) => ({ name, wall: sum(t.wallMs, pick), cpu: sum(t.cpuMs, pick) }));
  const predict = rows[2]!;
  rows[3]!.wall -= predict.wall;
  rows[3]!.cpu -= predict.cpu;
  const segOverhead = {
    wall: sum(t.wallMs, (k) => k.endsWith(':segment')) - sum(t.wallMs, (k) => /^GTV:.*:total$/.test(k)),
    cpu: sum(t.cpuMs, (k) => k.endsWith(':segment')) - sum(t.cpuMs, (k) => /^GTV:.*:total$/.test(k)),
  };
  rows.push({ name: 'segment call overhead', ...segOverhead });
  const accounted = rows.reduce((a, r) => ({ wall: a.wall + r.wall, cpu: a.cpu + r.cpu }), { wall: 0, cpu: 0 });
  rows.push({ name: 'other (claim, progress, queries)', wall: runWall - accounted.wall, cpu: runCpu - accounted.cpu });
  return rows;
}

/** What the runs produced, without ids or times: equal for equal results. */
async function runOutputs(db: Db, runId: string) {
  const strip = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([k]) => !/(^id$|Id$|^createdAt$|^key$|^codeVersion$)/.test(k)));
  const machine = await db.machineStructure.findMany({ where: { runId }, orderBy: { label: 'asc' } });
  const label = new Map(machine.map((m) => [m.id, m.label]));
  const metrics = await db.metricResult.findMany({ where: { runId }, include: { referenceStructure: { select: { kind: true, phasePercent: true } } } });
  const dose = await db.doseMetricResult.findMany({ where: { runId } });
  const observers = await db.observerMetric.findMany({ where: { runId } });
  const summary = await db.runSummary.findUnique({ where: { runId }, include: { phases: { orderBy: { position: 'asc' } } } });
  const sortKey = (x: unknown) => JSON.stringify(x);
  const sorted = <T>(xs: T[]) => xs.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1));
  return {
    machine: machine.map((m) => ({ label: m.label, maskSha256: m.maskSha256, voxelCount: m.voxelCount, volumeCc: m.volumeCc })),
    metrics: sorted(metrics.map((m) => ({ ...strip(m), reference: m.referenceStructure, test: label.get(m.testStructureId) }))),
    dose: sorted(dose.map((d) => strip(d))),
    observers: sorted(observers.map((o) => ({ ...strip(o), test: o.machineStructureId ? label.get(o.machineStructureId) : null }))),
    summary: summary && { ...strip(summary), phases: summary.phases.map((p) => strip(p)) },
  };
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-bench-pipeline-'));
  const cleanup: (() => Promise<void>)[] = [];
  try {
    const t0 = performance.now();
    const cohortDir = values.cohort ? path.resolve(values.cohort) : path.join(tmp, 'cohort');
    type Cohort = { patients: number; cohort: { folder: string; patientId: string }[] };
    const manifest = path.join(cohortDir, 'cohort.json');
    let cohort: Cohort | null = fs.existsSync(manifest) ? (JSON.parse(fs.readFileSync(manifest, 'utf8')) as Cohort) : null;
    if (cohort?.patients !== studies) {
      fs.rmSync(cohortDir, { recursive: true, force: true });
      cohort = (await generatePhantomCohort({
        out: cohortDir,
        patients: studies,
        seed: 'bench-pipeline',
        dims,
        spacingMm,
        rtstruct: true,
      })) as unknown as Cohort;
      log(`wrote ${studies} demo patients (10 phases of ${dims.join('×')}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } else log(`reusing the ${studies} demo patients in ${cohortDir}`);

    const pg = await startEmbeddedPostgres({ dataDir: path.join(tmp, 'pg'), port: await freePort(), log: () => undefined });
    cleanup.push(() => pg.stop());
    await prepareDatabase({ databaseUrl: pg.appUrl, migrationUrl: pg.url });
    const db = createDb(pg.appUrl);
    cleanup.push(() => db.$disconnect());
    const store = createVolumeStore({ dir: path.join(tmp, 'volumes') });
    const imported: { patientId: string; studyId: string }[] = [];
    for (const row of cohort.cohort) {
      const { studyId } = await importStudy({ db, caller: physicist, dir: path.join(cohortDir, row.folder, 'dicom'), store });
      imported.push({ patientId: row.patientId, studyId });
    }
    log(`imported ${imported.length} studies`);

    const model = await loadModel({ modelDir: values.model });
    const segment = modelSegmenter(model);
    const fakeBoss = { send: async () => 'bench-job' } as unknown as PgBoss;

    const profiler = values.profile ? new Session() : null;
    if (profiler) {
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
    }
    const perRun: ReturnType<typeof stageTotals>[] = [];
    const runWall: number[] = [];
    const runCpu: number[] = [];
    const outputs: Record<string, unknown> = {};
    for (const [i, s] of imported.entries()) {
      const { runId } = await createSegmentationRun(db, fakeBoss, { caller: physicist, studyId: s.studyId, modelDir: values.model });
      let timings: { wallMs: Record<string, number>; cpuMs: Record<string, number> } | null = null;
      const tw = performance.now();
      const tc = cpuNow();
      const outcome = await executeSegmentationRun({
        db,
        store,
        runId,
        segment,
        attempt: 1,
        maxAttempts: 1,
        codeVersion: 'bench',
        onTimings: (t) => (timings = t),
      });
      const wall = performance.now() - tw;
      const cpu = cpuNow() - tc;
      if (outcome !== 'succeeded') throw new Error(`run ${i + 1} ${outcome}`);
      // Code without onTimings (an older version, for its outputs): the run row's wall timings.
      timings ??= { wallMs: (await db.segmentationRun.findUniqueOrThrow({ where: { id: runId } })).timings as Record<string, number>, cpuMs: {} };
      runWall.push(wall);
      runCpu.push(cpu);
      perRun.push(stageTotals(timings, wall, cpu));
      outputs[s.patientId] = await runOutputs(db, runId);
      log(`run ${i + 1}/${imported.length} (${s.patientId}): ${(wall / 1000).toFixed(2)} s, CPU ${(cpu / 1000).toFixed(2)} s`);
    }

    if (profiler) {
      const { profile } = await profiler.post('Profiler.stop');
      fs.writeFileSync(values.profile!, JSON.stringify(profile));
      profiler.disconnect();
    }
    const table = perRun[0]!.map((r, j) => ({
      stage: r.name,
      wallMs: Math.round(median(perRun.map((p) => p[j]!.wall))),
      cpuMs: Math.round(median(perRun.map((p) => p[j]!.cpu))),
    }));
    const wallMed = median(runWall);
    const cpuMed = median(runCpu);
    const inferenceWall = median(perRun.map((p) => p[2]!.wall));
    const inferenceCpu = median(perRun.map((p) => p[2]!.cpu));
    const nonInference = {
      wallMs: Math.round(median(perRun.map((p, i) => runWall[i]! - p[2]!.wall))),
      cpuMs: Math.round(median(perRun.map((p, i) => runCpu[i]! - p[2]!.cpu))),
    };
    const pad = (x: string | number, n: number) => String(x).padStart(n);
    console.log(`\n${'stage'.padEnd(36)} ${pad('wall ms', 9)} ${pad('CPU ms', 9)} ${pad('wall %', 7)}`);
    for (const r of table) console.log(`${r.stage.padEnd(36)} ${pad(r.wallMs, 9)} ${pad(r.cpuMs, 9)} ${pad(((100 * r.wallMs) / wallMed).toFixed(1), 7)}`);
    console.log(`${'run (median)'.padEnd(36)} ${pad(Math.round(wallMed), 9)} ${pad(Math.round(cpuMed), 9)} ${pad('100.0', 7)}`);
    console.log(
      `non-inference part (run less the network), median per run: wall ${nonInference.wallMs} ms (${((100 * nonInference.wallMs) / wallMed).toFixed(0)} %), CPU ${nonInference.cpuMs} ms (${((100 * nonInference.cpuMs) / cpuMed).toFixed(0)} %)\n`,
    );

    const outputsJson = JSON.stringify(outputs, null, 1);
    const outputsSha256 = createHash('sha256').update(outputsJson).digest('hex');
    if (values.outputs) fs.writeFileSync(values.outputs, outputsJson);
    const result = {
      date: new Date().toISOString(),
      machine: `${os.hostname()} (${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB)`,
      loadAverage: os.loadavg().map((x) => +x.toFixed(2)),
      studies,
      phases: 10,
      dims,
      runWallMsMedian: Math.round(wallMed),
      runCpuMsMedian: Math.round(cpuMed),
      inferenceWallMsMedian: Math.round(inferenceWall),
      inferenceCpuMsMedian: Math.round(inferenceCpu),
      nonInferenceWallMsMedian: nonInference.wallMs,
      nonInferenceCpuMsMedian: nonInference.cpuMs,
      stages: table,
      runsWallMs: runWall.map(Math.round),
      runsCpuMs: runCpu.map(Math.round),
      outputsSha256,
    };
    log(`outputs sha256 ${outputsSha256} (masks, metric, dose and observer rows of the ${studies} runs)`);
    if (values.json) fs.writeFileSync(values.json, JSON.stringify(result, null, 2));
    console.log(JSON.stringify(result, null, 2));
  } finally {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`[bench:pipeline] ${(e as Error).stack ?? e}`);
  process.exit(1);
});
