/**
 * Generate a synthetic 4D CT lung cohort as real files.
 *
 * From the shell: `npx tsx scripts/generate-phantoms.ts --out DIR --patients N --seed S
 *   [--dims 128,128,64] [--spacing 2.5,2.5,3] [--nifti-ct] [--rtstruct] [--json]`; the demo seed
 * (seed-demo-cohort.ts) calls generatePhantomCohort directly.
 *
 * Per patient, DIR/<PatientID>/ holds
 *   dicom/phase_00 … dicom/phase_90   one DICOM CT series per respiratory phase (same study and
 *                         frame of reference; SeriesDescription "4D CT 20%", TemporalPositionIndex).
 *                         Only DICOM goes under dicom/, so the folder imports cleanly.
 *   nifti/physician_gtv_phase_XX.nii.gz, nifti/physician_itv.nii.gz     simulated physician
 *   nifti/truth_gtv_phase_XX.nii.gz, nifti/truth_itv.nii.gz             ground truth
 *   nifti/ct_phase_XX.nii.gz    the CT images as NIfTI (with --nifti-ct)
 *   dicom/rtstruct/rs_phase_XX.dcm   the physician contours (with --rtstruct)
 *   dicom/rtstruct/rs2_phase_XX.dcm  a second physician's contours, every third patient (with --rtstruct;
 *                         PatientSpec.secondObserver, docs/observers.md)
 *   dicom/rtplan/RP.dcm, dicom/rtdose/RD.dcm   the plan (prescription, fractions) and its dose
 *                         around the physician ITV (write-phantom-plan-dose.ts)
 * and DIR/cohort.json (every parameter, UID and summary) and DIR/outcomes.csv (simulated local
 * failure and death; see OUTCOME_MODEL).
 *
 * The RTSTRUCT with the physician structures is one call per patient: pass `onPatient` to
 * `generatePhantomCohort` (it gets the patient's masks, the per-phase series UIDs and SOP
 * instance UIDs, and the folder), e.g. to call lib/dicom's writeRtStruct.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  generatePatient,
  institutionOf,
  sampleCohort,
  simulateOutcomes,
  type GeneratePatientOptions,
  type PatientSpec,
  type PhantomPatient,
  type SimulatedOutcome,
} from '@/lib/core/phantom';
import { deterministicUid, writeCtSeries } from '@/lib/dicom/write-ct-series';
import { readDicom, writeRtStruct } from '@/lib/dicom';
import { writeNifti } from '@/lib/nifti';
import { writePhantomPlanDose, type WrittenPlanDose } from './write-phantom-plan-dose';

/**
 * The outcome model of the demo cohort (docs/dose-cohort.md, "Demo cohort"): the local-failure
 * hazard doubles per cc of tumour the physician ITV missed (truth ITV ∖ physician ITV) that the
 * plan gives < 95 % of its prescription (write-phantom-plan-dose.ts; tight plans leave it
 * under-dosed, generous ones cover it). That tissue is what a good machine ITV adds as "false
 * positive" against the physician, so the app's "FP volume receiving < 95 % of prescription"
 * covariate measures it. λ₀ ≈ 15% local failure at 2 years, death ≈ 30% at 2 years,
 * administrative censoring at the 2025-01-01 data cut-off (at most 5 years).
 */
export const OUTCOME_MODEL = {
  covariate: 'underdosedMissedTumourCc',
  logHazardRatioPerUnit: Math.log(2),
  baselineHazardPerDay: -Math.log(0.85) / 730,
  deathHazardPerDay: -Math.log(0.7) / 730,
  dataCutoffDate: '20250101',
  maxFollowUpDays: 1826,
} as const;

export interface PhaseSeriesInfo {
  phasePercent: number;
  seriesInstanceUid: string;
  seriesNumber: number;
  dir: string;
  sopInstanceUids: string[];
}

export interface WrittenPatient {
  dir: string;
  studyInstanceUid: string;
  frameOfReferenceUid: string;
  phases: PhaseSeriesInfo[];
  masks: Record<string, string>;
}

/** Deterministic study / frame-of-reference / per-phase series UIDs of a phantom patient. */
export function phantomUids(cohortSeed: string, patientId: string, phasePercents: readonly number[]) {
  const base = `phantom/${cohortSeed}/${patientId}`;
  return {
    studyInstanceUid: deterministicUid(`${base}/study`),
    frameOfReferenceUid: deterministicUid(`${base}/frame-of-reference`),
    seriesInstanceUids: phasePercents.map((p) => deterministicUid(`${base}/series/phase-${p}`)),
  };
}

const pad = (p: number) => String(p).padStart(2, '0');

/** Write one generated patient's CT series and masks under `dir`. */
export function writePhantomPatient(dir: string, cohortSeed: string, patient: PhantomPatient, options: { niftiCt?: boolean } = {}): WrittenPatient {
  const { spec } = patient;
  const { institution, physician } = institutionOf(spec);
  const uids = phantomUids(
    cohortSeed,
    spec.patientId,
    patient.phases.map((p) => p.phasePercent),
  );
  const phases: PhaseSeriesInfo[] = [];
  patient.phases.forEach((phase, n) => {
    if (!phase.ct) throw new Error(`Patient ${spec.patientId}: phase ${phase.phasePercent}% has no CT (renderCt was false).`);
    const phaseDir = join(dir, 'dicom', `phase_${pad(phase.phasePercent)}`);
    const seriesNumber = 100 + n;
    const files = writeCtSeries(phaseDir, phase.ct, {
      patientName: spec.name,
      patientId: spec.patientId,
      patientBirthDate: spec.birthDate,
      patientSex: spec.sex,
      studyInstanceUid: uids.studyInstanceUid,
      seriesInstanceUid: uids.seriesInstanceUids[n],
      frameOfReferenceUid: uids.frameOfReferenceUid,
      studyDate: spec.studyDate,
      studyId: '4DCT',
      accessionNumber: `SYN${spec.pseudonym.slice(3)}`,
      studyDescription: 'SYNTHETIC 4D CT THORAX',
      seriesNumber,
      seriesDescription: `4D CT ${phase.phasePercent}%`,
      manufacturer: institution.manufacturer,
      manufacturerModelName: institution.scannerModel,
      institutionName: institution.name,
      stationName: institution.stationName,
      referringPhysicianName: physician.name,
      temporalPositionIndex: n + 1,
      numberOfTemporalPositions: patient.phases.length,
      imageComments: 'SYNTHETIC PHANTOM - NOT A PATIENT',
    });
    if (options.niftiCt) {
      mkdirSync(join(dir, 'nifti'), { recursive: true });
      writeNifti(join(dir, 'nifti', `ct_phase_${pad(phase.phasePercent)}.nii.gz`), phase.ct, { intent: 'image' });
    }
    phases.push({
      phasePercent: phase.phasePercent,
      seriesInstanceUid: uids.seriesInstanceUids[n],
      seriesNumber,
      dir: phaseDir,
      sopInstanceUids: files.map((f) => f.sopInstanceUid),
    });
  });
  const masksDir = join(dir, 'nifti');
  mkdirSync(masksDir, { recursive: true });
  const masks: Record<string, string> = {};
  const put = (name: string, mask: PhantomPatient['truthItv']) => {
    const path = join(masksDir, `${name}.nii.gz`);
    writeNifti(path, mask, { intent: 'mask', description: `${spec.patientId} ${name}` });
    masks[name] = path;
  };
  for (const phase of patient.phases) {
    put(`physician_gtv_phase_${pad(phase.phasePercent)}`, phase.physicianGtv);
    put(`truth_gtv_phase_${pad(phase.phasePercent)}`, phase.truthGtv);
  }
  put('physician_itv', patient.physicianItv);
  put('truth_itv', patient.truthItv);
  return { dir, studyInstanceUid: uids.studyInstanceUid, frameOfReferenceUid: uids.frameOfReferenceUid, phases, masks };
}

function daysBetween(a: string, b: string): number {
  const t = (s: string) => Date.UTC(Number(s.slice(0, 4)), Number(s.slice(4, 6)) - 1, Number(s.slice(6, 8)));
  return Math.round((t(b) - t(a)) / 86400000);
}

export interface GenerateCohortOptions extends Pick<GeneratePatientOptions, 'dims' | 'spacingMm'> {
  out: string;
  patients: number;
  seed: string;
  niftiCt?: boolean;
  /** Also write the physician contours as RTSTRUCTs (one per phase; see writePhysicianRtStructs). */
  rtstruct?: boolean;
  /** Called after each patient is written (e.g. to add an RTSTRUCT). */
  onPatient?: (patient: PhantomPatient, written: WrittenPatient) => void | Promise<void>;
  log?: (line: string) => void;
}

/**
 * The physician's contours as a planning system exports them: one RTSTRUCT per phase with the
 * physician GTV of that phase ("GTV_20%"), the 0% one also with the physician ITV ("ITV"), each
 * referencing its phase's CT series (lib/dicom's writeRtStruct; its UIDs are random, so files
 * differ between runs while the contours do not). Returns the file per phase percent.
 */
export async function writePhysicianRtStructs(
  dicomDir: string,
  patient: PhantomPatient,
  written: WrittenPatient,
  /** Also write the second observer's RTSTRUCTs (rs2_phase_XX.dcm) when the patient has one (the demo cohort does). */
  options: { secondObserver?: boolean } = {},
): Promise<Record<number, string>> {
  const read = await readDicom(dicomDir);
  const rtDir = join(dicomDir, 'rtstruct');
  mkdirSync(rtDir, { recursive: true });
  const files: Record<number, string> = {};
  patient.phases.forEach((phase, n) => {
    const series = read.series.find((s) => s.seriesInstanceUid === written.phases[n].seriesInstanceUid);
    if (!series) throw new Error(`phantom phase ${phase.phasePercent}% series was not read back from ${dicomDir}`);
    const structures = [{ name: `GTV_${phase.phasePercent}%`, mask: phase.physicianGtv }];
    if (n === 0) structures.push({ name: 'ITV', mask: patient.physicianItv });
    const { bytes } = writeRtStruct({
      series,
      structures,
      label: `PHYS_${phase.phasePercent}`,
      now: new Date(Date.UTC(2026, 0, 1)),
      operatorsName: institutionOf(patient.spec).physician.name,
    });
    const file = join(rtDir, `rs_phase_${String(phase.phasePercent).padStart(2, '0')}.dcm`);
    writeFileSync(file, bytes);
    files[phase.phasePercent] = file;
    // The second observer (every third patient): the same ROI names, its own RTSTRUCT and OperatorsName.
    const second = patient.spec.secondObserver;
    if (options.secondObserver && second && phase.secondObserverGtv) {
      const structures2 = [{ name: `GTV_${phase.phasePercent}%`, mask: phase.secondObserverGtv }];
      if (n === 0 && patient.secondObserverItv) structures2.push({ name: 'ITV', mask: patient.secondObserverItv });
      const written2 = writeRtStruct({
        series,
        structures: structures2,
        label: `OBS2_${phase.phasePercent}`,
        now: new Date(Date.UTC(2026, 0, 2)),
        operatorsName: second.name,
      });
      writeFileSync(join(rtDir, `rs2_phase_${String(phase.phasePercent).padStart(2, '0')}.dcm`), written2.bytes);
    }
  });
  return files;
}

/** Generate and write the whole cohort; returns the manifest written to cohort.json. */
export async function generatePhantomCohort(options: GenerateCohortOptions) {
  const out = resolve(options.out);
  mkdirSync(out, { recursive: true });
  const cohort = sampleCohort({ patients: options.patients, seed: options.seed });
  const rows: Record<string, unknown>[] = [];
  const missed: number[] = [];
  const plans: WrittenPlanDose[] = [];
  const followUp: number[] = [];
  for (const spec of cohort.patients) {
    const t0 = Date.now();
    const patient = generatePatient(spec, { dims: options.dims, spacingMm: options.spacingMm });
    const written = writePhantomPatient(join(out, spec.patientId), cohort.seed, patient, { niftiCt: options.niftiCt });
    if (options.rtstruct) await writePhysicianRtStructs(join(out, spec.patientId, 'dicom'), patient, written, { secondObserver: true });
    const planDose = writePhantomPlanDose({ dicomDir: join(out, spec.patientId, 'dicom'), cohortSeed: cohort.seed, patient, ...written });
    plans.push(planDose);
    await options.onPatient?.(patient, written);
    missed.push(patient.summary.missedTumourVoxels);
    followUp.push(Math.max(1, Math.min(OUTCOME_MODEL.maxFollowUpDays, daysBetween(spec.studyDate, OUTCOME_MODEL.dataCutoffDate))));
    rows.push({
      ...spec,
      folder: spec.patientId,
      grid: patient.grid,
      tumourScale: patient.tumourScale,
      tumourExhaleCentreMm: patient.tumourExhaleCentreMm,
      uids: {
        studyInstanceUid: written.studyInstanceUid,
        frameOfReferenceUid: written.frameOfReferenceUid,
        series: written.phases.map((p) => ({ phasePercent: p.phasePercent, seriesInstanceUid: p.seriesInstanceUid, seriesNumber: p.seriesNumber })),
      },
      summary: patient.summary,
      plan: { ...planDose.plan, underdosedMissedTumourCc: planDose.underdosedMissedTumourCc },
    });
    options.log?.(
      `${spec.patientId} ${spec.name}: ${patient.summary.truthItvCc.toFixed(1)} cc ITV, ${patient.summary.missedTumourVoxels} missed voxels (${Date.now() - t0} ms)`,
    );
  }
  const outcomes: SimulatedOutcome[] = simulateOutcomes({
    covariate: plans.map((p) => p.underdosedMissedTumourCc),
    logHazardRatioPerUnit: OUTCOME_MODEL.logHazardRatioPerUnit,
    baselineHazardPerDay: OUTCOME_MODEL.baselineHazardPerDay,
    deathHazardPerDay: OUTCOME_MODEL.deathHazardPerDay,
    maxFollowUpDays: followUp,
    seed: `${cohort.seed}/outcomes`,
  });
  rows.forEach((r, n) => (r.outcome = outcomes[n]));
  const manifest = {
    generator: 'iseg-qa lib/server/seed/write-phantom-cohort.ts',
    synthetic: true,
    seed: cohort.seed,
    patients: options.patients,
    dims: options.dims ?? [128, 128, 64],
    spacingMm: options.spacingMm ?? [2.5, 2.5, 3],
    institutions: cohort.institutions,
    outcomeModel: OUTCOME_MODEL,
    cohort: rows,
  };
  writeFileSync(join(out, 'cohort.json'), JSON.stringify(manifest, null, 1) + '\n');
  const csv = [
    'patient_id,pseudonym,institution_id,missed_tumour_voxels,time_days,status,local_failure,local_failure_days,died,death_days,last_follow_up_days,prescription_gy,fractions,plan_tight,underdosed_missed_tumour_cc',
  ];
  (rows as unknown as (PatientSpec & { outcome: SimulatedOutcome })[]).forEach((r, n) => {
    const o = r.outcome;
    const f = (v: number | null) => (v === null ? '' : v.toFixed(1));
    csv.push(
      [
        r.patientId,
        r.pseudonym,
        r.institutionId,
        missed[n],
        o.competingTimeDays.toFixed(1),
        o.competingStatus,
        o.localFailure ? 1 : 0,
        f(o.localFailureDays),
        o.died ? 1 : 0,
        f(o.deathDays),
        o.lastFollowUpDays.toFixed(1),
        plans[n]!.plan.prescriptionGy,
        plans[n]!.plan.fractions,
        plans[n]!.plan.tight ? 1 : 0,
        plans[n]!.underdosedMissedTumourCc.toFixed(3),
      ].join(','),
    );
  });
  writeFileSync(join(out, 'outcomes.csv'), csv.join('\n') + '\n');
  return manifest;
}
