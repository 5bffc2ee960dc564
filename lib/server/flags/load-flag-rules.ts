/**
 * The current QA flag thresholds: the latest FlagRuleSet (docs/flags.md), or the defaults of
 * lib/core/flags (version 0) before an admin ever saved one. No permission check of its own: it
 * serves operations that checked theirs (a run's summary, the cohort and review pages).
 * @throws AppError INTERNAL when the stored version cannot be read (names the version).
 */
import { DEFAULT_FLAG_THRESHOLDS, FlagRuleError, parseFlagThresholds, type FlagThresholds } from '@/lib/core/flags';
import type { DbOrTx } from '../db/client';
import { AppError } from '../errors';

export interface FlagRules {
  /** 0 = the built-in defaults (no FlagRuleSet saved yet). */
  version: number;
  thresholds: FlagThresholds;
}

/** Key of the transaction-level advisory lock between a rule save (exclusive) and a run's summary write (shared). */
export const FLAG_RULES_LOCK = 4_216_120_606;

export async function loadFlagRules(db: DbOrTx): Promise<FlagRules> {
  const latest = await db.flagRuleSet.findFirst({ orderBy: { version: 'desc' }, select: { version: true, thresholds: true } });
  if (!latest) return { version: 0, thresholds: { ...DEFAULT_FLAG_THRESHOLDS } };
  try {
    return { version: latest.version, thresholds: parseFlagThresholds(latest.thresholds) };
  } catch (e) {
    if (e instanceof FlagRuleError)
      throw new AppError('INTERNAL', `Flag rule set version ${latest.version} cannot be read: ${e.message} Save the thresholds again on Admin → Flags.`);
    throw e;
  }
}
