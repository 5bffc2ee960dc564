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
  let hu: Float32Array;
  try {
    hu = new Float32Array(plane * nz);
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
  let integral = true;
  let min = Infinity;
  let max = -Infinity;
  for (let k = 0; k < nz; k++) {
    const h = series.slices[k];
    const { parsed, findings } = parseDicomBytes(await read(h.file), h.file);
    if (!parsed) throw new DicomError('INVALID_INPUT', `${h.file} no longer parses: ${findings.map((f) => f.message).join(' ')}`, findings);
    const el = parsed.dataSet.elements.x7fe00010;
    const bytesPer = h.bitsAllocated / 8;
    let view: DataView;
    let le = true;
    if (el?.encapsulatedPixelData) {
      const px = await decodeSlice(h, parsed.dataSet, el);
      view = new DataView(px.buffer, px.byteOffset, px.byteLength);
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
      view = new DataView(bytes.buffer, bytes.byteOffset + el.dataOffset, plane * bytesPer);
      le = parsed.transferSyntaxUid !== EXPLICIT_VR_BE;
    }
    const signed = h.pixelRepresentation === 1;
    const slope = h.rescaleSlope;
    const icpt = h.rescaleIntercept;
    if (!Number.isInteger(slope) || !Number.isInteger(icpt)) integral = false;
    // Bits above BitsStored are not part of the value (PS3.5 §8.1.1); sign-extend from BitsStored.
    const shift = 32 - h.bitsStored;
    const base = k * plane;
    for (let t = 0; t < plane; t++) {
      let raw: number;
      if (bytesPer === 2) raw = view.getUint16(2 * t, le);
      else if (bytesPer === 1) raw = view.getUint8(t);
      else raw = view.getUint32(4 * t, le);
      if (h.bitsStored < h.bitsAllocated || signed) {
        raw = signed ? (raw << shift) >> shift : h.bitsStored < 32 ? raw & ((1 << h.bitsStored) - 1) : raw;
      }
      const v = raw * slope + icpt;
      hu[base + t] = v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (integral && min >= -32768 && max <= 32767) return { grid, data: Int16Array.from(hu) };
  return { grid, data: hu };
}

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
