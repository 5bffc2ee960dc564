import { describe, expect, it } from 'vitest';
import {
  buildWindowLut,
  extractSlice,
  patientMmToCursor,
  cursorToPatientMm,
  renderSlice,
  sliceLayout,
  superiorUp,
  viewPixelToVoxel,
  voxelToViewPixel,
  windowGrey,
  WINDOW_PRESETS,
  type Orientation,
} from '@/lib/core/viewer';
import type { Grid, Vec3 } from '@/lib/core/volume';

// A non-cubic 4×3×2 volume whose value names its voxel: v(i, j, k) = i + 10·j + 100·k.
const dims: Vec3 = [4, 3, 2];
const spacing: Vec3 = [0.8, 0.9, 2.5];
const ct = new Int16Array(24);
for (let k = 0; k < 2; k++) for (let j = 0; j < 3; j++) for (let i = 0; i < 4; i++) ct[i + 4 * (j + 3 * k)] = i + 10 * j + 100 * k;

describe('slice extraction in the three orientations', () => {
  it('axial: columns i, rows j (anterior at the top)', () => {
    const l = sliceLayout(dims, spacing, 'axial', 1, true);
    expect([l.width, l.height, l.pixelWidthMm, l.pixelHeightMm]).toEqual([4, 3, 0.8, 0.9]);
    expect(extractSlice(ct, l)).toEqual([100, 101, 102, 103, 110, 111, 112, 113, 120, 121, 122, 123]);
  });
  it('coronal: columns i, rows k with superior (high k) at the top', () => {
    const l = sliceLayout(dims, spacing, 'coronal', 2, true);
    expect([l.width, l.height, l.pixelWidthMm, l.pixelHeightMm]).toEqual([4, 2, 0.8, 2.5]);
    expect(extractSlice(ct, l)).toEqual([120, 121, 122, 123, 20, 21, 22, 23]);
    // a k axis pointing inferior: no flip needed
    expect(extractSlice(ct, sliceLayout(dims, spacing, 'coronal', 2, false))).toEqual([20, 21, 22, 23, 120, 121, 122, 123]);
  });
  it('sagittal: columns j, rows k with superior at the top', () => {
    const l = sliceLayout(dims, spacing, 'sagittal', 3, true);
    expect([l.width, l.height, l.pixelWidthMm, l.pixelHeightMm]).toEqual([3, 2, 0.9, 2.5]);
    expect(extractSlice(ct, l)).toEqual([103, 113, 123, 3, 13, 23]);
  });
  it('pixel ↔ voxel mapping is consistent with the layout in every view', () => {
    for (const o of ['axial', 'coronal', 'sagittal'] as Orientation[]) {
      for (const flip of [true, false]) {
        const idx = o === 'axial' ? 1 : o === 'coronal' ? 2 : 3;
        const l = sliceLayout(dims, spacing, o, idx, flip);
        const values = extractSlice(ct, l);
        for (let r = 0; r < l.height; r++)
          for (let c = 0; c < l.width; c++) {
            const [i, j, k] = viewPixelToVoxel(dims, o, idx, c, r, flip);
            expect(values[c + l.width * r]).toBe(i + 10 * j + 100 * k);
            expect(voxelToViewPixel(dims, o, [i, j, k], flip)).toEqual({ col: c, row: r, index: idx });
          }
      }
    }
  });
  it('refuses a slice outside the volume', () => {
    expect(() => sliceLayout(dims, spacing, 'sagittal', 4, true)).toThrow(/outside the sagittal range 0–3/);
  });
  it('superiorUp reads the k axis direction', () => {
    expect(superiorUp({ direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] })).toBe(true);
    expect(superiorUp({ direction: [1, 0, 0, 0, 1, 0, 0, 0, -1] })).toBe(false);
  });
});

describe('windowing', () => {
  // grey = clamp(round((HU − (L − W/2)) / W · 255), 0, 255); values worked by hand:
  it('maps the window edges to black and white and the level to mid-grey', () => {
    const m = WINDOW_PRESETS.mediastinum; // W350 L40: −135 … 215 HU
    expect(windowGrey(-135, m)).toBe(0);
    expect(windowGrey(-1000, m)).toBe(0);
    expect(windowGrey(215, m)).toBe(255);
    expect(windowGrey(0, m)).toBe(98); // 135/350·255 = 98.36
    const lung = WINDOW_PRESETS.lung; // W1500 L−600: −1350 … 150 HU
    expect(windowGrey(-1000, lung)).toBe(60); // 350/1500·255 = 59.5
    expect(windowGrey(-800, lung)).toBe(94); // 550/1500·255 = 93.5
    expect(windowGrey(100, lung)).toBe(247); // 1450/1500·255 = 246.5
  });
  it('the LUT agrees with windowGrey over the whole Int16 range', () => {
    const w = { width: 350, level: 40 };
    const lut = buildWindowLut(w);
    const bytes = new Uint8Array(lut.buffer);
    for (const hu of [-32768, -1024, -136, -135, -134, 0, 39, 40, 41, 214, 215, 3000, 32767]) {
      const q = (hu + 32768) * 4;
      expect([bytes[q], bytes[q + 1], bytes[q + 2], bytes[q + 3]]).toEqual([windowGrey(hu, w), windowGrey(hu, w), windowGrey(hu, w), 255]);
    }
  });
  it('refuses a zero or negative width', () => {
    expect(() => buildWindowLut({ width: 0, level: 0 })).toThrow(/positive number of HU/);
  });
});

describe('rendering and overlay compositing', () => {
  const lut = buildWindowLut({ width: 255, level: 127.5 }); // grey = HU for 0…255
  const red = (px: Uint8ClampedArray) => Array.from({ length: px.length / 4 }, (_, p) => px[p * 4]);

  it('renders the windowed CT slice in display order', () => {
    const { pixels, layout } = renderSlice({ ct, dims, spacingMm: spacing, orientation: 'sagittal', index: 3, flipK: true, lut });
    expect([layout.width, layout.height]).toEqual([3, 2]);
    expect(red(pixels)).toEqual([103, 113, 123, 3, 13, 23]);
    expect(pixels[3]).toBe(255);
  });

  it('fills a mask, subtracts another (FP = machine ∖ physician) and blends with alpha', () => {
    const machine = new Uint8Array(24);
    const physician = new Uint8Array(24);
    // axial slice k = 0: machine at (1,1) and (2,1); physician at (2,1) only
    machine[1 + 4 * 1] = 1;
    machine[2 + 4 * 1] = 1;
    physician[2 + 4 * 1] = 1;
    const { pixels } = renderSlice({
      ct,
      dims,
      spacingMm: spacing,
      orientation: 'axial',
      index: 0,
      flipK: true,
      lut,
      layers: [{ mask: machine, minus: physician, color: [255, 0, 0], alpha: 1, style: 'fill' }],
    });
    const at = (c: number, r: number) => Array.from(pixels.slice((c + 4 * r) * 4, (c + 4 * r) * 4 + 4));
    expect(at(1, 1)).toEqual([255, 0, 0, 255]); // FP voxel
    expect(at(2, 1)).toEqual([12, 12, 12, 255]); // in both: not FP, plain CT (HU 12)
    expect(at(0, 0)).toEqual([0, 0, 0, 255]);

    const half = renderSlice({
      ct,
      dims,
      spacingMm: spacing,
      orientation: 'axial',
      index: 0,
      flipK: true,
      lut,
      layers: [{ mask: physician, color: [0, 200, 100], alpha: 0.5, style: 'fill' }],
    }).pixels;
    // 12 + (0 − 12)·0.5 = 6; 12 + (200 − 12)·0.5 = 106; 12 + (100 − 12)·0.5 = 56
    expect(Array.from(half.slice((2 + 4) * 4, (2 + 4) * 4 + 3))).toEqual([6, 106, 56]);
  });

  it('outlines: a 3×3 square shows its 8 edge pixels, not its centre', () => {
    const d: Vec3 = [5, 5, 1];
    const zero = new Int16Array(25);
    const m = new Uint8Array(25);
    for (let j = 1; j <= 3; j++) for (let i = 1; i <= 3; i++) m[i + 5 * j] = 1;
    const { pixels } = renderSlice({
      ct: zero,
      dims: d,
      spacingMm: [1, 1, 1],
      orientation: 'axial',
      index: 0,
      flipK: true,
      lut,
      layers: [{ mask: m, color: [0, 0, 255], alpha: 1, style: 'outline' }],
    });
    const blue = Array.from({ length: 25 }, (_, p) => (pixels[p * 4 + 2] === 255 ? 1 : 0));
    expect(blue).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
  });

  it('reuses the output buffer and refuses mismatched masks', () => {
    const out = new Uint8ClampedArray(4 * 4 * 3);
    const r = renderSlice({ ct, dims, spacingMm: spacing, orientation: 'axial', index: 0, flipK: true, lut, out });
    expect(r.pixels).toBe(out);
    expect(() =>
      renderSlice({
        ct,
        dims,
        spacingMm: spacing,
        orientation: 'axial',
        index: 0,
        flipK: true,
        lut,
        layers: [{ mask: new Uint8Array(23), color: [0, 0, 0], alpha: 1, style: 'fill' }],
      }),
    ).toThrow(/23 voxels/);
    expect(() => renderSlice({ ct: new Int16Array(5), dims, spacingMm: spacing, orientation: 'axial', index: 0, flipK: true, lut })).toThrow(/needs 24/);
  });
});

describe('world ↔ voxel for jump-to-region', () => {
  // Rotated axes: i runs along +y (P), j along −x (R), k along +z; direction is row-major with
  // the axis unit vectors as columns (lib/core/volume.ts).
  const grid: Grid = { dims: [5, 6, 7], spacingMm: [0.5, 2, 3], originMm: [10, -5, 7], direction: [0, -1, 0, 1, 0, 0, 0, 0, 1] };
  it('finds the voxel of a patient position (worked by hand)', () => {
    // voxel (2, 1, 3): origin + 2·0.5·(0,1,0) + 1·2·(−1,0,0) + 3·3·(0,0,1) = (8, −4, 16)
    expect(cursorToPatientMm(grid, [2, 1, 3])).toEqual([8, -4, 16]);
    expect(patientMmToCursor(grid, [8, -4, 16])).toEqual({ voxel: [2, 1, 3], inside: true });
    // 0.4 mm towards patient right (−x) is 0.2 of a j voxel: still voxel j = 1
    expect(patientMmToCursor(grid, [7.6, -4.1, 16.4]).voxel).toEqual([2, 1, 3]);
  });
  it('clamps a position outside the grid and says so', () => {
    expect(patientMmToCursor(grid, [8, -4, 116])).toEqual({ voxel: [2, 1, 6], inside: false });
  });
});

describe('maskCentroidMm', () => {
  it('is the mean voxel position in patient mm, null when empty', async () => {
    const { maskCentroidMm } = await import('@/lib/core/viewer');
    const grid: Grid = { dims: [4, 3, 2], spacingMm: [1, 2, 3], originMm: [-10, 0, 5], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
    const m = new Uint8Array(24);
    m[0] = 1; // (0,0,0) → (−10, 0, 5)
    m[3 + 4 * (2 + 3 * 1)] = 1; // (3,2,1) → (−7, 4, 8)
    // numpy: np.mean([[-10,0,5],[-7,4,8]], axis=0) = [-8.5, 2, 6.5]
    expect(maskCentroidMm(m, grid)).toEqual([-8.5, 2, 6.5]);
    expect(maskCentroidMm(new Uint8Array(24), grid)).toBeNull();
    expect(() => maskCentroidMm(new Uint8Array(3), grid)).toThrow(/needs 24/);
  });
});

describe('overlay bounding boxes', () => {
  it('maskBox is the inclusive box of the non-zero voxels; slices that miss it get no overlay', async () => {
    const { maskBox } = await import('@/lib/core/viewer');
    const m = new Uint8Array(24);
    m[1 + 4 * (1 + 3 * 0)] = 1; // (1,1,0)
    m[2 + 4 * (2 + 3 * 0)] = 1; // (2,2,0)
    expect(maskBox(m, dims)).toEqual({ lo: [1, 1, 0], hi: [2, 2, 0] });
    expect(maskBox(new Uint8Array(24), dims)).toBeNull();
    const lut = buildWindowLut({ width: 255, level: 127.5 });
    const layers = [{ mask: m, color: [255, 0, 0] as const, alpha: 1, style: 'fill' as const }];
    const onSlice = renderSlice({ ct, dims, spacingMm: spacing, orientation: 'sagittal', index: 1, flipK: true, lut, layers }).pixels;
    // sagittal i = 1: columns j, rows k flipped (k = 1 on top): voxel (1,1,0) is column 1, row 1
    expect(Array.from(onSlice.slice((1 + 3 * 1) * 4, (1 + 3 * 1) * 4 + 3))).toEqual([255, 0, 0]);
    const red = (px: Uint8ClampedArray) =>
      Array.from({ length: px.length / 4 }, (_, p) => (px[p * 4] === 255 && px[p * 4 + 1] === 0 ? 1 : 0)).reduce<number>((a, b) => a + b, 0);
    expect(red(onSlice)).toBe(1);
    expect(red(renderSlice({ ct, dims, spacingMm: spacing, orientation: 'sagittal', index: 3, flipK: true, lut, layers }).pixels)).toBe(0);
    expect(red(renderSlice({ ct, dims, spacingMm: spacing, orientation: 'coronal', index: 2, flipK: false, lut, layers }).pixels)).toBe(1);
  });
});
