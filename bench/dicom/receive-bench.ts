/**
 * `npm run bench:receive [-- --phases 10 --slices 100 --size 512 --prepare off|3 --fresh --profile DIR]`: receive a 4D CT (phases ×
 * slices CT images of size × size, plus one RTSTRUCT per phase, written by our phantom writers)
 * from dcmtk's storescu into
 *
 *   A. Orthanc (Debian package `orthanc`), its own receive into its storage and index; and
 *   B. our DICOM node (workers/dicom-node.ts): spool (temp file, fsync, rename, database row per
 *      instance) + the import (parse, validate, rasterise the ROIs, store the volumes, one
 *      transaction),
 *
 * side by side in one run, on the same files, and prints the ratio B / A (target ≤ 1.5).
 * Our node runs with the V8 options npm start gives it (dicom-node-v8-options.ts).
 * B's time = from storescu's start to the import's end (importedAt), so it counts the quiet wait
 * before the import (ISEG_DICOM_QUIET_SECONDS: 1 s here, shortened from the default 30 s) and the
 * node's early preparation of CT volumes while it receives (docs/dicom-node.md). It is split into
 * storescu's wall time, the wait until the import started, and the import. Segmentation is not
 * part of it (no model is configured for the node). The load average is printed before and after.
 * On a shared machine the wall times follow the load, so the CPU time (user + system, from
 * /proc) of each side's processes over its part is printed too: Orthanc's process; our node's
 * process (listener, import, its threads) and the embedded Postgres (server and backends).
 * storescu's, the same program on both sides, is not counted in either.
 * The written study is kept in bench/.out/receive-study-<phases>x<slices>x<size>/ and reused by
 * the next run with the same sizes (writing it takes minutes); `--fresh` writes it again.
 * Needs dcmtk and Orthanc; starts its own embedded Postgres and Orthanc on free ports.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generatePatient, samplePatientSpec } from '../../lib/core/phantom';
import { writePhantomPatient, writePhysicianRtStructs } from '../../lib/server/seed/write-phantom-cohort';
import { startEmbeddedPostgres } from '../../lib/server/db/embedded-postgres';
import { prepareDatabase } from '../../lib/server/startup/prepare-database';
import { createDb } from '../../lib/server/db/client';
import { freePort, startOrthanc } from '../../tests/peers/orthanc';
import { DICOM_NODE_V8_OPTIONS } from '../../lib/server/dicom-receive/dicom-node-v8-options';

const root = path.resolve(import.meta.dirname, '..', '..');
const { values } = parseArgs({
  options: {
    phases: { type: 'string', default: '10' },
    slices: { type: 'string', default: '100' },
    size: { type: 'string', default: '512' },
    /** ISEG_DICOM_PREPARE_SECONDS for our node (`off`: no volume prepared before the import). */
    prepare: { type: 'string', default: 'off' },
    /** A folder for a CPU profile of our node (node --cpu-prof), written when it stops. */
    profile: { type: 'string' },
    /** Write the study again instead of reusing bench/.out's copy. */
    fresh: { type: 'boolean', default: false },
  },
});
const phases = Number(values.phases);
const slices = Number(values.slices);
const size = Number(values.size);
const log = (m: string) => console.log(`[bench:receive] ${m}`);

const CLOCK_TICKS = 100; // USER_HZ on Linux (sysconf(_SC_CLK_TCK)); /proc/<pid>/stat counts in it.

/** The processes' parent ids, from /proc. */
function parentsOf(): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      out.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * CPU seconds (user + system) of a process and its live descendants, with what their exited
 * children had (cutime, cstime: a postmaster's finished backends). Linux only.
 */
function treeCpuSeconds(root: number): number {
  const parents = parentsOf();
  const inTree = (pid: number): boolean => {
    for (let p: number | undefined = pid, hops = 0; p && hops < 64; p = parents.get(p), hops++) if (p === root) return true;
    return false;
  };
  let ticks = 0;
  for (const pid of parents.keys()) {
    if (!inTree(pid)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // After the command's ")": state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14).
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      // gone meanwhile
    }
  }
  return ticks / CLOCK_TICKS;
}

/** The pid of the process whose command line contains `needle` (Orthanc's own folder). */
function pidWithArg(needle: string): number | null {
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(needle)) return Number(name);
    } catch {
      // gone meanwhile
    }
  }
  return null;
}

function storescu(port: number, calledAe: string, dir: string): Promise<{ ms: number; code: number | null; output: string }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const c = spawn('storescu', ['-aet', 'BENCH_SCU', '-aec', calledAe, '+sd', '+r', '127.0.0.1', String(port), dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('close', (code) => resolve({ ms: performance.now() - t0, code, output: out }));
  });
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-bench-receive-'));
  fs.chmodSync(tmp, 0o755);
  const cleanup: (() => Promise<void>)[] = [];
  try {
    const loadStart = os.loadavg().map((x) => +x.toFixed(1));
    log(`load average ${loadStart.join(' ')} (1, 5, 15 min)`);
    // The study: phases × slices CT images, size × size, 16-bit, explicit VR LE; one RTSTRUCT per phase.
    // Kept in bench/.out and reused (the same files go to both sides either way).
    const cacheDir = path.join(root, 'bench', '.out', `receive-study-${phases}x${slices}x${size}`);
    const dicomDir = path.join(cacheDir, 'dicom');
    const complete = path.join(cacheDir, 'complete.json');
    if (values.fresh || !fs.existsSync(complete)) {
      const t0 = performance.now();
      fs.rmSync(cacheDir, { recursive: true, force: true });
      const phasePercents = Array.from({ length: phases }, (_, i) => (i * 100) / phases);
      const patient = generatePatient(samplePatientSpec('receive-bench', 0), {
        dims: [size, size, slices],
        spacingMm: [500 / size, 500 / size, 2.5],
        phasePercents,
      });
      const written = writePhantomPatient(cacheDir, 'receive-bench', patient);
      await writePhysicianRtStructs(dicomDir, patient, written);
      fs.rmSync(path.join(cacheDir, 'nifti'), { recursive: true, force: true });
      fs.writeFileSync(complete, JSON.stringify({ phases, slices, size, writtenAt: new Date().toISOString() }));
      log(`wrote the study in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    const files = fs.readdirSync(dicomDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    const bytes = files.reduce((n, e) => n + fs.statSync(path.join(e.parentPath, e.name)).size, 0);
    log(
      `${files.length} files (${(bytes / 2 ** 20).toFixed(0)} MiB: ${phases} phases × ${slices} slices ${size}×${size} + ${phases} RTSTRUCTs) in ${dicomDir}`,
    );

    // A. Orthanc.
    const orthanc = await startOrthanc({ aet: 'ORTHANC', auth: false });
    cleanup.push(async () => orthanc.stop());
    const orthancPid = pidWithArg(orthanc.dir);
    const orthancCpu0 = orthancPid ? treeCpuSeconds(orthancPid) : NaN;
    const a = await storescu(orthanc.dicomPort, 'ORTHANC', dicomDir);
    const orthancCpuS = orthancPid ? treeCpuSeconds(orthancPid) - orthancCpu0 : NaN;
    if (a.code !== 0) throw new Error(`storescu → Orthanc failed (${a.code}):\n${a.output}`);
    const stored = (await orthanc.instances()).length;
    log(`Orthanc: ${stored} instances received and stored in ${(a.ms / 1000).toFixed(2)} s (Orthanc's CPU ${orthancCpuS.toFixed(1)} s)`);
    await orthanc.stop();
    cleanup.pop();

    // B. Our node, with its own embedded Postgres.
    const pg = await startEmbeddedPostgres({ dataDir: path.join(tmp, 'pg'), port: await freePort(), log: () => undefined });
    cleanup.push(() => pg.stop());
    await prepareDatabase({ databaseUrl: pg.appUrl, migrationUrl: pg.url });
    const dicomPort = await freePort();
    const node = spawn(
      process.execPath,
      [
        ...(values.profile ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(values.profile)] : []),
        ...DICOM_NODE_V8_OPTIONS,
        '--import',
        'tsx',
        'workers/dicom-node.ts',
      ],
      {
        cwd: root,
        env: {
          ...process.env,
          DATABASE_URL: pg.appUrl,
          ISEG_DATA_DIR: path.join(tmp, 'data'),
          ISEG_DICOM_PORT: String(dicomPort),
          ISEG_DICOM_ALLOWED_AETS: 'BENCH_SCU',
          ISEG_DICOM_QUIET_SECONDS: '1',
          ISEG_DICOM_PREPARE_SECONDS: values.prepare,
          ISEG_MODELS_DIR: path.join(tmp, 'no-models'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let nodeOut = '';
    node.stdout.on('data', (d) => (nodeOut += d));
    node.stderr.on('data', (d) => (nodeOut += d));
    cleanup.push(async () => {
      node.kill('SIGTERM');
      await new Promise((r) => node.once('exit', r));
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (nodeOut.includes('] listening as ')) {
          clearInterval(timer);
          resolve();
        } else if (node.exitCode !== null) {
          clearInterval(timer);
          reject(new Error(`the DICOM node exited:\n${nodeOut}`));
        }
      }, 100);
    });
    const nodeCpu0 = treeCpuSeconds(node.pid!);
    const pgCpu0 = treeCpuSeconds(pg.pid);
    const bStart = Date.now();
    const b = await storescu(dicomPort, 'ISEG_QA', dicomDir);
    const nodeReceiveCpuS = treeCpuSeconds(node.pid!) - nodeCpu0;
    if (b.code !== 0) throw new Error(`storescu → our node failed (${b.code}):\n${b.output}\n${nodeOut}`);
    log(`our node: ${files.length} instances received into the spool in ${(b.ms / 1000).toFixed(2)} s`);
    const db = createDb(pg.appUrl);
    cleanup.push(() => db.$disconnect());
    let row;
    for (;;) {
      row = await db.dicomReceivedStudy.findFirst();
      if (row && (row.state === 'IMPORTED' || row.state === 'FAILED')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    // Read before anything else runs: the node idles after the import (no model configured).
    const nodeCpuS = treeCpuSeconds(node.pid!) - nodeCpu0;
    const pgCpuS = treeCpuSeconds(pg.pid) - pgCpu0;
    if (row.state !== 'IMPORTED') throw new Error(`the import failed: ${row.error}\n${nodeOut}`);
    const importMs = row.importedAt!.getTime() - row.importStartedAt!.getTime();
    const waitMs = row.importStartedAt!.getTime() - (bStart + b.ms);
    const oursMs = row.importedAt!.getTime() - bStart;
    const series = await db.imageSeries.count({ where: { studyId: row.studyId! } });
    const structures = await db.physicianStructure.count({ where: { studyId: row.studyId! } });
    log(`our node: imported (${series} series, ${structures} structures) in ${(importMs / 1000).toFixed(2)} s`);
    const stagesLine = /imported as study \S+ \(([^;]*; [^)]*)\)/.exec(nodeOut)?.[1];
    if (stagesLine) log(`our node's import: ${stagesLine}`);
    const prepared = [...nodeOut.matchAll(/prepared CT series \S+ of study \S+ before its import \((\d+) file\(s\), (\d+) volume\(s\), ([\d.]+) s\)/g)];
    log(
      `our node prepared ${prepared.length} CT series while receiving or waiting (${prepared.map((m) => `${m[3]} s`).join(', ')}); the wait for the import to start: ${(waitMs / 1000).toFixed(2)} s`,
    );
    log(
      `CPU time (user + system): Orthanc ${orthancCpuS.toFixed(1)} s; ours ${(nodeCpuS + pgCpuS).toFixed(1)} s (the node ${nodeCpuS.toFixed(1)} s: ${nodeReceiveCpuS.toFixed(1)} s until storescu ended, ${(nodeCpuS - nodeReceiveCpuS).toFixed(1)} s after; Postgres ${pgCpuS.toFixed(1)} s), ratio ${((nodeCpuS + pgCpuS) / orthancCpuS).toFixed(2)}`,
    );
    const ours = oursMs;
    const result = {
      date: new Date().toISOString(),
      machine: `${os.hostname()} (${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB)`,
      study: { phases, slices, size, files: files.length, mib: Math.round(bytes / 2 ** 20) },
      orthancReceiveS: +(a.ms / 1000).toFixed(2),
      oursReceiveS: +(b.ms / 1000).toFixed(2),
      oursWaitS: +(waitMs / 1000).toFixed(2),
      oursImportS: +(importMs / 1000).toFixed(2),
      oursPreparedSeries: prepared.length,
      prepareSeconds: values.prepare,
      oursTotalS: +(ours / 1000).toFixed(2),
      ratio: +(ours / a.ms).toFixed(2),
      receiveOnlyRatio: +(b.ms / a.ms).toFixed(2),
      cpuS: {
        orthanc: +orthancCpuS.toFixed(1),
        oursNode: +nodeCpuS.toFixed(1),
        oursNodeDuringReceive: +nodeReceiveCpuS.toFixed(1),
        oursPostgres: +pgCpuS.toFixed(1),
      },
      cpuRatio: +((nodeCpuS + pgCpuS) / orthancCpuS).toFixed(2),
      loadAverage: { start: loadStart, end: os.loadavg().map((x) => +x.toFixed(1)) },
    };
    log(
      `ratio (our receive + wait + import) / (Orthanc receive) = ${result.ratio} (target ≤ 1.5); receive alone ${result.receiveOnlyRatio}; load average at the end ${result.loadAverage.end.join(' ')}`,
    );
    console.log(JSON.stringify(result, null, 2));
  } finally {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`[bench:receive] ${(e as Error).stack ?? e}`);
  process.exit(1);
});
