/**
 * Inference benchmark (issue 6, item 8):
 *  1. per-patch forward time of onnxruntime-node (loadModel's predict) against PyTorch eager on
 *     the same network and weights (models/demo: model.onnx and train/demo_unet.pt) and the same
 *     thread count, alternating one patch each (the order swapped every round), median of N;
 *  2. one 10-phase synthetic study end to end through segmentVolume at the demo dims, per stage.
 *
 *   npx tsx bench/inference/bench.ts [--threads 2] [--patches 15] [--warmup 3] [--dims 96,96,48]
 *       [--model-dir models/demo] [--python /usr/bin/python3] [--json FILE]
 *
 * Needs Debian's Python with python3-torch for the PyTorch side (bench/inference/torch_worker.py).
 * Patches are real model inputs: windows of a held-out phantom CT (seed "demo-bench"), clipped and
 * normalised as the manifest says, batch 1, in the manifest's NCDHW layout.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { normaliseHuInPlace } from '@/lib/core/inference/normalise';
import { createRng, generatePatient, sampleCohort } from '@/lib/core/phantom';
import type { Vec3 } from '@/lib/core/volume';
import { loadModel, releaseModels, segmentVolume } from '@/lib/inference';

const median = (v: readonly number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      threads: { type: 'string', default: '2' },
      patches: { type: 'string', default: '15' },
      warmup: { type: 'string', default: '3' },
      dims: { type: 'string', default: '96,96,48' },
      'model-dir': { type: 'string', default: 'models/demo' },
      python: { type: 'string', default: '/usr/bin/python3' },
      json: { type: 'string' },
    },
  });
  const threads = Number(values.threads);
  const nPatches = Number(values.patches);
  const warmup = Number(values.warmup);
  const dims = values.dims!.split(',').map(Number) as Vec3;
  const FOV_MM = [320, 320, 192];
  const spacingMm = dims.map((d, a) => FOV_MM[a] / d) as Vec3;
  const model = await loadModel({ modelDir: values['model-dir']!, intraOpThreads: threads });
  const [px, py, pz] = model.manifest.input.patchSizeXyz;
  if (model.manifest.input.layout !== 'NCDHW') throw new Error('bench expects an NCDHW model');
  console.log(`model ${model.name} ${model.version} sha256 ${model.sha256}; ${threads} threads; CPU ${cpus()[0]?.model ?? '?'} (${cpus().length} logical)`);

  // --- patches: windows of a held-out phantom CT, normalised as the manifest says -----------------
  const spec = sampleCohort({ patients: 1, seed: 'demo-bench' }).patients[0];
  const patient = generatePatient(spec, { dims, spacingMm, phasePercents: [0] });
  const ct = Float32Array.from(patient.phases[0].ct!.data);
  normaliseHuInPlace(ct, model.manifest.intensity);
  const [nx, ny, nz] = dims;
  const per = px * py * pz;
  const patches = new Float32Array(nPatches * per);
  const rng = createRng('bench-patches');
  for (let n = 0; n < nPatches; n++) {
    const [x0, y0, z0] = [rng.int(0, nx - px), rng.int(0, ny - py), rng.int(0, nz - pz)];
    for (let z = 0; z < pz; z++)
      for (let y = 0; y < py; y++) for (let x = 0; x < px; x++) patches[n * per + x + px * (y + py * z)] = ct[x0 + x + nx * (y0 + y + ny * (z0 + z))];
  }
  const tmp = mkdtempSync(join(tmpdir(), 'iseg-bench-'));
  const patchFile = join(tmp, 'patches.f32');
  const out0File = join(tmp, 'out0.f32');
  writeFileSync(patchFile, Buffer.from(patches.buffer));

  // --- PyTorch worker -------------------------------------------------------------------------------
  const py3 = spawn(
    values.python!,
    [
      fileURLToPath(new URL('./torch_worker.py', import.meta.url)),
      patchFile,
      String(nPatches),
      String(pz),
      String(py),
      String(px),
      String(threads),
      out0File,
      join(values['model-dir']!, 'train', 'demo_unet.pt'),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: py3.stdout! })[Symbol.asyncIterator]();
  const nextLine = async () => {
    const r = await lines.next();
    if (r.done) throw new Error('PyTorch worker exited early (is python3-torch installed? see bench/inference/README.md)');
    return r.value;
  };
  console.log(await nextLine());
  const shape = [1, 1, pz, py, px];
  const patch = (i: number) => patches.subarray(i * per, (i + 1) * per);
  const ortOnce = async (i: number) => {
    const t = performance.now();
    const out = await model.predict(patch(i), shape);
    return { ms: performance.now() - t, out };
  };
  const torchOnce = async (i: number) => {
    py3.stdin!.write(`${i}\n`);
    return Number(await nextLine());
  };
  // Agreement on patch 0 (same weights): max |logit difference|.
  const ref = new Float32Array(readFileSync(out0File).buffer.slice(0));
  const { out } = await ortOnce(0);
  let maxDiff = 0;
  for (let n = 0; n < ref.length; n++) maxDiff = Math.max(maxDiff, Math.abs(ref[n] - out[n]));
  console.log(`ORT vs PyTorch logits on patch 0: max |difference| ${maxDiff.toExponential(2)} over ${ref.length} voxels`);

  for (let w = 0; w < warmup; w++) {
    await ortOnce(w % nPatches);
    await torchOnce(w % nPatches);
  }
  const ortMs: number[] = [],
    torchMs: number[] = [];
  for (let i = 0; i < nPatches; i++) {
    if (i % 2 === 0) {
      ortMs.push((await ortOnce(i)).ms);
      torchMs.push(await torchOnce(i));
    } else {
      torchMs.push(await torchOnce(i));
      ortMs.push((await ortOnce(i)).ms);
    }
  }
  py3.stdin!.write('q\n');
  py3.stdin!.end();
  rmSync(tmp, { recursive: true, force: true });
  const ratio = median(ortMs) / median(torchMs);
  console.log(`\n| Per-patch forward, batch 1, patch [x,y,z] ${px}×${py}×${pz}, ${threads} threads | median (ms) | min (ms) | max (ms) |`);
  console.log('| --- | ---: | ---: | ---: |');
  console.log(`| onnxruntime-node (loadModel predict) | ${median(ortMs).toFixed(1)} | ${Math.min(...ortMs).toFixed(1)} | ${Math.max(...ortMs).toFixed(1)} |`);
  console.log(`| PyTorch eager (no_grad, eval) | ${median(torchMs).toFixed(1)} | ${Math.min(...torchMs).toFixed(1)} | ${Math.max(...torchMs).toFixed(1)} |`);
  console.log(`| **ratio ORT / PyTorch** (target ≤ 0.5) | **${ratio.toFixed(2)}** | | |`);
  console.log(`(${nPatches} patches each, alternating, after ${warmup} warm-up rounds)`);

  // --- 10-phase study end to end -----------------------------------------------------------------------
  const tg = performance.now();
  const study = generatePatient(sampleCohort({ patients: 1, seed: 'demo-bench-study' }).patients[0], { dims, spacingMm });
  const generateMs = performance.now() - tg;
  const stages = ['resampleToModel', 'normalise', 'slidingWindow', 'predict', 'activation', 'resampleToNative', 'postprocess', 'total'] as const;
  const sums = Object.fromEntries(stages.map((s) => [s, 0])) as Record<(typeof stages)[number], number>;
  let windows = 0;
  const t0 = performance.now();
  for (const ph of study.phases) {
    const r = await segmentVolume({ volume: ph.ct!, model });
    for (const s of stages) sums[s] += r.timingsMs[s];
    windows += r.windows;
  }
  const wallMs = performance.now() - t0;
  console.log(
    `\n| 10-phase study ${dims.join('×')} (${windows} windows, batch ${model.manifest.slidingWindow.batchSize}), ${threads} threads | total over 10 phases (ms) | per phase (ms) |`,
  );
  console.log('| --- | ---: | ---: |');
  for (const s of stages)
    console.log(`| ${s === 'predict' ? 'predict (inside slidingWindow)' : s} | ${sums[s].toFixed(0)} | ${(sums[s] / study.phases.length).toFixed(0)} |`);
  console.log(`| wall clock, 10 × segmentVolume | ${wallMs.toFixed(0)} | ${(wallMs / study.phases.length).toFixed(0)} |`);
  console.log(`(phantom generation, not part of the pipeline: ${generateMs.toFixed(0)} ms)`);
  if (values.json)
    writeFileSync(
      values.json,
      JSON.stringify(
        {
          threads,
          patch: [px, py, pz],
          ortMs,
          torchMs,
          ratio,
          maxLogitDiff: maxDiff,
          study: { dims, phases: study.phases.length, windows, stagesMs: sums, wallMs, generateMs },
        },
        null,
        2,
      ) + '\n',
    );
  await releaseModels();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
