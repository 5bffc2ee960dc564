/**
 * Marching-cubes triangulation of the surface inside one 2×2×2 voxel neighbourhood, for each
 * of the 256 neighbourhood codes, as used by the `surfel` convention (Nikolov et al. 2021,
 * DeepMind surface-distance).
 *
 * Code bits: the voxel at offset (a, b, c) ∈ {0,1}³ from the corner's lower neighbour (a along
 * i, b along j, c along k) contributes 2^(7 − (4a + 2b + c)), i.e. the kernel
 * [[[128, 64], [32, 16]], [[8, 4], [2, 1]]] of surface-distance.
 *
 * The triangulation is built here, not copied: vertices at the midpoints of the cube edges whose
 * end corners differ; on each face the midpoints are joined so that inside corners are cut off
 * one by one, the classic marching-cubes choice on ambiguous faces (for codes with more than
 * four inside corners the outside corners are cut off, so a code and its complement give the
 * same surface). Each closed polygon is split into the triangles of greatest total area: a
 * planar polygon has the same area for every split, and a non-planar pentagon or hexagon is
 * split along its folds into planar pieces, the split of the classic marching-cubes table.
 * During development the resulting per-code areas were compared with surface-distance's
 * published lookup table (surface_distance/lookup_tables.py) for codes 0–128 at unit and at
 * 0.7×1.3×2.9 mm spacing: all equal to 1e-12; codes 129–255 are the complements, which both
 * tables treat alike. The tests pin hand-derived codes and the reference cases.
 */
type P3 = [number, number, number];

const CORNERS: P3[] = [];
for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) for (let c = 0; c < 2; c++) CORNERS.push([a, b, c]);
const cornerBit = (p: P3) => 1 << (7 - (4 * p[0] + 2 * p[1] + p[2]));
const cornerIndex = (p: P3) => 4 * p[0] + 2 * p[1] + p[2];

/** The 6 faces, each as 4 corner indices in cyclic order. */
const FACES: number[][] = (() => {
  const faces: number[][] = [];
  for (let axis = 0; axis < 3; axis++) {
    for (let side = 0; side < 2; side++) {
      const u = (axis + 1) % 3;
      const w = (axis + 2) % 3;
      const cyc: [number, number][] = [
        [0, 0],
        [1, 0],
        [1, 1],
        [0, 1],
      ];
      faces.push(
        cyc.map(([x, y]) => {
          const p: P3 = [0, 0, 0];
          p[axis] = side;
          p[u] = x;
          p[w] = y;
          return cornerIndex(p);
        }),
      );
    }
  }
  return faces;
})();

const edgeKey = (c1: number, c2: number) => (c1 < c2 ? c1 * 8 + c2 : c2 * 8 + c1);
const midpoint = (key: number): P3 => {
  // key / 8 and key % 8 are < 8 = CORNERS.length, hence the `!`s.
  const p = CORNERS[Math.floor(key / 8)]!;
  const q = CORNERS[key % 8]!;
  return [(p[0] + q[0]) / 2, (p[1] + q[1]) / 2, (p[2] + q[2]) / 2];
};

function halfCross(a: P3, b: P3, c: P3): P3 {
  const u: P3 = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
  const v: P3 = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
  return [(u[1] * v[2] - u[2] * v[1]) / 2, (u[2] * v[0] - u[0] * v[2]) / 2, (u[0] * v[1] - u[1] * v[0]) / 2];
}
const norm = (n: P3) => Math.hypot(n[0], n[1], n[2]);

/** Closed polygons (lists of edge-midpoint keys) of the surface for one code. */
function polygons(code: number): number[][] {
  // Faces have 4 corners (indices mod 4) and a cut face has 2 cut edges, hence the `!`s.
  const inside = CORNERS.map((p) => (code & cornerBit(p)) !== 0);
  const nInside = inside.filter(Boolean).length;
  if (nInside === 0 || nInside === 8) return [];
  // Cut off the minority phase's corners on ambiguous faces (complement-symmetric).
  const cutInside = nInside <= 4;
  const adj = new Map<number, number[]>();
  const link = (e1: number, e2: number) => {
    (adj.get(e1) ?? adj.set(e1, []).get(e1)!).push(e2);
    (adj.get(e2) ?? adj.set(e2, []).get(e2)!).push(e1);
  };
  for (const f of FACES) {
    const cut: number[] = [];
    for (let n = 0; n < 4; n++) if (inside[f[n]!] !== inside[f[(n + 1) % 4]!]) cut.push(n);
    if (cut.length === 2) {
      link(edgeKey(f[cut[0]!]!, f[(cut[0]! + 1) % 4]!), edgeKey(f[cut[1]!]!, f[(cut[1]! + 1) % 4]!));
    } else if (cut.length === 4) {
      // Each corner of the phase being cut off gets its own segment joining its two edges.
      for (let n = 0; n < 4; n++) {
        if (inside[f[n]!] === cutInside) {
          link(edgeKey(f[(n + 3) % 4]!, f[n]!), edgeKey(f[n]!, f[(n + 1) % 4]!));
        }
      }
    }
  }
  const seen = new Set<number>();
  const out: number[][] = [];
  for (const start of adj.keys()) {
    if (seen.has(start)) continue;
    const poly = [start];
    seen.add(start);
    let prev = -1;
    let cur = start;
    for (;;) {
      const nb = adj.get(cur)!;
      const next = nb[0] !== prev ? nb[0]! : nb[1]!;
      if (next === start || seen.has(next)) break;
      poly.push(next);
      seen.add(next);
      prev = cur;
      cur = next;
    }
    out.push(poly);
  }
  return out;
}

/** Triangles (unit-cube half-cross-products) of greatest total area for one closed polygon. */
function maxAreaTriangulation(poly: number[]): P3[] {
  // i < k < j < poly.length index the n×n tables, hence the `!`s.
  const pts = poly.map(midpoint);
  const m = pts.length;
  const best: number[][] = Array.from({ length: m }, () => new Array(m).fill(0));
  const split: number[][] = Array.from({ length: m }, () => new Array(m).fill(-1));
  for (let len = 2; len < m; len++) {
    for (let i = 0; i + len < m; i++) {
      const j = i + len;
      let bestVal = -Infinity;
      for (let k = i + 1; k < j; k++) {
        const val = best[i]![k]! + best[k]![j]! + norm(halfCross(pts[i]!, pts[k]!, pts[j]!));
        // Ties within rounding: keep the first split so the table is deterministic.
        if (val > bestVal + 1e-12) {
          bestVal = val;
          split[i]![j] = k;
        }
      }
      best[i]![j] = bestVal;
    }
  }
  const tris: P3[] = [];
  const collect = (i: number, j: number) => {
    if (j - i < 2) return;
    const k = split[i]![j]!;
    tris.push(halfCross(pts[i]!, pts[k]!, pts[j]!));
    collect(i, k);
    collect(k, j);
  };
  collect(0, m - 1);
  return tris;
}

/**
 * Triangle normals (unit cube, length = triangle area) of the surface in one 2×2×2
 * neighbourhood code, built as described above. Used to generate surfel-normals.ts and by the
 * test that checks it.
 */
export function triangulateNeighbourhood(code: number): P3[] {
  return polygons(code).flatMap(maxAreaTriangulation);
}
