/**
 * `npm run bench:scale-out`: segmentation throughput with 1, 2 and 4 worker processes sharing
 * only a PostgreSQL database and a volume store (performance issue, item 3; docs/scale-out.md).
 *
 * An embedded PostgreSQL in a throw-away folder, migrated as `npm start` does; for each worker
 * count a fresh batch of BENCH_STUDIES (default 8) synthetic 4D CT studies (BENCH_PHASES phases,
 * default 2, of 64×64×32 voxels at 5 × 5 × 6 mm), every run queued at once, the real `demo` model
 * through onnxruntime in each worker; each worker has its own data, temp and models folders (as
 * on its own machine). Time from queueing to the last run SUCCEEDED; throughput in runs per
 * minute and its ratio to one worker. BENCH_WORKERS="1,2,4" chooses the counts. Each worker's
 * onnxruntime uses all the host's cores, as a worker does by default.
 *
 * On one machine the workers share its cores, so the ratio shows the queue's overhead and what
 * a host's cores allow, not what more machines give: each added machine brings its own cores.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../lib/server/db/embedded-postgres';
import { prepareSchema } from '../../lib/server/startup/prepare-database';
import { createDb } from '../../lib/server/db/client';
import { createBoss } from '../../lib/server/jobs/boss';
import { createVolumeStore } from '../../lib/server/storage/volume-store';
import { createSegmentationRun } from '../../lib/server/runs/create-segmentation-run';
import { seedRunStudy } from '../../tests/integration/runs/seed-run-study';

const root = path.resolve(import.meta.dirname, '..', '..');
const STUDIES = Number(process.env.BENCH_STUDIES ?? 8);
const PHASES = Number(process.env.BENCH_PHASES ?? 2);
const COUNTS = (process.env.BENCH_WORKERS ?? '1,2,4').split(',').map(Number);
const physicist = { userId: 'bench', email: 'bench@example.org', name: 'Bench', role: 'PHYSICIST' as const };
const log = (m: string) => console.log(`[bench:scale-out] ${m}`);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

interface Worker {
  stop(): Promise<void>;
}

async function startWorker(databaseUrl: string, home: string, volumeDir: string): Promise<Worker> {
  fs.mkdirSync(path.join(home, 'tmp'), { recursive: true });
  fs.cpSync(path.join(root, 'models', 'demo'), path.join(home, 'models', 'demo'), { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    ISEG_DATA_DIR: path.join(home, 'data'),
    TMPDIR: path.join(home, 'tmp'),
    ISEG_MODELS_DIR: path.join(home, 'models'),
    ISEG_MODEL: 'demo',
    ISEG_VOLUME_DIR: volumeDir,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/main.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`a worker did not become ready in 120 s:\n${out}`)), 120_000);
    child.stdout!.on('data', () => {
      if (out.includes('] ready (')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`a worker exited with ${code} before ready:\n${out}`)));
  });
  return {
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-bench-scale-'));
  fs.chmodSync(tmp, 0o755);
  const pg = await startEmbeddedPostgres({ dataDir: path.join(tmp, 'pg'), port: await freePort() });
  const rows: { workers: number; seconds: number; perMinute: number }[] = [];
  try {
    await prepareSchema({ databaseUrl: pg.appUrl, migrationUrl: pg.url });
    const db = createDb(pg.appUrl);
    const boss = await createBoss({ databaseUrl: pg.appUrl, worker: false });
    const volumeDir = path.join(tmp, 'shared-volumes');
    const store = createVolumeStore({ dir: volumeDir });
    const size = {
      dims: [64, 64, 32] as [number, number, number],
      spacingMm: [5, 5, 6] as [number, number, number],
      phasePercents: Array.from({ length: PHASES }, (_, i) => (i * 100) / PHASES),
    };
    log(
      `${os.cpus().length} cores, load ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}; ${STUDIES} studies × ${PHASES} phases per round; workers ${COUNTS.join(', ')}`,
    );
    for (const n of COUNTS) {
      const studies = [];
      for (let i = 0; i < STUDIES; i++) studies.push((await seedRunStudy({ db }, store, `w${n}-${i}`, size)).study);
      const workers = await Promise.all(Array.from({ length: n }, (_, i) => startWorker(pg.appUrl, path.join(tmp, `machine-${n}-${i}`), volumeDir)));
      const t0 = performance.now();
      const runIds: string[] = [];
      for (const s of studies)
        runIds.push((await createSegmentationRun(db, boss, { caller: physicist, studyId: s.id, modelDir: path.join(root, 'models', 'demo') })).runId);
      for (;;) {
        const states = await db.segmentationRun.findMany({ where: { id: { in: runIds } }, select: { status: true, error: true } });
        const failed = states.find((r) => r.status === 'FAILED');
        if (failed) throw new Error(`a run failed: ${failed.error}`);
        if (states.every((r) => r.status === 'SUCCEEDED')) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const seconds = (performance.now() - t0) / 1000;
      await Promise.all(workers.map((w) => w.stop()));
      rows.push({ workers: n, seconds, perMinute: (STUDIES / seconds) * 60 });
      log(
        `${n} worker(s): ${STUDIES} runs in ${seconds.toFixed(1)} s (${((STUDIES / seconds) * 60).toFixed(1)} runs/min); load ${os.loadavg()[0]!.toFixed(1)}`,
      );
    }
    await boss.stop({ graceful: false });
    await db.$disconnect();
  } finally {
    await pg.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const base = rows[0]!;
  console.log('\n| workers | runs | time (s) | runs/min | throughput vs 1 worker |');
  console.log('| ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows)
    console.log(`| ${r.workers} | ${STUDIES} | ${r.seconds.toFixed(1)} | ${r.perMinute.toFixed(1)} | ${(r.perMinute / base.perMinute).toFixed(2)}× |`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
