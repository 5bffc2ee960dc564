/**
 * Window/level as a look-up table from every Int16 value (HU) to an opaque grey RGBA pixel, so
 * rendering a slice is one table read per pixel. Built once per window change (65,536 entries).
 */

export interface WindowLevel {
  /** Window width (HU), > 0. */
  width: number;
  /** Window centre (HU). */
  level: number;
}

/** Lung W1500/L−600 and mediastinum W350/L40 (the usual radiotherapy presets). */
export const WINDOW_PRESETS = {
  lung: { width: 1500, level: -600 },
  mediastinum: { width: 350, level: 40 },
} as const satisfies Record<string, WindowLevel>;
export type WindowPreset = keyof typeof WINDOW_PRESETS;

/** Offset of HU value `v` in the LUT: index = v + 32768. */
export const LUT_OFFSET = 32768;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** One RGBA pixel packed for a Uint32Array view of an RGBA byte buffer on this machine. */
function packRgba(r: number, g: number, b: number, a = 255): number {
  return LITTLE_ENDIAN ? ((a << 24) | (b << 16) | (g << 8) | r) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | a) >>> 0;
}

/**
 * Grey level (0–255) of `hu` in a window: linear from level − width/2 (black) to
 * level + width/2 (white), clamped, rounded to the nearest integer.
 * @throws RangeError when the width is not a positive finite number.
 */
export function windowGrey(hu: number, w: WindowLevel): number {
  if (!(w.width > 0) || !Number.isFinite(w.width)) throw new RangeError(`Window width must be a positive number of HU, not ${w.width}.`);
  const lo = w.level - w.width / 2;
  const g = ((hu - lo) / w.width) * 255;
  return g <= 0 ? 0 : g >= 255 ? 255 : Math.round(g);
}

/** The LUT for a window: lut[hu + LUT_OFFSET] is the packed grey pixel. */
export function buildWindowLut(w: WindowLevel): Uint32Array {
  windowGrey(0, w); // validates
  const lut = new Uint32Array(65536);
  const lo = w.level - w.width / 2;
  const scale = 255 / w.width;
  for (let n = 0; n < 65536; n++) {
    const g0 = (n - LUT_OFFSET - lo) * scale;
    const g = g0 <= 0 ? 0 : g0 >= 255 ? 255 : Math.round(g0);
    lut[n] = packRgba(g, g, g);
  }
  return lut;
}
