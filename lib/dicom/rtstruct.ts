/**
 * RT Structure Set → our types: ROIs (number, name, interpreted type), their contours (geometric
 * type, points in patient mm, referenced image SOP instances) and the referenced frame of
 * reference, study and series.
 * Reference: DICOM PS3.3 C.8.8.5 (Structure Set), C.8.8.6 (ROI Contour), C.8.8.8 (RT ROI
 * Observations).
 */
import type { DataSet, Element } from './parser';
import { type Finding, finding } from './findings';
import { type ParsedDicom, number, numbers, str } from './parse-file';

export const RT_STRUCTURE_SET_STORAGE = '1.2.840.10008.5.1.4.1.1.481.3';

export type ContourGeometricType = 'CLOSED_PLANAR' | 'OPEN_PLANAR' | 'OPEN_NONPLANAR' | 'POINT' | string;

export interface RtContour {
  geometricType: ContourGeometricType;
  /** Flat [x0, y0, z0, …] in patient mm (LPS). */
  pointsMm: Float64Array;
  /** ReferencedSOPInstanceUID of each Contour Image Sequence item (usually one CT slice). */
  referencedSopInstanceUids: string[];
}

export interface RtRoi {
  number: number;
  name: string;
  /** ReferencedFrameOfReferenceUID of the Structure Set ROI item. */
  frameOfReferenceUid?: string;
  /** RTROIInterpretedType (GTV, CTV, ORGAN, EXTERNAL, …), if an observation gives one. */
  interpretedType?: string;
  /** ROIDisplayColor [r, g, b] 0–255. */
  color?: [number, number, number];
  contours: RtContour[];
}

export interface RtStructureSet {
  file: string;
  sopInstanceUid: string;
  seriesInstanceUid?: string;
  studyInstanceUid?: string;
  patientId?: string;
  label?: string;
  /** OperatorsName (0008,1070): who drew it, when the planning system writes it (lib/server/observers). */
  operatorsName?: string;
  /** FrameOfReferenceUID of the first Referenced Frame of Reference item. */
  frameOfReferenceUid?: string;
  /** SeriesInstanceUIDs named in RT Referenced Series items. */
  referencedSeriesUids: string[];
  /** Image SOP instances named in the Contour Image Sequences of the referenced series. */
  referencedImageSopUids: string[];
  rois: RtRoi[];
  findings: Finding[];
}

function items(ds: DataSet, tag: string): DataSet[] {
  const el: Element | undefined = ds.elements[tag];
  return (el?.items ?? []).map((it) => it.dataSet).filter((d): d is DataSet => d !== undefined);
}

/**
 * Read a parsed RTSTRUCT. Never throws: inconsistencies become findings (a contour whose
 * NumberOfContourPoints disagrees with its data, a contour block for an undeclared ROI, an ROI
 * without contours, POINT/OPEN contours — kept here with their type, skipped by rasterisation).
 */
export function readRtStruct(parsed: ParsedDicom): RtStructureSet {
  const ds = parsed.dataSet;
  const file = parsed.file;
  const findings: Finding[] = [];
  const referencedSeriesUids: string[] = [];
  const referencedImageSopUids: string[] = [];
  let frameOfReferenceUid: string | undefined;
  for (const fr of items(ds, 'x30060010')) {
    frameOfReferenceUid ??= str(fr, 'x00200052');
    for (const study of items(fr, 'x30060012'))
      for (const ser of items(study, 'x30060014')) {
        const uid = str(ser, 'x0020000e');
        if (uid) referencedSeriesUids.push(uid);
        for (const img of items(ser, 'x30060016')) {
          const sop = str(img, 'x00081155');
          if (sop) referencedImageSopUids.push(sop);
        }
      }
  }
  const rois = new Map<number, RtRoi>();
  for (const it of items(ds, 'x30060020')) {
    const n = number(it, 'x30060022');
    if (n === undefined) {
      findings.push(
        finding(
          'MISSING_ATTRIBUTE',
          'warning',
          `${file}: a Structure Set ROI item has no ROINumber (3006,0022); it is ignored. Check the exporting system.`,
          file,
        ),
      );
      continue;
    }
    rois.set(n, { number: n, name: str(it, 'x30060026') ?? `ROI ${n}`, frameOfReferenceUid: str(it, 'x30060024'), contours: [] });
  }
  for (const it of items(ds, 'x30060039')) {
    const n = number(it, 'x30060084');
    let roi = n === undefined ? undefined : rois.get(n);
    if (!roi) {
      findings.push(
        finding(
          'MISSING_ATTRIBUTE',
          'warning',
          `${file}: ROI Contour item references ROI number ${n ?? '(none)'}, which the Structure Set ROI Sequence does not declare; its contours are kept under that number without a name.`,
          file,
        ),
      );
      if (n === undefined) continue;
      roi = { number: n, name: `ROI ${n}`, contours: [] };
      rois.set(n, roi);
    }
    const color = numbers(it, 'x3006002a');
    if (color && color.length === 3 && color.every(Number.isFinite)) roi.color = color as [number, number, number];
    for (const c of items(it, 'x30060040')) {
      const data = numbers(c, 'x30060050') ?? [];
      const declared = number(c, 'x30060046');
      const type = str(c, 'x30060042') ?? 'CLOSED_PLANAR';
      const refs = items(c, 'x30060016')
        .map((img) => str(img, 'x00081155'))
        .filter((u): u is string => !!u);
      const usable = data.length - (data.length % 3);
      const countOff = data.length % 3 !== 0 || (declared !== undefined && declared * 3 !== data.length);
      const nonNumeric = data.filter((v) => !Number.isFinite(v)).length;
      if (countOff || nonNumeric > 0)
        findings.push(
          finding(
            'MISSING_ATTRIBUTE',
            'warning',
            `${file}: ROI ${roi.number} "${roi.name}" has a contour with ${data.length} coordinates${countOff && declared !== undefined ? ` but NumberOfContourPoints ${declared}` : ''}${nonNumeric > 0 ? `${countOff ? ' and' : ','} ${nonNumeric} of them not numbers` : ''}; check the ContourData of that ROI.`,
            file,
          ),
        );
      roi.contours.push({ geometricType: type, pointsMm: Float64Array.from(data.slice(0, usable)), referencedSopInstanceUids: refs });
    }
  }
  for (const obs of items(ds, 'x30060080')) {
    const n = number(obs, 'x30060084');
    const roi = n === undefined ? undefined : rois.get(n);
    const t = str(obs, 'x300600a4');
    if (roi && t) roi.interpretedType = t;
  }
  const list = [...rois.values()].sort((a, b) => a.number - b.number);
  for (const roi of list) {
    if (roi.contours.length === 0) findings.push(finding('ROI_WITHOUT_CONTOURS', 'info', `${file}: ROI ${roi.number} "${roi.name}" has no contours.`, file));
    const byType = new Map<string, number>();
    for (const c of roi.contours) if (c.geometricType !== 'CLOSED_PLANAR') byType.set(c.geometricType, (byType.get(c.geometricType) ?? 0) + 1);
    for (const [t, count] of byType)
      findings.push(
        finding(
          'UNSUPPORTED_CONTOUR_TYPE',
          'warning',
          `${file}: ROI ${roi.number} "${roi.name}" has ${count} ${t} contour(s); only CLOSED_PLANAR contours are rasterised, these are skipped.`,
          file,
        ),
      );
  }
  return {
    file,
    sopInstanceUid: str(ds, 'x00080018') ?? '',
    seriesInstanceUid: str(ds, 'x0020000e'),
    studyInstanceUid: str(ds, 'x0020000d'),
    patientId: str(ds, 'x00100020'),
    label: str(ds, 'x30060002'),
    operatorsName: str(ds, 'x00081070'),
    frameOfReferenceUid,
    referencedSeriesUids,
    referencedImageSopUids,
    rois: list,
    findings,
  };
}

/** Number of points in a contour. */
export function contourPointCount(c: RtContour): number {
  return c.pointsMm.length / 3;
}
