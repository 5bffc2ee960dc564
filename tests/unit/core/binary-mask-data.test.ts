import { describe, expect, it } from 'vitest';
import { binaryMaskData } from '../../../lib/core/volume';

describe('binaryMaskData', () => {
  it('returns a stored 0/1 Uint8Array itself (no copy)', () => {
    const a = new Uint8Array([0, 1, 1, 0]);
    expect(binaryMaskData(a)).toBe(a);
  });
  it('copies to 0/1 when a Uint8Array has other non-zero values, leaving the input unchanged', () => {
    const a = new Uint8Array([0, 255, 2, 1]);
    const b = binaryMaskData(a);
    expect(b).not.toBe(a);
    expect(Array.from(b)).toEqual([0, 1, 1, 1]);
    expect(Array.from(a)).toEqual([0, 255, 2, 1]);
  });
  it('converts other voxel types (negative and fractional values count as inside)', () => {
    expect(Array.from(binaryMaskData(new Float32Array([0, 0.5, -1, 0])))).toEqual([0, 1, 1, 0]);
    expect(Array.from(binaryMaskData(new Int16Array([0, 3, 0])))).toEqual([0, 1, 0]);
  });
});
