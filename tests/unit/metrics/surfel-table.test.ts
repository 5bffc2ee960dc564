import { describe, expect, it } from 'vitest';
import { surfelAreaTable } from '@/lib/core/metrics';
import { SURFEL_NORMALS_X8 } from '@/lib/core/metrics/surfel-normals';
import { triangulateNeighbourhood } from '@/lib/core/metrics/surfel-triangulation';

// Hand-derived marching-cubes areas on the unit cube (vertices at edge midpoints):
// - one corner inside: one triangle with legs √2/2, area √3/8;
// - two corners along an edge (code 3 = voxels (1,1,1) and (1,1,0)): a planar 1 × √2/2 rectangle;
// - a full face (code 15): a unit square;
// - three corners of one face (code 7): the fold splits the pentagon into a triangle of area 1/2
//   in the plane i = ½ and a planar quad of area 3√3/8 (surface-distance's table:
//   [0.5,0,0], [0.25,0.25,0.25], [0.125,0.125,0.125]);
// - two diagonal corners of a face (code 6) are cut off separately: 2 · √3/8.
describe('surfelAreaTable', () => {
  const t = surfelAreaTable([1, 1, 1]);
  it('hand-derived codes at unit spacing', () => {
    expect(t[0]).toBe(0);
    expect(t[255]).toBe(0);
    expect(t[1]).toBeCloseTo(Math.sqrt(3) / 8, 14);
    expect(t[3]).toBeCloseTo(Math.SQRT1_2, 14);
    expect(t[15]).toBeCloseTo(1, 14);
    expect(t[7]).toBeCloseTo(0.5 + (3 * Math.sqrt(3)) / 8, 14);
    expect(t[6]).toBeCloseTo(Math.sqrt(3) / 4, 14);
  });

  it('a code and its complement have the same area', () => {
    for (let c = 0; c < 256; c++) expect(t[255 - c]).toBeCloseTo(t[c], 14);
  });

  it('scales a face by the two in-plane spacings', () => {
    // code 15: the voxels with a = 1 are inside, so the surface is the plane i = ½: area sy·sz.
    expect(surfelAreaTable([0.7, 1.5, 2.5])[15]).toBeCloseTo(1.5 * 2.5, 12);
    // code 0b10101010 (170): voxels with c = 0 inside, the plane k = ½: area sx·sy.
    expect(surfelAreaTable([0.7, 1.5, 2.5])[170]).toBeCloseTo(0.7 * 1.5, 12);
  });
});

describe('SURFEL_NORMALS_X8 is what the triangulation generates', () => {
  it('all 256 codes', () => {
    for (let c = 0; c < 256; c++) {
      const gen = triangulateNeighbourhood(c).flatMap((n) => n.map((x) => x * 8));
      expect(SURFEL_NORMALS_X8[c]).toEqual(gen.map((x) => Math.round(x) + 0)); // + 0 turns −0 into 0
      gen.forEach((x) => expect(Math.abs(x - Math.round(x))).toBeLessThan(1e-12));
    }
  });
});
