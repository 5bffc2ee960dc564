/**
 * One axial CT slice as a greyscale PNG in a viewer window (lung or mediastinum), for the study
 * page's first image (issue #19): the page's HTML names it in an <img>, so the browser fetches
 * it while the page's scripts load, and the slice is on screen before the viewer's code runs.
 *
 * The pixels are those the viewer's canvas draws (lib/core/viewer: the same grey level per HU,
 * windowGrey, and the same axial layout, sliceLayout), from getStudySlice, so the same checks apply: studies:view, the series
 * looked up under the study, the bytes checked against their recorded sha256 before any is drawn.
 */
import { crc32, deflateSync } from 'node:zlib';
import { LUT_OFFSET, WINDOW_PRESETS, type WindowPreset, sliceLayout, windowGrey } from '@/lib/core/viewer';
import type { Db } from '../db/client';
import type { Caller } from '../auth/roles';
import type { VolumeStore } from '../storage/volume-store';
import { getStudySlice } from './get-study-slice';

/** Grey level of every Int16 value in a window (windowGrey, as the canvas's LUT), built once per window. */
const luts = new Map<WindowPreset, Uint8Array>();
function greyLut(window: WindowPreset): Uint8Array {
  let lut = luts.get(window);
  if (!lut) {
    lut = new Uint8Array(65536);
    for (let n = 0; n < 65536; n++) lut[n] = windowGrey(n - LUT_OFFSET, WINDOW_PRESETS[window]);
    luts.set(window, lut);
  }
  return lut;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** An 8-bit greyscale PNG of `grey` (width × height, rows top to bottom). */
export function encodeGreyPng(width: number, height: number, grey: Uint8Array): Uint8Array<ArrayBuffer> {
  if (grey.length !== width * height) throw new RangeError(`A ${width}×${height} image needs ${width * height} grey values, not ${grey.length}.`);
  const raw = new Uint8Array((width + 1) * height);
  for (let y = 0; y < height; y++) raw.set(grey.subarray(y * width, (y + 1) * width), y * (width + 1) + 1); // filter 0 per row
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  // Synchronous: a few milliseconds for a 512×512 slice, not worth a queue on the thread pool.
  const idat = deflateSync(raw, { level: 1 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', idat),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

export interface SliceImage {
  png: Uint8Array<ArrayBuffer>;
  width: number;
  height: number;
  /** For HTTP caching: the slice's identity and the window. */
  tag: string;
}

/**
 * Axial slice `index` of CT series `seriesId` in window `window`, as PNG bytes, with a tag for
 * HTTP caching (the slice's identity and the window).
 * @throws AppError as getStudySlice.
 */
export async function getStudySliceImage(
  db: Db,
  store: VolumeStore,
  opts: { caller: Caller | null; studyId: string; seriesId: string; index: number; window: WindowPreset; storeOnly?: false },
): Promise<SliceImage>;
/** With `storeOnly`, null where the series' slice store is not built yet (getStudySlice). */
export async function getStudySliceImage(
  db: Db,
  store: VolumeStore,
  opts: { caller: Caller | null; studyId: string; seriesId: string; index: number; window: WindowPreset; storeOnly: boolean },
): Promise<SliceImage | null>;
export async function getStudySliceImage(
  db: Db,
  store: VolumeStore,
  opts: { caller: Caller | null; studyId: string; seriesId: string; index: number; window: WindowPreset; storeOnly?: boolean },
): Promise<SliceImage | null> {
  const slice = await getStudySlice(db, store, { ...opts, storeOnly: opts.storeOnly ?? false });
  if (!slice) return null;
  const ct = new Int16Array(slice.bytes.buffer, slice.bytes.byteOffset, slice.bytes.byteLength / 2);
  // The axial view's pixels (lib/core/viewer/slice-geometry.ts): columns i, rows j, anterior at the top.
  const { width, height, origin, colStride, rowStride } = sliceLayout(slice.grid.dims, slice.grid.spacingMm, 'axial', 0, false);
  const lut = greyLut(opts.window);
  const grey = new Uint8Array(width * height);
  // The imported constant copied to a local: a bundler may turn each read of an imported binding
  // into a getter call (in a stand-alone script under tsx that made this loop ten times slower).
  const offset = LUT_OFFSET;
  for (let y = 0; y < height; y++) {
    const row = origin + y * rowStride;
    for (let x = 0; x < width; x++) grey[y * width + x] = lut[ct[row + x * colStride]! + offset]!;
  }
  return { png: encodeGreyPng(width, height, grey), width, height, tag: `${slice.sha256}-${opts.window}` };
}
