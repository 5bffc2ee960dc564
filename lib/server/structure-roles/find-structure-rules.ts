/**
 * What the Admin → Structure roles page shows (permission structure-roles:manage): the current
 * site rules, the built-in rules after them, every saved version (newest first) and, when asked,
 * the rules of one earlier version.
 * @throws AppError UNAUTHORIZED / FORBIDDEN, NOT_FOUND (no such version).
 */
import { BUILT_IN_STRUCTURE_RULES, parseStoredSiteRules, type SiteRuleSet } from '@/lib/core/structures';
import { authorize, type Caller } from '../auth/roles';
import type { DbOrTx } from '../db/client';
import { AppError } from '../errors';
import { loadStructureRules } from './load-structure-rules';

export interface StructureRuleVersionSummary {
  version: number;
  at: Date;
  userEmail: string | null;
  change: string;
  ruleCount: number;
  enabledCount: number;
}

export interface StructureRulesView {
  current: SiteRuleSet | null;
  builtIn: readonly { id: string; description: string }[];
  versions: StructureRuleVersionSummary[];
  /** The version asked for with `version`, else null. */
  shown: SiteRuleSet | null;
}

export async function findStructureRules(
  db: DbOrTx,
  { caller, version }: { caller: Caller | null | undefined; version?: number },
): Promise<StructureRulesView> {
  authorize(caller, 'structure-roles:manage');
  const current = await loadStructureRules(db);
  const rows = await db.structureRuleVersion.findMany({ orderBy: { version: 'desc' }, take: 200 });
  const versions = rows.map((r) => {
    const rules = Array.isArray(r.rules) ? (r.rules as { enabled?: unknown }[]) : [];
    return {
      version: r.version,
      at: r.at,
      userEmail: r.userEmail,
      change: r.change,
      ruleCount: rules.length,
      enabledCount: rules.filter((x) => x?.enabled === true).length,
    };
  });
  let shown: SiteRuleSet | null = null;
  if (version !== undefined) {
    const row = await db.structureRuleVersion.findUnique({ where: { version } });
    if (!row) throw new AppError('NOT_FOUND', `There is no structure rules version ${version}; the versions are listed on this page.`);
    shown = { version: row.version, rules: parseStoredSiteRules(row.version, row.rules) };
  }
  return { current, builtIn: BUILT_IN_STRUCTURE_RULES, versions, shown };
}
