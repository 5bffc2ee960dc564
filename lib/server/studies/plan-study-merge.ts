/**
 * Re-import with added files: decide what a new import of a stored study adds (pure, no I/O).
 *
 * Users export a study, import it, and later export it again with more in it: the RTSTRUCT, or
 * more 4D CT phases. The new import is merged when nothing stored would change:
 * - a series already stored (same SeriesInstanceUID) must have the same voxels and the same
 *   phase; otherwise CONFLICT naming the series;
 * - a structure already stored on a series (same name) must have the same mask; otherwise
 *   CONFLICT naming it.
 * "Same" compares content hashes (sha256 of the uncompressed NIfTI, volume-store.ts), never the
 * volume keys, which change with the compressor. A stored row from before content hashes were
 * kept carries the hash merge-study.ts computed from its stored file.
 * - a new series may not claim the respiratory phase of a stored one;
 * - the patient must be the stored study's patient.
 * New series and structures are added. 4D CT phase indices are recomputed over stored and new
 * series together (0..n-1 by percent); renumbering a stored phase is allowed only while no
 * segmentation run refers to the study's phase indices.
 */
import { AppError } from '../errors';
import type { PreparedSeries, PreparedStructure, PreparedStudy } from './import-study.types';

export interface StoredSeriesRow {
  id: string;
  seriesInstanceUid: string;
  description: string | null;
  phaseIndex: number | null;
  phasePercent: number | null;
  /** sha256 of the uncompressed NIfTI; null when unknown (no volume file). */
  volumeContentSha256: string | null;
}

export interface StoredStructureRow {
  id: string;
  seriesId: string;
  name: string;
  kind: string;
  phaseIndex: number | null;
  phasePercent: number | null;
  /** sha256 of the uncompressed NIfTI mask; null when unknown (no mask file). */
  maskContentSha256: string | null;
}

export interface StoredStudyForMerge {
  id: string;
  studyInstanceUid: string;
  patientPseudonym: string;
  importedAt: Date;
  series: StoredSeriesRow[];
  structures: StoredStructureRow[];
  segmentationRuns: number;
}

export interface StudyMergePlan {
  /** New series, with their phase index in the merged study. */
  addSeries: PreparedSeries[];
  /** New structures, with their phase index in the merged study. */
  addStructures: PreparedStructure[];
  /** Stored series whose phase index changes (phases added before them). */
  renumberSeries: { id: string; phaseIndex: number | null }[];
  /** Stored structures whose phase index changes with their phase. */
  renumberStructures: { id: string; phaseIndex: number | null }[];
  unchangedSeries: string[];
  unchangedStructures: number;
}

const seriesLabel = (uid: string, description: string | null) => `${uid}${description ? ` ("${description}")` : ''}`;

/**
 * @param pseudonym the pseudonym the new import's patient maps to; null when the caller checked
 *   the patient otherwise (structure sets alone: by PatientID against the stored MRN).
 * @throws AppError CONFLICT naming the first series/structure/phase/patient that would change.
 */
export function planStudyMerge(stored: StoredStudyForMerge, prepared: PreparedStudy, pseudonym: string | null, label: string): StudyMergePlan {
  const when = stored.importedAt.toISOString().slice(0, 10);
  const refuse = (what: string): never => {
    throw new AppError(
      'CONFLICT',
      `Study ${stored.studyInstanceUid} was imported on ${when} (study ${stored.id}); ${label} ${what} Nothing was written; delete the stored study first to replace it.`,
    );
  };
  if (pseudonym !== null && pseudonym !== stored.patientPseudonym)
    refuse("belongs to another patient (its PatientID or institution differs from the stored study's): check that the export is of the same patient.");

  const storedByUid = new Map(stored.series.map((s) => [s.seriesInstanceUid, s]));
  const addSeries: PreparedSeries[] = [];
  const unchangedSeries: string[] = [];
  for (const s of prepared.series) {
    const old = storedByUid.get(s.seriesInstanceUid);
    if (!old) {
      addSeries.push(s);
      continue;
    }
    if (old.volumeContentSha256 !== s.volumeContentSha256)
      refuse(
        `has series ${seriesLabel(s.seriesInstanceUid, s.description)} with other voxels than the stored one (a slice was added, removed or changed): a stored series cannot change.`,
      );
    if (old.phasePercent !== s.phasePercent)
      refuse(
        `maps series ${seriesLabel(s.seriesInstanceUid, s.description)} to ${s.phasePercent === null ? 'no phase' : `the ${s.phasePercent}% phase`}, stored as ${old.phasePercent === null ? 'no phase' : `the ${old.phasePercent}% phase`}: check the phase mapping.`,
      );
    unchangedSeries.push(s.seriesInstanceUid);
  }
  for (const s of addSeries) {
    if (s.phasePercent === null) continue;
    const clash = stored.series.find((o) => o.phasePercent === s.phasePercent);
    if (clash)
      refuse(
        `has series ${seriesLabel(s.seriesInstanceUid, s.description)} as the ${s.phasePercent}% phase, which is stored as series ${seriesLabel(clash.seriesInstanceUid, clash.description)}: give each phase one series (map phases by hand if they were recognised wrongly).`,
      );
  }

  // Phase indices over the merged study.
  const percents = [...new Set([...stored.series, ...prepared.series].map((s) => s.phasePercent).filter((p): p is number => p !== null))].sort((a, b) => a - b);
  const indexOf = (p: number | null): number | null => {
    const n = p === null ? -1 : percents.indexOf(p);
    return n < 0 ? null : n;
  };
  const renumberSeries = stored.series
    .filter((s) => s.phasePercent !== null && indexOf(s.phasePercent) !== s.phaseIndex)
    .map((s) => ({ id: s.id, phaseIndex: indexOf(s.phasePercent) }));
  const renumberStructures = stored.structures
    .filter((x) => x.kind !== 'ITV' && x.phasePercent !== null && indexOf(x.phasePercent) !== x.phaseIndex)
    .map((x) => ({ id: x.id, phaseIndex: indexOf(x.phasePercent) }));
  if (renumberSeries.length > 0 && stored.segmentationRuns > 0)
    refuse(
      `adds phase(s) that renumber the stored phases (${renumberSeries.length} series), and ${stored.segmentationRuns} segmentation run(s) refer to the study's phase numbers: delete the runs or the study first.`,
    );

  const storedSeriesIdByUid = new Map(stored.series.map((s) => [s.seriesInstanceUid, s.id]));
  const addStructures: PreparedStructure[] = [];
  let unchangedStructures = 0;
  for (const x of prepared.structures) {
    // seriesKey is a prepared series' key, or (structure sets alone) a stored series' UID.
    const seriesId = storedSeriesIdByUid.get(prepared.series.find((s) => s.key === x.seriesKey)?.seriesInstanceUid ?? x.seriesKey);
    const old = seriesId ? stored.structures.find((o) => o.seriesId === seriesId && o.name === x.name) : undefined;
    if (old) {
      if (old.maskContentSha256 !== x.maskContentSha256)
        refuse(
          `has structure "${x.name}" on series ${x.seriesKey} with another mask than the stored one: a stored structure cannot change (rename the ROI to keep both).`,
        );
      unchangedStructures++;
      continue;
    }
    addStructures.push({ ...x, phaseIndex: x.kind === 'ITV' ? null : indexOf(x.phasePercent) });
  }
  return {
    addSeries: addSeries.map((s) => ({ ...s, phaseIndex: indexOf(s.phasePercent) })),
    addStructures,
    renumberSeries,
    renumberStructures,
    unchangedSeries,
    unchangedStructures,
  };
}
