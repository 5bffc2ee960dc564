/**
 * Does the demo's scanner change (docs/monitoring.md, "The demo's scanner change") raise a
 * control-chart signal? For the institution that changes scanner, every demo patient is
 * generated as the seed writes it (from the change date on, the new scanner's reconstruction:
 * smoother kernel, thick slices, calibration offset), its 10 phases segmented with the demo model
 * through segmentVolume (the worker's path), the machine ITV (union of the phase GTVs) compared
 * with the physician ITV (voxel Dice, as RunSummary.itvDice), and the series charted with
 * lib/core/spc as the demo's stored alert configuration does (DEMO_ALERT_CONFIG: its baseline of
 * the first studies, EWMA λ 0.2 L 2.86, CUSUM k 0.5 h 5, Shewhart L 3).
 *
 *   npx tsx bench/monitoring/demo-scanner-signal.ts [--patients 40] [--dims 96,96,48] [--seed iseg-demo]
 *     [--json tests/fixtures/spc/demo-scanner-signal.json] [--reuse FILE] [--institution SYN-B|all]
 *
 * --reuse FILE takes studies from an earlier --json output of the same seed, grid and model
 * instead of segmenting them again: those on the old scanner always (their images do not depend on
 * the new one), those on the new scanner only when FILE was measured with the same scanner change.
 * --institution all measures every demo study (the other institutions and the overall series show
 * whether the demo configuration raises false alarms), charting the series of each institution and
 * the overall one.
 * --json writes the measured series (the fixture tests/unit/spc/demo-scanner-signal.test.ts
 * checks the alerts on; rerun after changing the scanner change, the demo model or the cohort).
 * Not through the database or the worker process (the images and the model are the same).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import path from 'node:path';
import { generatePatient, sampleCohort } from '@/lib/core/phantom';
import { DEMO_ALERT_CONFIG, DEMO_SCANNER_CHANGE } from '@/lib/core/phantom/scanner';
import { estimateBaseline, evaluateSeriesAlerts, ewmaChart, cusumChart, shewhartChart } from '@/lib/core/spc';
import type { Vec3 } from '@/lib/core/volume';
import { loadModel, segmentVolume } from '@/lib/inference';

const { values } = parseArgs({
  options: {
    patients: { type: 'string', default: '40' },
    dims: { type: 'string', default: '96,96,48' },
    seed: { type: 'string', default: 'iseg-demo' },
    json: { type: 'string' },
    reuse: { type: 'string' },
    institution: { type: 'string', default: DEMO_SCANNER_CHANGE.institutionId },
  },
});
const dims = values.dims.split(',').map(Number) as Vec3;
// The demo's fixed field of view, 320 × 320 × 192 mm (ISEG_DEMO_DIMS in lib/server/env.ts).
const spacingMm: Vec3 = [320 / dims[0], 320 / dims[1], 192 / dims[2]];

async function main(): Promise<void> {
  const started = new Date();
  const load0 = os.loadavg()[0]!;
  const cohort = sampleCohort({ patients: Number(values.patients), seed: values.seed });
  const specs = cohort.patients
    .filter((s) => values.institution === 'all' || s.institutionId === values.institution)
    .sort((a, b) => a.studyDate.localeCompare(b.studyDate) || a.index - b.index);
  const model = await loadModel({ modelDir: path.join(process.cwd(), 'models', 'demo') });
  console.log(`${specs.length} studies at ${values.institution}, grid ${dims.join('×')} (${spacingMm.map((s) => s.toFixed(2)).join(' × ')} mm)`);
  type Reused = {
    seed: string;
    dims: number[];
    model: { sha256: string };
    change: unknown;
    studies: { patientId: string; studyDate: string; newScanner: boolean }[];
  };
  const reuse: Reused | null = values.reuse ? JSON.parse(readFileSync(values.reuse, 'utf8')) : null;
  if (reuse && (reuse.seed !== values.seed || reuse.dims.join(',') !== dims.join(',') || reuse.model.sha256 !== model.sha256))
    throw new Error(`--reuse ${values.reuse}: measured with another seed, grid or model; measure again without it.`);
  const sameChange = reuse !== null && JSON.stringify(reuse.change) === JSON.stringify(DEMO_SCANNER_CHANGE);
  const studies: {
    patientId: string;
    institutionId: string;
    studyDate: string;
    newScanner: boolean;
    itvDice: number;
    machineVoxels: number;
    physicianVoxels: number;
  }[] = [];
  for (const spec of specs) {
    const t0 = performance.now();
    const earlier = reuse?.studies.find((s) => s.patientId === spec.patientId && s.studyDate === spec.studyDate) as (typeof studies)[number] | undefined;
    if (earlier && (!earlier.newScanner || sameChange)) {
      studies.push({ ...earlier, institutionId: spec.institutionId });
      console.log(`${spec.studyDate} ${spec.patientId} ${spec.institutionId} ITV Dice ${earlier.itvDice.toFixed(3)}  (reused)`);
      continue;
    }
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
    const newScanner = spec.institutionId === DEMO_SCANNER_CHANGE.institutionId && spec.studyDate >= DEMO_SCANNER_CHANGE.fromStudyDate;
    studies.push({
      patientId: spec.patientId,
      institutionId: spec.institutionId,
      studyDate: spec.studyDate,
      newScanner,
      itvDice: d,
      machineVoxels: a,
      physicianVoxels: b,
    });
    console.log(
      `${spec.studyDate} ${spec.patientId} ${newScanner ? 'new scanner' : 'old scanner'}  ITV Dice ${d.toFixed(3)}  (machine ${a}, physician ${b} voxels; ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
  }
  const changing = studies.filter((s) => s.institutionId === DEMO_SCANNER_CHANGE.institutionId);
  const dice = changing.map((s) => s.itvDice);
  const before = changing.filter((s) => !s.newScanner).length;
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const pre = estimateBaseline(dice.slice(0, before));
  console.log(
    `mean ITV Dice before ${mean(dice.slice(0, before)).toFixed(3)} (${before}), after ${mean(dice.slice(before)).toFixed(3)} (${dice.length - before}); moving-range σ of the studies before ${pre.sigma.toFixed(3)}; drop ${((mean(dice.slice(0, before)) - mean(dice.slice(before))) / pre.sigma).toFixed(2)} σ`,
  );
  // The charts as the demo's stored alert configuration draws them: baseline = its first N studies.
  const cfg = DEMO_ALERT_CONFIG;
  const n = Math.min(cfg.baselineN, dice.length);
  const baseline = estimateBaseline(dice.slice(0, n));
  const ewma = ewmaChart(dice, baseline, { lambda: cfg.ewma.lambda, L: cfg.ewma.L });
  const cusum = cusumChart(dice, baseline, { k: cfg.cusum.k, h: cfg.cusum.h });
  const shewhart = shewhartChart(dice, baseline, { L: cfg.shewhart.L });
  const first = <T extends { outOfControl: boolean; index: number }>(pts: T[]) => pts.find((p) => p.outOfControl && p.index >= before)?.index;
  const describe = (i: number | undefined) => (i === undefined ? 'no signal' : `signal at study ${i + 1} (${i + 1 - before} after the change)`);
  console.log(`baseline: the first ${n} studies, mean ${baseline.mean.toFixed(3)}, σ ${baseline.sigma.toFixed(3)}`);
  console.log(
    `Shewhart: ${describe(first(shewhart))} (${shewhart.filter((p) => p.outOfControl).length} out); EWMA: ${describe(first(ewma))} (lowest z ${Math.min(...ewma.map((p) => p.statistic)).toFixed(3)}, LCL at the end ${ewma.at(-1)!.lcl.toFixed(3)}); CUSUM: ${describe(first(cusum))} (largest C− ${Math.max(...cusum.map((p) => p.lower)).toFixed(2)})`,
  );
  const falseAlarms = [...ewma, ...cusum, ...shewhart].filter((p) => p.outOfControl && p.index < before).length;
  console.log(`points out of control before the change (false alarms): ${falseAlarms}`);
  const alerts = evaluateSeriesAlerts(dice, cfg);
  console.log(
    `alerts (evaluateSeriesAlerts, the worker's rule): ${alerts.alerts.map((x) => `${x.chart} at study ${x.index + 1} (${x.direction})`).join(', ') || 'none'}`,
  );
  if (values.institution === 'all') {
    // Every watched series of the demo configuration's Dice: each institution and all studies.
    const groups = new Map<string, typeof studies>([['all studies', studies]]);
    for (const st of studies) groups.set(st.institutionId, [...(groups.get(st.institutionId) ?? []), st]);
    for (const [name, series] of groups) {
      const r = evaluateSeriesAlerts(
        series.map((x) => x.itvDice),
        cfg,
      );
      const list = r.alerts.map(
        (x) => `${x.chart} at ${x.index + 1} ${series[x.index]!.patientId} (${series[x.index]!.newScanner ? 'new scanner' : 'old scanner'})`,
      );
      console.log(
        `${name}: ${series.length} studies; ${r.status === 'ok' ? `baseline mean ${r.baseline.mean.toFixed(3)} σ ${r.baseline.sigma.toFixed(3)}; alerts: ${list.join(', ') || 'none'}` : r.reason}`,
      );
    }
  }
  const elapsed = (Date.now() - started.getTime()) / 1000;
  console.log(`${elapsed.toFixed(0)} s; load average ${load0.toFixed(1)} at the start, ${os.loadavg()[0]!.toFixed(1)} at the end`);
  if (values.json) {
    writeFileSync(
      values.json,
      JSON.stringify(
        {
          recipe: `npx tsx bench/monitoring/demo-scanner-signal.ts --patients ${values.patients} --dims ${values.dims} --seed ${values.seed} --json ${values.json}`,
          measured: started.toISOString(),
          host: `${os.hostname()}, ${os.cpus().length} cores, load average ${load0.toFixed(1)}–${os.loadavg()[0]!.toFixed(1)}`,
          seed: values.seed,
          patients: Number(values.patients),
          dims,
          model: { name: model.name, version: model.version, sha256: model.sha256 },
          change: DEMO_SCANNER_CHANGE,
          studies,
        },
        null,
        1,
      ) + '\n',
    );
    console.log(`wrote ${values.json}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
