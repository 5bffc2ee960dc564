/**
 * `npm run bench:import [-- --slices 177 --size 512 --rois 11 --runs 3]`: the DICOM import of a
 * planning-sized study against `plastimatch convert` of the same files, side by side in one run
 * (issue #19: import ≤ 1× plastimatch convert).
 *
 * The study: a planning CT (one series, size × size × slices, 16-bit explicit VR little endian,
 * written by the phantom writers) and one physician RTSTRUCT with `rois` ROIs (the phantom's GTV
 * and ITV, a BODY outline and further ellipsoid organs), as bench/export/export-bench.ts builds it.
 *
 * - ours: importStudy (read the headers, validate, hash, decode the CT, store it as a gzipped
 *   NIfTI, rasterise and store every ROI, one transaction) into a throw-away embedded Postgres and
 *   volume store, in this process; between runs the study row is deleted and the store emptied, so
 *   each run is a first import;
 * - reference: `plastimatch convert --input RTSTRUCT --referenced-ct DIR --output-img ct.nii.gz
 *   --output-prefix masks --prefix-format nii.gz` (the CT and one mask per ROI as NIfTI).
 *
 * Prints per-run wall times, when each stage of our import ran (its first and last progress event), the
 * medians, the ratio ours / plastimatch, the load average at the start and end, and the sha256 of
 * our stored volume and masks (they must not change with a speed-up).
 *
 * `npm run bench:import -- --growth [--sizes 50,100,250,500,1000] [--runs 3]` (issue #19 item 2,
 * cost growth): the same study at each number of slices (512×512, 11 ROIs whose extent in z
 * grows with the slices). One embedded Postgres for the whole run; each of our imports runs in a
 * fresh child process (`--one`, so that every run is cold like plastimatch's and its peak RSS is
 * its own), alternating with `plastimatch convert`. Per size: median wall, CPU and peak RSS of
 * both (ours: the import's own span and CPU, measured inside the child; its peak RSS includes the
 * child's baseline, printed apart), then the fitted exponent (time ∝ slices^b, log-log least
 * squares) over all sizes and over the two largest.
 *
 * `--warm` (with --growth): each child also imports the study a second time in the same process
 * (the first study deleted, a new empty store), as a long-running worker would after its first
 * job: the difference from the cold import is the per-process fixed cost (the Prisma client's
 * query compiler, a WebAssembly module, compiles each query shape on first use; V8's JIT).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startEmbeddedPostgres } from '../../lib/server/db/embedded-postgres';
import { prepareDatabase } from '../../lib/server/startup/prepare-database';
import { createDb } from '../../lib/server/db/client';
import type { Caller } from '../../lib/server/auth/roles';
import { importStudy } from '../../lib/server/studies/import-study';
import { createVolumeStore } from '../../lib/server/storage/volume-store';
import { freePort } from '../../tests/peers/orthanc';
import { writePlanningStudy } from '../planning-study';

const { values } = parseArgs({
  options: {
    slices: { type: 'string', default: '177' },
    size: { type: 'string', default: '512' },
    rois: { type: 'string', default: '11' },
    runs: { type: 'string', default: '3' },
    dir: { type: 'string' },
    growth: { type: 'boolean', default: false },
    sizes: { type: 'string', default: '50,100,250,500,1000' },
    // child mode of --growth: one import of the study in --dir into --database-url, result as JSON
    one: { type: 'boolean', default: false },
    // with --growth (and passed to --one): after the cold import, a second one in the same process
    warm: { type: 'boolean', default: false },
    'database-url': { type: 'string' },
  },
});
const slices = Number(values.slices);
const size = Number(values.size);
const rois = Number(values.rois);
const runs = Number(values.runs);
const log = (m: string) => console.log(`[bench:import] ${m}`);
const physicist: Caller = { userId: 'bench-phys', email: 'phys@bench', name: 'Bench Physicist', role: 'PHYSICIST' };
const s = (ms: number) => +(ms / 1000).toFixed(2);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () => os.loadavg().map((x) => +x.toFixed(2));

/** Writes the study (or reuses one written before in --dir). Returns the DICOM folder. */
async function writeStudy(base: string): Promise<string> {
  const dicomDir = path.join(base, 'study', 'dicom');
  if (fs.existsSync(path.join(dicomDir, 'rtstruct', 'rs.dcm'))) return dicomDir;
  return (await writePlanningStudy(base, { size, slices, rois })).dicomDir;
}

async function main(): Promise<void> {
  const base = values.dir ? path.resolve(values.dir) : fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-bench-import-'));
  fs.mkdirSync(base, { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-bench-import-work-'));
  const cleanup: (() => Promise<void>)[] = [];
  try {
    const t0 = performance.now();
    const dicomDir = await writeStudy(base);
    const files = fs.readdirSync(dicomDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    const bytes = files.reduce((n, e) => n + fs.statSync(path.join(e.parentPath, e.name)).size, 0);
    log(
      `study: ${files.length} files, ${(bytes / 2 ** 20).toFixed(0)} MiB (${slices} slices ${size}×${size} + an RTSTRUCT with ${rois} ROIs), ready in ${s(performance.now() - t0)} s`,
    );

    const pg = await startEmbeddedPostgres({ dataDir: path.join(work, 'pg'), port: await freePort(), log: () => undefined });
    cleanup.push(() => pg.stop());
    await prepareDatabase({ databaseUrl: pg.appUrl, migrationUrl: pg.url });
    const db = createDb(pg.appUrl);
    cleanup.push(() => db.$disconnect());

    const loadStart = load();
    const ours: number[] = [];
    const stages: Record<string, [number, number]>[] = [];
    const plm: number[] = [];
    let hashes: Record<string, string | null> = {};
    for (let r = 0; r < runs; r++) {
      // Ours: a first import into an empty store.
      const storeDir = path.join(work, `volumes-${r}`);
      const store = createVolumeStore({ dir: storeDir });
      // Each stage's first and last progress event (s from the start): since the structures are
      // rasterised while the CT is stored, 'loading' and 'rasterising' overlap.
      const span: Record<string, [number, number]> = {};
      const t1 = performance.now();
      const { studyId } = await importStudy({
        db,
        caller: physicist,
        dir: dicomDir,
        store,
        onProgress: (p) => {
          const at = s(performance.now() - t1);
          span[p.stage] ??= [at, at];
          span[p.stage][1] = at;
        },
      });
      const ms = performance.now() - t1;
      ours.push(ms);
      stages.push(span);
      const study = await db.study.findUniqueOrThrow({
        where: { id: studyId },
        select: { series: { select: { volumeSha256: true } }, physicianStructures: { select: { name: true, maskSha256: true } } },
      });
      hashes = Object.fromEntries([
        ...study.series.map((x, i) => [`ct${i}`, x.volumeSha256] as const),
        ...study.physicianStructures.map((x) => [x.name, x.maskSha256] as const).sort((a, b) => a[0].localeCompare(b[0])),
      ]);
      await db.study.delete({ where: { id: studyId } });
      fs.rmSync(storeDir, { recursive: true, force: true });
      log(`ours ${r + 1}/${runs}: ${s(ms)} s; stages (first–last progress event, s) ${JSON.stringify(stages[r])}`);

      // plastimatch convert of the same files.
      const out = path.join(work, `plm-${r}`);
      fs.mkdirSync(out);
      const t2 = performance.now();
      const p = spawnSync(
        'plastimatch',
        [
          'convert',
          '--input',
          path.join(dicomDir, 'rtstruct', 'rs.dcm'),
          '--referenced-ct',
          path.join(dicomDir),
          '--output-img',
          path.join(out, 'ct.nii.gz'),
          '--output-prefix',
          path.join(out, 'masks'),
          '--prefix-format',
          'nii.gz',
        ],
        { encoding: 'utf8', maxBuffer: 1 << 28 },
      );
      const pms = performance.now() - t2;
      if (p.error || p.status !== 0)
        throw new Error(`plastimatch convert failed (${p.error?.message ?? p.status}): ${(p.stderr ?? '').slice(-2000)}. Install the plastimatch apt package.`);
      plm.push(pms);
      fs.rmSync(out, { recursive: true, force: true });
      log(`plastimatch convert ${r + 1}/${runs}: ${s(pms)} s`);
    }
    const result = {
      date: new Date().toISOString(),
      machine: `${os.hostname()} (${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB)`,
      loadAverage: { start: loadStart, end: load() },
      study: { slices, size, rois, files: files.length, mib: Math.round(bytes / 2 ** 20) },
      oursS: ours.map(s),
      plastimatchS: plm.map(s),
      oursMedianS: s(median(ours)),
      plastimatchMedianS: s(median(plm)),
      ratio: +(median(ours) / median(plm)).toFixed(2),
      stagesS: stages,
      sha256: hashes,
    };
    log(`import ${result.oursMedianS} s vs plastimatch convert ${result.plastimatchMedianS} s (medians of ${runs}): ratio ${result.ratio} (target ≤ 1)`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
    fs.rmSync(work, { recursive: true, force: true });
    if (!values.dir) fs.rmSync(base, { recursive: true, force: true });
  }
}

/** Child of --growth: one first import of the study in --dir; prints `__RESULT__ {json}`. */
async function one(): Promise<void> {
  const dicomDir = path.join(path.resolve(values.dir!), 'study', 'dicom');
  const db = createDb(values['database-url']!);
  const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-bench-import-store-'));
  try {
    const rssBefore = process.memoryUsage().rss;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const { studyId } = await importStudy({ db, caller: physicist, dir: dicomDir, store: createVolumeStore({ dir: storeDir }) });
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const study = await db.study.findUniqueOrThrow({ where: { id: studyId }, select: { series: { select: { volumeSha256: true } } } });
    await db.study.delete({ where: { id: studyId } });
    let warm: { warmWallS: number; warmCpuS: number } | object = {};
    if (values.warm) {
      const warmDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-bench-import-store-'));
      try {
        const c1 = process.cpuUsage();
        const t1 = performance.now();
        const again = await importStudy({ db, caller: physicist, dir: dicomDir, store: createVolumeStore({ dir: warmDir }) });
        const wms = performance.now() - t1;
        const wcpu = process.cpuUsage(c1);
        await db.study.delete({ where: { id: again.studyId } });
        warm = { warmWallS: wms / 1000, warmCpuS: (wcpu.user + wcpu.system) / 1e6 };
      } finally {
        fs.rmSync(warmDir, { recursive: true, force: true });
      }
    }
    const result = {
      ...warm,
      wallS: ms / 1000,
      cpuS: (cpu.user + cpu.system) / 1e6,
      rssBeforeMiB: rssBefore / 2 ** 20,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
      volumeSha256: study.series[0]?.volumeSha256 ?? null,
    };
    console.log(`__RESULT__ ${JSON.stringify(result)}`);
  } finally {
    await db.$disconnect();
    fs.rmSync(storeDir, { recursive: true, force: true });
  }
}

/** Least-squares slope of log y on log x. */
function logLogSlope(xs: number[], ys: number[]): number {
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length;
  const my = ly.reduce((a, b) => a + b, 0) / ly.length;
  let num = 0;
  let den = 0;
  lx.forEach((x, i) => {
    num += (x - mx) * (ly[i]! - my);
    den += (x - mx) ** 2;
  });
  return num / den;
}

/** Wall s, CPU s and peak RSS MiB of one whole process (GNU time), and its stdout. */
function timed(cmd: string, args: string[]): { wallS: number; cpuS: number; peakRssMiB: number; stdout: string } {
  const r = spawnSync('/usr/bin/time', ['-f', '__TIME__ %e %U %S %M', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.error) throw new Error(`${cmd}: ${r.error.message} (GNU time is the 'time' apt package)`);
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${(r.stderr ?? '').slice(-2000)}`);
  const m = /__TIME__ ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`no timing from /usr/bin/time: ${r.stderr.slice(-500)}`);
  return { wallS: Number(m[1]), cpuS: Number(m[2]) + Number(m[3]), peakRssMiB: Number(m[4]) / 1024, stdout: r.stdout };
}

async function growth(): Promise<void> {
  const sizes = values.sizes!.split(',').map(Number);
  const base = values.dir ? path.resolve(values.dir) : fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-bench-import-growth-'));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-bench-import-work-'));
  const cleanup: (() => Promise<void>)[] = [];
  const rows = [];
  try {
    log(`growth: ${sizes.join(', ')} slices of ${size}×${size}, ${rois} ROIs, ${runs} runs each; node ${process.version}; load ${load().join(' ')}`);
    const pg = await startEmbeddedPostgres({ dataDir: path.join(work, 'pg'), port: await freePort(), log: () => undefined });
    cleanup.push(() => pg.stop());
    await prepareDatabase({ databaseUrl: pg.appUrl, migrationUrl: pg.url });
    for (const n of sizes) {
      const studyBase = path.join(base, `slices-${n}`);
      const dicomDir = path.join(studyBase, 'study', 'dicom');
      if (!fs.existsSync(path.join(dicomDir, 'rtstruct', 'rs.dcm'))) {
        fs.rmSync(studyBase, { recursive: true, force: true });
        await writePlanningStudy(studyBase, { size, slices: n, rois });
      }
      const files = fs.readdirSync(dicomDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
      const mib = files.reduce((a, e) => a + fs.statSync(path.join(e.parentPath, e.name)).size, 0) / 2 ** 20;
      const ours: {
        wallS: number;
        cpuS: number;
        warmWallS?: number;
        warmCpuS?: number;
        peakRssMiB: number;
        rssBeforeMiB: number;
        volumeSha256: string | null;
        processWallS: number;
      }[] = [];
      const plm: { wallS: number; cpuS: number; peakRssMiB: number }[] = [];
      for (let r = 0; r < runs; r++) {
        const order = r % 2 === 0 ? ['ours', 'plastimatch'] : ['plastimatch', 'ours'];
        for (const who of order) {
          if (who === 'ours') {
            const c = timed(process.execPath, [
              '--import',
              'tsx',
              path.join(import.meta.dirname, 'import-bench.ts'),
              '--one',
              '--dir',
              studyBase,
              '--database-url',
              pg.appUrl,
              ...(values.warm ? ['--warm'] : []),
            ]);
            const m = /__RESULT__ (.*)/.exec(c.stdout);
            if (!m) throw new Error(`the --one child printed no result: ${c.stdout.slice(-1000)}`);
            ours.push({ ...JSON.parse(m[1]!), processWallS: c.wallS });
          } else {
            const out = path.join(work, `plm-${n}-${r}`);
            fs.mkdirSync(out);
            const args = ['convert', '--input', path.join(dicomDir, 'rtstruct', 'rs.dcm'), '--referenced-ct', dicomDir];
            plm.push(
              timed('plastimatch', [
                ...args,
                '--output-img',
                path.join(out, 'ct.nii.gz'),
                '--output-prefix',
                path.join(out, 'masks'),
                '--prefix-format',
                'nii.gz',
              ]),
            );
            fs.rmSync(out, { recursive: true, force: true });
          }
        }
      }
      const hashes = new Set(ours.map((o) => o.volumeSha256));
      if (hashes.size !== 1) throw new Error(`${n} slices: the stored CT volume differs between runs (${[...hashes].join(', ')})`);
      const row = {
        slices: n,
        files: files.length,
        mib: Math.round(mib),
        ours: {
          wallS: median(ours.map((o) => o.wallS)),
          cpuS: median(ours.map((o) => o.cpuS)),
          peakRssMiB: Math.max(...ours.map((o) => o.peakRssMiB)),
          baselineRssMiB: median(ours.map((o) => o.rssBeforeMiB)),
          // the child process as a whole: node + tsx start, Prisma client, then the import
          processWallS: median(ours.map((o) => o.processWallS)),
          // --warm: the second import in the same child
          ...(values.warm ? { warmWallS: median(ours.map((o) => o.warmWallS!)), warmCpuS: median(ours.map((o) => o.warmCpuS!)) } : {}),
        },
        plastimatch: { wallS: median(plm.map((o) => o.wallS)), cpuS: median(plm.map((o) => o.cpuS)), peakRssMiB: Math.max(...plm.map((o) => o.peakRssMiB)) },
        load: load(),
      };
      rows.push(row);
      log(JSON.stringify(row));
    }
  } finally {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
    fs.rmSync(work, { recursive: true, force: true });
    if (!values.dir) fs.rmSync(base, { recursive: true, force: true });
  }
  const f = (x: number, d = 2) => x.toFixed(d);
  console.log(
    '\n| slices | MiB | ours wall / CPU s | ours peak RSS MiB (baseline) | plastimatch wall / CPU s | plastimatch peak RSS MiB | wall ratio | CPU ratio |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const x of rows)
    console.log(
      `| ${x.slices} | ${x.mib} | ${f(x.ours.wallS)} / ${f(x.ours.cpuS)} | ${f(x.ours.peakRssMiB, 0)} (${f(x.ours.baselineRssMiB, 0)}) | ${f(x.plastimatch.wallS)} / ${f(x.plastimatch.cpuS)} | ${f(x.plastimatch.peakRssMiB, 0)} | ${f(x.ours.wallS / x.plastimatch.wallS)} | ${f(x.ours.cpuS / x.plastimatch.cpuS)} |`,
    );
  if (values.warm) {
    console.log(
      '\n| slices | ours cold wall / CPU s | ours warm (second import, same process) wall / CPU s | per-process fixed CPU s | warm CPU ratio to plastimatch |',
    );
    console.log('| --- | --- | --- | --- | --- |');
    for (const x of rows)
      console.log(
        `| ${x.slices} | ${f(x.ours.wallS)} / ${f(x.ours.cpuS)} | ${f(x.ours.warmWallS!)} / ${f(x.ours.warmCpuS!)} | ${f(x.ours.cpuS - x.ours.warmCpuS!)} | ${f(x.ours.warmCpuS! / x.plastimatch.cpuS)} |`,
      );
  }
  if (rows.length >= 2) {
    const xs = rows.map((x) => x.slices);
    const top = rows.slice(-2);
    const tx = top.map((x) => x.slices);
    console.log('\nFitted exponents, time ∝ slices^b (log-log least squares; "top" = the two largest sizes):');
    console.log('| measure | ours | plastimatch | ours, top | plastimatch, top |');
    console.log('| --- | --- | --- | --- | --- |');
    for (const [label, key] of [
      ['wall', 'wallS'],
      ['CPU', 'cpuS'],
      ['peak RSS', 'peakRssMiB'],
    ] as const)
      console.log(
        `| ${label} | ${f(
          logLogSlope(
            xs,
            rows.map((x) => x.ours[key]),
          ),
        )} | ${f(
          logLogSlope(
            xs,
            rows.map((x) => x.plastimatch[key]),
          ),
        )} | ${f(
          logLogSlope(
            tx,
            top.map((x) => x.ours[key]),
          ),
        )} | ${f(
          logLogSlope(
            tx,
            top.map((x) => x.plastimatch[key]),
          ),
        )} |`,
      );
  }
  log(`load at the end ${load().join(' ')}`);
}

(values.one ? one() : values.growth ? growth() : main()).catch((e) => {
  console.error(`[bench:import] ${(e as Error).stack ?? e}`);
  process.exit(1);
});
