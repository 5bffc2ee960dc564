/**
 * volumeToMask's binary check skips all-zero 32-bit words of a uint8 mask (the metrics CLI reads
 * two 46-million-voxel masks); a second non-zero value must still be found wherever it sits: in a
 * word after zero words, in the tail shorter than a word, or in a view that is not word-aligned.
 */
import { describe, expect, it } from 'vitest';
import { IDENTITY_DIRECTION } from '@/lib/core/volume';
import { volumeToMask, type NiftiVolume } from '@/lib/nifti';

function volume(data: Uint8Array): NiftiVolume {
  return {
    grid: { dims: [data.length, 1, 1], spacingMm: [1, 1, 1], originMm: [0, 0, 0], direction: IDENTITY_DIRECTION },
    data,
  } as unknown as NiftiVolume;
}

describe('volumeToMask binary check over zero words', () => {
  it('0/1 data passes and is returned as is', () => {
    const d = new Uint8Array(4099);
    d[1] = 1;
    d[4098] = 1;
    expect(volumeToMask(volume(d), 'a.nii').data).toBe(d);
  });

  for (const at of [5, 1026, 4097, 4098]) {
    it(`a second value at index ${at} (after zero words, or in the tail) is refused`, () => {
      const d = new Uint8Array(4099);
      d[0] = 1;
      d[at] = 2;
      expect(() => volumeToMask(volume(d), 'a.nii')).toThrow(/a\.nii is not a binary mask: it holds the values 0, 1, 2/);
    });
  }

  it('a view that is not word-aligned is checked voxel by voxel', () => {
    const backing = new Uint8Array(4100);
    const d = backing.subarray(1);
    d[3] = 1;
    d[2000] = 7;
    expect(() => volumeToMask(volume(d), 'b.nii')).toThrow(/holds the values 0, 1, 7/);
  });

  it('0/255 data becomes 0/1', () => {
    const d = new Uint8Array(64);
    d[9] = 255;
    const m = volumeToMask(volume(d), 'c.nii').data;
    expect(m[9]).toBe(1);
    expect(m.reduce((s, v) => s + v, 0)).toBe(1);
  });
});
