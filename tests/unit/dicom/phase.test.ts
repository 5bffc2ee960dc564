import { describe, expect, it } from 'vitest';
import { recognisePhase } from '@/lib/dicom';

describe('recognisePhase: 4D CT phase percent', () => {
  it.each([
    ['CT 20%', 20],
    ['Gated, 20.0%', 20],
    ['20% phase', 20],
    ['T=20%', 20],
    ['4D 0 %', 0],
    ['Resp 50 percent', 50],
    ['CT 4D  90%  Phase', 90],
    ['Gated, 100.0%', 0],
  ])('%s → %d%% from the description', (desc, percent) => {
    expect(recognisePhase({ seriesDescription: desc })).toEqual({ percent, source: 'description' });
  });

  it.each([['MIP'], ['CT AVG 0-90%'], ['Phase 3'], ['CT 20% to 80%'], ['Planning CT'], ['CT 150%']])('%s is not (unambiguously) a phase → null', (desc) => {
    expect(recognisePhase({ seriesDescription: desc })).toBeNull();
  });

  it('TemporalPositionIndex out of NumberOfTemporalPositions when the description says nothing', () => {
    expect(recognisePhase({ seriesDescription: 'Thorax 4D', temporalPositionIndex: 3, numberOfTemporalPositions: 10 })).toEqual({ percent: 20, source: 'temporal-position' });
    expect(recognisePhase({ temporalPositionIndex: 1, numberOfTemporalPositions: 8 })).toEqual({ percent: 0, source: 'temporal-position' });
    expect(recognisePhase({ temporalPositionIndex: 2, numberOfTemporalPositions: 8 })).toEqual({ percent: 12.5, source: 'temporal-position' });
    // Index without the count is ambiguous; the description wins when it names a percent.
    expect(recognisePhase({ temporalPositionIndex: 3 })).toBeNull();
    expect(recognisePhase({ seriesDescription: 'CT 40%', temporalPositionIndex: 3, numberOfTemporalPositions: 10 })).toEqual({ percent: 40, source: 'description' });
  });
});
