/**
 * The volume behind tests/fixtures/nifti/written-by-iseg-oblique.nii.gz: a small oblique,
 * anisotropic, left-handed grid with a value ramp, so nibabel's reading of our writer's output
 * checks axis order, spacing, rotation, flip and origin at once. Shared by the script that writes
 * the fixture and by the unit test that re-encodes it.
 */
import type { Grid, Volume } from '@/lib/core/volume';

export function oursFixtureVolume(): Volume<Int16Array> {
  // Rotation of 30° about z, then 20° about x (columns are the i, j, k axes in LPS); the k axis
  // is then negated to make the grid left-handed (as for slices stored head-first-to-feet).
  const cz = Math.cos(Math.PI / 6),
    sz = Math.sin(Math.PI / 6);
  const cx = Math.cos(Math.PI / 9),
    sx = Math.sin(Math.PI / 9);
  const rz = [cz, -sz, 0, sz, cz, 0, 0, 0, 1];
  const rx = [1, 0, 0, 0, cx, -sx, 0, sx, cx];
  const r = new Array(9).fill(0);
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < 3; c++) r[3 * a + b] += rx[3 * a + c] * rz[3 * c + b];
  r[2] = -r[2];
  r[5] = -r[5];
  r[8] = -r[8];
  const grid: Grid = { dims: [5, 4, 3], spacingMm: [0.75, 1.25, 2.5], originMm: [-12.5, 30.25, -7], direction: r };
  const data = new Int16Array(60);
  for (let n = 0; n < 60; n++) data[n] = n * 7 - 100;
  return { grid, data };
}
