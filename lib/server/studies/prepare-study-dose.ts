/**
 * The dose half of the DICOM study importer (prepare-dicom-study.ts calls it):
 * RTDOSE and RTPLAN files of an upload, folder or received study.
 *
 * 1. `scanStudyDose` (with the importer's scan): which of the files lib/dicom's readDicom did not
 *    use (it reads CT and RTSTRUCT only) are RTDOSE or RTPLAN, and their sha256, so that the
 *    study's content hash covers them (re-importing the same files is a no-op; a later RTDOSE
 *    makes a different hash and merges like a later RTSTRUCT).
 * 2. `materialiseStudyDose` (with the importer's materialise): reads each (lib/dicom/rtdose.ts,
 *    rtplan.ts), links it to the CT series that shares its FrameOfReferenceUID (the planning CT
 *    first), and puts each usable dose grid in the volume store (Float32 NIfTI, Gy). The rows are
 *    written in the import's transaction (write-study.ts, merge-study.ts).
 *
 * Findings (never a failure: the study imports without the dose): a dose or plan on no frame of
 * reference of the study's CT (both UIDs named; not used), a dose lib/dicom refuses (corrupt,
 * non-uniform frame offsets, no scaling; the file named), a plan without a prescription (enter it
 * on the study page), several dose grids (which one the metrics use).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { chooseDoseGrid } from '@/lib/core/dose';
import type { Grid } from '@/lib/core/volume';
import { parseDicomBytes, str } from '@/lib/dicom/parse-file';
import { readRtDose, RT_DOSE_STORAGE } from '@/lib/dicom/rtdose';
import { readRtPlan, RT_PLAN_STORAGE } from '@/lib/dicom/rtplan';
import { putNiftiVolume, type VolumeStore } from '../storage/volume-store';
import { relativePath, relativeText } from './relative-paths';
import type { ImportFinding, PreparedSeries } from './import-study.types';

export interface DoseFileScan {
  /** RTDOSE and RTPLAN files found, with their sha256. */
  files: {
    file: string;
    kind: 'RTDOSE' | 'RTPLAN';
    sha256: string;
    frameOfReferenceUid: string | null;
    patientId: string | null;
    studyInstanceUid: string | null;
  }[];
}

export interface PreparedDoseGrid {
  sopInstanceUid: string;
  seriesInstanceUid: string | null;
  frameOfReferenceUid: string;
  /** PreparedSeries.key of the CT series it is linked to. */
  seriesKey: string;
  doseType: string | null;
  summationType: string | null;
  units: string;
  referencedPlanSopInstanceUid: string | null;
  grid: Grid;
  maxDose: number;
  volumeKey: string;
  volumeSha256: string;
}

export interface PreparedPlan {
  sopInstanceUid: string;
  label: string | null;
  prescriptionGy: number | null;
  fractions: number | null;
}

/** The IGNORED_OBJECT finding readDicom writes for RTDOSE / RTPLAN files, which this module reads instead. */
export function isDoseIgnoredFinding(f: { code: string; message: string }): boolean {
  return f.code === 'IGNORED_OBJECT' && /^\d+ (RTDOSE|RTPLAN|1\.2\.840\.10008\.5\.1\.4\.1\.1\.481\.[25]) file\(s\) ignored/.test(f.message);
}

/**
 * @param files every file of the import; @param used those readDicom used (CT slices, structure sets).
 */
export async function scanStudyDose(files: readonly string[], used: ReadonlySet<string>): Promise<DoseFileScan> {
  const out: DoseFileScan['files'] = [];
  for (const file of files) {
    if (used.has(file) || file.endsWith('DICOMDIR')) continue;
    let bytes: Uint8Array;
    try {
      const b = await readFile(file);
      bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch {
      continue; // readDicom reported it
    }
    const { parsed } = parseDicomBytes(bytes, file);
    if (!parsed) continue; // readDicom reported it (NOT_DICOM, TRUNCATED…)
    const modality = str(parsed.dataSet, 'x00080060');
    const sopClass = str(parsed.dataSet, 'x00080016');
    const kind = modality === 'RTDOSE' || sopClass === RT_DOSE_STORAGE ? 'RTDOSE' : modality === 'RTPLAN' || sopClass === RT_PLAN_STORAGE ? 'RTPLAN' : null;
    if (kind)
      out.push({
        file,
        kind,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        frameOfReferenceUid: str(parsed.dataSet, 'x00200052') ?? null,
        patientId: str(parsed.dataSet, 'x00100020')?.trim() || null,
        studyInstanceUid: str(parsed.dataSet, 'x0020000d') ?? null,
      });
  }
  return { files: out };
}

const dicomFinding = (root: string, f: { code: string; severity: ImportFinding['severity']; message: string; file?: string }): ImportFinding => ({
  code: f.code,
  severity: f.severity,
  message: relativeText(f.message, root),
  ...(f.file ? { file: relativePath(root, f.file) } : {}),
});

/**
 * Read, link and store. Appends its findings to `findings`.
 * @param series the study's CT series (prepared now, or stored for a dose imported alone; the dose links to one of them).
 */
export async function materialiseStudyDose(
  scan: DoseFileScan,
  ctx: { series: readonly Pick<PreparedSeries, 'key' | 'frameOfReferenceUid' | 'phaseIndex'>[]; store: VolumeStore; root: string; findings: ImportFinding[] },
): Promise<{ doseGrids: PreparedDoseGrid[]; plans: PreparedPlan[] }> {
  const { root, findings } = ctx;
  const rel = (p: string) => relativePath(root, p);
  // The planning CT first, then the phases in order.
  const ordered = [...ctx.series].sort((a, b) => (a.phaseIndex ?? -1) - (b.phaseIndex ?? -1));
  const ctFors = [...new Set(ordered.map((s) => s.frameOfReferenceUid).filter((u): u is string => !!u))];
  const linkTo = (forUid: string | undefined) => (forUid ? ordered.find((s) => s.frameOfReferenceUid === forUid) : undefined);
  const ctForText = ctFors.length ? ctFors.join(', ') : '(none: the CT states no FrameOfReferenceUID)';
  const doseGrids: PreparedDoseGrid[] = [];
  const plans: PreparedPlan[] = [];
  const seen = new Set<string>();
  for (const { file, kind } of scan.files) {
    const b = await readFile(file);
    const { parsed, findings: pf } = parseDicomBytes(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), file);
    findings.push(...pf.map((f) => dicomFinding(root, f)));
    if (!parsed) continue;
    if (kind === 'RTPLAN') {
      const r = readRtPlan(parsed);
      for (const f of r.findings) {
        if (f.code === 'PLAN_WITHOUT_PRESCRIPTION')
          findings.push({
            code: f.code,
            severity: 'warning',
            message: `Plan ${r.plan?.label ? `"${r.plan.label}" ` : ''}(${rel(file)}) states no prescription (no TARGET dose reference with a TargetPrescriptionDose): enter the prescription on the study page (Dose section). Until then V95 % and V100 % are empty; the other dose values are computed.`,
            file: rel(file),
          });
        else findings.push(dicomFinding(root, f));
      }
      const plan = r.plan;
      if (!plan || !plan.sopInstanceUid || seen.has(plan.sopInstanceUid)) continue;
      if (plan.frameOfReferenceUid && !linkTo(plan.frameOfReferenceUid)) {
        findings.push({
          code: 'FRAME_OF_REFERENCE_MISMATCH',
          severity: 'error',
          message: `${rel(file)}: the plan is on frame of reference ${plan.frameOfReferenceUid} but the study's CT is on ${ctForText}: the plan is not used. Check that the plan belongs to this patient and CT (export the plan of this CT).`,
          file: rel(file),
        });
        continue;
      }
      seen.add(plan.sopInstanceUid);
      plans.push({ sopInstanceUid: plan.sopInstanceUid, label: plan.label ?? null, prescriptionGy: plan.prescriptionGy, fractions: plan.fractions });
      continue;
    }
    const r = await readRtDose(parsed);
    findings.push(...r.findings.map((f) => dicomFinding(root, f)));
    const dose = r.dose;
    if (!dose) continue; // an error finding names the file and why
    if (!dose.sopInstanceUid || seen.has(dose.sopInstanceUid)) continue;
    const ct = linkTo(dose.frameOfReferenceUid);
    if (!ct || !dose.frameOfReferenceUid) {
      findings.push({
        code: 'FRAME_OF_REFERENCE_MISMATCH',
        severity: 'error',
        message: `${rel(file)}: the dose is on frame of reference ${dose.frameOfReferenceUid ?? '(none: no FrameOfReferenceUID)'} but the study's CT is on ${ctForText}: no CT series shares it, so the dose is not used. Check that the dose belongs to this CT (same plan, same patient), or import it with the CT it was planned on.`,
        file: rel(file),
      });
      continue;
    }
    seen.add(dose.sopInstanceUid);
    let maxDose = 0;
    for (const v of dose.volume.data) if (v > maxDose) maxDose = v;
    const stored = await putNiftiVolume(ctx.store, dose.volume, { intent: 'image', description: 'RTDOSE' });
    doseGrids.push({
      sopInstanceUid: dose.sopInstanceUid,
      seriesInstanceUid: dose.seriesInstanceUid ?? null,
      frameOfReferenceUid: dose.frameOfReferenceUid,
      seriesKey: ct.key,
      doseType: dose.doseType ?? null,
      summationType: dose.summationType ?? null,
      units: dose.units,
      referencedPlanSopInstanceUid: dose.referencedPlanSopInstanceUids[0] ?? null,
      grid: dose.volume.grid,
      maxDose,
      volumeKey: stored.key,
      volumeSha256: stored.sha256,
    });
  }
  const choice = chooseDoseGrid(doseGrids);
  if (choice && doseGrids.length > 1)
    findings.push({
      code: 'SEVERAL_DOSE_GRIDS',
      severity: 'info',
      message: `${choice.reason}: the dose metrics use RTDOSE ${choice.chosen.sopInstanceUid}.`,
    });
  return { doseGrids, plans };
}
