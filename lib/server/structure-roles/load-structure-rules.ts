/**
 * The site's current structure rules (the latest StructureRuleVersion), as the importer applies
 * them before the built-in rules (lib/core/structures; docs/structure-roles.md). No permission
 * check of its own: it serves operations that have checked theirs (the import checks
 * studies:import); the admin page reads rules through findStructureRules.
 * @returns null when no rule was ever saved (built-in rules only).
 * @throws AppError INTERNAL when the stored version cannot be read (names the version and rule).
 */
import { parseStoredSiteRules, type SiteRuleSet } from '@/lib/core/structures';
import type { DbOrTx } from '../db/client';
import { AppError } from '../errors';

export async function loadStructureRules(db: DbOrTx): Promise<SiteRuleSet | null> {
  const latest = await db.structureRuleVersion.findFirst({ orderBy: { version: 'desc' }, select: { version: true, rules: true } });
  if (!latest) return null;
  try {
    return { version: latest.version, rules: parseStoredSiteRules(latest.version, latest.rules) };
  } catch (e) {
    throw new AppError('INTERNAL', `${(e as Error).message} Save the rules again on Admin → Structure roles.`);
  }
}
