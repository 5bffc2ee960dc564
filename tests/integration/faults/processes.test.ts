/**
 * Process-level faults under `npm start` (issue 12, item 3, item 10 and the fault suite), with
 * the real supervisor, Next.js server, worker, embedded Postgres and CLI, killed with SIGKILL:
 * - the web server: restarted, /api/health answers again;
 * - the embedded Postgres: restarted; the same web server and worker reconnect (neither dies)
 *   and work: an import after it is segmented;
 * - every process during a CLI import (power loss): after a start, the stored study is intact,
 *   the killed import left no partial study and its volumes are removed, importing again stores
 *   it once;
 * - the process group during a run (the database survives, as its own group): the next start
 *   stops that Postgres first, and the run finishes, once;
 * - the supervisor alone: its web server and worker stop by themselves;
 * - Ctrl-C: web server and worker stop before the database, which stops last.
 * One app data folder throughout, so the web app starts (and is built) as few times as possible.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { createDb } from '../../../lib/server/db/client';
import { createVolumeStore } from '../../../lib/server/storage/volume-store';
import { writePhantomStudy, type PhantomStudy } from '../import/phantom-fixture';
import {
  alive,
  appEnv,
  ensureWebBuild,
  freePort,
  killEverything,
  killGroup,
  postmasterPid,
  removeRelocatedCluster,
  root,
  startApp,
  waitUntil,
  type App,
  type AppSettings,
} from './app-process';

const MINUTE = 60_000;

describe('process faults under npm start', () => {
  let s: AppSettings;
  let app: App | undefined;
  let base: string;
  const studies: Record<'A' | 'B' | 'C', PhantomStudy> = {} as never;

  const ownerUrl = () =>
    `postgresql://iseg:${encodeURIComponent(fs.readFileSync(path.join(s.dataDir, 'pg-password'), 'utf8').trim())}@127.0.0.1:${s.pgPort}/iseg`;
  /** A short-lived client, so no pooled connection outlives a killed database. */
  async function withDb<T>(fn: (db: ReturnType<typeof createDb>) => Promise<T>): Promise<T> {
    const db = createDb(ownerUrl());
    try {
      return await fn(db);
    } finally {
      await db.$disconnect().catch(() => undefined);
    }
  }
  const health = () =>
    fetch(`http://127.0.0.1:${s.port}/api/health`).then(
      (r) => r.status,
      () => 0,
    );

  function cliImport(dir: string) {
    const child = spawn(process.execPath, ['cli/iseg-qa.mjs', 'import', dir, '--json'], { cwd: root, env: appEnv(s), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const done = new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) =>
      child.on('close', (status) => resolve({ status, stdout, stderr })),
    );
    return { child, done, stderr: () => stderr };
  }

  /** What is stored of a study, to compare before and after a fault. */
  const snapshot = (studyInstanceUid: string) =>
    withDb(async (db) => {
      const study = await db.study.findUnique({
        where: { studyInstanceUid },
        include: { series: true, physicianStructures: true, runs: { include: { structures: true, metricResults: true } } },
      });
      if (!study) return null;
      return {
        id: study.id,
        series: study.series.map((x) => `${x.seriesInstanceUid}:${x.volumeKey}`).sort(),
        structures: study.physicianStructures.map((x) => `${x.name}:${x.maskKey}`).sort(),
        runs: study.runs.map((r) => ({
          status: r.status,
          structures: r.structures.map((m) => `${m.label}:${m.maskKey}`).sort(),
          metrics: r.metricResults.length,
        })),
        keys: [
          ...study.series.map((x) => x.volumeKey),
          ...study.physicianStructures.map((x) => x.maskKey),
          ...study.runs.flatMap((r) => r.structures.map((m) => m.maskKey)),
        ].filter((k): k is string => !!k),
      };
    });

  const runOf = (studyInstanceUid: string) =>
    withDb((db) => db.segmentationRun.findMany({ where: { study: { studyInstanceUid } }, include: { structures: true, metricResults: true } }));

  const dumpOnFailure = () =>
    onTestFailed(async () => {
      console.error(`--- npm start output (last 6000 characters) ---\n${app?.output().slice(-6000)}`);
      if (s?.dataDir)
        console.error(
          'runs:',
          JSON.stringify(
            await withDb((db) => db.segmentationRun.findMany({ select: { status: true, progress: true, stage: true, error: true, attempts: true } })).catch(
              (e) => String(e),
            ),
          ),
        );
    });

  beforeAll(async () => {
    ensureWebBuild();
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-faults-'));
    // The embedded Postgres runs as the "postgres" user when the tests run as root.
    fs.chmodSync(base, 0o755);
    s = { dataDir: path.join(base, 'data'), tmpDir: path.join(base, 'tmp'), port: await freePort(), pgPort: await freePort() };
    fs.mkdirSync(s.tmpDir);
    // Small fields of view: the model works at 2 mm, so its time grows with the field of view.
    const phasePercents = [0, 25, 50, 75];
    studies.A = await writePhantomStudy(path.join(base, 'studies', 'A'), {
      dims: [32, 32, 16],
      spacingMm: [5, 5, 6],
      phasePercents: [0, 50],
      seed: 'faults',
      index: 0,
    });
    // Larger, so that the import is killed while it works.
    studies.B = await writePhantomStudy(path.join(base, 'studies', 'B'), {
      dims: [64, 64, 32],
      spacingMm: [3.33, 3.33, 4],
      phasePercents,
      seed: 'faults',
      index: 1,
    });
    studies.C = await writePhantomStudy(path.join(base, 'studies', 'C'), {
      dims: [48, 48, 24],
      spacingMm: [3.33, 3.33, 4],
      phasePercents,
      seed: 'faults',
      index: 2,
    });
  }, 20 * MINUTE);

  afterAll(async () => {
    if (s) {
      await killEverything(app, s.dataDir);
      removeRelocatedCluster(s.dataDir);
    }
    if (base) fs.rmSync(base, { recursive: true, force: true });
  }, 10 * MINUTE);

  it(
    'kill -9 of the web server: the supervisor restarts it and /api/health answers again',
    async () => {
      dumpOnFailure();
      app = startApp(s);
      await app.waitFor(/iSeg QA is running at/, { timeoutMs: 5 * MINUTE });
      const webPid = Number((await app.waitFor(/The web server started \(pid (\d+)\)/))[1]);
      const workerPid = Number((await app.waitFor(/The worker started \(pid (\d+)\)/))[1]);
      const mark = app.output().length;
      process.kill(webPid, 'SIGKILL');
      await app.waitFor(new RegExp(`The web server \\(pid ${webPid}\\) died \\(killed by SIGKILL\\); restarting it in 1 s`), { from: mark });
      const newPid = Number((await app.waitFor(/The web server restarted \(pid (\d+)\)/, { from: mark }))[1]);
      await app.waitFor(/The web server answers again at/, { from: mark });
      expect(await health()).toBe(200);
      expect(alive(newPid)).toBe(true);
      // The worker and the database were left alone.
      expect(app.output().slice(mark)).not.toMatch(/The worker \(pid \d+\) died|PostgreSQL .* died|Stopping/);
      expect(alive(workerPid)).toBe(true);
    },
    10 * MINUTE,
  );

  it(
    'kill -9 of the embedded Postgres: restarted; the same web server and worker reconnect and work',
    async () => {
      dumpOnFailure();
      // "Reconnect" is about a running worker: wait until it has started (it runs at a lower CPU
      // priority, ISEG_WORKER_NICE, so on a busy machine its start can outlast the test before);
      // a worker still starting when the database goes is restarted instead, by design.
      await app!.waitFor(/\[worker \d+\] ready \(/, { timeoutMs: 5 * MINUTE });
      const pgPid = postmasterPid(s.dataDir)!;
      expect(pgPid).toBeGreaterThan(0);
      const mark = app!.output().length;
      process.kill(pgPid, 'SIGKILL');
      await app!.waitFor(new RegExp(`The embedded PostgreSQL \\(pid ${pgPid}\\) died \\(killed by SIGKILL\\); restarting it in 1 s`), { from: mark });
      await app!.waitFor(/Embedded PostgreSQL restarted \(pid (\d+)\)/, { from: mark });
      await waitUntil('/api/health to answer 200 after the database restart', async () => (await health()) === 200, 60_000, 500);
      // The worker works: an import queues a run that it segments.
      const r = await cliImport(studies.A.dicomDir).done;
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ imported: 1, failed: 0 });
      const uid = studies.A.written.studyInstanceUid;
      await waitUntil('the run of study A to succeed', async () => (await runOf(uid))[0]?.status === 'SUCCEEDED', 3 * MINUTE, 500);
      // Reconnected, not restarted: neither died.
      expect(app!.output().slice(mark)).not.toMatch(/The (web server|worker) \(pid \d+\) died/);
    },
    10 * MINUTE,
  );

  it(
    'kill -9 of every process during an import: after a start, nothing lost, nothing half-written, leftovers removed; the import then stores it once',
    async () => {
      dumpOnFailure();
      const a = await snapshot(studies.A.written.studyInstanceUid);
      expect(a?.runs).toEqual([expect.objectContaining({ status: 'SUCCEEDED' })]);
      const volumes = path.join(s.dataDir, 'volumes');
      // Volume files in the store (temp files end in .part); the store is written while we look.
      const storedFiles = () => {
        try {
          return fs.readdirSync(volumes, { recursive: true }).filter((f) => String(f).endsWith('.nii.gz')).length;
        } catch {
          return 0;
        }
      };
      const storedBefore = storedFiles();
      const imp = cliImport(studies.B.dicomDir);
      // The importer stores CT volumes and masks concurrently: wait for 4 of B's files, not a log word.
      await waitUntil('the import of B to store 4 volume files', () => storedFiles() >= storedBefore + 4, 3 * MINUTE, 20);
      // Power loss: the CLI, the npm start group and the database all at once.
      const pgPid = postmasterPid(s.dataDir)!;
      imp.child.kill('SIGKILL');
      killGroup(app!.pid);
      process.kill(pgPid, 'SIGKILL');
      await imp.done;
      await app!.exited;
      await waitUntil('the killed Postgres to exit', () => !alive(pgPid), 10_000);
      // An upload folder of a process that died before cleaning up, as a killed web server leaves.
      const leftover = path.join(s.tmpDir, `iseg-upload-${imp.child.pid}-Fault1`);
      fs.mkdirSync(leftover);
      fs.writeFileSync(path.join(leftover, 'slice.dcm'), Buffer.alloc(4096));
      // Past the clean-up's grace period (an hour), as after a night.
      const old = new Date(Date.now() - 2 * 3600_000);
      const walk = (p: string): string[] => (fs.statSync(p).isDirectory() ? fs.readdirSync(p).flatMap((e) => walk(path.join(p, e))) : [p]);
      const files = walk(volumes).filter((f) => f.endsWith('.nii.gz'));
      for (const f of files) fs.utimesSync(f, old, old);

      app = startApp(s);
      await app.waitFor(/iSeg QA is running at/, { timeoutMs: 5 * MINUTE });
      const out = app.output();
      expect(out).not.toMatch(/Another npm start/);
      expect(out).toContain(`Removed 1 upload temp folder(s) (0.0 MB) left by a process that died: ${leftover}`);
      const removed = Number(/Removed (\d+) file\(s\) \([\d.]+ MB\) from the volume store/.exec(out)?.[1]);
      // At least 4 of B's files were stored before it was killed; nothing of A was removed.
      expect(removed).toBeGreaterThanOrEqual(4);
      expect(fs.existsSync(leftover)).toBe(false);

      // Nothing lost: A is exactly as before, and every volume it references reads back (sha256 checked).
      expect(await snapshot(studies.A.written.studyInstanceUid)).toEqual(a);
      const store = createVolumeStore({ dir: volumes });
      for (const k of a!.keys) expect((await store.getVolume(k)).length).toBeGreaterThan(0);
      expect(walk(volumes).filter((f) => f.endsWith('.nii.gz'))).toHaveLength(files.length - removed);
      // Nothing half-written: the killed import left no study, series or patient.
      expect(await snapshot(studies.B.written.studyInstanceUid)).toBeNull();
      expect(await withDb((db) => db.patient.count())).toBe(1);

      // Importing again stores B once, complete.
      const again = await cliImport(studies.B.dicomDir).done;
      expect(again.status, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ imported: 1, alreadyImported: 0, failed: 0 });
      const b = await snapshot(studies.B.written.studyInstanceUid);
      expect(b!.series).toHaveLength(4);
      expect(b!.structures.length).toBeGreaterThanOrEqual(5);
      expect(await withDb((db) => db.study.count())).toBe(2);
      for (const k of b!.keys) expect((await store.getVolume(k)).length).toBeGreaterThan(0);
    },
    10 * MINUTE,
  );

  it(
    'kill -9 of the process group during a run: the next start stops the Postgres it left; the run finishes, once',
    async () => {
      dumpOnFailure();
      const uid = studies.C.written.studyInstanceUid;
      const r = await cliImport(studies.C.dicomDir).done;
      expect(r.status, r.stderr).toBe(0);
      await waitUntil(
        'the run of study C to be running',
        async () => {
          const [run] = await runOf(uid);
          return run?.status === 'RUNNING' && run.progress > 0;
        },
        5 * MINUTE,
        50,
      );
      killGroup(app!.pid);
      await app!.exited;
      // The database, in its own process group, survived: the run is stranded mid-way.
      const pgPid = postmasterPid(s.dataDir);
      expect(pgPid).not.toBeNull();
      const [stranded] = await runOf(uid);
      expect(stranded.status).toBe('RUNNING');

      app = startApp(s);
      await app.waitFor(/iSeg QA is running at/, { timeoutMs: 5 * MINUTE });
      expect(app.output()).toContain(`An embedded PostgreSQL (pid ${pgPid}) is still running`);
      expect(alive(pgPid!)).toBe(false);
      // The job of the killed worker is retried (its heartbeat lapsed) and finishes the run.
      await waitUntil(
        'the stranded run of study C to succeed',
        async () => {
          const [run] = await runOf(uid);
          if (run?.status === 'FAILED' || run?.status === 'CANCELLED') throw new Error(`the run ended ${run.status}: ${run.error}`);
          return run?.status === 'SUCCEEDED';
        },
        5 * MINUTE,
        1000,
      );
      const runs = await runOf(uid);
      expect(runs).toHaveLength(1);
      const labels = runs[0].structures.map((m) => m.label).sort();
      expect(labels).toEqual(['GTV:phase:0', 'GTV:phase:1', 'GTV:phase:2', 'GTV:phase:3', 'ITV']);
      const metricKeys = runs[0].metricResults.map((m) => `${m.referenceStructureId}:${m.testStructureId}:${m.convention}`);
      expect(new Set(metricKeys).size).toBe(metricKeys.length);
      expect(metricKeys.length).toBeGreaterThan(0);
      expect(await withDb((db) => db.study.count())).toBe(3);
    },
    10 * MINUTE,
  );

  it(
    'kill -9 of the supervisor alone: the web server and the worker stop by themselves; the next start stops the database it left',
    async () => {
      dumpOnFailure();
      const lastPid = (name: string) => Number([...app!.output().matchAll(new RegExp(`The ${name} (?:started|restarted) \\(pid (\\d+)\\)`, 'g'))].at(-1)![1]);
      const [webPid, workerPid] = [lastPid('web server'), lastPid('worker')];
      const pgPid = postmasterPid(s.dataDir)!;
      expect(alive(webPid) && alive(workerPid)).toBe(true);
      process.kill(app!.pid, 'SIGKILL');
      await app!.exited;
      // scripts/exit-with-supervisor.mjs: orphaned children stop instead of running on unsupervised.
      await waitUntil('the orphaned web server and worker to stop', () => !alive(webPid) && !alive(workerPid), 60_000);
      expect(app!.output()).toMatch(new RegExp(`pid ${workerPid}: the npm start supervisor \\(pid ${app!.pid}\\) is gone; stopping`));
      expect(alive(pgPid)).toBe(true);

      app = startApp(s);
      await app.waitFor(/iSeg QA is running at/, { timeoutMs: 5 * MINUTE });
      expect(app.output()).toContain(`An embedded PostgreSQL (pid ${pgPid}) is still running`);
      expect(await health()).toBe(200);
    },
    10 * MINUTE,
  );

  it(
    'Ctrl-C stops the web server and the worker first, then the database',
    async () => {
      dumpOnFailure();
      const pgPid = postmasterPid(s.dataDir)!;
      // Wait for the worker to be up (its queues registered): a worker stopped while it is still
      // starting prints no "stopped" line, and the order below is about a running worker.
      await app!.waitFor(/\[worker \d+\] ready/, { timeoutMs: 5 * MINUTE });
      const mark = app!.output().length;
      // A terminal sends SIGINT to the whole foreground process group.
      killGroup(app!.pid, 'SIGINT');
      const { code } = await app!.exited;
      expect(code).toBe(0);
      const out = app!.output().slice(mark);
      const at = (re: RegExp) => {
        const m = re.exec(out);
        expect(m, `${re} in:\n${out}`).not.toBeNull();
        return m!.index;
      };
      const workerStopped = at(/\[worker \d+\] stopped/);
      const stoppingDb = at(/The web server and the worker have stopped; stopping the database/);
      const dbStopped = at(/Database stopped\./);
      expect(workerStopped).toBeLessThan(stoppingDb);
      expect(stoppingDb).toBeLessThan(dbStopped);
      expect(at(/\[iseg-qa\] Stopped\./)).toBeGreaterThan(dbStopped);
      // The database was there for as long as the worker needed it.
      expect(out.slice(0, stoppingDb)).not.toMatch(/ECONNREFUSED|terminating connection due to administrator command/);
      expect(alive(pgPid)).toBe(false);
      expect(fs.existsSync(path.join(s.dataDir, 'supervisor.pid'))).toBe(false);
      app = undefined;
    },
    10 * MINUTE,
  );
});
