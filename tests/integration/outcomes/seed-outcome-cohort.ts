/**
 * A deterministic cohort for the outcomes tests: 36 patients with identities and outcomes (integer
 * days, so times tie), clinical columns (age, stage), and ITV metric results (overlap + voxel
 * rows) for the first 30; two more patients without outcomes. The same numbers are written to
 * outcome-cohort.csv by `npx tsx tests/integration/outcomes/write-outcome-cohort-csv.ts` for the R
 * reference (r-reference.R).
 */
import type { Db } from '@/lib/server/db/client';

export interface SeedPatient {
  pseudonym: string;
  mrn: string;
  name: string;
  localFailure: boolean;
  localFailureDays: number | null;
  died: boolean;
  deathDays: number | null;
  lastFollowUpDays: number;
  age: number;
  stage: 'I' | 'II' | 'III';
  /** null for patients without metric results. */
  fpVoxels: number | null;
  fpCc: number | null;
  fpFraction: number | null;
  dice: number | null;
  hd95Mm: number | null;
  gtvVolumesCc: number[] | null;
}

function unit(i: number, k: number): number {
  const x = Math.sin(i * 12.9898 + k * 78.233) * 43758.5453;
  return x - Math.floor(x);
}

export function outcomeCohort(): SeedPatient[] {
  const out: SeedPatient[] = [];
  for (let i = 0; i < 36; i++) {
    const hasMetrics = i < 30;
    const fpVoxels = (i * 37) % 200;
    const lfRate = 0.0008 * Math.exp(0.006 * fpVoxels);
    const lf = Math.round(-Math.log(1 - unit(i, 1)) / lfRate);
    const death = Math.round(-Math.log(1 - unit(i, 2)) / 0.0005);
    const follow = Math.round(200 + unit(i, 3) * 900);
    const end = Math.min(lf, death, follow);
    out.push({
      pseudonym: `OUT-${String(i + 1).padStart(3, '0')}`,
      mrn: `MRN${700000 + i}`,
      name: `TEST^PATIENT${i}`,
      localFailure: end === lf,
      localFailureDays: end === lf ? lf : null,
      died: end === death && end !== lf,
      deathDays: end === death && end !== lf ? death : null,
      lastFollowUpDays: end,
      age: 50 + ((i * 7) % 30),
      stage: (['I', 'II', 'III'] as const)[i % 3],
      fpVoxels: hasMetrics ? fpVoxels : null,
      fpCc: hasMetrics ? (fpVoxels * 0.9 * 0.9 * 2) / 1000 : null,
      fpFraction: hasMetrics ? ((i * 13) % 50) / 100 : null,
      dice: hasMetrics ? 0.6 + ((i * 11) % 35) / 100 : null,
      hd95Mm: hasMetrics ? 2 + ((i * 5) % 15) : null,
      gtvVolumesCc: hasMetrics ? [10 + i, 12 + i, 11 + i] : null,
    });
  }
  return out;
}

/** Physician GTV motion amplitude (mm) of patient i's latest run, written with `{ runSummaries: true }`. */
export function seedMotionMm(i: number): number {
  return 3 + ((i * 7) % 19) / 2;
}

/** FP volume below 95 % of the prescription (cc) of patient i's latest run, written with `{ runSummaries: true }`. */
export function seedFpBelow95Cc(i: number): number {
  // Every tenth patient from the fourth has an empty FP region (no volume at all below 95 %).
  if (i % 10 === 3) return 0;
  return 0.5 + ((i * 3) % 11) / 4;
}

/** FP region mean dose (Gy), FP D95 (Gy; prescription 60 Gy) and FN V95 (% of volume) of patient i's latest run (`{ runSummaries: true }`; the older run has 3× of each). */
export function seedRegionDose(i: number): { fpMeanGy: number; fpD95Gy: number; fnV95Pct: number } {
  return { fpMeanGy: 20 + ((i * 5) % 13), fpD95Gy: 10 + ((i * 7) % 17), fnV95Pct: 10 + ((i * 3) % 23) };
}

/**
 * Writes the cohort; returns the patients. Two extra patients have no outcome. With
 * `runSummaries`, each run gets its RunSummary (as a finished 4D run has) with the motion
 * amplitude `seedMotionMm(i)` for the latest run and 3× that for the older one, and a dose grid
 * with the FP region's dose metrics (volume below 95 % of the prescription `seedFpBelow95Cc(i)`,
 * 3× for the older run).
 */
export async function seedOutcomeCohort(db: Db, opts: { runSummaries?: boolean } = {}): Promise<SeedPatient[]> {
  const cohort = outcomeCohort();
  const inst = await db.institution.create({ data: { name: 'Outcomes Test Hospital' } });
  const model = await db.modelVersion.create({ data: { name: 'test-model', version: '1', sha256: 'a'.repeat(64), manifest: {} } });
  for (const [i, p] of cohort.entries()) {
    const patient = await db.patient.create({
      data: {
        pseudonym: p.pseudonym,
        institutionId: inst.id,
        identity: { create: { name: p.name, mrn: p.mrn, birthDate: new Date(Date.UTC(1950, 0, 1 + i)), dateShiftDays: -10 - i } },
        outcome: {
          create: {
            localFailure: p.localFailure,
            localFailureDays: p.localFailureDays,
            died: p.died,
            deathDays: p.deathDays,
            lastFollowUpDays: p.lastFollowUpDays,
            clinical: { age: p.age, stage: p.stage },
            source: 'test',
          },
        },
      },
    });
    if (p.fpVoxels === null) continue;
    const study = await db.study.create({
      data: { patientId: patient.id, studyInstanceUid: `2.25.${900000 + i}`, contentHash: `hash-${i}` },
    });
    const series = await db.imageSeries.create({
      data: {
        studyId: study.id,
        seriesInstanceUid: `2.25.${800000 + i}`,
        modality: 'CT',
        dims: [8, 8, 8],
        spacingMm: [0.9, 0.9, 2],
        originMm: [0, 0, 0],
        direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
      },
    });
    for (const [k, v] of p.gtvVolumesCc!.entries())
      await db.physicianStructure.create({ data: { studyId: study.id, seriesId: series.id, name: `GTV_${k * 10}`, kind: 'GTV', phaseIndex: k, volumeCc: v } });
    const ref = await db.physicianStructure.create({ data: { studyId: study.id, seriesId: series.id, name: 'ITV', kind: 'ITV', volumeCc: 20 } });
    const doseGrid = opts.runSummaries
      ? await db.doseGrid.create({
          data: {
            studyId: study.id,
            seriesId: series.id,
            sopInstanceUid: `2.25.${700000 + i}`,
            frameOfReferenceUid: `2.25.${600000 + i}`,
            units: 'GY',
            dims: [4, 4, 4],
            spacingMm: [2, 2, 4],
            originMm: [0, 0, 0],
            direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
            maxDose: 64,
            volumeKey: `${'d'.repeat(64)}.nii.gz`,
            volumeSha256: 'd'.repeat(64),
          },
        })
      : null;
    // An older run with different numbers: the dataset must use the latest one.
    for (const latest of [false, true]) {
      const run = await db.segmentationRun.create({ data: { studyId: study.id, modelVersionId: model.id, status: 'SUCCEEDED' } });
      const itv = await db.machineStructure.create({ data: { runId: run.id, kind: 'ITV', label: 'ITV' } });
      const gtv = await db.machineStructure.create({ data: { runId: run.id, kind: 'GTV', label: 'GTV:phase:0', phaseIndex: 0 } });
      const f = latest ? 1 : 3;
      if (opts.runSummaries) {
        const m = seedMotionMm(i) * f;
        await db.runSummary.create({
          data: {
            runId: run.id,
            itvDice: p.dice! / f,
            physicianMotionLrMm: m / 4,
            physicianMotionApMm: m / 3,
            physicianMotionSiMm: m,
            physicianMotionMaxMm: m,
            machineMotionMaxMm: m * 1.1,
            lowDiceThreshold: 0.5,
            largeFpCcThreshold: 5,
            distantFpMmThreshold: 10,
          },
        });
        await db.doseMetricResult.create({
          data: {
            studyId: study.id,
            runId: run.id,
            doseGridId: doseGrid!.id,
            region: 'FP',
            convention: 'iseg',
            ...(i % 10 === 3
              ? {
                  values: { volumeCc: 0, volumeBelow95PctCc: null, dmeanGy: null, d95Gy: null },
                  nullReasons: { volumeBelow95PctCc: 'EMPTY_REGION', dmeanGy: 'EMPTY_REGION', d95Gy: 'EMPTY_REGION' },
                }
              : {
                  values: {
                    volumeCc: 10 * f,
                    volumeBelow95PctCc: seedFpBelow95Cc(i) * f,
                    dmeanGy: seedRegionDose(i).fpMeanGy * f,
                    d95Gy: seedRegionDose(i).fpD95Gy * f,
                  },
                }),
            dvh: {},
            prescriptionGy: 60,
            codeVersion: 'test',
          },
        });
        await db.doseMetricResult.create({
          data: {
            studyId: study.id,
            runId: run.id,
            doseGridId: doseGrid!.id,
            region: 'FN',
            convention: 'iseg',
            values: { volumeCc: 4 * f, v95Pct: seedRegionDose(i).fnV95Pct * f },
            dvh: {},
            prescriptionGy: 60,
            codeVersion: 'test',
          },
        });
      }
      const common = { studyId: study.id, runId: run.id, referenceStructureId: ref.id, spacingMm: [0.9, 0.9, 2], dims: [8, 8, 8], codeVersion: 'test' };
      const createdAt = new Date(Date.UTC(2026, 0, latest ? 2 : 1));
      await db.metricResult.create({
        data: {
          ...common,
          createdAt,
          testStructureId: itv.id,
          convention: 'overlap',
          values: { dice: p.dice! / f, falsePositiveVoxels: p.fpVoxels * f, falsePositiveVolumeCc: p.fpCc! * f, falsePositiveFraction: p.fpFraction! / f },
        },
      });
      await db.metricResult.create({
        data: { ...common, createdAt, testStructureId: itv.id, convention: 'voxel', values: { hd95Mm: p.hd95Mm! * f }, toleranceMm: 1 },
      });
      // A GTV row with other numbers: must be ignored (the covariates are the ITV's).
      await db.metricResult.create({
        data: { ...common, createdAt, testStructureId: gtv.id, convention: 'overlap', values: { dice: 0.01, falsePositiveVoxels: 99999 } },
      });
    }
  }
  for (const k of [1, 2])
    await db.patient.create({ data: { pseudonym: `NOOUT-${k}`, institutionId: inst.id, identity: { create: { mrn: `MRN80000${k}`, dateShiftDays: -3 } } } });
  return cohort;
}
