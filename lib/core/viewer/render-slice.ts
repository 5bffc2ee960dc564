/**
 * The viewer's render path: one slice of an Int16 CT (HU) through a window LUT into an RGBA
 * buffer, then mask overlays composited on top. Pure and allocation-free when `out` is passed,
 * so scrolling a 512×512 slice costs a few milliseconds (bench/dashboard/viewer-render.ts).
 */
import type { Vec3 } from '@/lib/core/volume';
import { type Orientation, type SliceLayout, sliceLayout } from './slice-geometry';
import { LUT_OFFSET } from './window-lut';
import { type DoseOverlay, type IsodoseLabel, compositeDose } from './dose-slice';

export type Rgb = readonly [number, number, number];

export interface OverlayLayer {
  /** 0/1 per voxel, same length as the CT. Treated as immutable: its bounding box is cached. */
  mask: Uint8Array;
  /** When given, only voxels outside it are drawn (FP = machine ∖ physician). */
  minus?: Uint8Array | null;
  color: Rgb;
  /** Opacity 0–1 of the drawn pixels. */
  alpha: number;
  /** 'fill' paints every voxel; 'outline' only those with an in-plane 4-neighbour outside. */
  style: 'fill' | 'outline';
}

export interface RenderSliceInput {
  ct: Int16Array;
  dims: Readonly<Vec3>;
  spacingMm: Readonly<Vec3>;
  orientation: Orientation;
  index: number;
  /** Reverse k on coronal/sagittal rows (superiorUp(grid)). */
  flipK: boolean;
  /** From buildWindowLut. */
  lut: Uint32Array;
  layers?: readonly OverlayLayer[];
  /** Dose wash and isodose lines, drawn over the CT and under the layers (contours, then FP/FN). */
  dose?: DoseOverlay | null;
  /** Reused output buffer (width·height·4 bytes); a new one is made when absent or too small. */
  out?: Uint8ClampedArray;
}

export interface RenderedSlice {
  pixels: Uint8ClampedArray;
  layout: SliceLayout;
  /** Where the drawn isodose lines may be labelled (empty without dose). */
  isodoseLabels: IsodoseLabel[];
}

/**
 * @throws RangeError when the slice index is outside the volume, or the CT or a mask does not
 *   have dims[0]·dims[1]·dims[2] voxels.
 */
export function renderSlice(input: RenderSliceInput): RenderedSlice {
  // v walks the slice inside the volume, and lut covers every Int16 value + LUT_OFFSET, hence the `!`s.
  const { ct, dims, lut } = input;
  const n = dims[0] * dims[1] * dims[2];
  if (ct.length !== n) throw new RangeError(`The CT has ${ct.length} voxels but its grid ${dims.join('×')} needs ${n}.`);
  const layout = sliceLayout(dims, input.spacingMm, input.orientation, input.index, input.flipK);
  const { width, height, origin, colStride, rowStride } = layout;
  const size = width * height * 4;
  const pixels = input.out && input.out.length >= size ? input.out : new Uint8ClampedArray(size);
  const out32 = new Uint32Array(pixels.buffer, pixels.byteOffset, width * height);

  for (let r = 0, p = 0; r < height; r++) {
    let v = origin + r * rowStride;
    for (let c = 0; c < width; c++, p++, v += colStride) out32[p] = lut[ct[v]! + LUT_OFFSET]!;
  }

  const isodoseLabels = input.dose ? compositeDose(pixels, width, height, input.dose) : [];

  for (const layer of input.layers ?? []) {
    if (layer.mask.length !== n) throw new RangeError(`An overlay mask has ${layer.mask.length} voxels but the CT grid ${dims.join('×')} needs ${n}.`);
    if (layer.minus && layer.minus.length !== n)
      throw new RangeError(`An overlay's subtracted mask has ${layer.minus.length} voxels but the CT grid needs ${n}.`);
    const range = layerPixelRange(maskBox(layer.mask, dims), dims, input.orientation, input.index, input.flipK);
    if (range) compositeLayer(pixels, layout, layer, range);
  }
  return { pixels, layout, isodoseLabels };
}

export interface VoxelBox {
  lo: Vec3;
  hi: Vec3;
}

// Masks are small next to the CT: compositing only inside a mask's bounding box makes the
// overlay cost follow the structure's size, not the slice's (strided sagittal reads are slow).
const boxCache = new WeakMap<Uint8Array, { key: string; box: VoxelBox | null }>();

/** Inclusive voxel bounding box of a mask's non-zero voxels (cached per array), null if empty. */
export function maskBox(mask: Uint8Array, dims: Readonly<Vec3>): VoxelBox | null {
  const key = dims.join('x');
  const hit = boxCache.get(mask);
  if (hit && hit.key === key) return hit.box;
  const [nx, ny] = dims;
  const plane = nx * ny;
  // The first and last non-zero voxels give the k range (both scans stop early); only the
  // planes in that range are read for the i and j ranges.
  let first = 0;
  while (first < mask.length && mask[first] === 0) first++;
  if (first === mask.length) {
    boxCache.set(mask, { key, box: null });
    return null;
  }
  let last = mask.length - 1;
  while (mask[last] === 0) last--;
  const k0 = Math.floor(first / plane);
  const k1 = Math.floor(last / plane);
  const lo: Vec3 = [nx, ny, k0];
  const hi: Vec3 = [-1, -1, k1];
  for (let k = k0; k <= k1; k++)
    for (let j = 0, q = k * plane; j < ny; j++)
      for (let i = 0; i < nx; i++, q++)
        if (mask[q] !== 0) {
          if (i < lo[0]) lo[0] = i;
          if (i > hi[0]) hi[0] = i;
          if (j < lo[1]) lo[1] = j;
          if (j > hi[1]) hi[1] = j;
        }
  const box = { lo, hi };
  boxCache.set(mask, { key, box });
  return box;
}

/**
 * Record a mask's bounding box computed elsewhere (the server sends it with the volume), so the
 * first render after a load does not scan the whole mask.
 */
export function setMaskBox(mask: Uint8Array, dims: Readonly<Vec3>, box: VoxelBox | null): void {
  boxCache.set(mask, { key: dims.join('x'), box });
}

interface PixelRange {
  c0: number;
  c1: number;
  r0: number;
  r1: number;
}

/** The screen rectangle (inclusive) a voxel box covers on one slice, or null if it misses it. */
function layerPixelRange(
  box: VoxelBox | null,
  dims: Readonly<Vec3>,
  orientation: RenderSliceInput['orientation'],
  index: number,
  flipK: boolean,
): PixelRange | null {
  if (!box) return null;
  const axis = orientation === 'axial' ? 2 : orientation === 'coronal' ? 1 : 0;
  if (index < box.lo[axis] || index > box.hi[axis]) return null;
  const colAxis = orientation === 'sagittal' ? 1 : 0;
  const c0 = box.lo[colAxis];
  const c1 = box.hi[colAxis];
  if (orientation === 'axial') return { c0, c1, r0: box.lo[1], r1: box.hi[1] };
  const nz = dims[2];
  return flipK ? { c0, c1, r0: nz - 1 - box.hi[2], r1: nz - 1 - box.lo[2] } : { c0, c1, r0: box.lo[2], r1: box.hi[2] };
}

function compositeLayer(pixels: Uint8ClampedArray, layout: SliceLayout, layer: OverlayLayer, range: PixelRange): void {
  // q + 2 < pixels.length (4 bytes per pixel of the slice), hence the `!`s.
  const { width, height, origin, colStride, rowStride } = layout;
  const { mask, minus } = layer;
  const a = Math.round(Math.min(1, Math.max(0, layer.alpha)) * 256);
  const [cr, cg, cb] = layer.color;
  const inside = minus ? (v: number) => mask[v] !== 0 && minus[v] === 0 : (v: number) => mask[v] !== 0;
  const outline = layer.style === 'outline';
  for (let r = range.r0; r <= range.r1; r++) {
    let v = origin + r * rowStride + range.c0 * colStride;
    for (let c = range.c0, p = r * width + range.c0; c <= range.c1; c++, p++, v += colStride) {
      if (mask[v] === 0 || (minus && minus[v] !== 0)) continue;
      if (outline) {
        // An edge pixel: the slice border or an in-plane neighbour outside the layer.
        const edge =
          c === 0 ||
          c === width - 1 ||
          r === 0 ||
          r === height - 1 ||
          !inside(v - colStride) ||
          !inside(v + colStride) ||
          !inside(v - rowStride) ||
          !inside(v + rowStride);
        if (!edge) continue;
      }
      const q = p * 4;
      pixels[q] = pixels[q]! + (((cr - pixels[q]!) * a) >> 8);
      pixels[q + 1] = pixels[q + 1]! + (((cg - pixels[q + 1]!) * a) >> 8);
      pixels[q + 2] = pixels[q + 2]! + (((cb - pixels[q + 2]!) * a) >> 8);
    }
  }
}
