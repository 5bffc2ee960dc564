/**
 * RT Dose (DICOM PS3.3 A.18, C.8.8.3 RT Dose Module) → a dose volume on its own grid, with
 * findings for everything that makes the dose doubtful or unusable.
 *
 * Geometry (C.8.8.3.2): frame k lies at ImagePositionPatient + n · GridFrameOffsetVector[k], n the
 * slice normal (row cosine × column cosine). The vector is relative when its first value is 0;
 * otherwise it holds absolute positions along n (allowed for axial grids only) and is made
 * relative by subtracting the position of ImagePositionPatient along n. Frames must be evenly
 * spaced (DOSE_FRAME_OFFSET_NONUNIFORM otherwise: the dose is refused). Frames in decreasing
 * order are kept in file order, the grid's k axis then points along −n.
 *
 * Values: dose = stored value × DoseGridScaling (C.8.8.3.1), in DoseUnits (GY or RELATIVE).
 * Pixel data: native (little or big endian) and every encapsulated syntax decode-frame.ts reads
 * (RLE included), 16 or 32 bits, unsigned or signed.
 */
import { readFile } from 'node:fs/promises';
import type { Grid, Volume, Vec3 } from '@/lib/core/volume';
import { type Finding, finding } from './findings';
import { EXPLICIT_VR_BE, number, numbers, parseDicomBytes, type ParsedDicom, str } from './parse-file';
import type { DataSet } from './parser';
import { readEncapsulatedFrames } from './encapsulated-frames';
import { decodeFrame } from './decode-frame';
import { describeTransferSyntax, transferSyntaxInfo } from './transfer-syntaxes';

export const RT_DOSE_STORAGE = '1.2.840.10008.5.1.4.1.1.481.2';

export interface RtDose {
  file: string;
  sopInstanceUid: string;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  frameOfReferenceUid?: string;
  /** SOP instances of the RTPLAN(s) the dose belongs to (ReferencedRTPlanSequence). */
  referencedPlanSopInstanceUids: string[];
  /** DoseUnits: 'GY' or 'RELATIVE' (anything else kept as written, with a finding). */
  units: string;
  /** DoseType: PHYSICAL, EFFECTIVE, ERROR. */
  doseType?: string;
  /** DoseSummationType: PLAN, MULTI_PLAN, FRACTION, BEAM, BRACHY, CONTROL_POINT, … */
  summationType?: string;
  scaling: number;
  /** GridFrameOffsetVector made relative to the first frame's plane, mm. */
  frameOffsetsMm: number[];
  /** Dose (stored × scaling, in `units`) on the dose grid; index i + nx·(j + ny·k), k = frame. */
  volume: Volume<Float32Array>;
}

const fmt = (v: number) => Number(v.toFixed(4)).toString();

/**
 * Read an RTDOSE data set.
 * @returns the dose, or null with at least one error finding saying why it cannot be used.
 *   Never throws for bad content.
 */
export async function readRtDose(parsed: ParsedDicom): Promise<{ dose: RtDose | null; findings: Finding[] }> {
  const ds = parsed.dataSet;
  const file = parsed.file;
  const findings: Finding[] = [];
  const refuse = (code: Finding['code'], message: string) => {
    findings.push(finding(code, 'error', `${file}: ${message}`, file));
    return { dose: null, findings };
  };
  const modality = str(ds, 'x00080060');
  if (modality !== 'RTDOSE' && str(ds, 'x00080016') !== RT_DOSE_STORAGE)
    return refuse('IGNORED_OBJECT', `is a ${modality ?? 'non-RT'} object, not an RT Dose (Modality RTDOSE): pass the dose file.`);
  const rows = ds.uint16('x00280010');
  const columns = ds.uint16('x00280011');
  const bitsAllocated = ds.uint16('x00280100');
  const bitsStored = ds.uint16('x00280101') ?? bitsAllocated;
  const pixelRepresentation = ds.uint16('x00280103') ?? 0;
  const samplesPerPixel = ds.uint16('x00280002') ?? 1;
  const ipp = numbers(ds, 'x00200032');
  const iop = numbers(ds, 'x00200037');
  const ps = numbers(ds, 'x00280030');
  const missing: string[] = [];
  if (!rows) missing.push('Rows (0028,0010)');
  if (!columns) missing.push('Columns (0028,0011)');
  if (!bitsAllocated) missing.push('BitsAllocated (0028,0100)');
  if (!ipp || ipp.length !== 3 || !ipp.every(Number.isFinite)) missing.push('ImagePositionPatient (0020,0032)');
  if (!iop || iop.length !== 6 || !iop.every(Number.isFinite)) missing.push('ImageOrientationPatient (0020,0037)');
  if (!ps || ps.length !== 2 || !ps.every((v) => v > 0)) missing.push('PixelSpacing (0028,0030)');
  if (missing.length > 0 || !rows || !columns || !bitsAllocated || !ipp || !iop || !ps)
    return refuse(
      'MISSING_ATTRIBUTE',
      `the dose grid lacks ${missing.join(', ')}: it cannot be placed in patient space. Check the export from the planning system.`,
    );
  if (samplesPerPixel !== 1 || (bitsAllocated !== 16 && bitsAllocated !== 32))
    return refuse(
      'UNSUPPORTED_PIXEL_FORMAT',
      `dose pixels are ${samplesPerPixel} sample(s) of ${bitsAllocated} bits; RT Dose needs 1 sample of 16 or 32 bits (PS3.3 C.8.8.3.4). Check the file.`,
    );
  const nFramesRaw = number(ds, 'x00280008');
  const frames = nFramesRaw === undefined ? 1 : nFramesRaw;
  if (!Number.isInteger(frames) || frames < 1)
    return refuse('DOSE_GEOMETRY_INVALID', `NumberOfFrames (0028,0008) is "${str(ds, 'x00280008')}", not a positive integer.`);

  // Orientation: two orthonormal directions.
  const r: Vec3 = [iop[0]!, iop[1]!, iop[2]!];
  const c: Vec3 = [iop[3]!, iop[4]!, iop[5]!];
  const dot = r[0] * c[0] + r[1] * c[1] + r[2] * c[2];
  const nr = Math.hypot(...r);
  const nc = Math.hypot(...c);
  if (Math.abs(dot) > 1e-3 || Math.abs(nr - 1) > 1e-3 || Math.abs(nc - 1) > 1e-3)
    return refuse('DOSE_GEOMETRY_INVALID', `ImageOrientationPatient ${iop.join('\\')} is not two orthonormal directions; check the export.`);
  const n: Vec3 = [r[1] * c[2] - r[2] * c[1], r[2] * c[0] - r[0] * c[2], r[0] * c[1] - r[1] * c[0]];

  // Frame offsets.
  let offsets = numbers(ds, 'x3004000c');
  if (!offsets || offsets.length === 0) {
    if (frames > 1)
      return refuse('DOSE_GEOMETRY_INVALID', `${frames} frames but no GridFrameOffsetVector (3004,000C): the frames cannot be placed. Check the export.`);
    offsets = [0];
  }
  if (!offsets.every(Number.isFinite))
    return refuse('DOSE_GEOMETRY_INVALID', `GridFrameOffsetVector (3004,000C) holds a value that is not a number: "${str(ds, 'x3004000c')}".`);
  if (offsets.length !== frames) {
    if (offsets.length < frames)
      return refuse(
        'DOSE_GEOMETRY_INVALID',
        `GridFrameOffsetVector (3004,000C) has ${offsets.length} values for ${frames} frames: the frames cannot be placed. Check the export.`,
      );
    findings.push(
      finding(
        'DOSE_GEOMETRY_INVALID',
        'warning',
        `${file}: GridFrameOffsetVector (3004,000C) has ${offsets.length} values for ${frames} frame(s); the first ${frames} are used. Check that the file holds every frame of the dose.`,
        file,
      ),
    );
    offsets = offsets.slice(0, frames);
  }
  const axial = Math.abs(n[2]) > 1 - 1e-6 && Math.abs(r[0]) > 1 - 1e-6;
  const ippAlongN = ipp[0]! * n[0] + ipp[1]! * n[1] + ipp[2]! * n[2];
  let rel: number[];
  if (Math.abs(offsets[0]!) < 1e-6) rel = offsets;
  else {
    // Absolute positions along n (PS3.3 C.8.8.3.2, type b); the first should be at the IPP.
    rel = offsets.map((o) => o - ippAlongN);
    if (!axial)
      findings.push(
        finding(
          'DOSE_GEOMETRY_INVALID',
          'warning',
          `${file}: GridFrameOffsetVector starts at ${fmt(offsets[0]!)} (not 0) on a non-axial grid, where only relative offsets are allowed; read as absolute positions along the slice normal. Check the dose position against the CT.`,
          file,
        ),
      );
    if (Math.abs(rel[0]!) > 0.01)
      findings.push(
        finding(
          'DOSE_GEOMETRY_INVALID',
          'warning',
          `${file}: GridFrameOffsetVector starts at ${fmt(offsets[0]!)} mm, read as absolute positions, but ImagePositionPatient is at ${fmt(ippAlongN)} mm along the normal; frames are placed by the offsets. Check the dose position against the CT.`,
          file,
        ),
      );
  }
  let spacing = 1;
  if (frames > 1) {
    spacing = (rel[frames - 1]! - rel[0]!) / (frames - 1);
    const gaps = rel.slice(1).map((v, k) => v - rel[k]!);
    const odd = gaps.map((g, k) => ({ g, k })).filter(({ g }) => Math.abs(g - spacing) > 1e-3 + 1e-4 * Math.abs(spacing));
    if (Math.abs(spacing) < 1e-6)
      return refuse('DOSE_GEOMETRY_INVALID', 'every frame of GridFrameOffsetVector (3004,000C) is at the same position: the frames cannot be placed.');
    if (odd.length > 0)
      return refuse(
        'DOSE_FRAME_OFFSET_NONUNIFORM',
        `GridFrameOffsetVector (3004,000C) is not evenly spaced: gaps of ${odd
          .slice(0, 3)
          .map(({ g, k }) => `${fmt(g)} mm after frame ${k}`)
          .join(
            ', ',
          )}${odd.length > 3 ? ', …' : ''} where the mean gap is ${fmt(spacing)} mm. This importer needs evenly spaced dose frames; export the dose on a regular grid (or resample it in the planning system).`,
      );
  }
  const origin: Vec3 = [ipp[0]! + n[0] * rel[0]!, ipp[1]! + n[1] * rel[0]!, ipp[2]! + n[2] * rel[0]!];
  const sgn = spacing < 0 ? -1 : 1;
  const grid: Grid = {
    dims: [columns, rows, frames],
    // PixelSpacing = [between rows (j), between columns (i)].
    spacingMm: [ps[1]!, ps[0]!, frames > 1 ? Math.abs(spacing) : (number(ds, 'x00180050') ?? 1)],
    originMm: origin,
    direction: [r[0], c[0], sgn * n[0], r[1], c[1], sgn * n[1], r[2], c[2], sgn * n[2]],
  };

  // Scaling, units, type.
  const scaling = number(ds, 'x3004000e');
  if (scaling === undefined || !(scaling > 0))
    return refuse(
      'DOSE_SCALING_MISSING',
      `DoseGridScaling (3004,000E) is ${scaling === undefined ? 'missing' : `"${str(ds, 'x3004000e')}"`}: the stored values cannot be turned into dose. Check the export (the planning system writes it with every RT Dose).`,
    );
  const units = (str(ds, 'x30040002') ?? '').toUpperCase();
  if (units === 'RELATIVE')
    findings.push(
      finding(
        'DOSE_UNITS_UNKNOWN',
        'warning',
        `${file}: DoseUnits (3004,0002) is RELATIVE: the values are relative to an unstated reference, not Gy. Doses are reported in the file's relative units; give the prescription in the same units, or export an absolute (GY) dose.`,
        file,
      ),
    );
  else if (units !== 'GY')
    findings.push(
      finding(
        'DOSE_UNITS_UNKNOWN',
        'warning',
        `${file}: DoseUnits (3004,0002) is ${units ? `"${units}"` : 'missing'}, not GY or RELATIVE: doses are reported as stored × DoseGridScaling without a unit. Check the export.`,
        file,
      ),
    );

  // Pixel data.
  const el = ds.elements.x7fe00010;
  if (!el) return refuse('MISSING_ATTRIBUTE', 'has no PixelData (7FE0,0010): the dose grid is empty. Check the export.');
  const plane = rows * columns;
  const bytesPer = bitsAllocated / 8;
  const data = new Float32Array(plane * frames);
  const signed = pixelRepresentation === 1;
  const stored = bitsStored ?? bitsAllocated;
  const shift = 32 - stored;
  const put = (view: DataView, le: boolean, base: number) => {
    for (let t = 0; t < plane; t++) {
      let raw = bytesPer === 2 ? view.getUint16(2 * t, le) : view.getUint32(4 * t, le);
      if (signed) raw = (raw << shift) >> shift;
      else if (stored < 32) raw = raw & (2 ** stored - 1);
      data[base + t] = raw * scaling;
    }
  };
  if (el.encapsulatedPixelData) {
    const info = transferSyntaxInfo(parsed.transferSyntaxUid);
    if (!info.codec || info.codec === 'native')
      return refuse(
        'UNSUPPORTED_TRANSFER_SYNTAX',
        `uses ${describeTransferSyntax(parsed.transferSyntaxUid)}, whose pixel data this importer cannot read. Re-export the dose uncompressed (explicit VR little endian).`,
      );
    try {
      const parts = readEncapsulatedFrames(ds, el, frames);
      for (let k = 0; k < frames; k++) {
        const px = await decodeFrame(info.codec, parts[k]!, { rows, columns, samplesPerPixel: 1, bitsAllocated });
        put(new DataView(px.buffer, px.byteOffset, px.byteLength), true, k * plane);
      }
    } catch (e) {
      return refuse(
        'CORRUPT_PIXEL_DATA',
        `the ${describeTransferSyntax(parsed.transferSyntaxUid)} dose pixels cannot be decoded (${(e as Error).message}). Check the file and export it again.`,
      );
    }
  } else {
    const need = plane * bytesPer * frames;
    if (el.length < need)
      return refuse(
        'TRUNCATED',
        `pixel data holds ${el.length} bytes, ${need} expected for ${frames} frame(s) of ${columns}×${rows} at ${bitsAllocated} bits: the file is truncated or NumberOfFrames is wrong.`,
      );
    const bytes = ds.byteArray as Uint8Array;
    const le = parsed.transferSyntaxUid !== EXPLICIT_VR_BE;
    const at = bytes.byteOffset + el.dataOffset;
    if (le && bytesPer === 4 && !signed && stored === 32 && at % 4 === 0) {
      // The common case (32-bit unsigned, little endian): one typed view, no per-value DataView call.
      const u32 = new Uint32Array(bytes.buffer, at, plane * frames);
      for (let t = 0; t < u32.length; t++) data[t] = u32[t]! * scaling;
    } else for (let k = 0; k < frames; k++) put(new DataView(bytes.buffer, at + k * plane * bytesPer, plane * bytesPer), le, k * plane);
  }
  const refs: string[] = [];
  for (const it of items(ds, 'x300c0002')) {
    const u = str(it, 'x00081155');
    if (u) refs.push(u);
  }
  return {
    dose: {
      file,
      sopInstanceUid: str(ds, 'x00080018') ?? '',
      studyInstanceUid: str(ds, 'x0020000d'),
      seriesInstanceUid: str(ds, 'x0020000e'),
      frameOfReferenceUid: str(ds, 'x00200052'),
      referencedPlanSopInstanceUids: refs,
      units: units || 'UNKNOWN',
      doseType: str(ds, 'x30040004'),
      summationType: str(ds, 'x3004000a'),
      scaling,
      frameOffsetsMm: rel.map((v) => v - rel[0]!),
      volume: { grid, data },
    },
    findings,
  };
}

export function items(ds: DataSet, tag: string): DataSet[] {
  return (ds.elements[tag]?.items ?? []).map((i) => i.dataSet).filter((d): d is DataSet => !!d);
}

/** Read an RTDOSE file from disk (parse + readRtDose). */
export async function readRtDoseFile(path: string): Promise<{ dose: RtDose | null; findings: Finding[] }> {
  const b = await readFile(path);
  const { parsed, findings } = parseDicomBytes(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), path);
  if (!parsed) return { dose: null, findings };
  const r = await readRtDose(parsed);
  return { dose: r.dose, findings: [...findings, ...r.findings] };
}

/**
 * A finding when a dose is not on the CT's frame of reference (FRAME_OF_REFERENCE_MISMATCH):
 * the dose is then placed by its mm coordinates as if the two were the same.
 */
export function checkDoseFrameOfReference(dose: RtDose, ctFrameOfReferenceUid: string | undefined, ctLabel: string): Finding | null {
  if (!dose.frameOfReferenceUid || !ctFrameOfReferenceUid || dose.frameOfReferenceUid === ctFrameOfReferenceUid) return null;
  return finding(
    'FRAME_OF_REFERENCE_MISMATCH',
    'warning',
    `${dose.file}: the dose is on frame of reference ${dose.frameOfReferenceUid} but ${ctLabel} is on ${ctFrameOfReferenceUid}: the dose was placed by its mm coordinates as if the two were the same. Check that this dose belongs to this CT (same plan, same patient).`,
    dose.file,
  );
}
