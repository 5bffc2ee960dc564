'use client';
/**
 * One view (axial, coronal or sagittal) on a <canvas>: the slice through the cursor rendered by
 * lib/core/viewer into an RGBA buffer, scaled to its physical aspect ratio, with the crosshair.
 * Click or drag moves the cursor; the wheel and the arrow / Page keys scroll slices.
 */
import { useEffect, useRef } from 'react';
import type { Vec3 } from '@/lib/core/volume';
import { type OverlayLayer, type Orientation, SLICE_AXIS, renderSlice, sliceLayout, viewPixelToVoxel, voxelToViewPixel } from '@/lib/core/viewer';

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
  /** Longest side of the drawn image, CSS pixels. */
  boxPx: number;
  onRendered?: (ms: number) => void;
}

const TITLES: Record<Orientation, string> = { axial: 'Axial', coronal: 'Coronal', sagittal: 'Sagittal' };
const EDGE: Record<Orientation, [string, string, string, string]> = {
  // top, right, bottom, left (patient directions, radiological convention)
  axial: ['A', 'L', 'P', 'R'],
  coronal: ['S', 'L', 'I', 'R'],
  sagittal: ['S', 'P', 'I', 'A'],
};

export function SliceCanvas(p: SliceCanvasProps) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const bufferRef = useRef<{ canvas: HTMLCanvasElement; pixels: Uint8ClampedArray | undefined }>(null);
  const axis = SLICE_AXIS[p.orientation];
  const index = p.cursor[axis];
  const layout = sliceLayout(p.dims, p.spacingMm, p.orientation, index, p.flipK);
  const physW = layout.width * layout.pixelWidthMm;
  const physH = layout.height * layout.pixelHeightMm;
  const scale = p.boxPx / Math.max(physW, physH);
  const cssW = Math.round(physW * scale);
  const cssH = Math.round(physH * scale);

  // Latest props for the native listeners.
  const latest = useRef(p);
  latest.current = p;

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
      out: bufferRef.current?.pixels,
    });
    if (!bufferRef.current) bufferRef.current = { canvas: document.createElement('canvas'), pixels: undefined };
    const buf = bufferRef.current;
    buf.pixels = r.pixels;
    if (buf.canvas.width !== r.layout.width || buf.canvas.height !== r.layout.height) {
      buf.canvas.width = r.layout.width;
      buf.canvas.height = r.layout.height;
    }
    const n = r.layout.width * r.layout.height * 4;
    buf.canvas.getContext('2d')!.putImageData(new ImageData(r.pixels.subarray(0, n) as Uint8ClampedArray<ArrayBuffer>, r.layout.width, r.layout.height), 0, 0);
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(cssW * dpr);
    canvas.height = Math.round(cssH * dpr);
    const ctx = canvas.getContext('2d')!;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(buf.canvas, 0, 0, canvas.width, canvas.height);
    // crosshair through the cursor voxel's centre
    const at = voxelToViewPixel(p.dims, p.orientation, p.cursor, p.flipK);
    const x = ((at.col + 0.5) / r.layout.width) * canvas.width;
    const y = ((at.row + 0.5) / r.layout.height) * canvas.height;
    ctx.strokeStyle = 'rgba(240, 228, 66, 0.8)';
    ctx.lineWidth = Math.max(1, dpr);
    ctx.setLineDash([4 * dpr, 4 * dpr]);
    ctx.beginPath();
    ctx.moveTo(x, 0);
    ctx.lineTo(x, canvas.height);
    ctx.moveTo(0, y);
    ctx.lineTo(canvas.width, y);
    ctx.stroke();
    latest.current.onRendered?.(performance.now() - t0);
    // Redraw only when what is drawn changes (onRendered updates the parent's state).
  }, [p.ct, p.dims, p.spacingMm, p.orientation, index, p.flipK, p.lut, p.layers, p.cursor, cssW, cssH]);

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
      step(e.deltaY > 0 ? -1 : 1);
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

  const pick = (e: React.PointerEvent<HTMLCanvasElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    const col = Math.min(layout.width - 1, Math.max(0, Math.floor(((e.clientX - rect.left) / rect.width) * layout.width)));
    const row = Math.min(layout.height - 1, Math.max(0, Math.floor(((e.clientY - rect.top) / rect.height) * layout.height)));
    p.onCursor(viewPixelToVoxel(p.dims, p.orientation, index, col, row, p.flipK));
  };

  const [top, right, bottom, left] = EDGE[p.orientation];
  return (
    <figure className="viewer-view" data-testid={`view-${p.orientation}`}>
      <figcaption>
        {TITLES[p.orientation]}{' '}
        <span className="muted" data-testid={`slice-${p.orientation}`}>
          slice {index + 1} / {p.dims[axis]}
        </span>
      </figcaption>
      <div className="viewer-canvas-wrap" style={{ width: cssW, height: cssH }}>
        <canvas
          ref={canvasRef}
          tabIndex={0}
          aria-label={`${TITLES[p.orientation]} view, slice ${index + 1} of ${p.dims[axis]}; arrow keys or the wheel scroll, click moves the crosshair`}
          style={{ width: cssW, height: cssH }}
          onPointerDown={(e) => {
            e.currentTarget.setPointerCapture(e.pointerId);
            pick(e);
          }}
          onPointerMove={(e) => {
            if (e.buttons & 1) pick(e);
          }}
        />
        <span className="edge top">{top}</span>
        <span className="edge right">{right}</span>
        <span className="edge bottom">{bottom}</span>
        <span className="edge left">{left}</span>
      </div>
    </figure>
  );
}
