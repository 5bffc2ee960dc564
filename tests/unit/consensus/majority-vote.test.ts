import { describe, expect, it } from 'vitest';
import { ConsensusError, majorityVote, voteCounts } from '@/lib/core/consensus';

const m = (...v: number[]) => Uint8Array.from(v);

describe('majorityVote', () => {
  // Voxels 0…7 carry every vote pattern of three observers (bit j = observer j).
  const three = [0, 1, 2].map((j) => Uint8Array.from({ length: 8 }, (_, v) => (v >> j) & 1));
  it('three observers: in with 2 or 3 votes, whatever the tie rule', () => {
    const expected = [0, 0, 0, 1, 0, 1, 1, 1];
    expect([...majorityVote(three)]).toEqual(expected);
    expect([...majorityVote(three, { tie: 'include' })]).toEqual(expected);
    expect([...voteCounts(three)]).toEqual([0, 1, 1, 2, 1, 2, 2, 3]);
  });
  it('two observers: intersection by default, union with ties included', () => {
    const a = m(1, 1, 0, 0);
    const b = m(1, 0, 1, 0);
    expect([...majorityVote([a, b])]).toEqual([1, 0, 0, 0]);
    expect([...majorityVote([a, b], { tie: 'exclude' })]).toEqual([1, 0, 0, 0]);
    expect([...majorityVote([a, b], { tie: 'include' })]).toEqual([1, 1, 1, 0]);
  });
  it('four observers: 2 of 4 is a tie, 3 of 4 is in', () => {
    const masks = [m(1, 1, 1, 0), m(1, 1, 0, 0), m(1, 0, 1, 0), m(0, 1, 0, 0)];
    // votes: 3, 3, 2, 0
    expect([...majorityVote(masks)]).toEqual([1, 1, 0, 0]);
    expect([...majorityVote(masks, { tie: 'include' })]).toEqual([1, 1, 1, 0]);
  });
  it('treats any non-zero value as in and one observer as its own consensus', () => {
    expect([...majorityVote([m(0, 255, 2)])]).toEqual([0, 1, 1]);
  });
  it('names bad input', () => {
    expect(() => majorityVote([])).toThrow(ConsensusError);
    expect(() => majorityVote([])).toThrow(/at least 1 observer mask, got 0/);
    expect(() => majorityVote([m(1, 0), m(1)])).toThrow(/observer mask 2 has 1 voxels but mask 1 has 2; rasterise every observer's contour on the same grid/);
    expect(() => majorityVote([m(1)], { tie: 'maybe' as never })).toThrow(/'include' or 'exclude'/);
  });
});
