/**
 * Decoding speed of a 512 × 512 × 100 JPEG lossless (SV1) CT series: lib/dicom (jpeg-lossless-
 * decoder-js, plain JS) against dcmtk's dcmdjpeg (C++), on the same files.
 *
 *   /usr/bin/python3 bench/dicom/make_series.py /tmp/iseg-bench-dicom   # writes native/ and jpeg-lossless/
 *   npx tsx bench/dicom/decode-bench.ts /tmp/iseg-bench-dicom [repeats=3]
 *
 * Reports the median of `repeats` runs of:
 * - ours, decode only: split the frames and decode them (files already in memory);
 * - ours, loadCtVolume: read the files, parse, decode, HU → the volume the importer stores;
 * - ours, loadCtVolume on the uncompressed copy (what decoding adds);
 * - dcmdjpeg: one process per file (how dcmtk is used: it takes one file), to a temp folder;
 * - dcmdjpeg --version as many times: the process start-up part of the line above;
 * and checks that our volume equals the uncompressed one voxel for voxel.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCtVolume, parseDicomBytes, readDicom } from '@/lib/dicom';
import { decodeFrame } from '@/lib/dicom/decode-frame';
import { readEncapsulatedFrames } from '@/lib/dicom/encapsulated-frames';

const dir = process.argv[2];
const repeats = Number(process.argv[3] ?? 3);
if (!dir) {
  console.error('usage: tsx bench/dicom/decode-bench.ts DIR [repeats]  (DIR from bench/dicom/make_series.py)');
  process.exit(2);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = async (f: () => unknown) => {
  const t = performance.now();
  await f();
  return performance.now() - t;
};

const jpegDir = join(dir, 'jpeg-lossless');
const nativeDir = join(dir, 'native');
const files = readdirSync(jpegDir)
  .sort()
  .map((f) => join(jpegDir, f));
const jpeg = (await readDicom(jpegDir)).series[0];
const native = (await readDicom(nativeDir)).series[0];
console.error(`series: ${jpeg.grid!.dims.join('×')}, ${jpeg.slices[0].transferSyntaxUid}`);

const a = await loadCtVolume(jpeg);
const b = await loadCtVolume(native);
let diff = 0;
for (let n = 0; n < a.data.length; n++) if (a.data[n] !== b.data[n]) diff++;
if (diff !== 0) throw new Error(`decoded volume differs from the uncompressed one in ${diff} voxels`);

const bytes = files.map((f) => new Uint8Array(readFileSync(f)));
const runs = { decodeOnly: [] as number[], loadJpeg: [] as number[], loadNative: [] as number[], dcmdjpeg: [] as number[], dcmdjpegStartOnly: [] as number[] };
for (let r = 0; r < repeats; r++) {
  runs.decodeOnly.push(
    await ms(async () => {
      for (const [n, b8] of bytes.entries()) {
        const { parsed } = parseDicomBytes(b8, files[n]);
        const [frame] = readEncapsulatedFrames(parsed!.dataSet, parsed!.dataSet.elements.x7fe00010, 1);
        await decodeFrame('jpeg-lossless', frame, { rows: 512, columns: 512, samplesPerPixel: 1, bitsAllocated: 16 });
      }
    }),
  );
  runs.loadJpeg.push(await ms(() => loadCtVolume(jpeg)));
  runs.loadNative.push(await ms(() => loadCtVolume(native)));
  const out = mkdtempSync(join(tmpdir(), 'iseg-dcmdjpeg-'));
  runs.dcmdjpeg.push(await ms(() => files.forEach((f, n) => execFileSync('dcmdjpeg', [f, join(out, `${n}.dcm`)]))));
  rmSync(out, { recursive: true, force: true });
  // The same number of dcmdjpeg starts that do nothing: process start-up, to subtract.
  runs.dcmdjpegStartOnly.push(await ms(() => files.forEach(() => execFileSync('dcmdjpeg', ['--version']))));
}
const dcmtkVersion = execFileSync('dcmdjpeg', ['--version']).toString().split('\n')[0];
const result = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model,
  cores: cpus().length,
  loadAverage1m: Number(loadavg()[0].toFixed(2)),
  slices: files.length,
  repeats,
  medianMs: Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, Math.round(median(v))])),
  allMs: Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, v.map(Math.round)])),
  dcmtk: dcmtkVersion.trim(),
  identicalToUncompressed: true,
};
console.log(JSON.stringify(result, null, 1));
