/**
 * Change the site's structure rules (permission structure-roles:manage): add a rule at the end,
 * or disable / enable one. Each change is a new StructureRuleVersion holding the whole rule list
 * (version n + 1 after n) and an audit event ('structure-rules.add' / '.disable' / '.enable',
 * with the version and the rule), in one transaction. Imports from then on use the new version
 * and name it in their STRUCTURE_ROLES finding; studies imported before keep their roles.
 *
 * `basedOnVersion` (the version the admin's page showed; 0 = none yet): when another save came in
 * between, the change is refused (CONFLICT) rather than applied to rules the admin has not seen.
 * Two saves at the same moment both try version n + 1; the primary key lets one through.
 * @throws AppError UNAUTHORIZED / FORBIDDEN, INVALID_INPUT (names the field), NOT_FOUND (no such rule), CONFLICT.
 */
import { parseSiteRuleInput, SiteRuleError, type SiteStructureRule } from '@/lib/core/structures';
import { authorize, type Caller } from '../auth/roles';
import type { Db } from '../db/client';
import { AppError } from '../errors';
import { recordAuditEvent } from '../audit/record-audit-event';
import { loadStructureRules } from './load-structure-rules';

export type StructureRulesChange =
  | { change: 'add'; match: unknown; pattern: unknown; role: unknown; phasePercent?: unknown; note?: unknown; basedOnVersion?: unknown }
  | { change: 'disable' | 'enable'; ruleId: unknown; basedOnVersion?: unknown };

export interface StructureRulesChangeResult {
  version: number;
  rule: SiteStructureRule;
  /** In words, for the page and the version list. */
  summary: string;
}

const describeRule = (r: SiteStructureRule) =>
  `${r.match} ${JSON.stringify(r.pattern)} → ${r.role}${r.phasePercent !== null ? ` (phase ${r.phasePercent}%)` : ''}`;

function basedOn(v: unknown): number | null {
  if (v === undefined || v === null || v === '') return null;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new AppError('INVALID_INPUT', `basedOnVersion ${JSON.stringify(v)} is not a version number; reload the page.`);
  return n;
}

export async function changeStructureRules(
  db: Db,
  { caller, input }: { caller: Caller | null | undefined; input: StructureRulesChange },
): Promise<StructureRulesChangeResult> {
  const who = authorize(caller, 'structure-roles:manage');
  const expected = basedOn(input.basedOnVersion);
  try {
    return await db.$transaction(async (tx) => {
      const current = await loadStructureRules(tx);
      const version = (current?.version ?? 0) + 1;
      if (expected !== null && expected !== (current?.version ?? 0))
        throw new AppError(
          'CONFLICT',
          `The structure rules changed since this page was loaded (now version ${current?.version ?? 0}, the page showed ${expected}); nothing was saved. Reload the page and make the change again.`,
        );
      const rules = [...(current?.rules ?? [])];
      let rule: SiteStructureRule;
      let summary: string;
      if (input.change === 'add') {
        let parsed;
        try {
          parsed = parseSiteRuleInput(input);
        } catch (e) {
          if (e instanceof SiteRuleError) throw new AppError('INVALID_INPUT', e.message);
          throw e;
        }
        const next = 1 + rules.reduce((m, r) => Math.max(m, Number(/^site-(\d+)$/.exec(r.id)?.[1] ?? 0)), 0);
        rule = { id: `site-${next}`, enabled: true, ...parsed };
        rules.push(rule);
        summary = `added ${rule.id}: ${describeRule(rule)}`;
      } else if (input.change === 'disable' || input.change === 'enable') {
        const at = rules.findIndex((r) => r.id === input.ruleId);
        if (at < 0)
          throw new AppError('NOT_FOUND', `There is no structure rule ${JSON.stringify(input.ruleId)} in version ${current?.version ?? 0}; reload the page.`);
        const enabled = input.change === 'enable';
        if (rules[at].enabled === enabled)
          throw new AppError('CONFLICT', `Rule ${rules[at].id} is already ${enabled ? 'enabled' : 'disabled'}; nothing was saved.`);
        rule = { ...rules[at], enabled };
        rules[at] = rule;
        summary = `${input.change}d ${rule.id}: ${describeRule(rule)}`;
      } else {
        throw new AppError('INVALID_INPUT', `Unknown change ${JSON.stringify((input as { change?: unknown }).change ?? null)}: add, disable or enable.`);
      }
      await tx.structureRuleVersion.create({ data: { version, userId: who.userId, userEmail: who.email, change: summary, rules: rules as unknown as object } });
      await recordAuditEvent(tx, {
        action: `structure-rules.${input.change}`,
        caller: who,
        target: `structure-rules:v${version}`,
        details: { version, previousVersion: current?.version ?? null, rule },
      });
      return { version, rule, summary };
    });
  } catch (e) {
    if (typeof e === 'object' && e !== null && (e as { code?: string }).code === 'P2002')
      throw new AppError(
        'CONFLICT',
        'Another administrator saved the structure rules at the same moment; nothing was saved. Reload the page and make the change again.',
      );
    throw e;
  }
}
