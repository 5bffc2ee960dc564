/** Synthetic 4D CT lung phantom: cohort parameters, images and masks, simulated outcomes. */
export { PhantomError, type PhantomErrorCode } from './errors';
export { createRng, hash128, type Rng } from './prng';
export { PHASE_PERCENTS, breathingFraction, displacementMm } from './breathing';
export { sampleTumourShape, insideUnion, boundingRadiusMm, type Ellipsoid, type TumourShape } from './tumour';
export { buildAnatomy, backgroundHu, lungAt, TISSUE_HU, type Anatomy } from './anatomy';
export { approxSignedDistanceMm, physicianMask, sampleJitterField, jitterAt, type JitterField } from './observer';
export {
  sampleCohort,
  samplePatientSpec,
  institutionOf,
  PHANTOM_INSTITUTIONS,
  type CohortSpec,
  type PatientSpec,
  type PhantomInstitution,
  type PhantomPhysician,
} from './cohort';
export { generatePatient, phantomGrid, type GeneratePatientOptions, type PhantomPatient, type PhantomPhase, type PhantomSummary } from './generate-patient';
export { simulateOutcomes, type SimulateOutcomesInput, type SimulatedOutcome } from './simulate-outcomes';
export { PLAN_DOSE_MODEL, samplePhantomPlan, planDoseFraction, phantomPlanDose, underdosedMissedTumourCc, type PhantomPlan } from './plan-dose';
