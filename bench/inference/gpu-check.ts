/**
 * GPU readiness check (issue: performance and scale, item 4). Runs offline on a GPU host:
 *  1. the requested provider (cuda or webgpu) starts a session on the demo model, with no fallback;
 *  2. a 10-phase 512×512×100 synthetic 4D CT (the demo phantom generator) is segmented phase by
 *     phase on the CPU provider and on the GPU provider, through the same segmentVolume the worker uses;
 *  3. the masks are compared voxel by voxel (the accepted difference is stated and checked),
 *     and the time per phase is printed against the CPU's.
 *
 *   npx tsx bench/inference/gpu-check.ts [--provider cuda|webgpu] [--phases 10] [--dims 512,512,100]
 *                                        [--spacing 0.98,0.98,3] [--patient 1]
 *                                        [--max-differing-fraction 1e-4] [--json FILE]
 *
 * Exit status: 0 when the provider starts and every phase's mask agrees within the tolerance;
 * 1 otherwise (the reason printed). See bench/inference/README.md ("GPU check").
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generatePatient, samplePatientSpec } from '@/lib/core/phantom';
import type { Vec3 } from '@/lib/core/volume';
import { loadModel, segmentVolume, type ExecutionProvider } from '@/lib/inference';

const { values } = parseArgs({
  options: {
    provider: { type: 'string', default: 'cuda' },
    phases: { type: 'string', default: '10' },
    dims: { type: 'string', default: '512,512,100' },
    // 0.98 mm × 0.98 mm in plane, 3 mm slices: a clinical 4D CT phase (500 mm field of view).
    spacing: { type: 'string', default: '0.98,0.98,3' },
    'max-differing-fraction': { type: 'string', default: '1e-4' },
    'model-dir': { type: 'string', default: path.join(process.cwd(), 'models', 'demo') },
    // Demo-generator patient index (seed "gpu-check"): patient 1 has a 66 cc ITV, a typical lung tumour.
    patient: { type: 'string', default: '1' },
    json: { type: 'string' },
  },
});

const provider = values.provider as ExecutionProvider;
// `--provider cpu` is the script's own self-test (the CPU against itself, so identical masks):
// it is how this script is exercised on machines without a GPU (tests/integration/gpu-check-script.test.ts).
if (provider !== 'cuda' && provider !== 'webgpu' && provider !== 'cpu') {
  console.error(`--provider ${values.provider}: use cuda or webgpu (or cpu to self-test this script).`);
  process.exit(1);
}
const phases = Number(values.phases);
const dims = values.dims.split(',').map(Number) as Vec3;
const spacingMm = values.spacing.split(',').map(Number) as Vec3;
const tolerance = Number(values['max-differing-fraction']);
if (!(phases >= 1) || dims.length !== 3 || dims.some((n) => !(n >= 16)) || spacingMm.length !== 3 || spacingMm.some((s) => !(s > 0)) || !(tolerance >= 0)) {
  console.error('--phases ≥ 1, --dims X,Y,Z (each ≥ 16), --spacing X,Y,Z mm (each > 0) and --max-differing-fraction ≥ 0 are required.');
  process.exit(1);
}

async function main(): Promise<number> {
  console.log(`GPU check: provider ${provider}, ${phases} phases of ${dims.join('×')} voxels at ${spacingMm.join('×')} mm, model ${values['model-dir']}`);
  console.log(`host: ${os.hostname()}, ${os.cpus().length} CPU cores (${os.cpus()[0]?.model ?? 'unknown'})`);

  // 1. The GPU provider must start on its own: loadModel never falls back to the CPU.
  let gpuModel;
  try {
    gpuModel = await loadModel({ modelDir: values['model-dir'], provider });
  } catch (e) {
    console.error(`FAIL: the ${provider} provider does not start: ${(e as Error).message}`);
    return 1;
  }
  const cpuModel = await loadModel({ modelDir: values['model-dir'], provider: 'cpu' });
  console.log(`model ${gpuModel.name} ${gpuModel.version} sha256 ${gpuModel.sha256}: ${provider} session started`);

  // 2. A 4D CT at the clinical size.
  const t0 = performance.now();
  const patient = generatePatient(samplePatientSpec('gpu-check', Number(values.patient)), {
    dims,
    spacingMm,
    phasePercents: Array.from({ length: phases }, (_, i) => (i * 100) / phases),
  });
  const truthVoxels = patient.phases.map((p) => p.truthGtv.data.reduce((n, v) => n + (v ? 1 : 0), 0));
  console.log(`phantom generated in ${((performance.now() - t0) / 1000).toFixed(1)} s; tumour ${truthVoxels.join(', ')} voxels per phase`);

  // Warm-up on one phase each, so the first phase's timing is not the session's start-up.
  const first = patient.phases[0]!.ct!;
  await segmentVolume({ volume: first, model: gpuModel });
  await segmentVolume({ volume: first, model: cpuModel });

  const rows: { phasePercent: number; cpuMs: number; gpuMs: number; cpuVoxels: number; gpuVoxels: number; differing: number; fraction: number }[] = [];
  for (const phase of patient.phases) {
    const ct = phase.ct!;
    let t = performance.now();
    const gpu = await segmentVolume({ volume: ct, model: gpuModel });
    const gpuMs = performance.now() - t;
    t = performance.now();
    const cpu = await segmentVolume({ volume: ct, model: cpuModel });
    const cpuMs = performance.now() - t;
    let differing = 0,
      cpuVoxels = 0,
      gpuVoxels = 0;
    const a = cpu.mask.data,
      b = gpu.mask.data;
    for (let i = 0; i < a.length; i++) {
      if (a[i]) cpuVoxels++;
      if (b[i]) gpuVoxels++;
      if ((a[i] !== 0) !== (b[i] !== 0)) differing++;
    }
    const fraction = differing / Math.max(1, cpuVoxels);
    rows.push({ phasePercent: phase.phasePercent, cpuMs, gpuMs, cpuVoxels, gpuVoxels, differing, fraction });
    console.log(
      `phase ${String(phase.phasePercent).padStart(3)} %: cpu ${(cpuMs / 1000).toFixed(2)} s, ${provider} ${(gpuMs / 1000).toFixed(2)} s ` +
        `(ratio ${(gpuMs / cpuMs).toFixed(3)}); mask ${cpuVoxels} vs ${gpuVoxels} voxels, ${differing} differ (${fraction.toExponential(2)} of the CPU mask)`,
    );
  }
  const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)]!;
  const cpuMedian = median(rows.map((r) => r.cpuMs));
  const gpuMedian = median(rows.map((r) => r.gpuMs));
  const worst = Math.max(...rows.map((r) => r.fraction));
  console.log(
    `median per phase: cpu ${(cpuMedian / 1000).toFixed(2)} s, ${provider} ${(gpuMedian / 1000).toFixed(2)} s, ratio ${(gpuMedian / cpuMedian).toFixed(3)}`,
  );
  // Two empty masks agree trivially: the comparison means something only where the model found the tumour.
  const empty = rows.filter((r) => r.cpuVoxels === 0).map((r) => r.phasePercent);
  if (empty.length) console.log(`FAIL: the CPU mask is empty at phase(s) ${empty.join(', ')} %: choose --dims/--spacing where the demo model finds the tumour`);
  const ok = worst <= tolerance && empty.length === 0;
  console.log(
    worst <= tolerance
      ? `PASS: every phase's ${provider} mask is within ${tolerance} (differing voxels / CPU mask voxels) of the CPU mask; worst ${worst.toExponential(2)}`
      : `FAIL: a phase's ${provider} mask differs from the CPU mask by ${worst.toExponential(2)} of its voxels (> ${tolerance})`,
  );
  if (values.json)
    writeFileSync(values.json, JSON.stringify({ provider, dims, phases, tolerance, model: gpuModel.sha256, rows, cpuMedian, gpuMedian, ok }, null, 2));
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`FAIL: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
