import { describe, expect, it } from 'vitest';
import { groupSeries, recognisePhase, resolvePhaseClashes, type ImageSliceHeader } from '@/lib/dicom';

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
    expect(recognisePhase({ seriesDescription: 'Thorax 4D', temporalPositionIndex: 3, numberOfTemporalPositions: 10 })).toEqual({
      percent: 20,
      source: 'temporal-position',
    });
    expect(recognisePhase({ temporalPositionIndex: 1, numberOfTemporalPositions: 8 })).toEqual({ percent: 0, source: 'temporal-position' });
    expect(recognisePhase({ temporalPositionIndex: 2, numberOfTemporalPositions: 8 })).toEqual({ percent: 12.5, source: 'temporal-position' });
    // Index without the count is ambiguous; the description wins when it names a percent.
    expect(recognisePhase({ temporalPositionIndex: 3 })).toBeNull();
    expect(recognisePhase({ seriesDescription: 'CT 40%', temporalPositionIndex: 3, numberOfTemporalPositions: 10 })).toEqual({
      percent: 40,
      source: 'description',
    });
  });
});

describe('4D CT series: grouping by phase', () => {
  const slice = (z: number, over: Partial<ImageSliceHeader>): ImageSliceHeader => ({
    file: `f${z}${over.temporalPositionIndex ?? ''}${over.seriesInstanceUid ?? ''}.dcm`,
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    sopInstanceUid: `1.9.${z}.${over.temporalPositionIndex ?? 0}.${over.seriesInstanceUid ?? ''}`,
    modality: 'CT',
    seriesInstanceUid: '1.9',
    frameOfReferenceUid: '1.9.1',
    rows: 2,
    columns: 2,
    pixelSpacingMm: [1, 1],
    imagePositionMm: [0, 0, z],
    imageOrientation: [1, 0, 0, 0, 1, 0],
    rescaleSlope: 1,
    rescaleIntercept: 0,
    bitsAllocated: 16,
    bitsStored: 16,
    pixelRepresentation: 1,
    samplesPerPixel: 1,
    numberOfFrames: 1,
    pixelDataEncapsulated: false,
    ...over,
  });

  it('one SeriesInstanceUID holding all phases is split by TemporalPositionIndex, each with its percent', () => {
    const headers = [1, 2, 3, 4].flatMap((t) =>
      [0, 3, 6].map((z) => slice(z, { temporalPositionIndex: t, numberOfTemporalPositions: 4, seriesDescription: 'Thorax 4D' })),
    );
    const series = groupSeries(headers);
    expect(series.map((s) => [s.key, s.phase?.percent, s.grid?.dims[2]])).toEqual([
      ['1.9#1', 0, 3],
      ['1.9#2', 25, 3],
      ['1.9#3', 50, 3],
      ['1.9#4', 75, 3],
    ]);
    expect(series.every((s) => s.findings.length === 0)).toBe(true);
  });

  it('two series claiming the same phase on one frame of reference: both unmapped, with a warning', () => {
    const series = groupSeries([
      ...[0, 3].map((z) => slice(z, { seriesInstanceUid: '2.1', seriesDescription: 'CT 20%' })),
      ...[0, 3].map((z) => slice(z, { seriesInstanceUid: '2.2', seriesDescription: 'Gated, 20.0%' })),
      ...[0, 3].map((z) => slice(z, { seriesInstanceUid: '2.3', seriesDescription: 'CT 30%' })),
    ]);
    const findings = resolvePhaseClashes(series);
    expect(series.map((s) => s.phase?.percent ?? null)).toEqual([null, null, 30]);
    expect(findings.map((f) => f.code)).toEqual(['PHASE_UNKNOWN']);
    expect(findings[0].message).toMatch(/20% phase \("CT 20%", "Gated, 20.0%"\); assign their phases by hand/);
  });
});
