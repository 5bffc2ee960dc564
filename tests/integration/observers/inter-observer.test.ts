/**
 * Two physician observers per study, end to end (docs/observers.md): the demo generator writes two
 * patients with a second observer (its own RTSTRUCTs and OperatorsName, the same ROI names) as real
 * DICOM → `iseg-qa import` → a worker process runs the segmentation (tests/fixtures/models/tiny-test)
 * and the inter-observer stage → ObserverMetric rows. Checked against independent computations:
 * the physician-vs-physician ITV Dice by counting the generator's masks here, its voxel HD95 by
 * scipy (the reference of tests/unit/metrics/random-pairs.test.ts), and the cohort summary by
 * hand from the stored rows. A researcher sees the observers as pseudonyms, a physicist by name.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '@/lib/server/auth/roles';
import { getStudyObservers } from '@/lib/server/observers/get-study-observers';
import { getStudyView } from '@/lib/server/studies/get-study-view';
import { getCohortObserverSummary } from '@/lib/server/observers/get-cohort-observer-summary';
import { physicianPseudonym } from '@/lib/server/deid/present-free-text';
import { getPseudonymSecret } from '@/lib/server/deid/get-pseudonym-secret';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { startWorker, waitFor } from '../helpers/worker-process';
import { TEST_MODELS_DIR } from '../helpers/test-models';
import { writePhantomStudy, type PhantomStudy } from '../import/phantom-fixture';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const researcher: Caller = { userId: 'u-res', email: 'res@example.org', name: 'Res', role: 'RESEARCHER' };
const physicist: Caller = { userId: 'u-phys', email: 'phys@example.org', name: 'Phys', role: 'PHYSICIST' };

// ITV + 2 phase GTVs; each: 1 physician pair + 2 machine-vs-physician + 2 consensus (majority, STAPLE); 3 conventions.
const ROWS_PER_STUDY = 3 * 5 * 3;

function dice(a: Uint8Array, b: Uint8Array): number {
  let na = 0,
    nb = 0,
    both = 0;
  for (let n = 0; n < a.length; n++) {
    na += a[n] ? 1 : 0;
    nb += b[n] ? 1 : 0;
    both += a[n] && b[n] ? 1 : 0;
  }
  return (2 * both) / (na + nb);
}

/** Voxel-convention HD95 by scipy.ndimage (as tests/reference/metrics/make-random-pairs-fixture.py). */
function scipyHd95(dir: string, a: Uint8Array, b: Uint8Array, dims: number[], spacingMm: number[]): number {
  writeFileSync(join(dir, 'a.u8'), a);
  writeFileSync(join(dir, 'b.u8'), b);
  const script = `
import sys, numpy as np
from scipy import ndimage
d = [int(x) for x in sys.argv[3].split(',')]; sp = [float(x) for x in sys.argv[4].split(',')]
load = lambda p: np.fromfile(p, dtype=np.uint8).reshape(d[2], d[1], d[0]).astype(bool)
a, b = load(sys.argv[1]), load(sys.argv[2]); s = (sp[2], sp[1], sp[0])
ea = a ^ ndimage.binary_erosion(a); eb = b ^ ndimage.binary_erosion(b)
d_ab = ndimage.distance_transform_edt(~eb, sampling=s)[ea]; d_ba = ndimage.distance_transform_edt(~ea, sampling=s)[eb]
print(repr(float(max(np.percentile(d_ab, 95), np.percentile(d_ba, 95)))))
`;
  const r = spawnSync('/usr/bin/python3', ['-c', script, join(dir, 'a.u8'), join(dir, 'b.u8'), dims.join(','), spacingMm.join(',')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`scipy reference failed (install python3-scipy and python3-numpy): ${r.error?.message ?? r.stderr}`);
  return Number(r.stdout.trim());
}

describe('two physician observers: import, inter-observer metrics, study and cohort summaries', () => {
  let t: TestDatabase;
  let tmp: string;
  let env: Record<string, string>;
  const studies: PhantomStudy[] = [];
  beforeAll(async () => {
    t = await createTestDatabase('observers');
    tmp = mkdtempSync(join(tmpdir(), 'iseg-observers-'));
    // Patients 2 and 5 of a cohort have a second observer (lib/core/phantom/cohort.ts, SECOND_OBSERVER_EVERY).
    for (const index of [2, 5])
      studies.push(await writePhantomStudy(join(tmp, `PAT${index}`), { phasePercents: [0, 50], index, seed: 'observers', secondObserver: true }));
    env = {
      DATABASE_URL: t.url,
      ISEG_VOLUME_DIR: join(tmp, 'volumes'),
      ISEG_DATA_DIR: join(tmp, 'data'),
      ISEG_MODELS_DIR: TEST_MODELS_DIR,
      ISEG_MODEL: 'tiny-test',
    };
  });
  afterAll(async () => {
    await t?.drop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('stores both observers, compares the machine with the reference one as before, and measures the rest', async () => {
    const runIds: string[] = [];
    for (const s of studies) {
      expect(s.patient.spec.secondObserver).toBeTruthy();
      const r = spawnSync(process.execPath, ['cli/iseg-qa.mjs', 'import', s.dir, '--json'], {
        cwd: root,
        env: { ...process.env, ...env },
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(r.status, r.stderr).toBe(0);
      runIds.push(JSON.parse(r.stdout).studies[0].segmentation.runId);
    }
    const worker = await startWorker(t.url, env);
    try {
      for (const runId of runIds)
        await waitFor(
          `run ${runId} and its inter-observer rows`,
          async () => {
            const run = await t.db.segmentationRun.findUnique({ where: { id: runId } });
            if (run?.status === 'FAILED') throw new Error(`run failed: ${run.error}\n${worker.output()}`);
            if (run?.status !== 'SUCCEEDED') return null;
            const n = await t.db.observerMetric.count({ where: { studyId: run.studyId } });
            return n >= ROWS_PER_STUDY ? n : null;
          },
          180_000,
        );
    } finally {
      await worker.stop();
    }

    for (const s of studies) {
      const second = s.patient.spec.secondObserver!;
      const study = await t.db.study.findFirstOrThrow({
        where: { studyInstanceUid: s.written.studyInstanceUid },
        include: { physicianStructures: true, metricResults: { include: { referenceStructure: true } } },
      });
      const reference = study.physicianStructures.filter((p) => p.referenceObserver);
      const other = study.physicianStructures.filter((p) => !p.referenceObserver);
      expect(reference.map((p) => p.kind).sort()).toEqual(['GTV', 'GTV', 'ITV']);
      expect(other.map((p) => p.kind).sort()).toEqual(['GTV', 'GTV', 'ITV']);
      expect(new Set(other.map((p) => p.observer))).toEqual(new Set([second.name]));
      // The machine-vs-physician MetricResult rows are the reference observer's only, as before observers existed.
      expect(study.metricResults.length).toBeGreaterThan(0);
      expect(study.metricResults.every((m) => m.referenceStructure.referenceObserver)).toBe(true);

      const rows = await t.db.observerMetric.findMany({ where: { studyId: study.id } });
      expect(rows).toHaveLength(ROWS_PER_STUDY);
      const count = (c: string) => rows.filter((r) => r.comparison === c && r.convention === 'overlap').length;
      expect([count('physician-physician'), count('machine-physician'), count('machine-consensus')]).toEqual([3, 6, 6]);

      // Physician vs physician ITV: the stored masks are the generator's (voxel counts), so the
      // Dice is a count over the generator's masks and the HD95 scipy's.
      const itv1 = reference.find((p) => p.kind === 'ITV')!;
      const itv2 = other.find((p) => p.kind === 'ITV')!;
      const a = s.patient.physicianItv.data;
      const b = s.patient.secondObserverItv!.data;
      expect(itv1.voxelCount).toBe(a.reduce((x, v) => x + v, 0));
      expect(itv2.voxelCount).toBe(b.reduce((x, v) => x + v, 0));
      const pp = (convention: string) => rows.find((r) => r.comparison === 'physician-physician' && r.role === 'ITV' && r.convention === convention)!;
      expect([pp('overlap').referenceStructureId, pp('overlap').testStructureId]).toEqual([itv1.id, itv2.id]);
      expect((pp('overlap').values as { dice: number }).dice).toBeCloseTo(dice(a, b), 12);
      const hd95 = scipyHd95(tmp, a, b, [...s.patient.grid.dims], [...s.patient.grid.spacingMm]);
      expect(Math.abs((pp('voxel').values as { hd95Mm: number }).hd95Mm - hd95)).toBeLessThan(1e-9 * Math.max(1, hd95));
      // The second observer is wider than the first (1–2 mm more margin): the pair disagrees, but not wholly.
      expect(dice(a, b)).toBeGreaterThan(0.3);
      expect(dice(a, b)).toBeLessThan(0.999);

      // The viewer shows the reference observer's GTVs and ITV (the second observer's files are read first: rs2_… sorts before rs_…).
      const view = await getStudyView(t.db, { caller: physicist, studyId: study.id });
      expect(view.physicianItvId).toBe(itv1.id);
      expect(view.phases.map((ph) => ph.physicianGtvId).sort()).toEqual(
        reference
          .filter((p) => p.kind === 'GTV')
          .map((p) => p.id)
          .sort(),
      );

      // Study page data: researcher sees pseudonyms, physicist the names (audited).
      const secret = await getPseudonymSecret(t.db);
      const asResearcher = (await getStudyObservers(t.db, { caller: researcher, studyId: study.id }))!;
      expect(asResearcher.observers.map((o) => o.reference)).toEqual([true, false]);
      expect(asResearcher.observers[1]!.label).toBe(physicianPseudonym(secret, second.name));
      expect(JSON.stringify(asResearcher)).not.toContain('SYNTH^');
      expect(asResearcher.itv.map((r) => r.comparison)).toEqual([
        'physician-physician',
        'machine-physician',
        'machine-physician',
        'machine-consensus',
        'machine-consensus',
      ]);
      expect(asResearcher.itv[0]!.dice).toBeCloseTo(dice(a, b), 12);
      const asPhysicist = (await getStudyObservers(t.db, { caller: physicist, studyId: study.id }))!;
      expect(asPhysicist.observers[1]!.label).toBe(second.name);
      expect(await t.db.auditEvent.count({ where: { action: 'study.observers.view', target: `study:${study.id}` } })).toBe(1);
    }

    // Cohort: by hand from the stored ITV Dice rows.
    const summary = await getCohortObserverSummary(t.db, { caller: researcher });
    expect(summary.n).toBe(2);
    const perStudy = await Promise.all(
      summary.studies.map(async (s) => {
        const rows = await t.db.observerMetric.findMany({ where: { studyId: s.studyId, role: 'ITV', convention: 'overlap' } });
        const d = (c: string) =>
          rows.filter((r) => r.comparison === c && (c !== 'machine-consensus' || r.consensus === 'majority')).map((r) => (r.values as { dice: number }).dice);
        const m = d('machine-physician');
        return { machine: (m[0]! + m[1]!) / 2, pair: d('physician-physician')[0]!, consensus: d('machine-consensus')[0]! };
      }),
    );
    expect(summary.machineVsObserversMedian).toBeCloseTo((perStudy[0]!.machine + perStudy[1]!.machine) / 2, 12);
    expect(summary.observerVsObserverMedian).toBeCloseTo((perStudy[0]!.pair + perStudy[1]!.pair) / 2, 12);
    expect(summary.machineVsConsensusMedian).toBeCloseTo((perStudy[0]!.consensus + perStudy[1]!.consensus) / 2, 12);
    // Exact signed-rank test with two non-zero differences: p = 0.5 when both have the same sign, else 1.
    const diffs = perStudy.map((s) => s.machine - s.pair);
    expect(summary.test?.p).toBe(Math.sign(diffs[0]!) === Math.sign(diffs[1]!) ? 0.5 : 1);
  }, 420_000);
});
