/**
 * What Admin → Flags shows (permission flags:manage): the current thresholds and every saved
 * version, newest first (who, when, the note, the thresholds).
 * @throws AppError UNAUTHORIZED / FORBIDDEN.
 */
import { parseFlagThresholds, type FlagThresholds } from '@/lib/core/flags';
import { authorize, type Caller } from '../auth/roles';
import type { DbOrTx } from '../db/client';
import { loadFlagRules, type FlagRules } from './load-flag-rules';

export interface FlagRuleVersion {
  version: number;
  createdAt: Date;
  createdByEmail: string | null;
  note: string | null;
  /** null when the stored Json cannot be read (shown as such). */
  thresholds: FlagThresholds | null;
}

export interface FlagRulesView {
  current: FlagRules;
  versions: FlagRuleVersion[];
}

export async function findFlagRules(db: DbOrTx, { caller }: { caller: Caller | null | undefined }): Promise<FlagRulesView> {
  authorize(caller, 'flags:manage');
  const current = await loadFlagRules(db);
  const rows = await db.flagRuleSet.findMany({ orderBy: { version: 'desc' }, take: 200 });
  const read = (j: unknown): FlagThresholds | null => {
    try {
      return parseFlagThresholds(j);
    } catch {
      return null;
    }
  };
  return {
    current,
    versions: rows.map((r) => ({ version: r.version, createdAt: r.createdAt, createdByEmail: r.createdByEmail, note: r.note, thresholds: read(r.thresholds) })),
  };
}
