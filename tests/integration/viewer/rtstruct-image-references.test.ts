/**
 * The RTSTRUCT export of a study imported from real DICOM files names, for every contour, the CT
 * image it lies on: a synthetic 4D CT phantom (two phases) is written as DICOM, imported into a
 * real Postgres, segmented (the "model" is injected: a box over several slices), exported, and
 * the exported file is read by pydicom next to the phantom's CT files
 * (tests/reference/dicom/rtstruct_image_refs.py). The reference is the CT files themselves: every
 * ReferencedSOPInstanceUID must be one of the exported phase's SOPInstanceUIDs, and the contour's
 * z must be that slice's ImagePositionPatient z.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgBoss } from 'pg-boss';
import type { Caller } from '@/lib/server/auth/roles';
import { importStudy } from '@/lib/server/studies/import-study';
import { exportStudyRtStruct } from '@/lib/server/studies/export-study-rtstruct';
import { createSegmentationRun } from '@/lib/server/runs/create-segmentation-run';
import { executeSegmentationRun, type SegmentFn } from '@/lib/server/runs/execute-segmentation-run';
import { createVolumeStore, type VolumeStore } from '@/lib/server/storage/volume-store';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { writePhantomStudy, type PhantomStudy } from '../import/phantom-fixture';

const MODEL_DIR = join(import.meta.dirname, '..', '..', 'fixtures', 'models', 'tiny-test');
const REFS_PY = join(import.meta.dirname, '..', '..', 'reference', 'dicom', 'rtstruct_image_refs.py');
const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
const physicist: Caller = { userId: 'u-phys', email: 'phys@example.org', name: 'Phys', role: 'PHYSICIST' };

interface Refs {
  ct: Record<string, { sopClassUids: string[]; slices: { uid: string; z: number }[] }>;
  rtstruct: {
    frameOfReferenceUid: string;
    hasStudyReference: boolean;
    referencedSeries: { series: string; images: string[] }[];
    contours: { roi: string; images: { sopClassUid: string; sopInstanceUid: string }[]; zMin: number; zMax: number }[];
  };
}

describe('RTSTRUCT export of a DICOM-imported study: contour image references', () => {
  let t: TestDatabase;
  let tmp: string;
  let store: VolumeStore;
  let phantom: PhantomStudy;
  let studyId: string;

  beforeAll(async () => {
    t = await createTestDatabase('rtstruct_refs');
    tmp = mkdtempSync(join(tmpdir(), 'iseg-rtstruct-refs-'));
    store = createVolumeStore({ dir: join(tmp, 'volumes') });
    phantom = await writePhantomStudy(join(tmp, 'patient'), { seed: 'rtstruct-refs', phasePercents: [0, 50] });
    const imported = await importStudy({ db: t.db, caller: physicist, dir: phantom.dicomDir, store });
    studyId = imported.studyId;
    // The "model": a 12×12×10-voxel box, so contours lie on ten different slices.
    const segment: SegmentFn = async (ct) => {
      const [nx, ny] = ct.grid.dims;
      const data = new Uint8Array(ct.data.length);
      for (let k = 7; k < 17; k++) for (let j = 18; j < 30; j++) for (let i = 18; i < 30; i++) data[i + nx * (j + ny * k)] = 1;
      return { mask: { grid: ct.grid, data }, timingsMs: {} };
    };
    const fakeBoss = { send: async () => 'job-rtstruct-refs' } as unknown as PgBoss;
    const { runId } = await createSegmentationRun(t.db, fakeBoss, { caller: physicist, studyId, modelDir: MODEL_DIR });
    expect(await executeSegmentationRun({ db: t.db, store, runId, segment, attempt: 1, maxAttempts: 1, codeVersion: 'test' })).toBe('succeeded');
  }, 120_000);

  afterAll(async () => {
    await t.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('every contour references the CT image of its slice (UID and SOP class from the imported files, z from ImagePositionPatient)', async () => {
    const { bytes } = await exportStudyRtStruct(t.db, store, { caller: physicist, studyId, phaseIndex: 1 });
    const file = join(tmp, 'rs.dcm');
    writeFileSync(file, bytes);
    const refs = JSON.parse(execFileSync('/usr/bin/python3', [REFS_PY, phantom.dicomDir, file], { encoding: 'utf8' })) as Refs;

    const seriesUid = phantom.written.phases[1].seriesInstanceUid;
    const ct = refs.ct[seriesUid];
    expect(ct.slices).toHaveLength(24);
    expect(ct.sopClassUids).toEqual([CT_IMAGE_STORAGE]);
    const zOf = new Map(ct.slices.map((s) => [s.uid, s.z]));
    // The other phase's images must not be referenced: they share positions but not UIDs.
    const otherPhase = new Set(refs.ct[phantom.written.phases[0].seriesInstanceUid].slices.map((s) => s.uid));
    expect(otherPhase.size).toBe(24);

    const rs = refs.rtstruct;
    expect(rs.frameOfReferenceUid).toBe(phantom.written.frameOfReferenceUid);
    expect(rs.hasStudyReference).toBe(true);
    // RT Referenced Series: the exported phase's series, with all its images.
    expect(rs.referencedSeries).toEqual([{ series: seriesUid, images: ct.slices.map((s) => s.uid) }]);

    expect(new Set(rs.contours.map((c) => c.roi))).toEqual(new Set(['GTV_iSeg_50%', 'ITV_iSeg']));
    for (const c of rs.contours) {
      expect(c.images).toHaveLength(1);
      const [image] = c.images;
      expect(image.sopClassUid).toBe(CT_IMAGE_STORAGE);
      expect(image.sopInstanceUid).not.toBe('');
      expect(zOf.has(image.sopInstanceUid)).toBe(true);
      expect(otherPhase.has(image.sopInstanceUid)).toBe(false);
      const z = zOf.get(image.sopInstanceUid)!;
      expect(Math.abs(c.zMin - z)).toBeLessThan(1e-3);
      expect(Math.abs(c.zMax - z)).toBeLessThan(1e-3);
    }
    // The box spans slices k = 7..16: ten distinct images, so a constant or shifted mapping fails.
    const gtvImages = new Set(rs.contours.filter((c) => c.roi === 'GTV_iSeg_50%').map((c) => c.images[0].sopInstanceUid));
    expect([...gtvImages].sort()).toEqual(
      ct.slices
        .slice(7, 17)
        .map((s) => s.uid)
        .sort(),
    );

    const audit = await t.db.auditEvent.findMany({ where: { action: 'study.export.rtstruct' } });
    expect(audit.map((a) => a.details)).toEqual([expect.objectContaining({ seriesInstanceUid: seriesUid, imageReferences: true })]);
  });

  it('a 4D part stored as "UID#t" is referenced by its DICOM UID; a series UID the importer derived gets no image references', async () => {
    const seriesUid = phantom.written.phases[1].seriesInstanceUid;
    const stored = await t.db.imageSeries.findFirstOrThrow({ where: { studyId, phaseIndex: 1 } });
    const exportWith = async (uid: string) => {
      await t.db.imageSeries.update({ where: { id: stored.id }, data: { seriesInstanceUid: uid } });
      const file = join(tmp, 'rs-renamed.dcm');
      writeFileSync(file, (await exportStudyRtStruct(t.db, store, { caller: physicist, studyId, phaseIndex: 1 })).bytes);
      return (JSON.parse(execFileSync('/usr/bin/python3', [REFS_PY, '-', file], { encoding: 'utf8' })) as Refs).rtstruct;
    };
    try {
      const split = await exportWith(`${seriesUid}#2`);
      expect(split.referencedSeries.map((r) => r.series)).toEqual([seriesUid]);
      expect(split.contours.every((c) => c.images.length === 1)).toBe(true);
      // Anonymised input without a SeriesInstanceUID: the import groups it under a derived key.
      const derived = await exportWith(`derived:${phantom.written.frameOfReferenceUid}/2/`);
      expect(derived.hasStudyReference).toBe(false);
      expect(derived.contours.length).toBeGreaterThan(0);
      expect(derived.contours.every((c) => c.images.length === 0)).toBe(true);
    } finally {
      await t.db.imageSeries.update({ where: { id: stored.id }, data: { seriesInstanceUid: seriesUid } });
    }
  });
});
