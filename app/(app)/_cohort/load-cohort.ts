/**
 * Everything the cohort page shows (findCohortView: the statistics, the chart points and the
 * requested page of the case table, kept in the web process while the cohort data is unchanged),
 * with the current flag thresholds. The page starts it once and hands the promise to each
 * streamed widget.
 */
import { db } from '@/lib/server/db/client';
import type { Caller } from '@/lib/server/auth/roles';
import type { CohortQuery } from '@/lib/server/cohort/find-cohort-cases.types';
import { findCohortView, type CohortView } from '@/lib/server/cohort/find-cohort-view';
import type { FlagThresholds } from '@/lib/core/flags';
import { loadFlagRules } from '@/lib/server/flags/load-flag-rules';

export interface CohortData extends CohortView {
  /** The current flag thresholds (the stored flags were computed with them; docs/flags.md), to word each flag. */
  flagThresholds: FlagThresholds;
}

export async function loadCohort(caller: Caller, query: CohortQuery): Promise<CohortData> {
  const [view, rules] = await Promise.all([findCohortView(db(), { caller, query }), loadFlagRules(db())]);
  return { ...view, flagThresholds: rules.thresholds };
}
