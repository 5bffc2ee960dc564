/**
 * Held-out evaluation of the demo model THROUGH THE PIPELINE: loadModel (hash + signature
 * verified, onnxruntime-node) → segmentVolume (resample, normalise, sliding window, threshold,
 * post-process) → computeMetrics against the phantom's truth GTV and the simulated physician GTV.
 *
 *   npx tsx models/demo/train/evaluate.ts [--seed demo-heldout] [--patients 12] [--phases 0,50]
 *       [--dims 96,96,48] [--threads 2] [--model-dir models/demo] [--json FILE] [--record]
 *
 * Patients come from lib/core/phantom with a cohort seed the model never saw (training used
 * "demo-train"); the grid is the demo cohort's (320 × 320 × 192 mm field of view / dims).
 * Prints one line per case and median [IQR] (quartiles by linear interpolation). With --record,
 * the summary is written into the model's manifest.json under training.heldOut and appended to
 * training.notes (the ONNX file and its sha256 are not touched).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { computeMetrics } from '@/lib/core/metrics';
import { generatePatient, sampleCohort } from '@/lib/core/phantom';
import type { Vec3 } from '@/lib/core/volume';
import { loadModel, segmentVolume } from '@/lib/inference';

/** Quantile q ∈ [0, 1] of a sample, linear interpolation between order statistics (R type 7). */
export function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  return s[lo] + (h - lo) * ((s[Math.min(lo + 1, s.length - 1)] ?? s[lo]) - s[lo]);
}

const fmt = (v: readonly number[]) => `${quantile(v, 0.5).toFixed(3)} [${quantile(v, 0.25).toFixed(3)}–${quantile(v, 0.75).toFixed(3)}]`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: 'demo-heldout' },
      patients: { type: 'string', default: '12' },
      phases: { type: 'string', default: '0,50' },
      dims: { type: 'string', default: '96,96,48' },
      threads: { type: 'string', default: '2' },
      'model-dir': { type: 'string', default: 'models/demo' },
      json: { type: 'string' },
      record: { type: 'boolean', default: false },
    },
  });
  const dims = values.dims!.split(',').map(Number) as Vec3;
  const FOV_MM = [320, 320, 192];
  const spacingMm = dims.map((d, a) => FOV_MM[a] / d) as Vec3;
  const phasePercents = values.phases!.split(',').map(Number);
  const model = await loadModel({ modelDir: values['model-dir']!, intraOpThreads: Number(values.threads) });
  console.log(
    `model ${model.name} ${model.version} sha256 ${model.sha256}; held-out seed "${values.seed}", ${values.patients} patients, phases ${phasePercents.join(',')}, dims ${dims.join('x')}`,
  );
  const rows: Record<string, unknown>[] = [];
  const vsTruth: number[] = [],
    vsPhysician: number[] = [],
    physicianVsTruth: number[] = [];
  let ms = 0;
  for (const spec of sampleCohort({ patients: Number(values.patients), seed: values.seed! }).patients) {
    const p = generatePatient(spec, { dims, spacingMm, phasePercents });
    for (const [f, ph] of p.phases.entries()) {
      const seg = await segmentVolume({ volume: ph.ct!, model });
      ms += seg.timingsMs.total;
      const t = computeMetrics({ reference: ph.truthGtv.data, test: seg.mask.data, grid: p.grid, conventions: ['voxel'] });
      const d = computeMetrics({ reference: ph.physicianGtv.data, test: seg.mask.data, grid: p.grid, conventions: ['voxel'] });
      const pt = p.summary.gtvDice[f];
      const row = {
        patient: spec.index,
        phasePercent: ph.phasePercent,
        truthVoxels: t.referenceVoxels,
        modelVoxels: t.testVoxels,
        diceVsTruth: t.dice ?? 0,
        hd95VsTruthMm: t.voxel?.hd95Mm ?? null,
        diceVsPhysician: d.dice ?? 0,
        physicianVsTruthDice: pt,
        ms: Math.round(seg.timingsMs.total),
      };
      rows.push(row);
      vsTruth.push(row.diceVsTruth);
      vsPhysician.push(row.diceVsPhysician);
      physicianVsTruth.push(pt);
      console.log(
        `p${spec.index} phase ${ph.phasePercent}: truth ${row.truthVoxels} vox, model ${row.modelVoxels} vox, Dice vs truth ${row.diceVsTruth.toFixed(3)}, vs physician ${row.diceVsPhysician.toFixed(3)} (physician vs truth ${pt.toFixed(3)}), ${row.ms} ms`,
      );
    }
  }
  const summary = {
    cases: rows.length,
    diceVsTruth: { median: quantile(vsTruth, 0.5), q1: quantile(vsTruth, 0.25), q3: quantile(vsTruth, 0.75), min: Math.min(...vsTruth) },
    diceVsPhysician: { median: quantile(vsPhysician, 0.5), q1: quantile(vsPhysician, 0.25), q3: quantile(vsPhysician, 0.75) },
    physicianVsTruthDice: { median: quantile(physicianVsTruth, 0.5), q1: quantile(physicianVsTruth, 0.25), q3: quantile(physicianVsTruth, 0.75) },
    meanMsPerPhase: ms / rows.length,
  };
  console.log(`\n${rows.length} cases. Dice vs truth: median [IQR] ${fmt(vsTruth)} (min ${summary.diceVsTruth.min.toFixed(3)})`);
  console.log(`Dice vs physician: ${fmt(vsPhysician)}; physician vs truth (reference): ${fmt(physicianVsTruth)}`);
  console.log(`mean ${summary.meanMsPerPhase.toFixed(0)} ms per phase through segmentVolume`);
  if (values.record) {
    const manifestPath = join(values['model-dir']!, 'manifest.json');
    const raw = JSON.parse(readFileSync(manifestPath, 'utf8'));
    const line = `Held-out (seed "${values.seed}", ${values.patients} patients x phases ${phasePercents.join(',')} = ${rows.length} CTs, through loadModel + segmentVolume): Dice vs truth GTV median [IQR] ${fmt(vsTruth)}, vs simulated physician ${fmt(vsPhysician)}.`;
    raw.training.notes = String(raw.training.notes).replace(/ ?Held-out.*$/, '') + ' ' + line;
    raw.training.heldOut = {
      seed: values.seed,
      patients: Number(values.patients),
      phasePercents,
      dims,
      cases: rows.length,
      diceVsTruth: summary.diceVsTruth,
      diceVsPhysician: summary.diceVsPhysician,
    };
    writeFileSync(manifestPath, JSON.stringify(raw, null, 2) + '\n');
    console.log(`recorded in ${manifestPath}`);
  }
  if (values.json)
    writeFileSync(
      values.json,
      JSON.stringify(
        { model: { name: model.name, version: model.version, sha256: model.sha256 }, seed: values.seed, dims, spacingMm, phasePercents, summary, rows },
        null,
        2,
      ) + '\n',
    );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
