/**
 * `npx tsx bench/viewer/server-slice.ts`: the server's part of the viewer's first image, on a
 * planning-sized CT (512×512×177 phantom, stored as the importer stores it: gzipped NIfTI in the
 * volume store), in one process: A. the whole volume as GET …/volume serves it (getStudyVolume +
 * getStudyVolumeResponse: read, inflate, re-gzip) and decoded as the browser does
 * (parseVolumeResponse); B. the middle axial slice from the volume (getStudySlice for a series
 * without a slice store: the file read and checked whole, inflated up to that slice; + response +
 * decode); C. the same slice from the series' slice store (lib/server/storage/slice-store.ts: one
 * small file read and checked; + response + decode); D. that slice as the page's first-image PNG
 * (getStudySliceImage, from the store). The series lookup is a stand-in for the database (one row
 * by id). Medians of BENCH_RUNS (default 5), alternating. No browser: `npm run bench:viewer`
 * times the page.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generatePatient, samplePatientSpec } from '../../lib/core/phantom';
import { encodeNifti } from '../../lib/nifti';
import { createVolumeStore } from '../../lib/server/storage/volume-store';
import { getStudyVolume } from '../../lib/server/studies/get-study-volume';
import { getStudySlice } from '../../lib/server/studies/get-study-slice';
import { getStudySliceImage } from '../../lib/server/studies/get-study-slice-image';
import { buildSliceStore } from '../../lib/server/storage/slice-store';
import { getStudyVolumeResponse } from '../../lib/server/studies/get-study-volume-response';
import { parseVolumeResponse } from '../../components/viewer/load-volume';
import type { Db } from '../../lib/server/db/client';

const SIZE = Number(process.env.BENCH_SIZE ?? 512);
const SLICES = Number(process.env.BENCH_SLICES ?? 177);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-bench-slice-'));
  try {
    const patient = generatePatient(samplePatientSpec('viewer-bench', 0), {
      dims: [SIZE, SIZE, SLICES],
      spacingMm: [500 / SIZE, 500 / SIZE, 3],
      phasePercents: [0],
    });
    const ct = patient.phases[0]!.ct;
    if (!ct) throw new Error('the phantom wrote no CT');
    const store = createVolumeStore({ dir });
    const { key } = await store.putVolume(encodeNifti(ct, { gzip: true }));
    const t0 = performance.now();
    const { manifestSha256 } = await buildSliceStore(store, key, 'the bench CT');
    const buildMs = performance.now() - t0;
    // 'old': a series without its slice store (served from the volume); 'new': with it.
    const row = (id: string) => ({ volumeKey: key, sliceManifestSha256: id === 'old' ? null : manifestSha256 });
    const db = {
      imageSeries: {
        findFirst: async ({ where }: { where: { id: string } }) => row(where.id),
        findUnique: async () => row('new'),
        updateMany: async () => ({ count: 1 }),
      },
    } as unknown as Db;
    const caller = { userId: 'bench', email: 'b@bench', name: 'Bench', role: 'PHYSICIST' as const };
    const whole: number[] = [];
    const slice: number[] = [];
    const stored: number[] = [];
    const png: number[] = [];
    const k = Math.floor(SLICES / 2);
    for (let n = 0; n < RUNS + 1; n++) {
      let t0 = performance.now();
      const v = await parseVolumeResponse(
        await getStudyVolumeResponse(await getStudyVolume(db, store, { caller, studyId: 's', request: { kind: 'ct', seriesId: 'x' } })),
      );
      if (n) whole.push(performance.now() - t0);
      t0 = performance.now();
      const s = await parseVolumeResponse(await getStudyVolumeResponse(await getStudySlice(db, store, { caller, studyId: 's', seriesId: 'old', index: k })));
      if (n) slice.push(performance.now() - t0);
      t0 = performance.now();
      const c = await parseVolumeResponse(await getStudyVolumeResponse(await getStudySlice(db, store, { caller, studyId: 's', seriesId: 'new', index: k })));
      if (n) stored.push(performance.now() - t0);
      t0 = performance.now();
      await getStudySliceImage(db, store, { caller, studyId: 's', seriesId: 'new', index: k, window: 'lung' });
      if (n) png.push(performance.now() - t0);
      const want = v.data.subarray(k * SIZE * SIZE, (k + 1) * SIZE * SIZE);
      if (!s.data.every((x, q) => x === want[q]) || !c.data.every((x, q) => x === want[q])) throw new Error('the slice differs from the volume');
    }
    console.log(
      JSON.stringify({
        ct: `${SIZE}×${SIZE}×${SLICES}`,
        storedMiB: Math.round(fs.statSync(path.join(dir, key.slice(0, 2), key.slice(2, 4), key)).size / 1048576),
        loadAverage1m: os.loadavg()[0],
        wholeVolumeMs: whole.map(Math.round),
        sliceStoreBuildMs: Math.round(buildMs),
        middleSliceMs: slice.map(Math.round),
        storedSliceMs: stored.map(Math.round),
        firstImagePngMs: png.map(Math.round),
        medians: {
          wholeVolumeMs: Math.round(median(whole)),
          middleSliceMs: Math.round(median(slice)),
          storedSliceMs: Math.round(median(stored)),
          firstImagePngMs: Math.round(median(png)),
        },
      }),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
void main();
