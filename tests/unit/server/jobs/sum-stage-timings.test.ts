import { describe, expect, it } from 'vitest';
import { sumStageTimings } from '../../../../lib/server/jobs/find-segmentation-runs';

describe('sumStageTimings', () => {
  it('sums a run timings by stage without counting the inner steps of segmenting twice', () => {
    const timings = {
      'GTV:phase:0:read': 10,
      'GTV:phase:0:segment': 100,
      'GTV:phase:0:inference': 80, // inside the 100 above
      'GTV:phase:1:read': 12,
      'GTV:phase:1:segment': 90,
      'GTV:phase:1:resample': 30, // inside the 90 above
      itv: 5,
      'metrics:GTV_0': 7,
      'metrics:ITV': 3,
    };
    expect(sumStageTimings(timings)).toEqual({ read: 22, segment: 190, itv: 5, metrics: 10 });
  });
  it('is zero for a run that has not started, and ignores values that are not numbers', () => {
    expect(sumStageTimings({})).toEqual({ read: 0, segment: 0, itv: 0, metrics: 0 });
    expect(sumStageTimings(null)).toEqual({ read: 0, segment: 0, itv: 0, metrics: 0 });
    expect(sumStageTimings({ 'x:read': 'soon', 'y:segment': Number.NaN })).toEqual({ read: 0, segment: 0, itv: 0, metrics: 0 });
  });
});
