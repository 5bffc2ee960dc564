/**
 * DVHs and dose metrics of the structures of an RTSTRUCT, from files: the CT series (for the
 * grid the structures are rasterised on), the RTSTRUCT, the RTDOSE and optionally the RTPLAN
 * (prescription). The computation is lib/core/dose; this file reads, links and reports.
 * Conventions (iseg, plastimatch, dicompyler): docs/dose.md.
 */
import { readFile } from 'node:fs/promises';
import { structureDoseMetrics, type DoseConvention, type DoseMetrics } from '@/lib/core/dose';
import type { Grid } from '@/lib/core/volume';
import { DicomError, type Finding } from './findings';
import { parseDicomBytes } from './parse-file';
import { readImageHeaders } from './read-image-headers';
import { readRtStruct, type RtStructureSet } from './rtstruct';
import { findReferencedSeries, findRoi, rasterizeRoi, seriesRasterTarget } from './rasterize-roi';
import { checkDoseFrameOfReference, readRtDoseFile, type RtDose } from './rtdose';
import { readRtPlanFile, type RtPlan } from './rtplan';

export interface StructureDvhOptions {
  /** Folder (or files) of the planning CT series. */
  ct: string | readonly string[];
  rtstructFile: string;
  rtdoseFile: string;
  rtplanFile?: string;
  /** ROI names or numbers; default every ROI with CLOSED_PLANAR contours. */
  rois?: readonly string[];
  /** Overrides the plan's prescription (same units as the dose, normally Gy). */
  prescriptionGy?: number;
  convention?: DoseConvention;
  /** DVH bin width (dose units); default 0.01. */
  binWidthGy?: number;
}

export interface StructureDvh extends DoseMetrics {
  roi: { number: number; name: string; interpretedType: string | null };
  convention: DoseConvention;
}

export interface StructureDvhResult {
  ct: { seriesInstanceUid: string; frameOfReferenceUid: string | null; grid: Grid };
  dose: { file: string; units: string; doseType: string | null; summationType: string | null; frameOfReferenceUid: string | null; grid: Grid; maxDose: number };
  plan: { file: string; label: string | null; prescriptionGy: number | null; fractions: number | null } | null;
  prescriptionGy: number | null;
  prescriptionSource: 'option' | 'plan' | null;
  convention: DoseConvention;
  structures: StructureDvh[];
  findings: Finding[];
}

async function readStructureSet(file: string): Promise<RtStructureSet> {
  const b = await readFile(file);
  const { parsed, findings } = parseDicomBytes(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), file);
  if (!parsed) throw new DicomError('INVALID_INPUT', findings.map((f) => f.message).join(' '), findings);
  return readRtStruct(parsed);
}

/**
 * @throws DicomError('INVALID_INPUT') when a file cannot be used at all (an unreadable dose or
 *   structure set, no matching CT series, an ROI that does not exist); everything else is a finding.
 */
export async function computeStructureDvhs(options: StructureDvhOptions): Promise<StructureDvhResult> {
  const convention = options.convention ?? 'iseg';
  const findings: Finding[] = [];
  const doseRead = await readRtDoseFile(options.rtdoseFile);
  findings.push(...doseRead.findings);
  if (!doseRead.dose)
    throw new DicomError(
      'INVALID_INPUT',
      doseRead.findings
        .filter((f) => f.severity === 'error')
        .map((f) => f.message)
        .join(' ') || `${options.rtdoseFile}: not a usable RT Dose.`,
      doseRead.findings,
    );
  const dose: RtDose = doseRead.dose;
  let plan: RtPlan | null = null;
  if (options.rtplanFile) {
    const p = await readRtPlanFile(options.rtplanFile);
    findings.push(...p.findings.filter((f) => !(options.prescriptionGy !== undefined && f.code === 'PLAN_WITHOUT_PRESCRIPTION')));
    if (!p.plan) throw new DicomError('INVALID_INPUT', p.findings.map((f) => f.message).join(' '), p.findings);
    plan = p.plan;
  }
  const ss = await readStructureSet(options.rtstructFile);
  findings.push(...ss.findings);
  // The CT's grid is all a DVH needs of it: its headers, not its pixels.
  const imp = await readImageHeaders(options.ct);
  findings.push(...imp.findings.filter((f) => f.severity !== 'info'));
  const ref = findReferencedSeries(ss, imp.series);
  findings.push(...ref.findings);
  const series = ref.series;
  if (!series) throw new DicomError('INVALID_INPUT', ref.findings.map((f) => f.message).join(' '), findings);
  const target = seriesRasterTarget(series);
  if (!target)
    throw new DicomError(
      'INVALID_INPUT',
      `Series ${series.seriesInstanceUid} has no usable grid: ${series.findings.map((f) => f.message).join(' ')}`,
      series.findings,
    );
  const fr = checkDoseFrameOfReference(dose, series.frameOfReferenceUid, `CT series ${series.seriesInstanceUid}`);
  if (fr) findings.push(fr);

  const prescriptionGy = options.prescriptionGy ?? plan?.prescriptionGy ?? null;
  const prescriptionSource = options.prescriptionGy !== undefined ? 'option' : plan?.prescriptionGy != null ? 'plan' : null;
  const wanted =
    options.rois && options.rois.length > 0
      ? options.rois.map((name) => {
          const r = findRoi(ss, name);
          if (!r)
            throw new DicomError(
              'INVALID_INPUT',
              `No ROI "${name}" in ${ss.file}; it has: ${ss.rois.map((x) => `${x.number} "${x.name}"`).join(', ') || 'none'}.`,
            );
          return r;
        })
      : ss.rois.filter((r) => r.contours.some((c) => c.geometricType === 'CLOSED_PLANAR'));

  const structures: StructureDvh[] = [];
  let maxDose = 0;
  for (const v of dose.volume.data) if (v > maxDose) maxDose = v;
  for (const roi of wanted) {
    const res = rasterizeRoi({ structureSet: ss, roi: roi.number, ...target });
    findings.push(...res.findings);
    if (!res.mask) continue;
    const contours = roi.contours.filter((c) => c.geometricType === 'CLOSED_PLANAR' && c.pointsMm.every(Number.isFinite));
    const m = structureDoseMetrics({
      dose: dose.volume,
      mask: res.mask,
      bounds: res.bounds,
      contours,
      convention,
      prescription: prescriptionGy ?? undefined,
      binWidth: options.binWidthGy,
    });
    if (m.outsideVolumeCc > 0)
      findings.push({
        code: 'STRUCTURE_OUTSIDE_DOSE',
        severity: 'warning',
        message: `ROI ${roi.number} "${roi.name}": ${Number(m.outsideVolumeCc.toFixed(3))} cc of ${Number(m.volumeCc.toFixed(3))} cc lie outside the dose grid of ${dose.file} and count as 0 Gy. Check that the dose covers the structure (dose grid size in the planning system).`,
        file: dose.file,
      });
    structures.push({ roi: { number: roi.number, name: roi.name, interpretedType: roi.interpretedType ?? null }, ...m });
  }
  return {
    ct: { seriesInstanceUid: series.seriesInstanceUid, frameOfReferenceUid: series.frameOfReferenceUid ?? null, grid: target.grid },
    dose: {
      file: dose.file,
      units: dose.units,
      doseType: dose.doseType ?? null,
      summationType: dose.summationType ?? null,
      frameOfReferenceUid: dose.frameOfReferenceUid ?? null,
      grid: dose.volume.grid,
      maxDose,
    },
    plan: plan ? { file: plan.file, label: plan.label ?? null, prescriptionGy: plan.prescriptionGy, fractions: plan.fractions } : null,
    prescriptionGy,
    prescriptionSource,
    convention,
    structures,
    findings,
  };
}
