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

main().catch((e) => {
  console.error(`[bench:import] ${(e as Error).stack ?? e}`);
  process.exit(1);
});
