/**
 * A physicist enters the prescription of a study whose plan states none (the import's
 * PLAN_WITHOUT_PRESCRIPTION finding), or whose dose came without a plan: the study's plan is
 * updated (or, without an RTPLAN, created) with the prescription and `source` "entered by
 * <email>", in one transaction with the audit event `study.prescription_entered` (study, Gy,
 * fractions, the value before). Then the study's dose metrics are recomputed (V95 %, V100 % and
 * the volume below 95 % need it; compute-study-dose-metrics.ts).
 *
 * A prescription stated by the RTPLAN is not overwritten (CONFLICT): the plan is the record;
 * re-export it if it is wrong. An entered one may be entered again (corrected).
 *
 * Permission: dose:enter-prescription (physicist; lib/server/auth/roles.ts), its own permission
 * so that who may state a plan's dose can change without changing who chooses reference structures.
 *
 * @throws AppError UNAUTHORIZED / FORBIDDEN, NOT_FOUND (study), INVALID_INPUT (dose or fractions
 *   out of range), CONFLICT (the RTPLAN states a prescription).
 */
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import { AppError } from '../errors';
import { recordAuditEvent } from '../audit/record-audit-event';
import type { VolumeStore } from '../storage/volume-store';
import { choosePlan, computeStudyDoseMetrics } from './compute-study-dose-metrics';

/** Largest total prescription accepted (Gy): above every external-beam course. */
export const MAX_PRESCRIPTION_GY = 150;

export interface EnterPrescriptionResult {
  planId: string;
  prescriptionGy: number;
  fractions: number | null;
  /** Dose metric rows recomputed (0 when the study has no dose grid yet). */
  recomputedRows: number;
}

export async function enterPrescription(o: {
  db: Db;
  store: VolumeStore;
  caller: Caller | null | undefined;
  studyId: string;
  prescriptionGy: number;
  fractions?: number | null;
  codeVersion: string;
}): Promise<EnterPrescriptionResult> {
  const caller = authorize(o.caller, 'dose:enter-prescription');
  const { db, studyId } = o;
  const gy = o.prescriptionGy;
  if (typeof gy !== 'number' || !Number.isFinite(gy) || gy <= 0 || gy > MAX_PRESCRIPTION_GY)
    throw new AppError(
      'INVALID_INPUT',
      `The prescription must be a total dose in Gy above 0 and at most ${MAX_PRESCRIPTION_GY} (got ${String(gy)}): enter the plan's total prescribed dose, e.g. 60.`,
    );
  const fx = o.fractions ?? null;
  if (fx !== null && (!Number.isInteger(fx) || fx < 1 || fx > 100))
    throw new AppError('INVALID_INPUT', `The number of fractions must be a whole number from 1 to 100 (got ${String(fx)}); leave it empty when unknown.`);
  const study = await db.study.findUnique({ where: { id: studyId }, select: { id: true, patientId: true } });
  if (!study) throw new AppError('NOT_FOUND', `Study ${studyId} does not exist (deleted, or a wrong link).`);
  const source = `entered by ${caller.email}`;
  const planId = await db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM "Study" WHERE id = ${studyId} FOR UPDATE`;
    const plans = await tx.treatmentPlan.findMany({ where: { studyId } });
    const grid = await tx.doseGrid.findFirst({ where: { studyId }, orderBy: { createdAt: 'asc' }, select: { referencedPlanSopInstanceUid: true } });
    const plan = choosePlan(plans, grid?.referencedPlanSopInstanceUid ?? null);
    if (plan && plan.prescriptionGy !== null && plan.source === 'RTPLAN')
      throw new AppError(
        'CONFLICT',
        `The plan${plan.label ? ` "${plan.label}"` : ''} of study ${studyId} states a prescription of ${plan.prescriptionGy} Gy (RTPLAN); it is not overwritten. If it is wrong, correct the plan in the planning system and import it again.`,
      );
    const data = { prescriptionGy: gy, source, ...(fx !== null ? { fractions: fx } : {}) };
    const row = plan
      ? await tx.treatmentPlan.update({ where: { id: plan.id }, data })
      : await tx.treatmentPlan.create({ data: { studyId, label: null, fractions: fx, prescriptionGy: gy, source } });
    await recordAuditEvent(tx, {
      action: 'study.prescription_entered',
      caller,
      patientId: study.patientId,
      target: `study:${studyId}`,
      details: {
        planId: row.id,
        prescriptionGy: gy,
        fractions: row.fractions,
        before: plan ? { prescriptionGy: plan.prescriptionGy, source: plan.source } : null,
      },
    });
    return row.id;
  });
  const r = await computeStudyDoseMetrics({ db, store: o.store, studyId, codeVersion: o.codeVersion });
  const saved = await db.treatmentPlan.findUniqueOrThrow({ where: { id: planId } });
  return { planId, prescriptionGy: gy, fractions: saved.fractions, recomputedRows: r.rows };
}
