/**
 * Seeds a synthetic cohort for the dashboard benchmark with bulk inserts (one
 * `INSERT … SELECT FROM json_populate_recordset` per table and batch of 2,000 studies: 50,000
 * studies in minutes, where Prisma createMany took 31 min):
 * institutions, patients (with identities and date shifts), studies (date, physician,
 * scanner), and per study a succeeded segmentation run with a realistic 10-phase summary
 * (about 3 % of studies also get a later failed run, 1 % a queued one). No volumes: the cohort
 * page reads only the summaries. Deterministic for a given seed.
 */
import type { Db } from '../../lib/server/db/client';
import { Prisma } from '../../lib/server/db/generated/client';
import { runSummaryRows, type RunSummary } from '../../lib/server/runs/run-summary.types';
import { DEFAULT_FLAG_THRESHOLDS, flagCodes } from '../../lib/core/flags';

function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  return { next, normal };
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

function summaryFor(r: ReturnType<typeof prng>): RunSummary {
  const itvPhys = Math.exp(Math.log(25) + 0.8 * r.normal()); // cc, log-normal around 25 cc
  const motion = clamp(Math.abs(4 + 5 * r.normal()), 0.5, 30); // mm
  const quality = clamp(0.82 - 0.004 * motion + 0.06 * r.normal() + 0.02 * Math.log(itvPhys / 25), 0.05, 0.97);
  const phases = Array.from({ length: 10 }, (_, p) => {
    const dice = clamp(quality - 0.03 + 0.04 * r.normal(), 0, 0.98);
    const gtv = itvPhys * 0.8 * (1 + 0.05 * r.normal());
    const si = (motion / 2) * Math.cos((2 * Math.PI * p) / 10);
    return {
      phaseIndex: p,
      phasePercent: p * 10,
      machineCc: gtv * (1 + 0.1 * r.normal()),
      physicianCc: gtv,
      machineCentroidMm: [10 + r.normal(), -20 + r.normal(), si + r.normal()] as [number, number, number],
      physicianCentroidMm: [10, -20, si] as [number, number, number],
      dice,
      hd95Mm: clamp(2 + 8 * (1 - dice) + r.normal(), 0, 60),
      fpCc: clamp(gtv * (1 - dice) * 0.5 * (1 + 0.3 * r.normal()), 0, 200),
      outlier: r.next() < 0.01,
    };
  });
  const sorted = phases.map((p) => p.dice).sort((a, b) => a - b);
  const itvDice = clamp(quality + 0.03 * r.normal(), 0, 0.99);
  const fpCc = clamp(itvPhys * (1 - itvDice) * 0.5 * (1 + 0.4 * r.normal()), 0, 300);
  const largest = fpCc * clamp(0.3 + 0.5 * r.next(), 0, 1);
  const maxDist = clamp(3 + 6 * Math.abs(r.normal()), 0, 80);
  const flags: RunSummary['flags'] = flagCodes(
    { phases, itv: { dice: itvDice, physicianCc: itvPhys, largestFpRegionCc: largest, maxFpDistanceMm: maxDist } },
    DEFAULT_FLAG_THRESHOLDS,
  );
  return {
    schemaVersion: 1,
    phases,
    gtv: {
      medianDice: (sorted[4] + sorted[5]) / 2,
      minDice: sorted[0],
      medianHd95Mm: phases.map((p) => p.hd95Mm).sort((a, b) => a - b)[5],
      medianFpCc: phases.map((p) => p.fpCc).sort((a, b) => a - b)[5],
    },
    itv: {
      dice: itvDice,
      hd95Mm: clamp(3 + 10 * (1 - itvDice) + r.normal(), 0, 60),
      fpVoxels: Math.round(fpCc / 0.036),
      fpCc,
      fpFraction: fpCc / (itvPhys * 1.05),
      fnCc: itvPhys * (1 - itvDice) * 0.5,
      machineCc: itvPhys * (1.02 + 0.12 * r.normal()),
      physicianCc: itvPhys,
      maxFpDistanceMm: maxDist,
      largestFpRegionCc: largest,
    },
    motion: {
      machine: { LR: 1, AP: 2, SI: motion * (1 + 0.1 * r.normal()), maxMm: motion * 1.05 },
      physician: { LR: 1, AP: 2, SI: motion, maxMm: motion * 1.02 },
    },
    flags,
    thresholds: { ...DEFAULT_FLAG_THRESHOLDS },
  };
}

/**
 * Inserts rows (plain objects with the same keys) into a table in one statement: the rows travel
 * as one JSON parameter and json_populate_recordset turns them into the table's row type (dates as
 * ISO strings, enum arrays as JSON arrays). Columns not in the rows take their defaults.
 */
async function insertRows(db: Db, table: string, rows: object[]): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  const list = Prisma.raw(columns.map((c) => `"${c}"`).join(', '));
  const t = Prisma.raw(`"${table}"`);
  await db.$executeRaw`INSERT INTO ${t} (${list}) SELECT ${list} FROM json_populate_recordset(NULL::${t}, ${JSON.stringify(rows)}::json)`;
}

export async function seedSyntheticStudies(
  db: Db,
  { studies, seed = 20261128 }: { studies: number; seed?: number },
): Promise<{ studies: number; runs: number }> {
  const r = prng(seed);
  const institutions = ['Aarhus', 'Boston', 'Heidelberg', 'Kyoto', 'Toronto'];
  await db.institution.createMany({ data: institutions.map((name) => ({ id: `bench-inst-${name}`, name })), skipDuplicates: true });
  const models = [
    { id: 'bench-model-1', name: 'iseg', version: '1.0.0', sha256: '1'.repeat(64), manifest: {} },
    { id: 'bench-model-2', name: 'iseg', version: '1.1.0', sha256: '2'.repeat(64), manifest: {} },
  ];
  await db.modelVersion.createMany({ data: models, skipDuplicates: true });
  const physicians = Array.from({ length: 12 }, (_, i) => `Dr Bench ${String.fromCharCode(65 + i)}`);
  const scanners = ['Siemens SOMATOM go.Open Pro', 'GE Discovery RT', 'Philips Big Bore', 'Canon Aquilion LB'];
  let runs = 0;
  const batch = 2000;
  for (let start = 0; start < studies; start += batch) {
    const n = Math.min(batch, studies - start);
    const patients = [],
      identities = [],
      studyRows = [],
      runRows = [],
      summaries = [],
      phaseRows = [];
    for (let k = 0; k < n; k++) {
      const i = start + k;
      const id = `bench-${String(i).padStart(5, '0')}`;
      const inst = institutions[Math.floor(r.next() * institutions.length)];
      patients.push({ id: `${id}-p`, pseudonym: `BENCH-${String(i).padStart(5, '0')}`, institutionId: `bench-inst-${inst}` });
      identities.push({
        patientId: `${id}-p`,
        name: `Bench^Patient${i}`,
        mrn: `BMRN${100000 + i}`,
        birthDate: new Date(Date.UTC(1940 + Math.floor(r.next() * 40), 0, 1)),
        dateShiftDays: -1 - Math.floor(r.next() * 365),
      });
      const day = new Date(Date.UTC(2015, 0, 1) + Math.floor(r.next() * 3650) * 86_400_000);
      studyRows.push({
        id,
        patientId: `${id}-p`,
        studyInstanceUid: `2.25.${900000000 + i}`,
        contentHash: `bench-${i}`,
        studyDate: day,
        physician: physicians[Math.floor(r.next() * physicians.length)],
        scanner: scanners[Math.floor(r.next() * scanners.length)],
      });
      const model = r.next() < 0.3 ? 'bench-model-1' : 'bench-model-2';
      const finished = new Date(day.getTime() + 86_400_000);
      runRows.push({
        id: `${id}-r1`,
        studyId: id,
        modelVersionId: model,
        status: 'SUCCEEDED' as const,
        progress: 100,
        stage: 'done',
        queuedAt: day,
        startedAt: day,
        finishedAt: finished,
        attempts: 1,
      });
      const rows = runSummaryRows(`${id}-r1`, summaryFor(r));
      summaries.push(rows.summary);
      phaseRows.push(...rows.phases);
      const extra = r.next();
      if (extra < 0.03)
        runRows.push({
          id: `${id}-r2`,
          studyId: id,
          modelVersionId: 'bench-model-2',
          status: 'FAILED' as const,
          progress: 40,
          stage: 'segmenting GTV:phase:3',
          queuedAt: new Date(finished.getTime() + 1000),
          finishedAt: new Date(finished.getTime() + 2000),
          attempts: 3,
          error: 'Failed: Cannot read CT series from the volume store (benchmark data)',
          errorCode: 'VOLUME_UNREADABLE',
        });
      else if (extra < 0.04)
        runRows.push({
          id: `${id}-r2`,
          studyId: id,
          modelVersionId: 'bench-model-2',
          status: 'QUEUED' as const,
          queuedAt: new Date(finished.getTime() + 1000),
        });
    }
    await insertRows(db, 'Patient', patients);
    await insertRows(db, 'PatientIdentity', identities);
    await insertRows(db, 'Study', studyRows);
    // Rows with the same keys in one statement: the failed and queued runs have other columns.
    const keys = (o: object) => Object.keys(o).join();
    for (const k of new Set(runRows.map(keys)))
      await insertRows(
        db,
        'SegmentationRun',
        runRows.filter((x) => keys(x) === k),
      );
    await insertRows(db, 'RunSummary', summaries);
    await insertRows(db, 'RunPhaseSummary', phaseRows);
    runs += runRows.length;
  }
  return { studies, runs };
}
