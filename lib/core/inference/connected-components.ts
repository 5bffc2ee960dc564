import type { Vec3 } from '@/lib/core/volume';
import { InferenceError } from './errors';

export interface ComponentLabels {
  /** 0 = background, 1…count = component, index i + nx·(j + ny·k). */
  labels: Int32Array;
  /** sizes[l − 1] = voxels of component l. Components are numbered in scan order of their first voxel. */
  sizes: number[];
}

/**
 * 26-connected components of a binary mask (voxels sharing a face, edge or corner are
 * connected), as scipy.ndimage.label(mask, structure=np.ones((3, 3, 3))).
 * @param mask non-zero = foreground, index i + nx·(j + ny·k).
 * @throws InferenceError('INVALID_INPUT') when mask length and dims disagree.
 */
export function labelComponents26(mask: ArrayLike<number>, dims: Vec3): ComponentLabels {
  // stack[--top] reads an entry pushed earlier (top > 0 in the loop condition), hence the `!`.
  const [nx, ny, nz] = dims;
  const nxy = nx * ny;
  if (mask.length !== nxy * nz) throw new InferenceError('INVALID_INPUT', `Mask holds ${mask.length} values but dims ${dims.join('×')} need ${nxy * nz}.`);
  const labels = new Int32Array(mask.length);
  const sizes: number[] = [];
  let stack = new Int32Array(1024);
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || labels[start]) continue;
    const label = sizes.length + 1;
    let size = 0;
    let top = 0;
    stack[top++] = start;
    labels[start] = label;
    while (top > 0) {
      const v = stack[--top]!;
      size++;
      const k = Math.floor(v / nxy);
      const rem = v - k * nxy;
      const j = Math.floor(rem / nx);
      const i = rem - j * nx;
      const k0 = k > 0 ? -1 : 0;
      const k1 = k < nz - 1 ? 1 : 0;
      const j0 = j > 0 ? -1 : 0;
      const j1 = j < ny - 1 ? 1 : 0;
      const i0 = i > 0 ? -1 : 0;
      const i1 = i < nx - 1 ? 1 : 0;
      for (let dk = k0; dk <= k1; dk++)
        for (let dj = j0; dj <= j1; dj++) {
          const row = v + dk * nxy + dj * nx;
          for (let di = i0; di <= i1; di++) {
            const w = row + di;
            if (mask[w] && !labels[w]) {
              labels[w] = label;
              if (top === stack.length) {
                const bigger = new Int32Array(stack.length * 2);
                bigger.set(stack);
                stack = bigger;
              }
              stack[top++] = w;
            }
          }
        }
    }
    sizes.push(size);
  }
  return { labels, sizes };
}
