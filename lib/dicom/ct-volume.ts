/**
 * Decode a validated CT series into a HU volume on its grid.
 * HU = stored value × RescaleSlope + RescaleIntercept (DICOM PS3.3 C.11.1.1.2), per slice.
 */
import { readFile } from 'node:fs/promises';
import type { Volume } from '@/lib/core/volume';
import { DicomError, finding } from './findings';
import { EXPLICIT_VR_BE, parseDicomBytes } from './parse-file';
import type { CtSeries, ImageSliceHeader } from './ct-series';
import { readEncapsulatedFrames } from './encapsulated-frames';
import { decodeFrame } from './decode-frame';
import { describeTransferSyntax, transferSyntaxInfo } from './transfer-syntaxes';
import type { DataSet, Element } from './parser';

export interface LoadCtOptions {
  /** Reads a file's bytes; defaults to fs.readFile. */
  readBytes?: (file: string) => Promise<Uint8Array>;
}

/**
 * Load the voxels of a series refused by nothing (`series.loadable`).
 *
 * @returns Int16Array HU when every slope/intercept is an integer and the values fit in 16 bits,
 *   otherwise Float32Array HU; index i + nx·(j + ny·k) with i the DICOM column, j the row and k
 *   the slice in the series' sorted order.
 * @throws DicomError('UNSUPPORTED') when the series is not loadable (its findings say why), or
 *   'INVALID_INPUT' when a file changed since it was scanned (unparseable or short pixel data) or
 *   the volume cannot be allocated (VOLUME_TOO_LARGE).
 */
/** Slice files read ahead of the one being converted. */
const SLICES_AHEAD = 4;

export async function loadCtVolume(series: CtSeries, options: LoadCtOptions = {}): Promise<Volume<Float32Array> | Volume<Int16Array>> {
  if (!series.grid || !series.loadable)
    throw new DicomError(
      'UNSUPPORTED',
      `Series ${series.seriesInstanceUid} cannot be loaded: ${
        series.findings
          .filter((f) => f.severity === 'error')
          .map((f) => f.message)
          .join(' ') || 'no grid'
      }`,
      series.findings,
    );
  const read = options.readBytes ?? ((f: string) => readFile(f).then((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
  const grid = series.grid;
  const [nx, ny, nz] = grid.dims;
  const plane = nx * ny;
  const allocate = <T>(make: () => T): T => {
    try {
      return make();
    } catch (e) {
      // buildSeries refuses grids over its voxel limit; this is the last guard (a smaller grid on a
      // machine short of memory): a named error instead of a crash.
      if (!(e instanceof RangeError)) throw e;
      const f = finding(
        'VOLUME_TOO_LARGE',
        'error',
        `Series ${series.seriesInstanceUid}: ${ny}×${nx} pixels × ${nz} slices (${plane * nz} voxels) cannot be held in memory (${e.message}). Check Rows/Columns (0028,0010/0011) in ${series.slices[0]?.file}, or crop or resample the series before import.`,
        series.slices[0]?.file,
      );
      throw new DicomError('INVALID_INPUT', f.message, [f]);
    }
  };
  // HU are written as Int16 while every slope/intercept is an integer and every value fits in 16
  // bits (the usual CT), else as Float32 from the first slice that breaks that: the slices before
  // it are widened exactly (integers), so the result is the same as building Float32 throughout
  // and narrowing at the end, without the 4-byte-per-voxel intermediate and its copy.
  let hu16: Int16Array | null = allocate(() => new Int16Array(plane * nz));
  let hu32: Float32Array | null = null;
  const values = new Float64Array(plane);
  // The next slices' bytes are read (libuv; several round trips to its thread pool per file) while
  // this one is converted.
  const ahead: Promise<Uint8Array>[] = [];
  const readAhead = (k: number) => {
    const p = read(series.slices[k].file);
    // A failed prefetch must not surface as an unhandled rejection while this slice throws.
    p.catch(() => undefined);
    ahead.push(p);
  };
  for (let k = 0; k < Math.min(SLICES_AHEAD, nz); k++) readAhead(k);
  for (let k = 0; k < nz; k++) {
    const h = series.slices[k];
    const bytesNow = await ahead.shift()!;
    if (k + SLICES_AHEAD < nz) readAhead(k + SLICES_AHEAD);
    const { parsed, findings } = parseDicomBytes(bytesNow, h.file);
    if (!parsed) throw new DicomError('INVALID_INPUT', `${h.file} no longer parses: ${findings.map((f) => f.message).join(' ')}`, findings);
    const el = parsed.dataSet.elements.x7fe00010;
    const bytesPer = h.bitsAllocated / 8;
    let px: Uint8Array;
    let le = true;
    if (el?.encapsulatedPixelData) {
      px = await decodeSlice(h, parsed.dataSet, el);
    } else {
      if (!el || el.length < plane * bytesPer) {
        const f = finding(
          'TRUNCATED',
          'error',
          `${h.file}: pixel data holds ${el?.length ?? 0} bytes, ${plane * bytesPer} expected for ${nx}×${ny} at ${h.bitsAllocated} bits: the file is truncated or was changed.`,
          h.file,
        );
        throw new DicomError('INVALID_INPUT', f.message, [f]);
      }
      const bytes = parsed.dataSet.byteArray;
      px = bytes.subarray(el.dataOffset, el.dataOffset + plane * bytesPer);
      le = parsed.transferSyntaxUid !== EXPLICIT_VR_BE;
    }
    const slope = h.rescaleSlope;
    const icpt = h.rescaleIntercept;
    const base = k * plane;
    // The usual CT (16-bit little-endian words, integer slope and intercept) straight into the
    // Int16 volume, without the Float64 slice and its copy; a value outside Int16 sends this
    // slice through the general path below, which widens the volume.
    if (hu16 && bytesPer === 2 && le && HOST_LE && Number.isInteger(slope) && Number.isInteger(icpt) && sliceToInt16(px, h, plane, hu16, base)) continue;
    const { min, max } = sliceValues(px, le, h, plane, values);
    if (hu16 && (!Number.isInteger(slope) || !Number.isInteger(icpt) || min < -32768 || max > 32767)) {
      const wide: Float32Array = allocate(() => new Float32Array(plane * nz));
      copyInto(wide, hu16, base);
      hu32 = wide;
      hu16 = null;
    }
    if (hu16) copyInto(hu16, values, plane, base);
    else copyInto(hu32!, values, plane, base);
  }
  return hu16 ? { grid, data: hu16 } : { grid, data: hu32! };
}

/** `to[offset + t] = from[t]` for t < n (typed arrays; a plain loop the JIT keeps monomorphic per call site). */
function copyInto(to: Int16Array | Float32Array, from: ArrayLike<number>, n: number, offset = 0): void {
  for (let t = 0; t < n; t++) to[offset + t] = from[t];
}

/**
 * One slice of little-endian 16-bit stored values → HU (integer slope and intercept) written to
 * `out` from `offset`, as sliceValues computes them; false, with the slice partly written, as soon
 * as a value does not fit in Int16.
 */
function sliceToInt16(px: Uint8Array, h: ImageSliceHeader, plane: number, out: Int16Array, offset: number): boolean {
  const signed = h.pixelRepresentation === 1;
  const slope = h.rescaleSlope;
  const icpt = h.rescaleIntercept;
  const shift = 32 - h.bitsStored;
  const masked = h.bitsStored < h.bitsAllocated || signed;
  const keep = h.bitsStored < 32 ? (1 << h.bitsStored) - 1 : -1;
  const u16 = px.byteOffset % 2 === 0 ? new Uint16Array(px.buffer, px.byteOffset, plane) : new Uint16Array(px.slice(0, 2 * plane).buffer);
  for (let t = 0; t < plane; t++) {
    let raw = u16[t];
    if (masked) raw = signed ? (raw << shift) >> shift : raw & keep;
    const v = raw * slope + icpt;
    if (v < -32768 || v > 32767) return false;
    out[offset + t] = v;
  }
  return true;
}

/**
 * One slice's stored values → HU (stored × RescaleSlope + RescaleIntercept) in `out`, with their
 * range. Bits above BitsStored are not part of the value (PS3.5 §8.1.1); signed values are
 * sign-extended from BitsStored.
 */
function sliceValues(px: Uint8Array, le: boolean, h: ImageSliceHeader, plane: number, out: Float64Array): { min: number; max: number } {
  const bytesPer = h.bitsAllocated / 8;
  const signed = h.pixelRepresentation === 1;
  const slope = h.rescaleSlope;
  const icpt = h.rescaleIntercept;
  const shift = 32 - h.bitsStored;
  const masked = h.bitsStored < h.bitsAllocated || signed;
  const keep = h.bitsStored < 32 ? (1 << h.bitsStored) - 1 : -1;
  let min = Infinity;
  let max = -Infinity;
  if (bytesPer === 2 && le && HOST_LE) {
    // Little-endian 16-bit words, the usual CT: read them as a Uint16Array (copied when unaligned).
    const u16 = px.byteOffset % 2 === 0 ? new Uint16Array(px.buffer, px.byteOffset, plane) : new Uint16Array(px.slice(0, 2 * plane).buffer);
    for (let t = 0; t < plane; t++) {
      let raw = u16[t];
      if (masked) raw = signed ? (raw << shift) >> shift : raw & keep;
      const v = raw * slope + icpt;
      out[t] = v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    return { min, max };
  }
  const view = new DataView(px.buffer, px.byteOffset, px.byteLength);
  for (let t = 0; t < plane; t++) {
    let raw: number;
    if (bytesPer === 2) raw = view.getUint16(2 * t, le);
    else if (bytesPer === 1) raw = view.getUint8(t);
    else raw = view.getUint32(4 * t, le);
    if (masked) raw = signed ? (raw << shift) >> shift : h.bitsStored < 32 ? raw & keep : raw;
    const v = raw * slope + icpt;
    out[t] = v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Decode a compressed slice (one frame) to little-endian stored values. A codestream that does
 * not decode, or decodes to another size than Rows × Columns × SamplesPerPixel × BitsAllocated/8,
 * is an error naming the file and the transfer syntax (the series was readable when scanned, so
 * the file is corrupt or changed).
 */
async function decodeSlice(h: ImageSliceHeader, dataSet: DataSet, el: Element): Promise<Uint8Array> {
  const info = transferSyntaxInfo(h.transferSyntaxUid);
  const fail = (why: string): never => {
    const f = finding(
      'CORRUPT_PIXEL_DATA',
      'error',
      `${h.file}: the ${describeTransferSyntax(h.transferSyntaxUid)} pixel data cannot be decoded: ${why}. Check the file (e.g. dcmdjpeg/gdcmconv --raw on it) and export it again.`,
      h.file,
    );
    throw new DicomError('INVALID_INPUT', f.message, [f]);
  };
  if (!info.codec || info.codec === 'native') return fail('no decoder for this transfer syntax');
  let frame: Uint8Array;
  try {
    [frame] = readEncapsulatedFrames(dataSet, el, 1);
  } catch (e) {
    return fail((e as Error).message);
  }
  try {
    return await decodeFrame(info.codec, frame, { rows: h.rows, columns: h.columns, samplesPerPixel: h.samplesPerPixel, bitsAllocated: h.bitsAllocated });
  } catch (e) {
    return fail(e instanceof Error ? e.message : String(e));
  }
}
