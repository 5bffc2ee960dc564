/**
 * lib/server/deid/export-deid-study.ts storableHu: the CT values the de-identified export can
 * write (−1024…64511 HU, whole numbers). The stored Int16 volume is used as it is when no voxel
 * is below −1024 (its fast path); outside-field padding below −1024 is clamped and counted, in an
 * Int16 volume as in a Float32 one; fractions are rounded.
 */
import { describe, expect, it } from 'vitest';
import { storableHu } from '@/lib/server/deid/export-deid-study';

describe('storableHu', () => {
  it('returns an in-range Int16 volume itself, nothing clamped', () => {
    const data = Int16Array.from([-1024, 0, 3071, 32767]);
    const out = storableHu(data);
    expect(out.data).toBe(data);
    expect(out.clamped).toBe(0);
  });

  it('clamps Int16 padding below −1024 to −1024 and counts it', () => {
    const out = storableHu(Int16Array.from([-2000, -1024, -1025, 40]));
    expect(Array.from(out.data)).toEqual([-1024, -1024, -1024, 40]);
    expect(out.clamped).toBe(2);
  });

  it('rounds Float32 fractions and clamps both ends', () => {
    const out = storableHu(Float32Array.from([-1030.2, 10.6, 70000, -0.4]));
    expect(Array.from(out.data)).toEqual([-1024, 11, 64511, -0]);
    expect(out.clamped).toBe(1);
  });
});
