// Writes tests/fixtures/nifti/ct-series-written-by-iseg/ with lib/dicom/write-ct-series, for
// check_ct_series.py (pydicom, dciodvfy) to verify.
// Run: npx tsx tests/reference/nifti/write-ct-fixture.ts
import { rmSync } from 'node:fs';
import { writeCtSeries } from '@/lib/dicom/write-ct-series';
import { ctFixtureMetadata, ctFixtureVolume } from './ct-fixture-volume';

const dir = 'tests/fixtures/nifti/ct-series-written-by-iseg';
rmSync(dir, { recursive: true, force: true });
writeCtSeries(dir, ctFixtureVolume(), ctFixtureMetadata());
