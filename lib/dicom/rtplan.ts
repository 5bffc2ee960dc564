/**
 * RT Plan (DICOM PS3.3 A.20) → the prescription a DVH is judged against.
 *
 * Prescription (C.8.8.10 RT Prescription Module): the largest TargetPrescriptionDose (300A,0026)
 * of the Dose Reference Sequence items of type TARGET (or, when no item has a type, of any item);
 * when no target item states one, a TARGET item's DeliveryMaximumDose (300A,0023) is NOT taken
 * (it is a limit, not a prescription): the plan then has no prescription
 * (PLAN_WITHOUT_PRESCRIPTION) and the user gives it (--prescription-gy, or on the study page).
 * Fractions: NumberOfFractionsPlanned (300A,0078) of the first Fraction Group (C.8.8.13).
 */
import { readFile } from 'node:fs/promises';
import { type Finding, finding } from './findings';
import { number, numbers, parseDicomBytes, type ParsedDicom, str } from './parse-file';
import { items } from './rtdose';

export const RT_PLAN_STORAGE = '1.2.840.10008.5.1.4.1.1.481.5';

export interface RtDoseReference {
  number?: number;
  /** TARGET or ORGAN_AT_RISK. */
  type?: string;
  /** SITE, COORDINATES, VOLUME, POINT. */
  structureType?: string;
  description?: string;
  targetPrescriptionDoseGy?: number;
  deliveryMaximumDoseGy?: number;
  pointMm?: [number, number, number];
}

export interface RtPlan {
  file: string;
  sopInstanceUid: string;
  label?: string;
  frameOfReferenceUid?: string;
  /** The RTSTRUCT the plan refers to (ReferencedStructureSetSequence). */
  referencedStructureSetSopInstanceUid?: string;
  doseReferences: RtDoseReference[];
  /** Total prescribed dose (Gy), or null when the plan states none. */
  prescriptionGy: number | null;
  /** The dose reference the prescription comes from (its description or number). */
  prescriptionSource: string | null;
  fractions: number | null;
  /** prescriptionGy / fractions, when both are known. */
  dosePerFractionGy: number | null;
}

export function readRtPlan(parsed: ParsedDicom): { plan: RtPlan | null; findings: Finding[] } {
  const ds = parsed.dataSet;
  const file = parsed.file;
  const findings: Finding[] = [];
  const modality = str(ds, 'x00080060');
  if (modality !== 'RTPLAN' && str(ds, 'x00080016') !== RT_PLAN_STORAGE) {
    findings.push(
      finding('IGNORED_OBJECT', 'error', `${file} is a ${modality ?? 'non-RT'} object, not an RT Plan (Modality RTPLAN): pass the plan file.`, file),
    );
    return { plan: null, findings };
  }
  const doseReferences: RtDoseReference[] = items(ds, 'x300a0010').map((it) => {
    const p = numbers(it, 'x300a0018');
    return {
      number: number(it, 'x300a0012'),
      type: str(it, 'x300a0020'),
      structureType: str(it, 'x300a0014'),
      description: str(it, 'x300a0016'),
      targetPrescriptionDoseGy: number(it, 'x300a0026'),
      deliveryMaximumDoseGy: number(it, 'x300a0023'),
      pointMm: p && p.length === 3 && p.every(Number.isFinite) ? [p[0]!, p[1]!, p[2]!] : undefined,
    };
  });
  const typed = doseReferences.some((r) => r.type);
  const candidates = doseReferences.filter(
    (r) => (typed ? r.type === 'TARGET' : true) && r.targetPrescriptionDoseGy !== undefined && r.targetPrescriptionDoseGy > 0,
  );
  const best = candidates.sort((a, b) => b.targetPrescriptionDoseGy! - a.targetPrescriptionDoseGy!)[0];
  const fg = items(ds, 'x300a0070')[0];
  const fractionsRaw = fg ? number(fg, 'x300a0078') : undefined;
  const fractions = fractionsRaw !== undefined && Number.isInteger(fractionsRaw) && fractionsRaw > 0 ? fractionsRaw : null;
  const label = str(ds, 'x300a0002');
  const name = `Plan ${label ? `"${label}" ` : ''}(${file})`;
  if (!best)
    findings.push(
      finding(
        'PLAN_WITHOUT_PRESCRIPTION',
        'warning',
        `${name} states no prescription: no ${typed ? 'TARGET ' : ''}Dose Reference item has a TargetPrescriptionDose (300A,0026)${doseReferences.length === 0 ? ' (it has no Dose Reference Sequence)' : ''}. V95 % and V100 % need one: give it (--prescription-gy, or on the study page), or export the plan with its prescription.`,
        file,
      ),
    );
  if (fractions === null)
    findings.push(
      finding(
        'MISSING_ATTRIBUTE',
        'info',
        `${name} has no NumberOfFractionsPlanned (300A,0078) in its first fraction group; the dose per fraction is unknown.`,
        file,
      ),
    );
  const prescriptionGy = best?.targetPrescriptionDoseGy ?? null;
  const ssRef = items(ds, 'x300c0060')[0];
  return {
    plan: {
      file,
      sopInstanceUid: str(ds, 'x00080018') ?? '',
      label,
      frameOfReferenceUid: str(ds, 'x00200052'),
      referencedStructureSetSopInstanceUid: ssRef ? str(ssRef, 'x00081155') : undefined,
      doseReferences,
      prescriptionGy,
      prescriptionSource: best ? (best.description ?? `dose reference ${best.number ?? '?'}`) : null,
      fractions,
      dosePerFractionGy: prescriptionGy !== null && fractions !== null ? prescriptionGy / fractions : null,
    },
    findings,
  };
}

/** Read an RTPLAN file from disk. */
export async function readRtPlanFile(path: string): Promise<{ plan: RtPlan | null; findings: Finding[] }> {
  const b = await readFile(path);
  const { parsed, findings } = parseDicomBytes(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), path);
  if (!parsed) return { plan: null, findings };
  const r = readRtPlan(parsed);
  return { plan: r.plan, findings: [...findings, ...r.findings] };
}
