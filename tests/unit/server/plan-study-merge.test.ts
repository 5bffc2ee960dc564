/**
 * planStudyMerge (pure): what a re-import adds to a stored study, and what makes it a CONFLICT.
 * The database side (one transaction, rollback) is in tests/integration/import/reimport-merge.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { planStudyMerge, type StoredStudyForMerge } from '@/lib/server/studies/plan-study-merge';
import type { PreparedSeries, PreparedStructure, PreparedStudy } from '@/lib/server/studies/import-study.types';

const grid = {
  dims: [2, 2, 2] as [number, number, number],
  spacingMm: [1, 1, 1] as [number, number, number],
  originMm: [0, 0, 0] as [number, number, number],
  direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as const,
};
// `sha` is the content hash (what a merge compares); the key and file sha256 are another
// compressor's output, so they never equal the stored rows' (which carry none).
const series = (uid: string, percent: number | null, sha = `v-${uid}`): PreparedSeries => ({
  key: uid,
  seriesInstanceUid: uid,
  frameOfReferenceUid: 'f',
  modality: 'CT',
  description: `CT ${uid}`,
  phaseIndex: null,
  phasePercent: percent,
  grid: { ...grid, direction: [...grid.direction] as PreparedSeries['grid']['direction'] },
  volumeKey: `gz1-${sha}.nii.gz`,
  volumeSha256: `gz1-${sha}`,
  volumeContentSha256: sha,
  sliceSopInstanceUids: [`${uid}.1`, `${uid}.2`],
  sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
});
const structure = (seriesKey: string, name: string, percent: number | null, sha = `m-${seriesKey}-${name}`): PreparedStructure => ({
  seriesKey,
  roiNumber: 1,
  name,
  kind: name === 'ITV' ? 'ITV' : 'GTV',
  phaseIndex: null,
  phasePercent: name === 'ITV' ? null : percent,
  interpretedType: null,
  maskKey: `gz1-${sha}.nii.gz`,
  maskSha256: `gz1-${sha}`,
  maskContentSha256: sha,
  voxelCount: 1,
  volumeCc: 0.001,
});
const prepared = (s: PreparedSeries[], x: PreparedStructure[]): PreparedStudy => ({
  source: 'DICOM',
  studyInstanceUid: '1.2.3',
  contentHash: 'h',
  fileCount: 1,
  patient: { patientId: 'MRN', name: null, birthDate: null, institutionName: null },
  studyDate: null,
  description: null,
  physician: null,
  scanner: null,
  series: s,
  structures: x,
  findings: [],
});
const stored = (runs = 0): StoredStudyForMerge => ({
  id: 'study1',
  studyInstanceUid: '1.2.3',
  patientPseudonym: 'P-1',
  importedAt: new Date('2026-01-02T00:00:00Z'),
  segmentationRuns: runs,
  series: [
    { id: 's0', seriesInstanceUid: 'A', description: 'CT A', phaseIndex: 0, phasePercent: 0, volumeContentSha256: 'v-A' },
    { id: 's50', seriesInstanceUid: 'C', description: 'CT C', phaseIndex: 1, phasePercent: 50, volumeContentSha256: 'v-C' },
  ],
  structures: [
    { id: 'x0', seriesId: 's0', name: 'GTV_0%', kind: 'GTV', phaseIndex: 0, phasePercent: 0, maskContentSha256: 'm-A-GTV_0%' },
    { id: 'x50', seriesId: 's50', name: 'GTV_50%', kind: 'GTV', phaseIndex: 1, phasePercent: 50, maskContentSha256: 'm-C-GTV_50%' },
    { id: 'itv', seriesId: 's0', name: 'ITV', kind: 'ITV', phaseIndex: null, phasePercent: null, maskContentSha256: 'm-A-ITV' },
  ],
});

describe('planStudyMerge', () => {
  it('adds a phase between stored ones, renumbers the later phase and its structures, keeps the ITV unnumbered', () => {
    const plan = planStudyMerge(
      stored(),
      prepared([series('A', 0), series('B', 20), series('C', 50)], [structure('A', 'GTV_0%', 0), structure('B', 'GTV_20%', 20), structure('A', 'ITV', null)]),
      'P-1',
      'x',
    );
    expect(plan.addSeries.map((s) => [s.seriesInstanceUid, s.phaseIndex])).toEqual([['B', 1]]);
    expect(plan.addStructures.map((s) => [s.name, s.phaseIndex])).toEqual([['GTV_20%', 1]]);
    expect(plan.renumberSeries).toEqual([{ id: 's50', phaseIndex: 2 }]);
    expect(plan.renumberStructures).toEqual([{ id: 'x50', phaseIndex: 2 }]);
    expect(plan.unchangedSeries).toEqual(['A', 'C']);
    expect(plan.unchangedStructures).toBe(2);
  });

  it('a subset of what is stored adds nothing', () => {
    const plan = planStudyMerge(stored(), prepared([series('A', 0)], [structure('A', 'GTV_0%', 0)]), 'P-1', 'x');
    expect(plan).toMatchObject({ addSeries: [], addStructures: [], renumberSeries: [], renumberStructures: [] });
  });

  it('compares content hashes, not file hashes: the same voxels compressed otherwise are unchanged', () => {
    const s = series('A', 0);
    const x = structure('A', 'GTV_0%', 0);
    const old = stored();
    // The prepared files' sha256 differ from the stored content hashes; only content hashes count.
    expect(s.volumeSha256).not.toBe(old.series[0].volumeContentSha256);
    const plan = planStudyMerge(old, prepared([s], [x]), 'P-1', 'x');
    expect(plan).toMatchObject({ addSeries: [], addStructures: [], unchangedSeries: ['A'], unchangedStructures: 1 });
    // A stored row whose content hash is unknown (no file) is not taken as equal.
    old.series[0].volumeContentSha256 = null;
    expect(() => planStudyMerge(old, prepared([s], []), 'P-1', 'x')).toThrow(/other voxels/);
  });

  it('refuses, naming what would change: voxels, phase, structure mask, phase clash, patient, renumbering under runs', () => {
    const conflict = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toMatchObject({ code: 'CONFLICT' });
        return (e as Error).message;
      }
      throw new Error('no conflict');
    };
    expect(conflict(() => planStudyMerge(stored(), prepared([series('A', 0, 'other')], []), 'P-1', 'the upload'))).toMatch(
      /the upload has series A \("CT A"\) with other voxels than the stored one/,
    );
    expect(conflict(() => planStudyMerge(stored(), prepared([series('A', 10)], []), 'P-1', 'x'))).toMatch(
      /maps series A .* to the 10% phase, stored as the 0% phase/,
    );
    expect(conflict(() => planStudyMerge(stored(), prepared([series('A', 0)], [structure('A', 'GTV_0%', 0, 'redrawn')]), 'P-1', 'x'))).toMatch(
      /structure "GTV_0%" on series A with another mask/,
    );
    expect(conflict(() => planStudyMerge(stored(), prepared([series('D', 50)], []), 'P-1', 'x'))).toMatch(
      /series D .* as the 50% phase, which is stored as series C/,
    );
    expect(conflict(() => planStudyMerge(stored(), prepared([series('A', 0)], []), 'P-2', 'x'))).toMatch(/belongs to another patient/);
    expect(conflict(() => planStudyMerge(stored(2), prepared([series('B', 20)], []), 'P-1', 'x'))).toMatch(
      /renumber the stored phases \(1 series\), and 2 segmentation run\(s\)/,
    );
    // Every message says nothing was written and how to replace the study.
    expect(conflict(() => planStudyMerge(stored(), prepared([series('A', 0, 'other')], []), 'P-1', 'x'))).toMatch(
      /Nothing was written; delete the stored study first/,
    );
  });

  it('a new planning CT (no phase) while runs exist renumbers nothing and is allowed', () => {
    const plan = planStudyMerge(stored(3), prepared([series('P', null)], [structure('P', 'GTV', null)]), 'P-1', 'x');
    expect(plan.addSeries.map((s) => [s.seriesInstanceUid, s.phaseIndex])).toEqual([['P', null]]);
    expect(plan.addStructures.map((s) => s.phaseIndex)).toEqual([null]);
  });

  it('structure sets alone: structures keyed by the stored series UID, patient checked by the caller', () => {
    const plan = planStudyMerge(stored(), prepared([], [structure('C', 'CTV_50%', 50)]), null, 'x');
    expect(plan.addStructures.map((s) => [s.seriesKey, s.name, s.phaseIndex])).toEqual([['C', 'CTV_50%', 1]]);
  });
});
