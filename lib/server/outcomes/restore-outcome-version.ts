/**
 * Restores the outcomes as they were right after an earlier version (or, for version 0, as they
 * were before the first version), as a new version of kind 'restore' with an audit event
 * (`outcomes.restored`). Only patients that a later version touched are considered; for each,
 * the wanted values are the last values written at or before that version, else the values the
 * first later version found (its `before`), which may be "no outcome" (the row is removed).
 * Permission `outcomes:import`.
 */
import type { Db, DbOrTx } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import { AppError } from '../errors';
import { writeOutcomeVersion, type OutcomeTarget, type OutcomeValues, type OutcomeVersionSummary } from './write-outcome-version';

export async function restoreOutcomeVersion(
  db: Db,
  { caller, versionId }: { caller: Caller | null | undefined; versionId: number },
): Promise<OutcomeVersionSummary & { restoredFromId: number; skippedPatients: number }> {
  const who = authorize(caller, 'outcomes:import');
  if (!Number.isInteger(versionId) || versionId < 0)
    throw new AppError(
      'INVALID_INPUT',
      `"${versionId}" is not an outcomes version number: choose a version from the list (0 is the state before the first one).`,
    );
  if (versionId > 0 && !(await db.outcomeVersion.findUnique({ where: { id: versionId }, select: { id: true } })))
    throw new AppError('NOT_FOUND', `There is no outcomes version ${versionId}: choose one from the list of versions.`);
  let skippedPatients = 0;
  const targets = async (tx: DbOrTx): Promise<OutcomeTarget[]> => {
    const later = await tx.outcomeVersionChange.findMany({
      where: { versionId: { gt: versionId } },
      orderBy: { versionId: 'asc' },
      select: { patientId: true, before: true },
    });
    if (later.length === 0)
      throw new AppError(
        'CONFLICT',
        `Nothing to restore: no version after ${versionId} changed any outcome, so the outcomes already are as version ${versionId} left them.`,
      );
    const wanted = new Map<string, OutcomeValues | null>();
    for (const c of later) if (!wanted.has(c.patientId)) wanted.set(c.patientId, (c.before ?? null) as OutcomeValues | null);
    const earlier = await tx.outcomeVersionChange.findMany({
      where: { versionId: { lte: versionId }, patientId: { in: [...wanted.keys()] } },
      orderBy: { versionId: 'desc' },
      select: { patientId: true, after: true },
    });
    const seen = new Set<string>();
    for (const c of earlier) {
      if (seen.has(c.patientId)) continue;
      seen.add(c.patientId);
      wanted.set(c.patientId, (c.after ?? null) as OutcomeValues | null);
    }
    // A patient deleted since has no outcome to restore.
    const existing = new Set((await tx.patient.findMany({ where: { id: { in: [...wanted.keys()] } }, select: { id: true } })).map((p) => p.id));
    skippedPatients = [...wanted.keys()].filter((id) => !existing.has(id)).length;
    return [...wanted].filter(([id]) => existing.has(id)).map(([patientId, values]) => ({ patientId, values }));
  };
  const summary = await writeOutcomeVersion(db, {
    caller: who,
    kind: 'restore',
    fileName: versionId === 0 ? 'restore: before the first version' : `restore: as after version ${versionId}`,
    restoredFromId: versionId,
    targets,
    audit: { action: 'outcomes.restored', target: `outcomes:version:${versionId}`, details: { restoredFrom: versionId } },
  });
  return { ...summary, restoredFromId: versionId, skippedPatients };
}
