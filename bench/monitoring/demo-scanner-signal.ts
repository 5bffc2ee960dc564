/**
 * Does the demo's scanner change (docs/monitoring.md, "The demo's scanner change") raise a
 * control-chart signal at a given demo grid? For the institution that changes scanner, every
 * demo patient is generated as the seed writes it (the new scanner's smoother kernel from the
 * change date on), its 10 phases segmented with the demo model through segmentVolume (the
 * worker's path), the machine ITV (union of the phase GTVs) compared with the physician ITV
 * (voxel Dice, as RunSummary.itvDice), and the series charted with lib/core/spc: baseline = the
 * studies before the change, EWMA (λ 0.2, L 2.86) and CUSUM (k 0.5, h 5), the stored defaults.
 *
 *   npx tsx bench/monitoring/demo-scanner-signal.ts [--patients 40] [--dims 96,96,48] [--seed iseg-demo]
 *
 * Not through the database or the worker process (the images and the model are the same).
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { generatePatient, sampleCohort } from '@/lib/core/phantom';
import { DEMO_SCANNER_CHANGE } from '@/lib/core/phantom/scanner';
import { estimateBaseline, ewmaChart, cusumChart, shewhartChart } from '@/lib/core/spc';
import type { Vec3 } from '@/lib/core/volume';
import { loadModel, segmentVolume } from '@/lib/inference';

const { values } = parseArgs({
  options: { patients: { type: 'string', default: '40' }, dims: { type: 'string', default: '96,96,48' }, seed: { type: 'string', default: 'iseg-demo' } },
});
const dims = values.dims.split(',').map(Number) as Vec3;
// The demo's fixed field of view, 320 × 320 × 192 mm (ISEG_DEMO_DIMS in lib/server/env.ts).
const spacingMm: Vec3 = [320 / dims[0], 320 / dims[1], 192 / dims[2]];

async function main(): Promise<void> {
  const cohort = sampleCohort({ patients: Number(values.patients), seed: values.seed });
  const specs = cohort.patients
    .filter((s) => s.institutionId === DEMO_SCANNER_CHANGE.institutionId)
    .sort((a, b) => a.studyDate.localeCompare(b.studyDate) || a.index - b.index);
  const model = await loadModel({ modelDir: path.join(process.cwd(), 'models', 'demo') });
  console.log(`${specs.length} studies at ${DEMO_SCANNER_CHANGE.institutionId}, grid ${dims.join('×')} (${spacingMm.map((s) => s.toFixed(2)).join(' × ')} mm)`);
  const dice: number[] = [];
  let before = 0;
  for (const spec of specs) {
    const t0 = performance.now();
    const patient = generatePatient(spec, { dims, spacingMm });
    const union = new Uint8Array(patient.physicianItv.data.length);
    for (const phase of patient.phases) {
      const { mask } = await segmentVolume({ volume: phase.ct!, model });
      for (let i = 0; i < union.length; i++) if (mask.data[i]) union[i] = 1;
    }
    let both = 0,
      a = 0,
      b = 0;
    const ref = patient.physicianItv.data;
    for (let i = 0; i < union.length; i++) {
      if (union[i]) a++;
      if (ref[i]) b++;
      if (union[i] && ref[i]) both++;
    }
    const d = a + b === 0 ? 1 : (2 * both) / (a + b);
    dice.push(d);
    const after = spec.studyDate >= DEMO_SCANNER_CHANGE.fromStudyDate;
    if (!after) before++;
    console.log(
      `${spec.studyDate} ${spec.patientId} ${after ? 'new scanner' : 'old scanner'}  ITV Dice ${d.toFixed(3)}  (machine ${a}, physician ${b} voxels; ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
  }
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const baseline = estimateBaseline(dice.slice(0, before));
  console.log(
    `mean ITV Dice before ${mean(dice.slice(0, before)).toFixed(3)} (${before}), after ${mean(dice.slice(before)).toFixed(3)} (${dice.length - before}); baseline mean ${baseline.mean.toFixed(3)}, σ ${baseline.sigma.toFixed(3)}; drop ${((mean(dice.slice(0, before)) - mean(dice.slice(before))) / baseline.sigma).toFixed(2)} σ`,
  );
  const ewma = ewmaChart(dice, baseline, { lambda: 0.2, L: 2.86 });
  const cusum = cusumChart(dice, baseline, { k: 0.5, h: 5 });
  const shewhart = shewhartChart(dice, baseline);
  const first = <T extends { outOfControl: boolean; index: number }>(pts: T[]) => pts.find((p) => p.outOfControl && p.index >= before)?.index;
  const describe = (i: number | undefined) => (i === undefined ? 'no signal' : `signal at study ${i + 1} (${i + 1 - before} after the change)`);
  console.log(
    `Shewhart: ${describe(first(shewhart))}; EWMA: ${describe(first(ewma))} (lowest z ${Math.min(...ewma.map((p) => p.statistic)).toFixed(3)}, LCL at the end ${ewma.at(-1)!.lcl.toFixed(3)}); CUSUM: ${describe(first(cusum))} (largest C− ${Math.max(...cusum.map((p) => p.lower)).toFixed(2)})`,
  );
  const falseAlarms = [...ewma, ...cusum, ...shewhart].filter((p) => p.outOfControl && p.index < before).length;
  console.log(`points out of control before the change (false alarms): ${falseAlarms}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
