import { describe, expect, it } from 'vitest';
import { flattenMetricValues } from '@/lib/server/studies/export-study-metrics-csv';

describe('flattenMetricValues (metrics CSV)', () => {
  it('names flat values by key, regions from 1 and vector components from 0', () => {
    expect(flattenMetricValues({ dice: 0.8, hd95Mm: null })).toEqual([
      ['dice', 0.8],
      ['hd95Mm', null],
    ]);
    const discordance = {
      falsePositive: [{ volumeCc: 0.5, centroidMm: [1, 2, 3], box: { lo: [0, 1, 2], hi: [3, 4, 5] } }],
      falseNegative: [],
    };
    expect(flattenMetricValues(discordance)).toEqual([
      ['falsePositive#1.volumeCc', 0.5],
      ['falsePositive#1.centroidMm[0]', 1],
      ['falsePositive#1.centroidMm[1]', 2],
      ['falsePositive#1.centroidMm[2]', 3],
      ['falsePositive#1.box.lo[0]', 0],
      ['falsePositive#1.box.lo[1]', 1],
      ['falsePositive#1.box.lo[2]', 2],
      ['falsePositive#1.box.hi[0]', 3],
      ['falsePositive#1.box.hi[1]', 4],
      ['falsePositive#1.box.hi[2]', 5],
    ]);
  });
});
