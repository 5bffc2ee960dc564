/**
 * The text of an import's STRUCTURE_ROLES finding: which structure became which role, by which
 * rule, and which site rules version was applied. Pure.
 */
import { STRUCTURE_ROLES, type StructureRoleResult } from './assign-structure-role';

const MAX_PER_ROLE = 15;

/** One structure as the finding names it: "Lt Lung" = Lung_L [lung]. */
function one(r: StructureRoleResult): string {
  const extra = [
    r.tg263Name && r.tg263Name !== r.name ? `= ${r.tg263Name}` : '',
    r.target ? `(${r.target})` : '',
    r.phasePercent !== null && r.kind === 'GTV' ? `(phase ${r.phasePercent}%)` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return `"${r.name}"${extra ? ` ${extra}` : ''} [${r.ruleId}${r.siteRuleVersion !== null ? ` v${r.siteRuleVersion}` : ''}]`;
}

export function describeStructureRoles(results: readonly StructureRoleResult[], siteRuleVersion: number | null): string {
  const rules = siteRuleVersion !== null ? `site rules version ${siteRuleVersion}, then the built-in rules` : 'built-in rules; no site rules saved';
  if (results.length === 0) return `Structure roles (${rules}): no structures.`;
  const parts: string[] = [];
  for (const role of STRUCTURE_ROLES) {
    const of = results.filter((r) => r.role === role);
    if (of.length === 0) continue;
    const listed = of.slice(0, MAX_PER_ROLE).map(one).join(', ');
    parts.push(`${role}: ${listed}${of.length > MAX_PER_ROLE ? `, … (${of.length} in all)` : ''}`);
  }
  return `Structure roles (${rules}): ${parts.join('; ')}. Only the GTV and ITV roles are compared with the machine contours; the rule that decided is in brackets.`;
}
