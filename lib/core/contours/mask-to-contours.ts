/**
 * Binary mask → closed planar contours per slice (patient mm), by marching squares on voxel
 * centres.
 *
 * Vertices lie on the midpoints between an inside and an outside voxel centre, so every voxel
 * centre is strictly on its own side of the polygon: rasterising the contours back with the
 * voxel-centre rule (`rasterizeContours`) reproduces the mask exactly. Outer boundaries and holes
 * are separate loops (holes run the other way round); the even–odd (XOR) combination of the loops
 * on a slice is the mask. Saddle cells (two diagonal voxels) are split, so the inside is
 * 4-connected within a slice. Collinear vertices are dropped.
 *
 * Reference: Lorensen & Cline, "Marching cubes", SIGGRAPH 1987 (2D case); DICOM PS3.3 C.8.8.6
 * (CLOSED_PLANAR contours, holes by XOR).
 */
import { type Grid, type Mask, indexToPatientMm, voxelCount } from '@/lib/core/volume';
import { RasterError } from '@/lib/core/raster/errors';

export interface SliceContour {
  /** Slice index k. */
  slice: number;
  /** Flat [x0, y0, z0, …] in patient mm; closed implicitly (the last point joins the first). */
  pointsMm: Float64Array;
}

/**
 * Trace every slice of a binary mask (voxel > 0 is inside) into closed planar contours.
 *
 * @param mask a Mask (Uint8Array, index i + nx·(j + ny·k)) on any grid, oblique or anisotropic.
 * @returns contours ordered by slice then by first vertex; an empty mask gives [].
 * @throws RasterError('INVALID_INPUT') when the data length does not match the grid dims.
 */
export function maskToContours(mask: Mask): SliceContour[] {
  const { grid, data } = mask;
  const [nx, ny, nz] = grid.dims;
  if (data.length !== voxelCount(grid))
    throw new RasterError('INVALID_INPUT', `Mask has ${data.length} voxels but its grid is ${grid.dims.join('×')}: was the mask built on this grid?`);
  // Midpoint ids: horizontal edge H(i, j) between (i, j) and (i+1, j), i in -1..nx-1, j in 0..ny-1
  // → (i + 1) + (nx + 1)·j; vertical edge V(i, j) between (i, j) and (i, j+1), i in 0..nx-1,
  // j in -1..ny-1 → nH + i + nx·(j + 1).
  const nH = (nx + 1) * ny;
  const nV = nx * (ny + 1);
  const next = new Int32Array(nH + nV);
  const out: SliceContour[] = [];
  const sliceSize = nx * ny;

  for (let k = 0; k < nz; k++) {
    const base = k * sliceSize;
    let any = false;
    for (let t = 0; t < sliceSize; t++)
      if (data[base + t]) {
        any = true;
        break;
      }
    if (!any) continue;
    next.fill(-1);
    const at = (i: number, j: number): number =>
      i >= 0 && j >= 0 && i < nx && j < ny && data[base + i + nx * j] ? 1 : 0;
    const ids = [0, 0, 0, 0];
    const kinds = [0, 0, 0, 0];
    for (let j = -1; j < ny; j++) {
      for (let i = -1; i < nx; i++) {
        // Corners walked a(i,j) → b(i+1,j) → c(i+1,j+1) → d(i,j+1) → a.
        const a = at(i, j);
        const b = at(i + 1, j);
        const c = at(i + 1, j + 1);
        const d = at(i, j + 1);
        const code = a | (b << 1) | (c << 2) | (d << 3);
        if (code === 0 || code === 15) continue;
        let m = 0;
        // kind 1 = exit (inside → outside), 0 = entry (outside → inside), in walk order.
        if (a !== b) {
          ids[m] = i + 1 + (nx + 1) * j;
          kinds[m++] = a;
        }
        if (b !== c) {
          ids[m] = nH + (i + 1) + nx * (j + 1);
          kinds[m++] = b;
        }
        if (c !== d) {
          ids[m] = i + 1 + (nx + 1) * (j + 1);
          kinds[m++] = c;
        }
        if (d !== a) {
          ids[m] = nH + i + nx * (j + 1);
          kinds[m++] = d;
        }
        // Each exit links to the cyclically preceding entry: the inside lies on one fixed side of
        // every segment, and in a saddle cell the two inside corners are cut off separately.
        for (let q = 0; q < m; q++) if (kinds[q] === 1) next[ids[q]] = ids[(q + m - 1) % m];
      }
    }
    // Follow the links into loops.
    for (let start = 0; start < next.length; start++) {
      if (next[start] < 0) continue;
      const loop: number[] = [];
      let id = start;
      while (next[id] >= 0) {
        loop.push(id);
        const nid = next[id];
        next[id] = -1;
        id = nid;
      }
      out.push({ slice: k, pointsMm: loopToMm(grid, loop, k, nx, nH) });
    }
  }
  return out;
}

/** Twice the index-space coordinates of a midpoint id (integers). */
function midpoint2(id: number, nx: number, nH: number): [number, number] {
  if (id < nH) {
    const j = Math.floor(id / (nx + 1));
    const i = id - (nx + 1) * j - 1;
    return [2 * i + 1, 2 * j];
  }
  const r = id - nH;
  const j = Math.floor(r / nx) - 1;
  const i = r - nx * (j + 1);
  return [2 * i, 2 * j + 1];
}

function loopToMm(grid: Grid, loop: number[], k: number, nx: number, nH: number): Float64Array {
  const pts = loop.map((id) => midpoint2(id, nx, nH));
  const n = pts.length;
  const keep: [number, number][] = [];
  for (let q = 0; q < n; q++) {
    const [px, py] = pts[(q + n - 1) % n];
    const [x, y] = pts[q];
    const [nx2, ny2] = pts[(q + 1) % n];
    const cross = (x - px) * (ny2 - y) - (y - py) * (nx2 - x);
    if (cross !== 0) keep.push(pts[q]);
  }
  const out = new Float64Array(keep.length * 3);
  keep.forEach(([x2, y2], q) => {
    const p = indexToPatientMm(grid, x2 / 2, y2 / 2, k);
    out[3 * q] = p[0];
    out[3 * q + 1] = p[1];
    out[3 * q + 2] = p[2];
  });
  return out;
}
