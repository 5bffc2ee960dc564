/**
 * CT series: per-slice headers → one series with a validated, uniform grid in patient mm.
 *
 * Slices are ordered by the projection of ImagePositionPatient on the slice normal (the cross
 * product of the ImageOrientationPatient row and column directions), never by InstanceNumber or
 * file name. The grid's k axis is that normal, so (row, column, normal) is right-handed.
 * Reference: DICOM PS3.3 C.7.6.2.1.1 (Image Position and Orientation); docs/conventions.md, item 12.
 */
import type { Grid, Vec3 } from '@/lib/core/volume';
import type { DataSet } from './parser';
import { type Finding, finding } from './findings';
import { type ParsedDicom, number, numbers, str } from './parse-file';
import { describeTransferSyntax, transferSyntaxInfo } from './transfer-syntaxes';
import { type PhaseInfo, recognisePhase } from './phase';

export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
export const ENHANCED_CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2.1';

/** The attributes of one image slice that the importer uses. */
export interface ImageSliceHeader {
  file: string;
  transferSyntaxUid: string;
  sopInstanceUid: string;
  sopClassUid?: string;
  modality: string;
  patientId?: string;
  /** Patient and study attributes copied into derived objects (e.g. a written RTSTRUCT). */
  patientName?: string;
  patientBirthDate?: string;
  patientSex?: string;
  studyDate?: string;
  studyTime?: string;
  studyId?: string;
  accessionNumber?: string;
  referringPhysicianName?: string;
  studyInstanceUid?: string;
  seriesInstanceUid: string;
  seriesDescription?: string;
  seriesNumber?: number;
  instanceNumber?: number;
  frameOfReferenceUid?: string;
  rows: number;
  columns: number;
  /** PixelSpacing: [row spacing (between rows, along j), column spacing (between columns, along i)] mm. */
  pixelSpacingMm: [number, number];
  imagePositionMm: Vec3;
  /** ImageOrientationPatient: row direction cosines then column direction cosines. */
  imageOrientation: [number, number, number, number, number, number];
  sliceThicknessMm?: number;
  spacingBetweenSlicesMm?: number;
  rescaleSlope: number;
  rescaleIntercept: number;
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: number;
  samplesPerPixel: number;
  numberOfFrames: number;
  photometricInterpretation?: string;
  temporalPositionIndex?: number;
  numberOfTemporalPositions?: number;
  /** True when PixelData is encapsulated (compressed). */
  pixelDataEncapsulated: boolean;
  /** Length in bytes of native (not encapsulated) PixelData. */
  pixelDataBytes?: number;
  /** LossyImageCompression (0028,2110): '01' when the pixels were ever lossy compressed. */
  lossyImageCompression?: string;
  /** ImageType values, e.g. ['ORIGINAL', 'PRIMARY', 'AXIAL'] or [..., 'LOCALIZER']. */
  imageType?: string[];
  /** Set when a UID was empty and had to be derived (anonymised exports do this). */
  derivedUids?: ('SOPInstanceUID' | 'SeriesInstanceUID')[];
}

/**
 * Read one image's header from a parsed data set. Returns findings instead when an attribute the
 * geometry needs is missing or malformed.
 */
export function readImageHeader(parsed: ParsedDicom): { header: ImageSliceHeader | null; findings: Finding[] } {
  const ds: DataSet = parsed.dataSet;
  const file = parsed.file;
  const missing: string[] = [];
  const need = <T>(name: string, v: T | undefined): T => {
    if (v === undefined) missing.push(name);
    return v as T;
  };
  const ipp = numbers(ds, 'x00200032');
  const iop = numbers(ds, 'x00200037');
  const ps = numbers(ds, 'x00280030');
  const derivedUids: ImageSliceHeader['derivedUids'] = [];
  let sopUid = str(ds, 'x00080018');
  if (!sopUid && (sopUid = str(ds, 'x00020003'))) derivedUids.push('SOPInstanceUID');
  let seriesUid = str(ds, 'x0020000e');
  if (!seriesUid) {
    // Anonymisers sometimes blank the UIDs: group such slices by what still identifies a series.
    derivedUids.push('SeriesInstanceUID');
    seriesUid = `derived:${str(ds, 'x00200052') ?? 'no-frame-of-reference'}/${number(ds, 'x00200011') ?? ''}/${str(ds, 'x0008103e') ?? ''}`;
  }
  const header: ImageSliceHeader = {
    file,
    transferSyntaxUid: parsed.transferSyntaxUid,
    sopInstanceUid: need('SOPInstanceUID (0008,0018)', sopUid),
    sopClassUid: str(ds, 'x00080016'),
    modality: str(ds, 'x00080060') ?? '',
    patientId: str(ds, 'x00100020'),
    patientName: str(ds, 'x00100010'),
    patientBirthDate: str(ds, 'x00100030'),
    patientSex: str(ds, 'x00100040'),
    studyDate: str(ds, 'x00080020'),
    studyTime: str(ds, 'x00080030'),
    studyId: str(ds, 'x00200010'),
    accessionNumber: str(ds, 'x00080050'),
    referringPhysicianName: str(ds, 'x00080090'),
    studyInstanceUid: str(ds, 'x0020000d'),
    seriesInstanceUid: seriesUid,
    seriesDescription: str(ds, 'x0008103e'),
    seriesNumber: number(ds, 'x00200011'),
    instanceNumber: number(ds, 'x00200013'),
    frameOfReferenceUid: str(ds, 'x00200052'),
    rows: need('Rows (0028,0010)', ds.uint16('x00280010')),
    columns: need('Columns (0028,0011)', ds.uint16('x00280011')),
    pixelSpacingMm: need('PixelSpacing (0028,0030)', ps && ps.length === 2 && ps.every((v) => v > 0) ? (ps as [number, number]) : undefined),
    imagePositionMm: need('ImagePositionPatient (0020,0032)', ipp && ipp.length === 3 && ipp.every(Number.isFinite) ? (ipp as Vec3) : undefined),
    imageOrientation: need(
      'ImageOrientationPatient (0020,0037)',
      iop && iop.length === 6 && iop.every(Number.isFinite) ? (iop as ImageSliceHeader['imageOrientation']) : undefined,
    ),
    sliceThicknessMm: number(ds, 'x00180050'),
    spacingBetweenSlicesMm: number(ds, 'x00180088'),
    rescaleSlope: number(ds, 'x00281053') ?? 1,
    rescaleIntercept: number(ds, 'x00281052') ?? 0,
    bitsAllocated: need('BitsAllocated (0028,0100)', ds.uint16('x00280100')),
    bitsStored: ds.uint16('x00280101') ?? ds.uint16('x00280100') ?? 0,
    pixelRepresentation: ds.uint16('x00280103') ?? 0,
    samplesPerPixel: ds.uint16('x00280002') ?? 1,
    numberOfFrames: number(ds, 'x00280008') ?? 1,
    photometricInterpretation: str(ds, 'x00280004'),
    temporalPositionIndex: ds.uint32('x00209128') ?? undefined,
    numberOfTemporalPositions: number(ds, 'x00200105'),
    pixelDataEncapsulated: Boolean(ds.elements.x7fe00010?.encapsulatedPixelData),
    lossyImageCompression: str(ds, 'x00282110'),
    imageType: str(ds, 'x00080008')
      ?.split('\\')
      .map((v) => v.trim().toUpperCase()),
  };
  if (derivedUids.length > 0) header.derivedUids = derivedUids;
  const pixelData = ds.elements.x7fe00010;
  if (pixelData && !pixelData.encapsulatedPixelData && Number.isFinite(pixelData.length)) header.pixelDataBytes = pixelData.length;
  if (!ds.elements.x7fe00010) missing.push('PixelData (7FE0,0010)');
  if (missing.length > 0)
    return {
      header: null,
      findings: [
        finding(
          'MISSING_ATTRIBUTE',
          'error',
          `${file} (${header.modality || 'image'}) lacks ${missing.join(', ')}: the slice cannot be placed in patient space; check the export settings.`,
          file,
        ),
      ],
    };
  return { header, findings: [] };
}

export interface CtSeries {
  /** SeriesInstanceUID; a 4D series holding all phases is split by TemporalPositionIndex as "UID#t". */
  key: string;
  seriesInstanceUid: string;
  studyInstanceUid?: string;
  frameOfReferenceUid?: string;
  patientId?: string;
  modality: string;
  description?: string;
  seriesNumber?: number;
  /** Slices in order along the slice normal (increasing k). */
  slices: ImageSliceHeader[];
  /** Each slice's position along the normal (mm), same order. */
  slicePositionsMm: number[];
  /** The uniform grid, or null when the series was refused (see findings). */
  grid: Grid | null;
  /** Largest distance (mm) of a slice from its position on the uniform grid. */
  maxSliceResidualMm: number;
  phase: PhaseInfo | null;
  /** True when the grid is valid and the pixel data can be decoded. */
  loadable: boolean;
  findings: Finding[];
}

export interface BuildSeriesOptions {
  /** Slices further than this (mm) from a uniform grid warn; default 0.01 mm. */
  warnSliceResidualMm?: number;
  /** Slices further than this (mm) from a uniform grid refuse the series; default 0.1 mm. */
  maxSliceResidualMm?: number;
  /** In-plane drift of slice positions per mm along the normal above which the series is tilted; default 1e-3. */
  maxTiltRatio?: number;
  /** Largest Rows × Columns × slices a series may have (the decoder holds it as 32-bit floats); default 2^29 (2 GiB). */
  maxVoxels?: number;
}

/** Default of BuildSeriesOptions.maxVoxels: 512 × 512 × 2048, or 1024 × 1024 × 512. */
export const MAX_SERIES_VOXELS = 2 ** 29;

function cross(a: number[], b: number[]): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}
const dot = (a: number[], b: number[]) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const norm = (a: number[]) => Math.sqrt(dot(a, a));
const fmt = (v: number) => Number(v.toFixed(3)).toString();

/** Group slice headers into series (by SeriesInstanceUID, and by TemporalPositionIndex when one series holds several phases). */
export function groupSeries(headers: ImageSliceHeader[], options: BuildSeriesOptions = {}): CtSeries[] {
  const byUid = new Map<string, ImageSliceHeader[]>();
  // Scouts/localizers sometimes share the axial series' UID; they are not part of the volume.
  const localizers = new Map<string, ImageSliceHeader[]>();
  for (const h of headers) {
    if (h.imageType?.includes('LOCALIZER')) {
      localizers.set(h.seriesInstanceUid, [...(localizers.get(h.seriesInstanceUid) ?? []), h]);
      continue;
    }
    let list = byUid.get(h.seriesInstanceUid);
    if (!list) byUid.set(h.seriesInstanceUid, (list = []));
    list.push(h);
  }
  const out: CtSeries[] = [];
  for (const [uid, list] of byUid) {
    const tpis = new Set(list.map((h) => h.temporalPositionIndex));
    const positions = new Set(list.map((h) => h.imagePositionMm.map(fmt).join('\\')));
    if (tpis.size > 1 && !tpis.has(undefined) && positions.size < list.length) {
      for (const t of [...tpis].sort((a, b) => (a ?? 0) - (b ?? 0)))
        out.push(
          buildSeries(
            `${uid}#${t}`,
            list.filter((h) => h.temporalPositionIndex === t),
            options,
          ),
        );
    } else out.push(buildSeries(uid, list, options));
  }
  for (const [uid, list] of localizers) {
    const f = finding(
      'IGNORED_OBJECT',
      'info',
      `${list.length} localizer image(s) of series ${uid} ignored (ImageType LOCALIZER), e.g. ${list[0].file}.`,
      list[0].file,
    );
    const s = out.find((x) => x.seriesInstanceUid === uid);
    if (s) s.findings.push(f);
    else out.push({ ...buildSeries(uid, list, options), grid: null, loadable: false, findings: [f] });
  }
  return out.sort((a, b) => (a.seriesNumber ?? 0) - (b.seriesNumber ?? 0) || a.key.localeCompare(b.key));
}

/**
 * Validate and order the slices of one series and derive its grid.
 *
 * Findings: INCONSISTENT_SERIES (rows/columns, orientation, pixel spacing or frame of reference
 * differ between slices, or two slices share a position) → refused; GANTRY_TILT (slice positions
 * drift in-plane along the stack) → refused; MISSING_SLICE (a gap of ≥ 1.5× the typical spacing)
 * → refused; VOLUME_TOO_LARGE (Rows × Columns × slices over `maxVoxels`) → refused;
 * UNEVEN_SPACING (slices off a uniform grid: warning up to `maxSliceResidualMm`,
 * refused above); SINGLE_SLICE (info; spacing from SpacingBetweenSlices or SliceThickness);
 * COMPRESSED_PIXEL_DATA (encapsulated pixel data in a syntax we have no decoder for, e.g. JPEG XL or 12-bit
 * JPEG extended) / UNSUPPORTED_TRANSFER_SYNTAX / UNSUPPORTED_PIXEL_FORMAT (header usable, voxels
 * not loadable); LOSSY_COMPRESSION (warning: decoded, but the HU may not be the scanner's).
 */
export function buildSeries(key: string, slicesIn: ImageSliceHeader[], options: BuildSeriesOptions = {}): CtSeries {
  const warnRes = options.warnSliceResidualMm ?? 0.01;
  const maxRes = options.maxSliceResidualMm ?? 0.1;
  const maxTilt = options.maxTiltRatio ?? 1e-3;
  const first = slicesIn[0];
  const label = `Series ${first.seriesInstanceUid}${first.seriesDescription ? ` ("${first.seriesDescription}")` : ''}`;
  const findings: Finding[] = [];
  const series: CtSeries = {
    key,
    seriesInstanceUid: first.seriesInstanceUid,
    studyInstanceUid: first.studyInstanceUid,
    frameOfReferenceUid: first.frameOfReferenceUid,
    patientId: first.patientId,
    modality: first.modality,
    description: first.seriesDescription,
    seriesNumber: first.seriesNumber,
    slices: slicesIn,
    slicePositionsMm: [],
    grid: null,
    maxSliceResidualMm: 0,
    phase: recognisePhase({
      seriesDescription: first.seriesDescription,
      temporalPositionIndex: first.temporalPositionIndex,
      numberOfTemporalPositions: first.numberOfTemporalPositions,
    }),
    loadable: false,
    findings,
  };
  const refuse = (code: Finding['code'], message: string): CtSeries => {
    findings.push(finding(code, 'error', `${label}: ${message}`));
    return series;
  };

  const derivedSeries = slicesIn.filter((h) => h.derivedUids?.includes('SeriesInstanceUID')).length;
  const derivedSop = slicesIn.filter((h) => h.derivedUids?.includes('SOPInstanceUID')).length;
  if (derivedSeries > 0 || derivedSop > 0)
    findings.push(
      finding(
        'MISSING_ATTRIBUTE',
        'warning',
        `${label}: ${derivedSeries > 0 ? `${derivedSeries} slice(s) have an empty SeriesInstanceUID and were grouped by frame of reference, series number and description` : ''}${derivedSeries > 0 && derivedSop > 0 ? '; ' : ''}${derivedSop > 0 ? `${derivedSop} slice(s) have an empty SOPInstanceUID, taken from the file meta header` : ''}. The export was probably anonymised: check that RTSTRUCT references still resolve.`,
      ),
    );

  const row = first.imageOrientation.slice(0, 3);
  const col = first.imageOrientation.slice(3, 6);
  if (Math.abs(norm(row) - 1) > 1e-3 || Math.abs(norm(col) - 1) > 1e-3 || Math.abs(dot(row, col)) > 1e-3)
    return refuse('INCONSISTENT_SERIES', `ImageOrientationPatient ${first.imageOrientation.join('\\')} is not two orthonormal directions; check the export.`);
  const n0 = cross(row, col);
  const nn = norm(n0);
  const normal: Vec3 = [n0[0] / nn, n0[1] / nn, n0[2] / nn];

  const odd: string[] = [];
  for (const h of slicesIn) {
    if (h.rows !== first.rows || h.columns !== first.columns) odd.push(`${h.file}: ${h.rows}×${h.columns} pixels vs ${first.rows}×${first.columns}`);
    else if (h.imageOrientation.some((v, n) => Math.abs(v - first.imageOrientation[n]) > 1e-4))
      odd.push(`${h.file}: orientation ${h.imageOrientation.join('\\')}`);
    else if (h.pixelSpacingMm.some((v, n) => Math.abs(v - first.pixelSpacingMm[n]) > 1e-4)) odd.push(`${h.file}: pixel spacing ${h.pixelSpacingMm.join('\\')}`);
    else if (h.frameOfReferenceUid !== first.frameOfReferenceUid) odd.push(`${h.file}: frame of reference ${h.frameOfReferenceUid}`);
    else if (h.numberOfFrames !== 1) odd.push(`${h.file}: ${h.numberOfFrames} frames (multi-frame images are not supported)`);
  }
  if (odd.length > 0)
    return refuse(
      'INCONSISTENT_SERIES',
      `slices disagree (${odd.length}): ${odd.slice(0, 3).join('; ')}${odd.length > 3 ? '; …' : ''}. Check whether two series were exported with one SeriesInstanceUID.`,
    );

  // A damaged or hand-edited header (Rows = Columns = 65535) would have the decoder allocate
  // gigabytes before it finds the pixel data short: refuse the size up front.
  const maxVoxels = options.maxVoxels ?? MAX_SERIES_VOXELS;
  const voxels = first.rows * first.columns * slicesIn.length;
  if (voxels > maxVoxels)
    return refuse(
      'VOLUME_TOO_LARGE',
      `${first.rows}×${first.columns} pixels × ${slicesIn.length} slices (Rows×Columns × slices) is ${voxels.toLocaleString('en')} voxels, over the ${maxVoxels.toLocaleString('en')} this importer holds in memory. Check Rows/Columns (0028,0010/0011) in ${first.file}: a damaged or edited header gives sizes the pixel data does not have; otherwise crop or resample the series before import.`,
    );

  const pos = slicesIn.map((h) => dot(h.imagePositionMm, normal));
  const order = pos.map((_, n) => n).sort((a, b) => pos[a] - pos[b]);
  series.slices = order.map((n) => slicesIn[n]);
  series.slicePositionsMm = order.map((n) => pos[n]);
  const s = series.slicePositionsMm;
  const nz = s.length;

  for (let k = 1; k < nz; k++)
    if (s[k] - s[k - 1] < 1e-3)
      return refuse(
        'INCONSISTENT_SERIES',
        `two slices are at the same position ${fmt(s[k])} mm (${series.slices[k - 1].file}, ${series.slices[k].file}); check for a 4D series without TemporalPositionIndex or duplicate exports.`,
      );

  // Gantry tilt: positions must move along the normal only.
  const p0 = series.slices[0].imagePositionMm;
  let worstTilt = 0;
  for (let k = 1; k < nz; k++) {
    const d = series.slices[k].imagePositionMm.map((v, n) => v - p0[n]);
    const along = dot(d, normal);
    const lateral = norm(d.map((v, n) => v - along * normal[n]));
    if (lateral > 0.05 && lateral / Math.abs(along) > worstTilt) worstTilt = lateral / Math.abs(along);
  }
  if (worstTilt > maxTilt)
    return refuse(
      'GANTRY_TILT',
      `slice positions drift ${fmt(worstTilt * 100)} mm in-plane per 100 mm along the stack (gantry tilt of about ${fmt((Math.atan(worstTilt) * 180) / Math.PI)}°); tilted acquisitions are not supported — reconstruct without tilt or resample first.`,
    );

  let spacing: number;
  if (nz === 1) {
    spacing = first.spacingBetweenSlicesMm ?? first.sliceThicknessMm ?? 1;
    findings.push(
      finding(
        'SINGLE_SLICE',
        'info',
        `${label} has one slice; slice spacing taken as ${fmt(spacing)} mm from ${first.spacingBetweenSlicesMm ? 'SpacingBetweenSlices' : first.sliceThicknessMm ? 'SliceThickness' : 'a default'}.`,
      ),
    );
  } else {
    const gaps = s.slice(1).map((v, k) => v - s[k]);
    const median = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)];
    const big = gaps.map((g, k) => ({ g, k })).filter(({ g }) => g >= 1.5 * median);
    if (big.length > 0) {
      const missing = big.reduce((m, { g }) => m + Math.round(g / median) - 1, 0);
      return refuse(
        'MISSING_SLICE',
        `about ${missing} slice(s) missing: gap${big.length > 1 ? 's' : ''} of ${big
          .slice(0, 3)
          .map(({ g, k }) => `${fmt(g)} mm after ${fmt(s[k])} mm`)
          .join(', ')} where slices are ${fmt(median)} mm apart; check that every file of the series was exported and copied.`,
      );
    }
    spacing = (s[nz - 1] - s[0]) / (nz - 1);
    let worst = 0;
    let worstK = 0;
    for (let k = 0; k < nz; k++) {
      const r = Math.abs(s[k] - (s[0] + k * spacing));
      if (r > worst) {
        worst = r;
        worstK = k;
      }
    }
    series.maxSliceResidualMm = worst;
    if (worst > maxRes)
      return refuse(
        'UNEVEN_SPACING',
        `slice spacing is uneven (${fmt(Math.min(...gaps))}–${fmt(Math.max(...gaps))} mm); slice at ${fmt(s[worstK])} mm is ${fmt(worst)} mm off a uniform ${fmt(spacing)} mm grid (limit ${fmt(maxRes)} mm). Resample the series to uniform spacing.`,
      );
    if (worst > warnRes)
      findings.push(
        finding(
          'UNEVEN_SPACING',
          'warning',
          `${label}: slice spacing varies (${fmt(Math.min(...gaps))}–${fmt(Math.max(...gaps))} mm); using a uniform ${fmt(spacing)} mm grid, largest slice offset ${fmt(worst)} mm.`,
        ),
      );
  }

  series.grid = {
    dims: [first.columns, first.rows, nz],
    spacingMm: [first.pixelSpacingMm[1], first.pixelSpacingMm[0], spacing],
    originMm: [...series.slices[0].imagePositionMm] as Vec3,
    direction: [row[0], col[0], normal[0], row[1], col[1], normal[1], row[2], col[2], normal[2]],
  };

  // Compressed pixel data is decoded when we have a codec for its transfer syntax (and, for the
  // 8-bit JPEG codec, the bit depth fits); anything else keeps the geometry but not the voxels.
  const undecodable = series.slices.find((h) => {
    const ts = transferSyntaxInfo(h.transferSyntaxUid);
    if (!ts.codec) return true;
    if (h.pixelDataEncapsulated !== (ts.codec !== 'native')) return true;
    return ts.maxBitsStored !== undefined && h.bitsStored > ts.maxBitsStored;
  });
  if (undecodable) {
    const ts = transferSyntaxInfo(undecodable.transferSyntaxUid);
    const count = series.slices.filter((h) => h.transferSyntaxUid === undecodable.transferSyntaxUid).length;
    const why = !ts.codec
      ? 'that this importer has no decoder for'
      : ts.maxBitsStored !== undefined && undecodable.bitsStored > ts.maxBitsStored
        ? `at ${undecodable.bitsStored} bits stored, which the ${ts.maxBitsStored}-bit JPEG decoder cannot read`
        : `whose pixel data is ${undecodable.pixelDataEncapsulated ? 'encapsulated' : 'not encapsulated'}, against the transfer syntax`;
    if (undecodable.pixelDataEncapsulated || ts.codec)
      findings.push(
        finding(
          'COMPRESSED_PIXEL_DATA',
          'error',
          `${label}: ${count} of ${nz} slices (e.g. ${undecodable.file}) use ${describeTransferSyntax(undecodable.transferSyntaxUid)} ${why}; the geometry is read but the voxels are not. Re-export uncompressed or in a supported syntax (e.g. dcmdjpeg, or gdcmconv --raw).`,
          undecodable.file,
        ),
      );
    else
      findings.push(
        finding(
          'UNSUPPORTED_TRANSFER_SYNTAX',
          'error',
          `${label}: ${undecodable.file} uses transfer syntax ${describeTransferSyntax(undecodable.transferSyntaxUid)}, whose pixel data this importer cannot read; the geometry is read but the voxels are not. Re-export as explicit VR little endian.`,
          undecodable.file,
        ),
      );
    return series;
  }
  const lossy = series.slices.filter((h) => transferSyntaxInfo(h.transferSyntaxUid).lossy || h.lossyImageCompression === '01');
  if (lossy.length > 0)
    findings.push(
      finding(
        'LOSSY_COMPRESSION',
        'warning',
        `${label}: ${lossy.length} of ${nz} slices ${lossy[0].lossyImageCompression === '01' ? 'were lossy compressed (LossyImageCompression 01)' : `use ${describeTransferSyntax(lossy[0].transferSyntaxUid)}, which allows lossy compression`}; HU may differ from the scanner's. Prefer a lossless export for QA.`,
        lossy[0].file,
      ),
    );
  const badFormat = series.slices.find((h) => h.samplesPerPixel !== 1 || (h.bitsAllocated !== 16 && h.bitsAllocated !== 8 && h.bitsAllocated !== 32));
  if (badFormat) {
    findings.push(
      finding(
        'UNSUPPORTED_PIXEL_FORMAT',
        'error',
        `${label}: ${badFormat.file} has ${badFormat.samplesPerPixel} samples per pixel and ${badFormat.bitsAllocated} bits allocated; only single-sample 8/16/32-bit greyscale is read.`,
        badFormat.file,
      ),
    );
    return series;
  }
  // Native pixel data longer than one Rows × Columns × BitsAllocated image (plus the even-length
  // pad byte): the first image's bytes are read and the rest ignored. Accepted, but said, since
  // it can mean Rows, Columns or BitsAllocated do not describe the pixels.
  const imageBytes = (h: ImageSliceHeader) => h.rows * h.columns * h.samplesPerPixel * (h.bitsAllocated / 8);
  const tooLong = series.slices.filter((h) => h.pixelDataBytes !== undefined && h.pixelDataBytes > imageBytes(h) + (imageBytes(h) % 2));
  if (tooLong.length > 0) {
    const e = tooLong[0];
    findings.push(
      finding(
        'PIXEL_DATA_TOO_LONG',
        'warning',
        `${label}: ${tooLong.length} of ${nz} slices (e.g. ${e.file}) hold more pixel data than one image: ${e.pixelDataBytes} bytes where Rows × Columns × BitsAllocated (${e.rows} × ${e.columns} × ${e.bitsAllocated} bits) make ${imageBytes(e)}; the first ${imageBytes(e)} bytes are read as the image and the other ${e.pixelDataBytes! - imageBytes(e)} ignored. Check that Rows, Columns and BitsAllocated match the pixels (view the slice), and re-export if they do not.`,
        e.file,
      ),
    );
  }
  series.loadable = true;
  return series;
}

/**
 * Two series on one frame of reference that claim the same respiratory phase make the phase
 * mapping ambiguous: clear their phases (the user assigns them by hand) and return a
 * PHASE_UNKNOWN warning per clash. Mutates `series[].phase`.
 */
export function resolvePhaseClashes(series: CtSeries[]): Finding[] {
  const findings: Finding[] = [];
  const byPhase = new Map<string, CtSeries[]>();
  for (const s of series)
    if (s.phase) {
      const key = `${s.frameOfReferenceUid}|${s.phase.percent}`;
      byPhase.set(key, [...(byPhase.get(key) ?? []), s]);
    }
  for (const list of byPhase.values())
    if (list.length > 1) {
      const percent = list[0].phase!.percent;
      for (const s of list) s.phase = null;
      findings.push(
        finding(
          'PHASE_UNKNOWN',
          'warning',
          `${list.length} series on frame of reference ${list[0].frameOfReferenceUid ?? '(none)'} all look like the ${percent}% phase (${list.map((s) => `"${s.description ?? s.seriesInstanceUid}"`).join(', ')}); assign their phases by hand.`,
        ),
      );
    }
  return findings;
}
