/**
 * One axial CT slice as a greyscale PNG in a viewer window (lung or mediastinum), for the study
 * page's first image (issue #19): the page's HTML names it in an <img>, so the browser fetches
 * it while the page's scripts load, and the slice is on screen before the viewer's code runs.
 *
 * The pixels are those the viewer's canvas draws (renderSlice of lib/core/viewer: same window
 * LUT, same orientation), from getStudySlice, so the same checks apply: studies:view, the series
 * looked up under the study, the bytes checked against their recorded sha256 before any is drawn.
 */
import { crc32, deflate } from 'node:zlib';
import { promisify } from 'node:util';
import { WINDOW_PRESETS, type WindowPreset, buildWindowLut, renderSlice } from '@/lib/core/viewer';
import type { Db } from '../db/client';
import type { Caller } from '../auth/roles';
import type { VolumeStore } from '../storage/volume-store';
import { getStudySlice } from './get-study-slice';

const deflateAsync = promisify(deflate);

const luts = new Map<WindowPreset, Uint32Array>();

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** An 8-bit greyscale PNG of `grey` (width × height, rows top to bottom). */
export async function encodeGreyPng(width: number, height: number, grey: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  if (grey.length !== width * height) throw new RangeError(`A ${width}×${height} image needs ${width * height} grey values, not ${grey.length}.`);
  const raw = new Uint8Array((width + 1) * height);
  for (let y = 0; y < height; y++) raw.set(grey.subarray(y * width, (y + 1) * width), y * (width + 1) + 1); // filter 0 per row
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const idat = await deflateAsync(raw, { level: 1 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', idat),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/**
 * Axial slice `index` of CT series `seriesId` in window `window`, as PNG bytes, with a tag for
 * HTTP caching (the slice's identity and the window).
 * @throws AppError as getStudySlice.
 */
export async function getStudySliceImage(
  db: Db,
  store: VolumeStore,
  opts: { caller: Caller | null; studyId: string; seriesId: string; index: number; window: WindowPreset },
): Promise<{ png: Uint8Array<ArrayBuffer>; width: number; height: number; tag: string }> {
  const slice = await getStudySlice(db, store, opts);
  const ct = new Int16Array(slice.bytes.buffer, slice.bytes.byteOffset, slice.bytes.byteLength / 2);
  let lut = luts.get(opts.window);
  if (!lut) luts.set(opts.window, (lut = buildWindowLut(WINDOW_PRESETS[opts.window])));
  const { pixels, layout } = renderSlice({ ct, dims: slice.grid.dims, spacingMm: slice.grid.spacingMm, orientation: 'axial', index: 0, flipK: false, lut });
  const grey = new Uint8Array(layout.width * layout.height);
  for (let q = 0; q < grey.length; q++) grey[q] = pixels[q * 4]!;
  return { png: await encodeGreyPng(layout.width, layout.height, grey), width: layout.width, height: layout.height, tag: `${slice.sha256}-${opts.window}` };
}
