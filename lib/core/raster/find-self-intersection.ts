/**
 * Whether a closed polygon crosses itself (a bow-tie or a twisted outline), and where.
 *
 * Only proper crossings count: two edges that are not neighbours along the outline and whose
 * interiors cross (each edge's endpoints strictly on opposite sides of the other). Edges that
 * touch at a point, or run along each other (the doubled cut of a keyhole contour, which
 * rasterizeContours handles on purpose), are not crossings.
 *
 * Sweep over y: edges sorted by their lowest y; each is tested only against the earlier edges
 * whose y range still overlaps it, so a smooth contour of n points costs about n log n.
 * Orientation tests use a tolerance relative to the edge lengths, so float noise on collinear
 * edges is not read as a crossing. Pure.
 */

export interface SelfIntersection {
  /** The two crossing edges: edge e joins point e to point (e + 1) mod n. */
  edges: [number, number];
  /** Where they cross, in the polygon's coordinates. */
  at: [number, number];
}

const REL_TOL = 1e-9;

/**
 * @param xs x of each point; @param ys y of each point (same length, the polygon is closed
 *   implicitly from the last point back to the first).
 * @returns the first crossing found, or null when the outline is simple.
 */
export function findSelfIntersection(xs: ArrayLike<number>, ys: ArrayLike<number>): SelfIntersection | null {
  // Edge and vertex indices are < n = xs.length, hence the `!`s.
  const n = xs.length;
  if (n < 4) return null;
  const next = (e: number) => (e + 1 === n ? 0 : e + 1);
  const yLo = new Float64Array(n);
  const yHi = new Float64Array(n);
  for (let e = 0; e < n; e++) {
    const a = ys[e]!;
    const b = ys[next(e)]!;
    yLo[e] = a < b ? a : b;
    yHi[e] = a < b ? b : a;
  }
  const order = Array.from({ length: n }, (_, e) => e).sort((p, q) => yLo[p]! - yLo[q]!);
  const active: number[] = [];
  for (const e of order) {
    let w = 0;
    for (const a of active) if (yHi[a]! >= yLo[e]!) active[w++] = a;
    active.length = w;
    for (const a of active) {
      if (a === next(e) || e === next(a)) continue; // neighbours share a point
      const hit = properCrossing(xs, ys, a, next(a), e, next(e));
      if (hit) return { edges: a < e ? [a, e] : [e, a], at: hit };
    }
    active.push(e);
  }
  return null;
}

function properCrossing(xs: ArrayLike<number>, ys: ArrayLike<number>, p: number, q: number, r: number, s: number): [number, number] | null {
  // p, q, r, s are vertex indices < xs.length, hence the `!`s.
  const px = xs[p]!,
    py = ys[p]!,
    qx = xs[q]!,
    qy = ys[q]!;
  const rx = xs[r]!,
    ry = ys[r]!,
    sx = xs[s]!,
    sy = ys[s]!;
  const ux = qx - px,
    uy = qy - py;
  const vx = sx - rx,
    vy = sy - ry;
  const lu = Math.hypot(ux, uy);
  const lv = Math.hypot(vx, vy);
  if (lu === 0 || lv === 0) return null;
  if (Math.max(px, qx) < Math.min(rx, sx) || Math.max(rx, sx) < Math.min(px, qx)) return null;
  // side of r and s relative to pq, and of p and q relative to rs (cross products)
  const tol = REL_TOL * lu * lv;
  const d1 = ux * (ry - py) - uy * (rx - px);
  const d2 = ux * (sy - py) - uy * (sx - px);
  const d3 = vx * (py - ry) - vy * (px - rx);
  const d4 = vx * (qy - ry) - vy * (qx - rx);
  const sign = (d: number) => (d > tol ? 1 : d < -tol ? -1 : 0);
  if (sign(d1) * sign(d2) !== -1 || sign(d3) * sign(d4) !== -1) return null;
  const t = d3 / (d3 - d4);
  return [px + t * ux, py + t * uy];
}
