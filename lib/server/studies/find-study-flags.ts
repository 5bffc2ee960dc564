/**
 * The QA flags of a study's latest succeeded run, in full (the study page): each flag's rule,
 * value, threshold and structure (lib/core/flags), evaluated from the stored summary with the
 * thresholds stored with it, which are the current FlagRuleSet's (docs/flags.md).
 * @returns null when the study has no succeeded run with a summary.
 * @throws AppError UNAUTHORIZED / FORBIDDEN (studies:view).
 */
import { evaluateFlags, type Flag, type FlagThresholds } from '@/lib/core/flags';
import { authorize, type Caller } from '../auth/roles';
import type { DbOrTx } from '../db/client';
import { RUN_SUMMARY_INCLUDE, runSummaryFromRow } from '../runs/run-summary.types';
import { loadFlagRules } from '../flags/load-flag-rules';

export interface StudyFlags {
  runId: string;
  finishedAt: Date | null;
  flags: Flag[];
  thresholds: FlagThresholds;
  /** The current rule set's version when the run's thresholds are the current ones, else null. */
  rulesVersion: number | null;
}

export async function findStudyFlags(db: DbOrTx, { caller, studyId }: { caller: Caller | null | undefined; studyId: string }): Promise<StudyFlags | null> {
  authorize(caller, 'studies:view');
  const run = await db.segmentationRun.findFirst({
    where: { studyId, status: 'SUCCEEDED', summary: { isNot: null } },
    orderBy: [{ finishedAt: { sort: 'desc', nulls: 'last' } }, { queuedAt: 'desc' }],
    select: { id: true, finishedAt: true, summary: { include: RUN_SUMMARY_INCLUDE } },
  });
  if (!run?.summary) return null;
  const s = runSummaryFromRow(run.summary);
  const current = await loadFlagRules(db);
  const same = (Object.keys(current.thresholds) as (keyof FlagThresholds)[]).every((k) => current.thresholds[k] === s.thresholds[k]);
  return {
    runId: run.id,
    finishedAt: run.finishedAt,
    flags: evaluateFlags(s, s.thresholds),
    thresholds: s.thresholds,
    rulesVersion: same ? current.version : null,
  };
}
