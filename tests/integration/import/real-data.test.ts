/**
 * Import of the public test data in /work/shared/data (see its README), with the findings each
 * folder should give. References:
 * - rt-utils mock_data: voxel counts per ROI from plastimatch 1.9.4 (`plastimatch convert
 *   --referenced-ct DIR --output-prefix P --prefix-format nii.gz --xor-contours`), stored in
 *   tests/fixtures/dicom/masks-plastimatch.json.gz by tests/reference/dicom/.
 * - TotalSegmentator DICOM (JPEG 2000): sha256 per slice of the HU that pydicom 2.3 + GDCM decode,
 *   in tests/fixtures/dicom/compressed/references.json.gz (tests/reference/dicom/make_compressed_fixtures.py).
 * - TotalSegmentator NIfTI: voxels per label counted with nibabel:
 *   `np.unique(np.asanyarray(nib.load('example_seg.nii.gz').dataobj), return_counts=True)`.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNifti } from '@/lib/nifti';
import type { Caller } from '@/lib/server/auth/roles';
import { importStudy } from '@/lib/server/studies/import-study';
import { createVolumeStore, type VolumeStore } from '@/lib/server/storage/volume-store';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { haveSharedData, referenceSuite, sharedDataPath } from '../../shared-data';

const DATA = sharedDataPath();
const missing = !haveSharedData(DATA);
const physicist: Caller = { userId: 'u-phys', email: 'phys@example.org', name: 'Phys', role: 'PHYSICIST' };

// nibabel: voxels per label of example_seg.nii.gz (label 0 omitted).
const TOTALSEG_LABELS: Record<number, number> = {
  1: 9452,
  2: 3947,
  3: 3676,
  4: 1333,
  5: 38634,
  6: 4675,
  7: 644,
  8: 152,
  9: 184,
  10: 259,
  11: 1312,
  13: 1,
  14: 2735,
  18: 1020,
  19: 1110,
  20: 12993,
  30: 1868,
  31: 2139,
  32: 1783,
  33: 70,
  52: 997,
  63: 1368,
  64: 901,
  79: 492,
  86: 7050,
  87: 6635,
  88: 410,
  89: 360,
  98: 103,
  99: 171,
  100: 213,
  101: 210,
  102: 234,
  103: 132,
  110: 64,
  111: 147,
  112: 170,
  113: 195,
  114: 203,
  115: 83,
  117: 2100,
};

describe.skipIf(missing)(referenceSuite('import of the public test data'), () => {
  let t: TestDatabase;
  let tmp: string;
  let store: VolumeStore;
  beforeAll(async () => {
    t = await createTestDatabase('import_real');
    tmp = mkdtempSync(join(tmpdir(), 'iseg-import-real-'));
    store = createVolumeStore({ dir: join(tmp, 'volumes') });
  });
  afterAll(async () => {
    await t.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('rt-utils mock_data: one CT, ROIs of two structure sets with plastimatch voxel counts, findings for the duplicate SOP and the duplicate ROI name', async () => {
    const r = await importStudy({ db: t.db, caller: physicist, dir: join(DATA, 'rtutils/mock_data'), store });
    expect(r.seriesCount).toBe(1);
    expect(r.series[0].dims).toEqual([512, 512, 2]);
    const plastimatch = JSON.parse(gunzipSync(readFileSync(join(__dirname, '../../fixtures/dicom/masks-plastimatch.json.gz'))).toString()).masks;
    const invalidRef = plastimatch['rtutils/mock_data/invalid_reference_rt.dcm'].rois;
    const rt = plastimatch['rtutils/mock_data/rt.dcm'].rois;
    const counts = Object.fromEntries(r.structures.map((s) => [s.name, s.voxelCount]));
    // invalid_reference_rt.dcm sorts first, so its ROI-1 keeps the name; rt.dcm's becomes "ROI-1 (2)".
    expect(counts).toEqual({
      'ROI-1': invalidRef['ROI-1'].voxels,
      'ROI-2': invalidRef['ROI-2'].voxels,
      'ROI-3': invalidRef['ROI-3'].voxels,
      'ROI-4': invalidRef['ROI-4'].voxels,
      'ROI-1 (2)': rt['ROI-1'].voxels,
    });
    expect(r.structures.every((s) => s.kind === 'OTHER')).toBe(true);
    const codes = (file: string) => r.findings.filter((f) => f.file === file).map((f) => f.code);
    expect(codes('non_existent_reference_rt.dcm')).toEqual(['DUPLICATE_SOP_INSTANCE']);
    expect(codes('rt.dcm')).toEqual(expect.arrayContaining(['FRAME_OF_REFERENCE_MISMATCH', 'DUPLICATE_ROI_NAME']));
    expect(codes('invalid_reference_rt.dcm')).toEqual(expect.arrayContaining(['CONTOUR_OUTSIDE_IMAGE', 'SOP_REFERENCE_UNRESOLVED']));
    const patient = await t.db.patient.findUniqueOrThrow({ where: { id: r.patientId }, include: { identity: true } });
    expect(patient.identity?.mrn).toBeTruthy();
  });

  it('rt-utils empty/: an RTSTRUCT without its CT, whose CT (mock_data) is stored and whose ROIs are stored already: a no-op', async () => {
    // dummy_rt.dcm references the mock_data CT series imported above, and its four ROIs are
    // those of mock_data's structure sets (same names, same masks on that CT): nothing to add.
    const before = { studies: await t.db.study.count(), structures: await t.db.physicianStructure.count(), audit: await t.db.auditEvent.count() };
    const r = await importStudy({ db: t.db, caller: physicist, dir: join(DATA, 'rtutils/empty'), store });
    expect(r).toMatchObject({ alreadyImported: true });
    expect(r.merged).toBeUndefined();
    expect({ studies: await t.db.study.count(), structures: await t.db.physicianStructure.count(), audit: await t.db.auditEvent.count() }).toEqual(before);
  });

  it('TotalSegmentator DICOM (JPEG 2000 lossless, blank UIDs): imported; the stored HU equal pydicom+GDCM slice for slice', async () => {
    const r = await importStudy({ db: t.db, caller: physicist, dir: join(DATA, 'totalsegmentator/example_ct_dicom'), store });
    expect(r).toMatchObject({ alreadyImported: false, seriesCount: 1, structureCount: 0 });
    expect(r.series[0].dims).toEqual([512, 512, 20]);
    // Anonymised: blank UIDs are a warning, not a refusal; nothing about the compression. No
    // RTSTRUCT: the import says there is no reference structure to compare with.
    expect(r.findings.map((f) => f.code)).toEqual(['MISSING_ATTRIBUTE', 'NO_REFERENCE_STRUCTURE']);
    const [series] = await t.db.imageSeries.findMany({ where: { studyId: r.studyId } });
    const vol = parseNifti(await store.getVolume(series.volumeKey!));
    const ref = JSON.parse(gunzipSync(readFileSync(join(__dirname, '../../fixtures/dicom/compressed/references.json.gz'))).toString())
      .totalsegmentatorSeries as { sha256: string }[];
    const plane = 512 * 512;
    const hu = Int16Array.from(vol.data as ArrayLike<number>);
    const ours = ref.map((_, k) =>
      createHash('sha256')
        .update(new Uint8Array(hu.buffer, k * plane * 2, plane * 2))
        .digest('hex'),
    );
    expect(ours).toEqual(ref.map((x) => x.sha256));
    const again = await importStudy({ db: t.db, caller: physicist, dir: join(DATA, 'totalsegmentator/example_ct_dicom'), store });
    expect(again).toMatchObject({ alreadyImported: true, studyId: r.studyId });
  });

  it('TotalSegmentator NIfTI: the CT and two label maps, one structure per label with nibabel voxel counts', async () => {
    const dir = join(DATA, 'totalsegmentator');
    const files = ['example_ct_sm.nii.gz', 'example_seg.nii.gz', 'example_seg_fast.nii.gz'].map((f) => join(dir, f));
    const r = await importStudy({ db: t.db, caller: physicist, files, store });
    expect(r.source).toBe('NIFTI');
    expect(r.seriesCount).toBe(1);
    expect(r.series[0].dims).toEqual([122, 101, 30]);
    const seg = r.structures.filter((s) => s.name.startsWith('example_seg_label_'));
    expect(Object.fromEntries(seg.map((s) => [Number(s.name.split('_').at(-1)), s.voxelCount]))).toEqual(TOTALSEG_LABELS);
    expect(r.structures.filter((s) => s.name.startsWith('example_seg_fast_label_'))).toHaveLength(40);
    expect(seg.find((s) => s.name === 'example_seg_label_5')!.volumeCc).toBeCloseTo((38634 * 27) / 1000, 6);
    // Organ labels, none a GTV or ITV: the roles (all unknown by these names), and the finding saying there is no reference.
    expect(r.findings.map((f) => [f.code, f.severity])).toEqual([
      ['STRUCTURE_ROLES', 'info'],
      ['NO_REFERENCE_STRUCTURE', 'warning'],
    ]);
    expect(r.findings[0].message).toMatch(/^Structure roles \(built-in rules; no site rules saved\): UNKNOWN: "example_seg_label_1" \[unknown\], /);
    expect(r.findings[1].message).toContain(
      `None of the ${r.structures.length} physician structures is recognised as the GTV or ITV by its name ("example_seg_label_1", `,
    );
    const again = await importStudy({ db: t.db, caller: physicist, files: [...files].reverse(), store });
    expect(again).toMatchObject({ alreadyImported: true, studyId: r.studyId });
  });
});
