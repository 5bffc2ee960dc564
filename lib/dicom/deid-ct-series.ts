/**
 * A CT volume as a de-identified CT series, byte for byte what `deidentifyDicom(encodeCtSeries(…))`
 * writes (lib/dicom write-ct-series.ts, deidentify.ts), at a fraction of dcmjs's cost.
 *
 * dcmjs takes about 20 ms to write a 512×512 slice and another 13 ms to read and re-write it for
 * the de-identification, 6 s for a 177-slice CT. Here the slices differ only in a few attributes
 * (SOP Instance UID, Instance Number, Image Position, Slice Location: whatever `ctSliceAttributes`
 * gives differently from slice 0), so:
 *
 * 1. slice 0's header (the attributes before Pixel Data) is written and de-identified by the
 *    full path, once: the template;
 * 2. every other slice's header is the template with its file meta and the varying attributes
 *    replaced by their de-identified encodings, which dcmjs writes and de-identifies from a
 *    dataset holding only those attributes (an element's encoding does not depend on the others);
 * 3. the pixels are written straight after it (7FE0,0010 OW, as dcmjs writes them).
 *
 * The last slice is also written by the full path (the whole file through dcmjs) and compared
 * byte for byte, pixels included:
 * any difference, or a header this module cannot walk, and the whole series takes the full path
 * (`strict` throws instead: the tests).
 */
import os from 'node:os';
import type { Grid, Volume, VoxelArray } from '@/lib/core/volume';
import { deidentifyDicom, type DeidentifyOptions } from './deidentify';
import { checkCtVolume, ctSliceAttributes, ctSlicePixels, encodePart10, type CtSeriesMetadata, type CtSliceFile } from './write-ct-series';

/** VRs with a 2-byte reserved field and a 4-byte length in explicit VR (PS3.5 7.1.2). */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const UNDEFINED = 0xffffffff;

class WalkError extends Error {}

interface Element {
  tag: number;
  start: number;
  end: number;
}

const u16 = (b: Uint8Array, p: number) => b[p] | (b[p + 1] << 8);
const u32 = (b: Uint8Array, p: number) => (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
const tagAt = (b: Uint8Array, p: number) => ((u16(b, p) << 16) | u16(b, p + 2)) >>> 0;
const ITEM = 0xfffee000;
const ITEM_END = 0xfffee00d;
const SEQUENCE_END = 0xfffee0dd;

/** End of the explicit-VR-LE element at `p`. */
function elementEnd(b: Uint8Array, p: number): number {
  if (p + 8 > b.length) throw new WalkError(`element header past the end at ${p}`);
  const vr = String.fromCharCode(b[p + 4], b[p + 5]);
  if (!/^[A-Z]{2}$/.test(vr)) throw new WalkError(`no explicit VR at ${p}`);
  let end: number;
  if (LONG_VRS.has(vr)) {
    const len = u32(b, p + 8);
    if (len === UNDEFINED) {
      if (vr !== 'SQ') throw new WalkError(`undefined length ${vr} at ${p}`);
      end = sequenceEnd(b, p + 12);
    } else end = p + 12 + len;
  } else end = p + 8 + u16(b, p + 6);
  if (end > b.length) throw new WalkError(`element at ${p} runs past the end`);
  return end;
}

/** End of an undefined-length sequence's items, after its delimiter. */
function sequenceEnd(b: Uint8Array, p: number): number {
  for (;;) {
    if (p + 8 > b.length) throw new WalkError('unterminated sequence');
    const tag = tagAt(b, p);
    if (tag === SEQUENCE_END) return p + 8;
    if (tag !== ITEM) throw new WalkError(`no item at ${p}`);
    const len = u32(b, p + 4);
    if (len !== UNDEFINED) {
      p += 8 + len;
      continue;
    }
    p += 8;
    while (tagAt(b, p) !== ITEM_END) p = elementEnd(b, p);
    p += 8;
  }
}

/** The top-level elements of a Part 10 file in explicit VR little endian: file meta, then dataset. */
function walk(b: Uint8Array): { meta: Element[]; dataset: Element[] } {
  if (b.length < 132 || b[128] !== 0x44 || b[129] !== 0x49 || b[130] !== 0x43 || b[131] !== 0x4d) throw new WalkError('no DICM prefix');
  const meta: Element[] = [];
  const dataset: Element[] = [];
  for (let p = 132; p < b.length;) {
    const tag = tagAt(b, p);
    const end = elementEnd(b, p);
    (tag >>> 16 === 2 ? meta : dataset).push({ tag, start: p, end });
    p = end;
  }
  return { meta, dataset };
}

/** Slice k's file: the template header with the file meta and `replace`'s elements spliced in, then the pixels. */
function splice(template: Uint8Array, t: { meta: Element[]; dataset: Element[] }, part: Uint8Array, pixels: Uint16Array): Uint8Array {
  const r = walk(part);
  const byTag = new Map(r.dataset.map((e) => [e.tag, e]));
  for (const tag of byTag.keys()) if (!t.dataset.some((e) => e.tag === tag)) throw new WalkError(`attribute ${tag.toString(16)} is not in the template`);
  const metaStart = r.meta[0]?.start ?? 132;
  const metaEnd = r.meta.at(-1)?.end ?? 132;
  let size = 132 + (metaEnd - metaStart);
  for (const e of t.dataset) {
    const x = byTag.get(e.tag);
    size += x ? x.end - x.start : e.end - e.start;
  }
  const pixelBytes = pixels.length * 2;
  const out = new Uint8Array(size + 12 + pixelBytes);
  out.set(template.subarray(0, 132), 0);
  out.set(part.subarray(metaStart, metaEnd), 132);
  let at = 132 + (metaEnd - metaStart);
  for (const e of t.dataset) {
    const x = byTag.get(e.tag);
    const src = x ? part.subarray(x.start, x.end) : template.subarray(e.start, e.end);
    out.set(src, at);
    at += src.length;
  }
  writePixels(out, at, pixels);
  return out;
}

const LITTLE_ENDIAN = os.endianness() === 'LE';

/** (7FE0,0010) OW with a defined length, then the pixels little endian, at `at`. */
function writePixels(out: Uint8Array, at: number, pixels: Uint16Array): void {
  out.set([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x57, 0, 0], at);
  const len = pixels.length * 2;
  out[at + 8] = len & 0xff;
  out[at + 9] = (len >>> 8) & 0xff;
  out[at + 10] = (len >>> 16) & 0xff;
  out[at + 11] = (len >>> 24) & 0xff;
  const p = at + 12;
  if (LITTLE_ENDIAN) out.set(new Uint8Array(pixels.buffer, pixels.byteOffset, len), p);
  else
    for (let n = 0; n < pixels.length; n++) {
      out[p + 2 * n] = pixels[n] & 0xff;
      out[p + 2 * n + 1] = pixels[n] >>> 8;
    }
}

/** The full path for one slice: encodeCtSeries's file, de-identified whole by deidentifyDicom. */
function fullPathSlice(grid: Grid, meta: CtSeriesMetadata, k: number, pixels: Uint16Array, deid: DeidentifyOptions): Uint8Array {
  const a = ctSliceAttributes(grid, meta, k);
  const own = pixels.byteOffset === 0 && pixels.byteLength === pixels.buffer.byteLength ? pixels : pixels.slice();
  return deidentifyDicom(encodePart10(a.fileMeta, { ...a.dataset, PixelData: [own.buffer], _vrMap: { PixelData: 'OW' } }), deid);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || (Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => x === b[i]));
}

/**
 * Every slice of `volume` as a de-identified CT Image Storage file (the `bytes`); the other fields
 * (file name, SOP Instance UID) are the real ones, as encodeCtSeries returns them, for callers
 * that reference the slices from an RTSTRUCT they de-identify the same way.
 * @throws CtSeriesWriteError as encodeCtSeries; with `strict`, an Error when the fast path cannot
 *   reproduce the full path (the tests); without, that case silently takes the full path.
 */
export function encodeDeidentifiedCtSeries(
  volume: Volume<VoxelArray>,
  meta: CtSeriesMetadata,
  deid: DeidentifyOptions,
  { strict = false }: { strict?: boolean } = {},
): CtSliceFile[] {
  checkCtVolume(volume);
  const grid = volume.grid;
  const nz = grid.dims[2];
  const files: CtSliceFile[] = [];
  const file = (k: number, bytes: Uint8Array, a: { fileName: string; sopInstanceUid: string; ipp: [number, number, number] }): CtSliceFile => ({
    fileName: a.fileName,
    sopInstanceUid: a.sopInstanceUid,
    instanceNumber: k + 1,
    sliceIndex: k,
    imagePositionPatientMm: a.ipp,
    bytes,
  });
  const first = ctSliceAttributes(grid, meta, 0);
  const template = deidentifyDicom(encodePart10(first.fileMeta, first.dataset), deid);
  try {
    const t = walk(template);
    for (let k = 0; k < nz; k++) {
      const pixels = ctSlicePixels(volume, k);
      const a = k === 0 ? first : ctSliceAttributes(grid, meta, k);
      const part: Record<string, unknown> = { SpecificCharacterSet: a.dataset.SpecificCharacterSet };
      for (const [key, value] of Object.entries(a.dataset)) if (!sameValue(value, first.dataset[key])) part[key] = value;
      for (const key of Object.keys(first.dataset)) if (!(key in a.dataset)) throw new WalkError(`slice ${k} has no ${key}`);
      files.push(file(k, splice(template, t, deidentifyDicom(encodePart10(a.fileMeta, part), deid), pixels), a));
    }
    const last = files[nz - 1];
    if (last && !sameBytes(last.bytes, fullPathSlice(grid, meta, nz - 1, ctSlicePixels(volume, nz - 1), deid)))
      throw new WalkError(`slice ${nz - 1} differs from the full path`);
    return files;
  } catch (e) {
    if (!(e instanceof WalkError)) throw e;
    if (strict) throw new Error(`encodeDeidentifiedCtSeries: ${e.message}`, { cause: e });
  }
  const slow: CtSliceFile[] = [];
  for (let k = 0; k < nz; k++) slow.push(file(k, fullPathSlice(grid, meta, k, ctSlicePixels(volume, k), deid), ctSliceAttributes(grid, meta, k)));
  return slow;
}
