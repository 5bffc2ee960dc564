/**
 * The CT volume and metadata behind tests/fixtures/nifti/ct-series-written-by-iseg/: a small
 * oblique, anisotropic grid (so row/column spacing and orientation mistakes show) with HU from
 * −1024 to 2000. Shared by the script that writes the fixture and by the unit test.
 */
import type { Grid, Volume } from '@/lib/core/volume';
import { deterministicUid, type CtSeriesMetadata } from '@/lib/dicom/write-ct-series';

export function ctFixtureVolume(): Volume<Int16Array> {
  // In-plane rotation of 15° about z (a tilted-table-free oblique axial), k along +z.
  const c = Math.cos(Math.PI / 12),
    s = Math.sin(Math.PI / 12);
  const grid: Grid = {
    dims: [6, 5, 4],
    spacingMm: [0.8, 1.3, 2.5],
    originMm: [-100.25, 50.5, -30],
    direction: [c, -s, 0, s, c, 0, 0, 0, 1],
  };
  const data = new Int16Array(120);
  for (let n = 0; n < 120; n++) data[n] = n === 0 ? -1024 : n === 119 ? 2000 : ((n * 37) % 400) - 300;
  return { grid, data };
}

export function ctFixtureMetadata(): CtSeriesMetadata {
  return {
    patientName: 'PHANTOM^FIXTURE',
    patientId: 'PHANTOM-FIX',
    patientBirthDate: '19600101',
    patientSex: 'F',
    studyInstanceUid: deterministicUid('fixture/study'),
    seriesInstanceUid: deterministicUid('fixture/series/20'),
    frameOfReferenceUid: deterministicUid('fixture/for'),
    studyDate: '20200315',
    seriesNumber: 3,
    seriesDescription: '4D CT 20%',
    manufacturer: 'SYNTHETIC',
    manufacturerModelName: 'PhantomScan 64',
    institutionName: 'Synthetic General Hospital',
    temporalPositionIndex: 3,
    numberOfTemporalPositions: 10,
    imageComments: 'SYNTHETIC PHANTOM',
  };
}
