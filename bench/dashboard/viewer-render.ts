/**
 * Viewer slice render: lib/core/viewer's renderSlice (window LUT + overlays into an RGBA buffer)
 * against a naive implementation of the same operation, on a 512×512×200 Int16 CT with six
 * overlays as the viewer shows them (FP and FN filled, four contours outlined).
 *
 *   node --import tsx bench/dashboard/viewer-render.ts
 *
 * Prints the median ms per slice for axial (512×512), coronal and sagittal (512×200) slices,
 * alternating fast and naive runs. The viewer's budget is 16 ms per slice (one frame at 60 Hz).
 * Both produce identical pixels (checked before timing).
 */
import os from 'node:os';
import {
  type Orientation,
  type OverlayLayer,
  WINDOW_PRESETS,
  buildWindowLut,
  maskBox,
  renderSlice,
  sliceLayout,
  superiorUp,
  viewPixelToVoxel,
} from '../../lib/core/viewer';
import type { Vec3 } from '../../lib/core/volume';

const dims: Vec3 = [512, 512, 200];
const spacing: Vec3 = [0.98, 0.98, 2.5];
const [nx, ny, nz] = dims;
const n = nx * ny * nz;

// A synthetic chest: air outside an ellipse, soft tissue, two lungs, a tumour.
const ct = new Int16Array(n);
const inEllipse = (i: number, j: number, ci: number, cj: number, ri: number, rj: number) => ((i - ci) / ri) ** 2 + ((j - cj) / rj) ** 2 <= 1;
for (let k = 0; k < nz; k++)
  for (let j = 0; j < ny; j++)
    for (let i = 0; i < nx; i++) {
      let hu = -1000;
      if (inEllipse(i, j, 256, 256, 220, 160)) hu = 40;
      if (inEllipse(i, j, 170, 250, 70, 110) || inEllipse(i, j, 342, 250, 70, 110)) hu = -820;
      ct[i + nx * (j + ny * k)] = hu + ((i * 7 + j * 13 + k * 3) % 21) - 10;
    }
const sphere = (c: Vec3, rMm: number) => {
  const m = new Uint8Array(n);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const d2 = ((i - c[0]) * spacing[0]) ** 2 + ((j - c[1]) * spacing[1]) ** 2 + ((k - c[2]) * spacing[2]) ** 2;
        if (d2 <= rMm * rMm) m[i + nx * (j + ny * k)] = 1;
      }
  return m;
};
const physGtv = sphere([170, 240, 100], 25);
const machGtv = sphere([174, 244, 101], 24);
const physItv = sphere([170, 240, 100], 32);
const machItv = sphere([174, 244, 101], 30);
const layers: OverlayLayer[] = [
  { mask: machGtv, minus: physGtv, color: [213, 94, 0], alpha: 0.55, style: 'fill' },
  { mask: physGtv, minus: machGtv, color: [0, 114, 178], alpha: 0.55, style: 'fill' },
  { mask: physItv, color: [86, 180, 233], alpha: 1, style: 'outline' },
  { mask: machItv, color: [204, 121, 167], alpha: 1, style: 'outline' },
  { mask: physGtv, color: [0, 158, 115], alpha: 1, style: 'outline' },
  { mask: machGtv, color: [230, 159, 0], alpha: 1, style: 'outline' },
];
const window = WINDOW_PRESETS.lung;
const flipK = superiorUp({ direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] });

/**
 * The same operation written plainly: per-pixel index arithmetic through viewPixelToVoxel,
 * windowing in floating point, every overlay tested at every pixel of the slice.
 */
function naiveRender(orientation: Orientation, index: number): Uint8ClampedArray {
  const layout = sliceLayout(dims, spacing, orientation, index, flipK);
  const px = new Uint8ClampedArray(layout.width * layout.height * 4);
  const at = (c: number, r: number) => {
    const [i, j, k] = viewPixelToVoxel(dims, orientation, index, c, r, flipK);
    return i + nx * (j + ny * k);
  };
  const lo = window.level - window.width / 2;
  for (let r = 0; r < layout.height; r++)
    for (let c = 0; c < layout.width; c++) {
      const q = (c + layout.width * r) * 4;
      const g = Math.min(255, Math.max(0, Math.round(((ct[at(c, r)] - lo) / window.width) * 255)));
      px[q] = px[q + 1] = px[q + 2] = g;
      px[q + 3] = 255;
    }
  for (const layer of layers) {
    const inside = (c: number, r: number) => {
      const v = at(c, r);
      return layer.mask[v] !== 0 && !(layer.minus && layer.minus[v] !== 0);
    };
    const a = Math.round(layer.alpha * 256) / 256;
    for (let r = 0; r < layout.height; r++)
      for (let c = 0; c < layout.width; c++) {
        if (!inside(c, r)) continue;
        if (layer.style === 'outline') {
          const edge =
            c === 0 ||
            r === 0 ||
            c === layout.width - 1 ||
            r === layout.height - 1 ||
            !inside(c - 1, r) ||
            !inside(c + 1, r) ||
            !inside(c, r - 1) ||
            !inside(c, r + 1);
          if (!edge) continue;
        }
        const q = (c + layout.width * r) * 4;
        for (let ch = 0; ch < 3; ch++) px[q + ch] = px[q + ch] + Math.floor((layer.color[ch] - px[q + ch]) * a);
      }
  }
  return px;
}

const lut = buildWindowLut(window);
const out = new Uint8ClampedArray(512 * 512 * 4);
const fast = (o: Orientation, index: number) => renderSlice({ ct, dims, spacingMm: spacing, orientation: o, index, flipK, lut, layers, out }).pixels;

const cases: { o: Orientation; indices: number[] }[] = [
  { o: 'axial', indices: [96, 98, 100, 102, 104] },
  { o: 'coronal', indices: [236, 240, 244, 248, 252] },
  { o: 'sagittal', indices: [166, 170, 174, 178, 182] },
];

const median = (x: number[]) => {
  const s = [...x].sort((p, q) => p - q);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const time = (fn: () => void) => {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
};

console.log(`viewer slice render, ${dims.join('×')} Int16 CT, 6 overlays, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), node ${process.version}`);
// One-off per loaded mask: its bounding box (cached), paid on the first render after a load.
const tBox = time(() => {
  for (const m of [physGtv, machGtv, physItv, machItv]) maskBox(m, dims);
});
console.log(`bounding boxes of the 4 masks (once per loaded mask): ${tBox.toFixed(0)} ms`);
// identical pixels first
for (const { o, indices } of cases) {
  const a = fast(o, indices[2]);
  const b = naiveRender(o, indices[2]);
  const len = b.length;
  for (let q = 0; q < len; q++) if (a[q] !== b[q]) throw new Error(`${o}: fast and naive differ at byte ${q} (${a[q]} vs ${b[q]})`);
}

console.log('orientation  slice px   fast ms/slice  naive ms/slice  naive/fast');
for (const { o, indices } of cases) {
  const l = sliceLayout(dims, spacing, o, indices[0], flipK);
  for (let w = 0; w < 20; w++) fast(o, indices[w % indices.length]);
  naiveRender(o, indices[0]);
  const f: number[] = [];
  const s: number[] = [];
  for (let rep = 0; rep < 7; rep++) {
    for (const idx of indices) f.push(time(() => fast(o, idx)));
    for (const idx of indices.slice(0, 2)) s.push(time(() => naiveRender(o, idx)));
  }
  const mf = median(f);
  const ms = median(s);
  console.log(`${o.padEnd(12)} ${`${l.width}×${l.height}`.padEnd(10)} ${mf.toFixed(2).padStart(13)} ${ms.toFixed(1).padStart(15)}  ${(ms / mf).toFixed(0)}×`);
}
