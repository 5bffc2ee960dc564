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
  // Indices stay inside the padded slice and the edge lists built above, hence the `!`s.
  const { grid, data } = mask;
  const [nx, ny, nz] = grid.dims;
  if (data.length !== voxelCount(grid))
    throw new RasterError('INVALID_INPUT', `Mask has ${data.length} voxels but its grid is ${grid.dims.join('×')}: was the mask built on this grid?`);
  // Midpoint ids: horizontal edge H(i, j) between (i, j) and (i+1, j), i in -1..nx-1, j in 0..ny-1
  // → (i + 1) + (nx + 1)·j; vertical edge V(i, j) between (i, j) and (i, j+1), i in 0..nx-1,
  // j in -1..ny-1 → nH + i + nx·(j + 1).
  const nH = (nx + 1) * ny;
  const nV = nx * (ny + 1);
  // Every link set while scanning a slice is consumed (reset to -1) when its loop is traced, so
  // the array is filled once.
  const next = new Int32Array(nH + nV).fill(-1);
  const starts: number[] = [];
  const out: SliceContour[] = [];
  const sliceSize = nx * ny;

  // The slice padded with one row/column of background on every side: no bounds checks in the
  // cell loop. Padded voxel (i, j) is at (i + 1) + pw·(j + 1).
  const pw = nx + 2;
  const pad = new Uint8Array(pw * (ny + 2));
  for (let k = 0; k < nz; k++) {
    const base = k * sliceSize;
    // Copy into the padded buffer and find the bounding box: only cells touching it can cross.
    // Each row is scanned for its first and last inside voxel; the runs of background outside
    // them are zero-filled, not tested voxel by voxel (most of a slice is background).
    let iMin = nx;
    let iMax = -1;
    let jMin = ny;
    let jMax = -1;
    for (let j = 0; j < ny; j++) {
      const row = base + nx * j;
      const prow = pw * (j + 1) + 1;
      let first = 0;
      while (first < nx && !data[row + first]) first++;
      if (first === nx) {
        pad.fill(0, prow, prow + nx);
        continue;
      }
      let last = nx - 1;
      while (!data[row + last]) last--;
      pad.fill(0, prow, prow + first);
      for (let i = first; i <= last; i++) pad[prow + i] = data[row + i] ? 1 : 0;
      pad.fill(0, prow + last + 1, prow + nx);
      if (first < iMin) iMin = first;
      if (last > iMax) iMax = last;
      if (j < jMin) jMin = j;
      jMax = j;
    }
    if (jMax < 0) continue;
    starts.length = 0;
    const ids = [0, 0, 0, 0];
    const kinds = [0, 0, 0, 0];
    for (let j = jMin - 1; j <= jMax; j++) {
      const top = pw * (j + 1);
      const bottom = top + pw;
      // The left corners of each cell are the right corners of the one before: two reads a cell.
      let nextA = pad[top + iMin]!;
      let nextD = pad[bottom + iMin]!;
      for (let i = iMin - 1; i <= iMax; i++) {
        // Corners walked a(i,j) → b(i+1,j) → c(i+1,j+1) → d(i,j+1) → a.
        const a = nextA;
        const d = nextD;
        const b = pad[top + i + 2]!;
        const c = pad[bottom + i + 2]!;
        nextA = b;
        nextD = c;
        if (a === b && b === c && c === d) continue; // all inside or all outside
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
        for (let q = 0; q < m; q++)
          if (kinds[q] === 1) {
            next[ids[q]!] = ids[(q + m - 1) % m]!;
            starts.push(ids[q]!);
          }
      }
    }
    // Follow the links into loops.
    starts.sort((x, y) => x - y);
    for (const start of starts) {
      if (next[start]! < 0) continue;
      const loop: number[] = [];
      let id = start;
      while (next[id]! >= 0) {
        loop.push(id);
        const nid = next[id]!;
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
  // Every index below is taken modulo n = pts.length, so the points exist.
  for (let q = 0; q < n; q++) {
    const [px, py] = pts[(q + n - 1) % n]!;
    const [x, y] = pts[q]!;
    const [nx2, ny2] = pts[(q + 1) % n]!;
    const cross = (x - px) * (ny2 - y) - (y - py) * (nx2 - x);
    if (cross !== 0) keep.push(pts[q]!);
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
