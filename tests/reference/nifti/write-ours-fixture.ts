// Writes tests/fixtures/nifti/written-by-iseg-oblique.nii.gz with our writer, for nibabel to read
// in make_nifti_fixtures.py. Run: npx tsx tests/reference/nifti/write-ours-fixture.ts
import { writeNifti } from '@/lib/nifti';
import { oursFixtureVolume } from './ours-fixture-volume';

writeNifti('tests/fixtures/nifti/written-by-iseg-oblique.nii.gz', oursFixtureVolume(), { intent: 'image' });
