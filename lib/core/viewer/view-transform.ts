/**
 * Zoom and pan of one slice view (the projector viewer, issue #16 item 5). Pure.
 *
 * A view shows the whole slice at zoom 1, fitted to its box. A transform is the zoom (≥ 1) and
 * the image point at the box's centre, both as fractions of the slice (0–1 across, 0–1 down), so
 * it does not depend on the box's size in CSS pixels and survives a resize or a layout switch.
 * The visible window is the image rectangle of size 1/zoom around the centre; the centre is
 * clamped so that the window never leaves the image (at zoom 1 it is the image's centre).
 *
 * A point in the box is also given as fractions (0–1 of the box's width and height): the box
 * keeps the slice's physical aspect ratio, so the same fraction maps to the same image fraction
 * on both axes.
 */
import type { Vec3 } from '@/lib/core/volume';
import { type Orientation, viewPixelToVoxel } from './slice-geometry';

export interface ViewTransform {
  zoom: number;
  /** Image point at the centre of the box, as fractions of the slice's width and height. */
  centre: readonly [number, number];
}

export const MIN_ZOOM = 1;
export const MAX_ZOOM = 16;
/** One step of the + / − buttons and keys, and of one wheel notch with the modifier. */
export const ZOOM_STEP = 1.25;

export const IDENTITY_VIEW: ViewTransform = { zoom: 1, centre: [0.5, 0.5] };

const clamp = (x: number, lo: number, hi: number) => (x < lo ? lo : x > hi ? hi : x);

/** The zoom within [MIN_ZOOM, MAX_ZOOM] and the centre where the visible window stays inside the image. */
export function clampView(t: ViewTransform): ViewTransform {
  const zoom = clamp(Number.isFinite(t.zoom) ? t.zoom : 1, MIN_ZOOM, MAX_ZOOM);
  const half = 0.5 / zoom;
  const c = (x: number) => clamp(Number.isFinite(x) ? x : 0.5, half, 1 - half);
  return { zoom, centre: [c(t.centre[0]), c(t.centre[1])] };
}

/** Image point (fractions of the slice) under a box point (fractions of the box). */
export function viewToImage(t: ViewTransform, at: readonly [number, number]): [number, number] {
  return [t.centre[0] + (at[0] - 0.5) / t.zoom, t.centre[1] + (at[1] - 0.5) / t.zoom];
}

/** Box point (fractions of the box) where an image point (fractions of the slice) is drawn; outside 0–1 when not visible. */
export function imageToView(t: ViewTransform, p: readonly [number, number]): [number, number] {
  return [(p[0] - t.centre[0]) * t.zoom + 0.5, (p[1] - t.centre[1]) * t.zoom + 0.5];
}

/**
 * Zoom by `factor` keeping the image point under the box point `anchor` (fractions; the box's
 * centre when omitted) where it is, as far as the clamping allows.
 */
export function zoomView(t: ViewTransform, factor: number, anchor: readonly [number, number] = [0.5, 0.5]): ViewTransform {
  const p = viewToImage(t, anchor);
  const zoom = clamp(t.zoom * factor, MIN_ZOOM, MAX_ZOOM);
  return clampView({ zoom, centre: [p[0] - (anchor[0] - 0.5) / zoom, p[1] - (anchor[1] - 0.5) / zoom] });
}

/** Drag the image by (dx, dy) fractions of the box: the image follows the pointer. */
export function panView(t: ViewTransform, dx: number, dy: number): ViewTransform {
  return clampView({ zoom: t.zoom, centre: [t.centre[0] - dx / t.zoom, t.centre[1] - dy / t.zoom] });
}

/** Centre the view on an image point (fractions), keeping the zoom (clamped at the image's edges). */
export function centreViewOn(t: ViewTransform, p: readonly [number, number]): ViewTransform {
  return clampView({ zoom: t.zoom, centre: [p[0], p[1]] });
}

/** The visible source rectangle in slice pixels (for drawImage), for a slice of width × height pixels. */
export function visibleRect(t: ViewTransform, width: number, height: number): { x: number; y: number; w: number; h: number } {
  const w = width / t.zoom;
  const h = height / t.zoom;
  return { x: t.centre[0] * width - w / 2, y: t.centre[1] * height - h / 2, w, h };
}

/** The slice pixel (col, row) under a box point (fractions), clamped to the slice. */
export function viewPointToPixel(t: ViewTransform, at: readonly [number, number], width: number, height: number): { col: number; row: number } {
  const [u, v] = viewToImage(t, at);
  return { col: clamp(Math.floor(u * width), 0, width - 1), row: clamp(Math.floor(v * height), 0, height - 1) };
}

/** The voxel under a box point of a zoomed view of slice `index`. */
export function viewPointToVoxel(
  t: ViewTransform,
  at: readonly [number, number],
  slice: { dims: Readonly<Vec3>; orientation: Orientation; index: number; flipK: boolean; width: number; height: number },
): Vec3 {
  const { col, row } = viewPointToPixel(t, at, slice.width, slice.height);
  return viewPixelToVoxel(slice.dims, slice.orientation, slice.index, col, row, slice.flipK);
}

/** Box point (fractions) of a slice pixel's centre: where the crosshair is drawn. */
export function pixelToViewPoint(t: ViewTransform, col: number, row: number, width: number, height: number): [number, number] {
  return imageToView(t, [(col + 0.5) / width, (row + 0.5) / height]);
}
