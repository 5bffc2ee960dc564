/**
 * `npm run bench:export [-- --slices 177 --size 512 --rois 11 --runs 2]`: the two study exports
 * on a planning-sized study, against their budgets (issue #19) and a reference, in one run.
 *
 * The study: a planning CT (one series, size × size × slices, 16-bit, written as DICOM by the
 * phantom writers) and one physician RTSTRUCT with `rois` ROIs (the phantom's GTV and ITV, a
 * BODY outline and further ellipsoid organs), imported by the real importer (importStudy) into a
 * throw-away embedded Postgres and volume store; then segmented through the worker's own code
 * (executeSegmentationRun with an injected model: an ellipsoid GTV), so a run exists.
 *
 *   A. the de-identified zip (openDeidStudyExport, consumed as the route streams it, written to a
 *      file), budget 5 s; reference: `zip -r` (Info-ZIP, deflate -6) of the source DICOM folder;
 *   B. the machine RTSTRUCT (exportStudyRtStruct), budget 1 s;
 *   C. the de-identified zip prepared as a job (the study page's "Prepare de-identified export"):
 *      requestDeidExport → a real worker process (workers/main.ts) writes it → READY; time to
 *      ready (from the request, including the job's pick-up), then the download
 *      (openDeidExportDownload, the route's code) to a file, its sha256 checked.
 *
 * Prints one JSON result: per export the fastest of `runs` wall times and the CPU seconds of that
 * run (process.cpuUsage: this process and its zlib thread pool; for zip -r its own user + system
 * time from /usr/bin/time), the budgets and the ratios A / zip -r. On a shared, loaded machine the
 * wall times swing with the load; the CPU seconds and the ratios much less. Profile with
 * `node --cpu-prof --import tsx bench/export/export-bench.ts`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { PgBoss } from 'pg-boss';
import { startEmbeddedPostgres } from '../../lib/server/db/embedded-postgres';
import { prepareDatabase } from '../../lib/server/startup/prepare-database';
import { createDb } from '../../lib/server/db/client';
import type { Caller } from '../../lib/server/auth/roles';
import { importStudy } from '../../lib/server/studies/import-study';
import { createVolumeStore } from '../../lib/server/storage/volume-store';
import { createSegmentationRun } from '../../lib/server/runs/create-segmentation-run';
import { executeSegmentationRun, type SegmentFn } from '../../lib/server/runs/execute-segmentation-run';
import { openDeidStudyExport } from '../../lib/server/deid/export-deid-study';
import { exportStudyRtStruct } from '../../lib/server/studies/export-study-rtstruct';
import { freePort } from '../../tests/peers/orthanc';
import { ellipsoidMask, writePlanningStudy } from '../planning-study';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import { createBoss } from '../../lib/server/jobs/boss';
import { requestDeidExport } from '../../lib/server/exports/request-deid-export';
import { openDeidExportDownload } from '../../lib/server/exports/open-deid-export-download';

const root = path.resolve(import.meta.dirname, '..', '..');
const { values } = parseArgs({
  options: {
    slices: { type: 'string', default: '177' },
    size: { type: 'string', default: '512' },
    rois: { type: 'string', default: '11' },
    runs: { type: 'string', default: '2' },
  },
});
const slices = Number(values.slices);
const size = Number(values.size);
const rois = Number(values.rois);
const runs = Number(values.runs);
const log = (m: string) => console.log(`[bench:export] ${m}`);
const physicist: Caller = { userId: 'bench-phys', email: 'phys@bench', name: 'Bench Physicist', role: 'PHYSICIST' };
const researcher: Caller = { userId: 'bench-res', email: 'res@bench', name: 'Bench Researcher', role: 'RESEARCHER' };

const s = (ms: number) => +(ms / 1000).toFixed(2);
/** The fastest run: on a shared machine the others measure the neighbours too. */
const best = (runs: { wallMs: number; cpuMs: number }[]) => runs.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-bench-export-'));
  const cleanup: (() => Promise<void>)[] = [];
  try {
    const t0 = performance.now();
    const { dicomDir, rois: roiCount } = await writePlanningStudy(tmp, { size, slices, rois });
    const files = fs.readdirSync(dicomDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    const bytes = files.reduce((n, e) => n + fs.statSync(path.join(e.parentPath, e.name)).size, 0);
    log(
      `wrote ${files.length} files (${(bytes / 2 ** 20).toFixed(0)} MiB: ${slices} slices ${size}×${size} + an RTSTRUCT with ${roiCount} ROIs) in ${s(performance.now() - t0)} s`,
    );

    const pg = await startEmbeddedPostgres({ dataDir: path.join(tmp, 'pg'), port: await freePort(), log: () => undefined });
    cleanup.push(() => pg.stop());
    await prepareDatabase({ databaseUrl: pg.appUrl, migrationUrl: pg.url });
    const db = createDb(pg.appUrl);
    cleanup.push(() => db.$disconnect());
    const store = createVolumeStore({ dir: path.join(tmp, 'volumes') });
    const t1 = performance.now();
    const { studyId } = await importStudy({ db, caller: physicist, dir: dicomDir, store });
    log(`imported in ${s(performance.now() - t1)} s (${await db.physicianStructure.count({ where: { studyId } })} physician structures)`);

    // A run, through the worker's code; the "model" is an ellipsoid around the phantom's GTV.
    const segment: SegmentFn = async (ct) => ({ mask: ellipsoidMask(ct.grid, [0.4, 0.45, 0.6], [0.04, 0.04, 0.05]), timingsMs: {} });
    const fakeBoss = { send: async () => 'bench-job' } as unknown as PgBoss;
    const { runId } = await createSegmentationRun(db, fakeBoss, {
      caller: physicist,
      studyId,
      modelDir: path.join(root, 'tests', 'fixtures', 'models', 'tiny-test'),
    });
    const outcome = await executeSegmentationRun({ db, store, runId, segment, attempt: 1, maxAttempts: 1, codeVersion: 'bench' });
    if (outcome !== 'succeeded') throw new Error(`the segmentation run ${outcome}`);

    // A. de-identified zip, as the route streams it, to a file.
    const deidMs: { wallMs: number; cpuMs: number }[] = [];
    let zipBytes = 0;
    let dicomFiles = 0;
    for (let r = 0; r < runs; r++) {
      const file = path.join(tmp, `deid-${r}.zip`);
      const fd = fs.openSync(file, 'w');
      const ta = performance.now();
      const ca = process.cpuUsage();
      const out = await openDeidStudyExport(db, { caller: researcher, studyId, store });
      for await (const chunk of out.chunks) fs.writeSync(fd, chunk);
      deidMs.push({ wallMs: performance.now() - ta, cpuMs: cpuMs(process.cpuUsage(ca)) });
      fs.closeSync(fd);
      zipBytes = fs.statSync(file).size;
      dicomFiles = out.stats.dicomFiles;
      log(
        `de-identified zip ${r + 1}/${runs}: ${s(deidMs[r].wallMs)} s, CPU ${s(deidMs[r].cpuMs)} s (${dicomFiles} DICOM files, ${(zipBytes / 2 ** 20).toFixed(1)} MiB)`,
      );
      fs.rmSync(file);
    }
    // Reference: Info-ZIP of the source files (the same number of DICOM files, the same pixels).
    const zipMs: { wallMs: number; cpuMs: number }[] = [];
    for (let r = 0; r < runs; r++) {
      const file = path.join(tmp, `ref-${r}.zip`);
      const tz = performance.now();
      const z = spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', 'zip', '-q', '-r', file, '.'], { cwd: dicomDir, encoding: 'utf8' });
      const cpu = /cpu ([\d.]+) ([\d.]+)/.exec(z.stderr);
      if (z.status !== 0 || !cpu) throw new Error(`zip -r failed (${z.status}): ${z.stderr}`);
      zipMs.push({ wallMs: performance.now() - tz, cpuMs: (Number(cpu[1]) + Number(cpu[2])) * 1000 });
      log(
        `zip -r of the source DICOM ${r + 1}/${runs}: ${s(zipMs[r].wallMs)} s, CPU ${s(zipMs[r].cpuMs)} s (${(fs.statSync(file).size / 2 ** 20).toFixed(1)} MiB)`,
      );
      fs.rmSync(file);
    }

    // B. machine RTSTRUCT.
    const rtMs: { wallMs: number; cpuMs: number }[] = [];
    let rtBytes = 0;
    for (let r = 0; r < runs; r++) {
      const tb = performance.now();
      const cb = process.cpuUsage();
      const out = await exportStudyRtStruct(db, store, { caller: physicist, studyId });
      rtMs.push({ wallMs: performance.now() - tb, cpuMs: cpuMs(process.cpuUsage(cb)) });
      rtBytes = out.bytes.length;
      log(`machine RTSTRUCT ${r + 1}/${runs}: ${s(rtMs[r].wallMs)} s, CPU ${s(rtMs[r].cpuMs)} s (${(rtBytes / 1024).toFixed(0)} KiB)`);
    }

    // C. prepared as a job: a real worker process writes it; time to READY, then the download.
    await db.user.create({ data: { id: researcher.userId, email: researcher.email, name: researcher.name, passwordHash: 'x', role: 'RESEARCHER' } });
    fs.mkdirSync(path.join(tmp, 'no-models'));
    const worker = spawn(process.execPath, ['--import', 'tsx', 'workers/main.ts'], {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: pg.appUrl,
        ISEG_VOLUME_DIR: store.root,
        ISEG_DATA_DIR: path.join(tmp, 'data'),
        ISEG_MODELS_DIR: path.join(tmp, 'no-models'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let workerOut = '';
    worker.stdout!.on('data', (d) => (workerOut += d));
    worker.stderr!.on('data', (d) => (workerOut += d));
    const workerExited = new Promise((r) => worker.once('exit', r));
    cleanup.push(async () => {
      worker.kill('SIGTERM');
      await workerExited;
    });
    for (let waited = 0; !workerOut.includes('] ready ('); waited += 100) {
      if (worker.exitCode !== null || waited > 120_000) throw new Error(`the worker did not start:\n${workerOut}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const boss = await createBoss({ databaseUrl: pg.appUrl, worker: false });
    cleanup.push(() => boss.stop({ graceful: false }));
    const readyMs: number[] = [];
    const downloadMs: number[] = [];
    let jobZipBytes = 0;
    for (let r = 0; r < runs; r++) {
      const tc = performance.now();
      const { export: e } = await requestDeidExport(db, boss, { caller: researcher, studyId });
      for (;;) {
        const row = await db.deidExport.findUniqueOrThrow({ where: { id: e.id } });
        if (row.state === 'READY') break;
        if (row.state === 'FAILED') throw new Error(`the prepared export failed: ${row.error}`);
        await new Promise((res) => setTimeout(res, 100));
      }
      readyMs.push(performance.now() - tc);
      const td = performance.now();
      const d = await openDeidExportDownload(db, store, { caller: researcher, studyId, exportId: e.id });
      const hash = createHash('sha256');
      d.stream.on('data', (c) => hash.update(c as Buffer));
      await pipeline(d.stream, fs.createWriteStream(path.join(tmp, `job-${r}.zip`)));
      downloadMs.push(performance.now() - td);
      if (hash.digest('hex') !== d.sha256) throw new Error('the downloaded zip does not have the recorded sha256');
      jobZipBytes = d.sizeBytes;
      log(
        `prepared export ${r + 1}/${runs}: ready ${s(readyMs[r])} s after the request, download ${s(downloadMs[r])} s (${(jobZipBytes / 2 ** 20).toFixed(1)} MiB)`,
      );
      fs.rmSync(path.join(tmp, `job-${r}.zip`));
    }

    const result = {
      date: new Date().toISOString(),
      machine: `${os.hostname()} (${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB)`,
      loadAverage: os.loadavg().map((x) => +x.toFixed(2)),
      study: { slices, size, rois: roiCount, files: files.length, mib: Math.round(bytes / 2 ** 20) },
      deidZipS: s(best(deidMs).wallMs),
      deidZipCpuS: s(best(deidMs).cpuMs),
      deidBudgetS: 5,
      deidDicomFiles: dicomFiles,
      deidZipMiB: +(zipBytes / 2 ** 20).toFixed(1),
      zipRReferenceS: s(best(zipMs).wallMs),
      zipRReferenceCpuS: s(best(zipMs).cpuMs),
      deidVsZipR: +(best(deidMs).wallMs / best(zipMs).wallMs).toFixed(2),
      deidVsZipRCpu: +(best(deidMs).cpuMs / best(zipMs).cpuMs).toFixed(2),
      machineRtStructS: s(best(rtMs).wallMs),
      machineRtStructCpuS: s(best(rtMs).cpuMs),
      machineRtStructBudgetS: 1,
      preparedExportReadyS: s(Math.min(...readyMs)),
      preparedExportDownloadS: s(Math.min(...downloadMs)),
      preparedExportMiB: +(jobZipBytes / 2 ** 20).toFixed(1),
    };
    log(
      `de-identified zip ${result.deidZipS} s (budget 5 s; CPU ${result.deidZipCpuS} s) vs zip -r ${result.zipRReferenceS} s (CPU ${result.zipRReferenceCpuS} s): ratio ${result.deidVsZipR} (CPU ${result.deidVsZipRCpu}); machine RTSTRUCT ${result.machineRtStructS} s (budget 1 s; CPU ${result.machineRtStructCpuS} s); prepared export ready in ${result.preparedExportReadyS} s, downloaded in ${result.preparedExportDownloadS} s`,
    );
    console.log(JSON.stringify(result, null, 2));
  } finally {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`[bench:export] ${(e as Error).stack ?? e}`);
  process.exit(1);
});
