/**
 * The plan and planned dose of one synthetic patient as a planning system exports them
 * (docs/dose-cohort.md, "Demo cohort"): dicom/rtplan/RP.dcm (prescription and fractions) and dicom/rtdose/RD.dcm
 * (PLAN dose around the physician ITV, lib/core/phantom/plan-dose.ts), in the patient's study and
 * frame of reference, so the folder imports with its CT series. UIDs are deterministic.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { phantomPlanDose, samplePhantomPlan, underdosedMissedTumourCc, type PhantomPatient, type PhantomPlan } from '@/lib/core/phantom';
import { encodeRtDose, encodeRtPlan } from '@/lib/dicom';

export interface WrittenPlanDose {
  plan: PhantomPlan;
  rtplan: string;
  rtdose: string;
  /** Truth ITV ∖ physician ITV below 95 % of the prescription (cc): the outcome covariate. */
  underdosedMissedTumourCc: number;
}

export function writePhantomPlanDose(o: {
  dicomDir: string;
  cohortSeed: string;
  patient: PhantomPatient;
  studyInstanceUid: string;
  frameOfReferenceUid: string;
}): WrittenPlanDose {
  const { spec } = o.patient;
  const plan = samplePhantomPlan(spec.seed, o.patient.grid.spacingMm);
  const dose = phantomPlanDose(o.patient.physicianItv, plan);
  const meta = {
    patientName: spec.name,
    patientId: spec.patientId,
    studyInstanceUid: o.studyInstanceUid,
    frameOfReferenceUid: o.frameOfReferenceUid,
    studyDate: spec.studyDate,
    uidSeed: `phantom/${o.cohortSeed}/${spec.patientId}/plan`,
  };
  const rp = encodeRtPlan({ ...meta, label: plan.tight ? 'SBRT_TIGHT' : 'SBRT', prescriptionGy: plan.prescriptionGy, fractions: plan.fractions });
  const rd = encodeRtDose({ ...meta, dose, referencedPlanSopInstanceUid: rp.sopInstanceUid, doseSummationType: 'PLAN' });
  const planDir = join(o.dicomDir, 'rtplan');
  const doseDir = join(o.dicomDir, 'rtdose');
  mkdirSync(planDir, { recursive: true });
  mkdirSync(doseDir, { recursive: true });
  const rtplan = join(planDir, 'RP.dcm');
  const rtdose = join(doseDir, 'RD.dcm');
  writeFileSync(rtplan, rp.bytes);
  writeFileSync(rtdose, rd.bytes);
  return {
    plan,
    rtplan,
    rtdose,
    underdosedMissedTumourCc: underdosedMissedTumourCc({
      truthItv: o.patient.truthItv,
      physicianItv: o.patient.physicianItv,
      dose,
      prescriptionGy: plan.prescriptionGy,
    }),
  };
}
