/**
 * The stored form of a kept cohort (CohortSnapshot.data; read-cohort-snapshot.ts,
 * write-cohort-snapshot.ts): gzipped JSON with the rows as columns (one array per field, as the
 * cohort query returns them) and each study's phase values. Every value in a row came from JSON
 * (the query's result) or is a string, boolean or null, so JSON gives back the same rows. Pure
 * apart from zlib.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { CohortCase } from '../../core/stats/cohort-stats';
import type { StudyPhases } from '../../core/stats/phase-pool';

/** The CohortCase fields, in the order they are stored. */
const CASE_FIELDS = [
  'studyId',
  'pseudonym',
  'institution',
  'studyDate',
  'dateShifted',
  'physician',
  'scanner',
  'model',
  'latestRunStatus',
  'latestRunError',
  'hasSummary',
  'gtvMedianDice',
  'gtvMedianHd95Mm',
  'itvDice',
  'itvHd95Mm',
  'itvFpCc',
  'itvMachineCc',
  'itvPhysicianCc',
  'motionMm',
  'flags',
  'gtvMinDice',
  'itvLargestFpRegionCc',
  'itvMaxFpDistanceMm',
  'hasDose',
  'fpDoseCc',
  'fpBelow95PctRxCc',
] as const satisfies readonly (keyof CohortCase)[];

/** Bumped when the stored form changes: a snapshot of another format is not read. */
export const SNAPSHOT_FORMAT = 1;

export interface CohortSnapshotContent {
  datesShifted: boolean;
  cases: CohortCase[];
  phases: StudyPhases[];
}

interface Stored {
  format: number;
  datesShifted: boolean;
  cases: Record<string, unknown[]>;
  phases: { anyDice: boolean[]; dice: number[][]; hd95Mm: number[][]; fpCc: number[][] };
}

const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);

export async function encodeCohortSnapshot(content: CohortSnapshotContent): Promise<Buffer> {
  const { cases, phases } = content;
  const stored: Stored = {
    format: SNAPSHOT_FORMAT,
    datesShifted: content.datesShifted,
    cases: Object.fromEntries(CASE_FIELDS.map((f) => [f, cases.map((c) => c[f] ?? null)])),
    phases: {
      anyDice: phases.map((p) => p.anyDice),
      dice: phases.map((p) => [...p.dice]),
      hd95Mm: phases.map((p) => [...p.hd95Mm]),
      fpCc: phases.map((p) => [...p.fpCc]),
    },
  };
  // gzip runs on libuv's thread pool, not on the thread that serves pages.
  return gzip(JSON.stringify(stored), { level: 1 });
}

/** @throws Error when the data is not a snapshot of this format (a truncated or foreign value). */
export async function decodeCohortSnapshot(data: Uint8Array): Promise<CohortSnapshotContent> {
  const stored = JSON.parse((await gunzip(data)).toString('utf8')) as Stored;
  if (stored?.format !== SNAPSHOT_FORMAT) throw new Error(`cohort snapshot: format ${String(stored?.format)}, expected ${SNAPSHOT_FORMAT}`);
  const ids = stored.cases.studyId as string[];
  const cases = ids.map((_, i) => Object.fromEntries(CASE_FIELDS.map((f) => [f, stored.cases[f]![i]])) as unknown as CohortCase);
  const p = stored.phases;
  const phases = ids.map((_, i) => ({ anyDice: p.anyDice[i]!, dice: p.dice[i]!, hd95Mm: p.hd95Mm[i]!, fpCc: p.fpCc[i]! }));
  return { datesShifted: stored.datesShifted, cases, phases };
}
