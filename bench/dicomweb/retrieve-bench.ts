/**
 * DICOMweb retrieve benchmark (docs/benchmarks.md, "DICOMweb retrieve"): a real Orthanc (tests/peers/orthanc.ts)
 * holds one CT series of N slices of 512×512 (uncompressed, ~0.5 MB each); we time our WADO-RS
 * retrieve (lib/server/dicomweb/retrieve-dicomweb-study.ts: streamed multipart reader, one file per
 * instance) against `curl` fetching the same WADO-RS answer to one file (the transport's own
 * speed, no parsing), alternating runs, and report the median ratio and our process's peak RSS
 * growth during the retrieve (the streaming claim: it stays near one network chunk, not the
 * study's size). Checks that our files are byte for byte what was stored.
 *
 * Usage: npx tsx bench/dicomweb/retrieve-bench.ts [--slices 300] [--runs 3]
 * Needs: orthanc + orthanc-dicomweb (Debian), curl.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { encodeCtSeries, deterministicUid } from '../../lib/dicom/write-ct-series';
import { IDENTITY_DIRECTION } from '../../lib/core/volume';
import { retrieveDicomWebStudy, WADO_ACCEPT } from '../../lib/server/dicomweb/retrieve-dicomweb-study';
import { startOrthanc } from '../../tests/peers/orthanc';

const { values } = parseArgs({ options: { slices: { type: 'string', default: '300' }, runs: { type: 'string', default: '3' } } });
const slices = Number(values.slices);
const runs = Number(values.runs);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-bench-dicomweb-'));
const orthanc = await startOrthanc();
try {
  const studyUid = deterministicUid('bench/dicomweb/study');
  const want = new Set<string>();
  let storedBytes = 0;
  // Encode and upload in blocks of 20 slices (never the whole series in memory).
  const n = 512;
  for (let k0 = 0; k0 < slices; k0 += 20) {
    const nz = Math.min(20, slices - k0);
    const data = new Int16Array(n * n * nz);
    for (let t = 0; t < data.length; t++) data[t] = (((t * 2654435761) >>> 20) % 2000) - 1000;
    const files = encodeCtSeries(
      { grid: { dims: [n, n, nz], spacingMm: [0.98, 0.98, 2], originMm: [-250, -250, k0 * 2], direction: IDENTITY_DIRECTION }, data },
      {
        patientName: 'BENCH^DICOMWEB',
        patientId: 'BENCH-DICOMWEB',
        studyInstanceUid: studyUid,
        seriesInstanceUid: deterministicUid('bench/dicomweb/series'),
        frameOfReferenceUid: deterministicUid('bench/dicomweb/for'),
        studyDate: '20240101',
        seriesNumber: 1,
        seriesDescription: 'BENCH CT',
        manufacturer: 'BENCH',
        manufacturerModelName: 'BENCH',
        uidSeed: `bench/dicomweb/block${k0}`,
      },
    );
    for (const f of files) {
      await orthanc.upload(f.bytes);
      want.add(sha(f.bytes));
      storedBytes += f.bytes.length;
    }
  }
  const target = { name: 'bench Orthanc', baseUrl: orthanc.dicomWebUrl, username: orthanc.credentials!.username, password: orthanc.credentials!.password };
  const ours: number[] = [];
  const curl: number[] = [];
  let peakGrowthMb = 0;
  for (let r = 0; r < runs; r++) {
    const dir = fs.mkdtempSync(path.join(tmp, 'ours-'));
    global.gc?.();
    const base = process.memoryUsage().rss;
    let peak = base;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    const t0 = performance.now();
    const got = await retrieveDicomWebStudy({
      target,
      studyInstanceUid: studyUid,
      dir,
      onProgress: () => void (peak = Math.max(peak, process.memoryUsage().rss)),
    });
    ours.push(performance.now() - t0);
    clearInterval(sampler);
    peakGrowthMb = Math.max(peakGrowthMb, (peak - base) / 2 ** 20);
    if (got.files.length !== slices || !got.files.every((f) => want.has(sha(fs.readFileSync(f))))) throw new Error('our retrieve differs from what was stored');
    fs.rmSync(dir, { recursive: true, force: true });

    const out = path.join(tmp, 'curl.out');
    const t1 = performance.now();
    const c = spawnSync('curl', [
      '-sf',
      '-o',
      out,
      '-u',
      `${target.username}:${target.password}`,
      '-H',
      `Accept: ${WADO_ACCEPT}`,
      `${target.baseUrl}/studies/${studyUid}`,
    ]);
    curl.push(performance.now() - t1);
    if (c.status !== 0) throw new Error(`curl failed: ${c.stderr}`);
    fs.rmSync(out);
  }
  console.log(
    JSON.stringify(
      {
        slices,
        storedMb: +(storedBytes / 2 ** 20).toFixed(1),
        runs,
        oursMs: ours.map(Math.round),
        curlMs: curl.map(Math.round),
        ratioMedian: +(median(ours) / median(curl)).toFixed(2),
        oursPeakRssGrowthMb: +peakGrowthMb.toFixed(1),
        node: process.version,
        cpus: os.cpus().length,
        loadavg: os.loadavg().map((x) => +x.toFixed(1)),
      },
      null,
      2,
    ),
  );
} finally {
  await orthanc.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}
