/**
 * Recompute the stored flags of every run summary whose recorded thresholds differ from
 * `thresholds` (docs/flags.md). Flags are stored (RunSummary.flags, for the cohort's sort and
 * counts) and always follow the current FlagRuleSet: a rule save calls this in its transaction,
 * and start-up calls it (reconcileRunFlags) for summaries written under other thresholds, those
 * from before the FlagRuleSet table included. The rules are lib/core/flags's, read from the
 * stored summary numbers (no masks, no metric rows), so this is cheap: one read of the stale
 * summaries, then one update per distinct flag set.
 * No permission check: callers have checked theirs (flags:manage) or run at start-up.
 */
import { flagCodes, type FlagThresholds } from '@/lib/core/flags';
import type { DbOrTx } from '../db/client';
import { loadFlagRules } from './load-flag-rules';

/** @returns how many summaries were rewritten and how many of those now carry other flags. */
export async function applyFlagRules(db: DbOrTx, { thresholds }: { thresholds: FlagThresholds }): Promise<{ rewritten: number; changed: number }> {
  const t = thresholds;
  const stale = await db.runSummary.findMany({
    where: {
      OR: [
        { lowDiceThreshold: { not: t.itvDice } },
        { phaseDiceThreshold: { not: t.phaseGtvDice } },
        { largeFpCcThreshold: { not: t.largeFpCc } },
        { distantFpMmThreshold: { not: t.distantFpMm } },
      ],
    },
    select: {
      runId: true,
      flags: true,
      itvDice: true,
      itvPhysicianCc: true,
      itvLargestFpRegionCc: true,
      itvMaxFpDistanceMm: true,
      phases: { select: { phaseIndex: true, phasePercent: true, dice: true, physicianCc: true, outlier: true }, orderBy: { position: 'asc' } },
    },
  });
  const groups = new Map<string, string[]>();
  let changed = 0;
  for (const s of stale) {
    const codes = flagCodes(
      {
        phases: s.phases,
        itv: { dice: s.itvDice, physicianCc: s.itvPhysicianCc, largestFpRegionCc: s.itvLargestFpRegionCc, maxFpDistanceMm: s.itvMaxFpDistanceMm },
      },
      t,
    );
    if (codes.join(',') !== s.flags.join(',')) changed++;
    const key = codes.join(',');
    groups.set(key, [...(groups.get(key) ?? []), s.runId]);
  }
  for (const [key, runIds] of groups) {
    const flags = key ? (key.split(',') as ReturnType<typeof flagCodes>) : [];
    await db.runSummary.updateMany({
      where: { runId: { in: runIds } },
      data: { flags, lowDiceThreshold: t.itvDice, phaseDiceThreshold: t.phaseGtvDice, largeFpCcThreshold: t.largeFpCc, distantFpMmThreshold: t.distantFpMm },
    });
  }
  return { rewritten: stale.length, changed };
}

/** Start-up: bring every stored summary's flags to the current rule set (no-op when all follow it). */
export async function reconcileRunFlags(db: DbOrTx): Promise<{ version: number; rewritten: number; changed: number }> {
  const rules = await loadFlagRules(db);
  return { version: rules.version, ...(await applyFlagRules(db, { thresholds: rules.thresholds })) };
}
