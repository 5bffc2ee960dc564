'use client';
/**
 * One view (axial, coronal or sagittal) on a <canvas>: the slice through the cursor rendered by
 * lib/core/viewer into an RGBA buffer (CT, dose wash and isodose lines, contours, then FP/FN on
 * top), scaled to its physical aspect ratio inside its box, zoomed and panned by its
 * ViewTransform (lib/core/viewer/view-transform.ts), with the crosshair and the isodose labels.
 * Click or drag moves the cursor (or pans, in pan mode, with Shift or the middle button); the
 * wheel scrolls slices, Ctrl/⌘ + wheel zooms about the pointer; the arrow / Page keys scroll.
 * With `onActivate` (a small view of the large layout) a click makes it the large view instead.
 */
import { useEffect, useMemo, useRef } from 'react';
import type { Grid, Vec3, Volume } from '@/lib/core/volume';
import {
  type DoseDisplay,
  type OverlayLayer,
  type Orientation,
  type ViewTransform,
  SLICE_AXIS,
  ZOOM_STEP,
  panView,
  pixelToViewPoint,
  renderSlice,
  sampleDoseOnSlice,
  sliceLayout,
  viewPointToVoxel,
  visibleRect,
  voxelToViewPixel,
  zoomView,
} from '@/lib/core/viewer';
import styles from './viewer.module.css';

export interface SliceDose {
  volume: Volume<Float32Array>;
  /** The CT grid (patient geometry) the slice belongs to. */
  grid: Grid;
  display: DoseDisplay;
  wash: boolean;
  isodoses: boolean;
}

export interface SliceCanvasProps {
  orientation: Orientation;
  ct: Int16Array;
  dims: Vec3;
  spacingMm: Vec3;
  flipK: boolean;
  lut: Uint32Array;
  layers: OverlayLayer[];
  cursor: Vec3;
  onCursor: (v: Vec3) => void;
  /** The box the image is fitted into, CSS pixels. */
  boxW: number;
  boxH: number;
  view: ViewTransform;
  onView: (t: ViewTransform) => void;
  /** What a left-button drag does. */
  dragMode: 'crosshair' | 'pan';
  dose?: SliceDose | null;
  /** Set on a small view of the large layout: a click makes it the large view. */
  onActivate?: () => void;
  onRendered?: (ms: number) => void;
  /** The first image, before the volume: its own test id and caption (`ct` holds one slice). */
  preview?: { caption: string };
}

const TITLES: Record<Orientation, string> = { axial: 'Axial', coronal: 'Coronal', sagittal: 'Sagittal' };
const EDGE: Record<Orientation, [string, string, string, string]> = {
  // top, right, bottom, left (patient directions, radiological convention)
  axial: ['A', 'L', 'P', 'R'],
  coronal: ['S', 'L', 'I', 'R'],
  sagittal: ['S', 'P', 'I', 'A'],
};
const WASH_ALPHA = 0.4;

export function SliceCanvas(p: SliceCanvasProps) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const bufferRef = useRef<{ canvas: HTMLCanvasElement; pixels: Uint8ClampedArray | undefined }>(null);
  const drag = useRef<{ x: number; y: number; view: ViewTransform; pan: boolean } | null>(null);
  const axis = SLICE_AXIS[p.orientation];
  const index = p.cursor[axis];
  const layout = sliceLayout(p.dims, p.spacingMm, p.orientation, index, p.flipK);
  const physW = layout.width * layout.pixelWidthMm;
  const physH = layout.height * layout.pixelHeightMm;
  const scale = Math.min(p.boxW / physW, p.boxH / physH);
  const cssW = Math.max(1, Math.round(physW * scale));
  const cssH = Math.max(1, Math.round(physH * scale));

  // Latest props for the native listeners.
  const latest = useRef(p);
  latest.current = p;

  const doseVolume = p.dose?.volume;
  const doseGrid = p.dose?.grid;
  const doseOn = !!p.dose && (p.dose.wash || p.dose.isodoses);
  // The dose on this plane: resampled when the slice changes, not when the crosshair moves within it.
  const doseValues = useMemo(
    () =>
      doseOn && doseVolume && doseGrid
        ? sampleDoseOnSlice({ dose: doseVolume, grid: doseGrid, orientation: p.orientation, index, flipK: p.flipK }).values
        : null,
    [doseOn, doseVolume, doseGrid, p.orientation, index, p.flipK],
  );

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const t0 = performance.now();
    const r = renderSlice({
      ct: p.ct,
      dims: p.dims,
      spacingMm: p.spacingMm,
      orientation: p.orientation,
      index,
      flipK: p.flipK,
      lut: p.lut,
      layers: p.layers,
      dose: doseValues && p.dose ? { values: doseValues, display: p.dose.display, wash: p.dose.wash, washAlpha: WASH_ALPHA, isodoses: p.dose.isodoses } : null,
      out: bufferRef.current?.pixels,
    });
    if (!bufferRef.current) bufferRef.current = { canvas: document.createElement('canvas'), pixels: undefined };
    const buf = bufferRef.current;
    buf.pixels = r.pixels;
    const { width, height } = r.layout;
    if (buf.canvas.width !== width || buf.canvas.height !== height) {
      buf.canvas.width = width;
      buf.canvas.height = height;
    }
    buf.canvas.getContext('2d')!.putImageData(new ImageData(r.pixels.subarray(0, width * height * 4) as Uint8ClampedArray<ArrayBuffer>, width, height), 0, 0);
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(cssW * dpr);
    canvas.height = Math.round(cssH * dpr);
    const ctx = canvas.getContext('2d')!;
    ctx.imageSmoothingEnabled = false;
    const src = visibleRect(p.view, width, height);
    ctx.drawImage(buf.canvas, src.x, src.y, src.w, src.h, 0, 0, canvas.width, canvas.height);
    // isodose labels at each line's topmost point on this slice
    if (p.dose?.isodoses && r.isodoseLabels.length) {
      ctx.font = `${Math.round(11 * dpr)}px system-ui, sans-serif`;
      ctx.textBaseline = 'bottom';
      for (const l of r.isodoseLabels) {
        const iso = p.dose.display.isodoses.find((i) => i.percent === l.percent);
        if (!iso) continue;
        const [fx, fy] = pixelToViewPoint(p.view, l.col, l.row, width, height);
        if (fx < 0 || fx > 1 || fy < 0 || fy > 1) continue;
        const x = fx * canvas.width + 2 * dpr;
        const y = fy * canvas.height - 1 * dpr;
        ctx.lineWidth = 3 * dpr;
        ctx.strokeStyle = 'rgba(0,0,0,0.85)';
        ctx.strokeText(`${l.percent}%`, x, y);
        ctx.fillStyle = `rgb(${iso.color.join(',')})`;
        ctx.fillText(`${l.percent}%`, x, y);
      }
    }
    // crosshair through the cursor voxel's centre
    const at = voxelToViewPixel(p.dims, p.orientation, p.cursor, p.flipK);
    const [fx, fy] = pixelToViewPoint(p.view, at.col, at.row, width, height);
    // Snapped to the device pixel grid: a line at a fractional position is smeared over two pixel
    // rows at partial alpha, which reads as a faint coloured band (and as an overlay to a check).
    const lineWidth = Math.max(1, Math.round(dpr));
    const snap = (v: number) => (lineWidth % 2 ? Math.floor(v) + 0.5 : Math.round(v));
    const x = snap(fx * canvas.width);
    const y = snap(fy * canvas.height);
    ctx.strokeStyle = 'rgba(240, 228, 66, 0.8)';
    ctx.lineWidth = lineWidth;
    ctx.setLineDash([4 * dpr, 4 * dpr]);
    ctx.beginPath();
    ctx.moveTo(x, 0);
    ctx.lineTo(x, canvas.height);
    ctx.moveTo(0, y);
    ctx.lineTo(canvas.width, y);
    ctx.stroke();
    latest.current.onRendered?.(performance.now() - t0);
    // Redraw only when what is drawn changes (onRendered updates the parent's state).
  }, [p.ct, p.dims, p.spacingMm, p.orientation, index, p.flipK, p.lut, p.layers, p.cursor, cssW, cssH, p.view, p.dose, doseValues]);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const step = (delta: number) => {
      const q = latest.current;
      const a = SLICE_AXIS[q.orientation];
      const next = [...q.cursor] as Vec3;
      next[a] = Math.min(q.dims[a] - 1, Math.max(0, next[a] + delta));
      if (next[a] !== q.cursor[a]) q.onCursor(next);
    };
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const q = latest.current;
      if (e.ctrlKey || e.metaKey) {
        // Ctrl/⌘ + wheel (and a trackpad pinch, which browsers send as ctrl + wheel): zoom about the pointer.
        const rect = canvas.getBoundingClientRect();
        const anchor: [number, number] = [(e.clientX - rect.left) / rect.width, (e.clientY - rect.top) / rect.height];
        q.onView(zoomView(q.view, e.deltaY < 0 ? ZOOM_STEP : 1 / ZOOM_STEP, anchor));
      } else step(e.deltaY > 0 ? -1 : 1);
    };
    const onKey = (e: KeyboardEvent) => {
      const d = { ArrowUp: 1, ArrowRight: 1, ArrowDown: -1, ArrowLeft: -1, PageUp: 10, PageDown: -10 }[e.key];
      if (d) {
        e.preventDefault();
        step(d);
      }
    };
    canvas.addEventListener('wheel', onWheel, { passive: false });
    canvas.addEventListener('keydown', onKey);
    return () => {
      canvas.removeEventListener('wheel', onWheel);
      canvas.removeEventListener('keydown', onKey);
    };
  }, []);

  const fractions = (e: React.PointerEvent<HTMLCanvasElement>): [number, number] => {
    const rect = e.currentTarget.getBoundingClientRect();
    return [(e.clientX - rect.left) / rect.width, (e.clientY - rect.top) / rect.height];
  };
  const pick = (e: React.PointerEvent<HTMLCanvasElement>) =>
    p.onCursor(
      viewPointToVoxel(p.view, fractions(e), { dims: p.dims, orientation: p.orientation, index, flipK: p.flipK, width: layout.width, height: layout.height }),
    );

  const [top, right, bottom, left] = EDGE[p.orientation];
  const zoomed = p.view.zoom > 1.0001;
  return (
    <figure
      className={`viewer-view ${p.onActivate ? styles.smallView : ''}`}
      data-testid={`view-${p.orientation}${p.preview ? '-preview' : ''}`}
      data-zoom={p.view.zoom.toFixed(3)}
    >
      {/* One line, cut to the canvas's width: the layout counts on the caption's height (FRAME_H in study-viewer.tsx). */}
      <figcaption className={styles.caption} style={{ maxWidth: cssW }}>
        {TITLES[p.orientation]}{' '}
        {p.preview ? (
          <span className="muted">{p.preview.caption}</span>
        ) : (
          <span className="muted" data-testid={`slice-${p.orientation}`}>
            slice {index + 1} / {p.dims[axis]}
          </span>
        )}
        {zoomed && <span className="muted"> · zoom {p.view.zoom.toFixed(1)}×</span>}
        {p.onActivate && <span className="muted"> · click to enlarge</span>}
      </figcaption>
      <div className="viewer-canvas-wrap" style={{ width: cssW, height: cssH }}>
        <canvas
          ref={canvasRef}
          tabIndex={0}
          className={p.onActivate ? styles.activate : p.dragMode === 'pan' ? styles.pan : undefined}
          aria-label={
            p.onActivate
              ? `${TITLES[p.orientation]} view, slice ${index + 1} of ${p.dims[axis]}; click to make it the large view`
              : `${TITLES[p.orientation]} view, slice ${index + 1} of ${p.dims[axis]}; arrow keys or the wheel scroll, Ctrl + wheel zooms, click moves the crosshair, drag ${p.dragMode === 'pan' ? 'pans' : 'with Shift pans'}`
          }
          style={{ width: cssW, height: cssH }}
          onPointerDown={(e) => {
            if (p.onActivate) {
              p.onActivate();
              return;
            }
            e.currentTarget.setPointerCapture(e.pointerId);
            const pan = p.dragMode === 'pan' || e.shiftKey || e.button === 1;
            drag.current = { x: e.clientX, y: e.clientY, view: p.view, pan };
            if (!pan) pick(e);
          }}
          onPointerMove={(e) => {
            const d = drag.current;
            if (!d || !(e.buttons & 5)) return;
            if (d.pan) {
              const rect = e.currentTarget.getBoundingClientRect();
              p.onView(panView(d.view, (e.clientX - d.x) / rect.width, (e.clientY - d.y) / rect.height));
            } else pick(e);
          }}
          onPointerUp={() => (drag.current = null)}
          onPointerCancel={() => (drag.current = null)}
        />
        <span className="edge top">{top}</span>
        <span className="edge right">{right}</span>
        <span className="edge bottom">{bottom}</span>
        <span className="edge left">{left}</span>
      </div>
    </figure>
  );
}
