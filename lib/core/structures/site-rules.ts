/**
 * A site's own structure-name rules (admin-edited; lib/server/structure-roles keeps them as
 * versions): each maps an exact name or a regular expression to a role, optionally with a phase.
 * They are tried before the built-in rules (assign-structure-role.ts). Pure: matching, checking
 * an admin's input, and reading a stored version back.
 *
 * - "exact": the whole name, trimmed, ignoring case ("Tumour_site" matches "tumour_site ").
 * - "regex": a JavaScript regular expression tested on the trimmed name, ignoring case; anchor it
 *   ("^GTV_T\d0$") to match whole names. At most 200 characters; a nested repetition such as
 *   "(a+)+" is refused (it can take exponential time).
 */
import type { StructureRole } from './assign-structure-role';

export interface SiteStructureRule {
  /** Stable over versions: "site-1", "site-2", … in the order rules were added. */
  id: string;
  match: 'exact' | 'regex';
  pattern: string;
  role: StructureRole;
  /** GTV only: the respiratory phase percent the structure belongs to; null = from the name. */
  phasePercent: number | null;
  enabled: boolean;
  note: string | null;
}

export interface SiteRuleSet {
  version: number;
  rules: readonly SiteStructureRule[];
}

/** An admin's new rule, before it has an id. */
export interface SiteRuleInput {
  match: 'exact' | 'regex';
  pattern: string;
  role: StructureRole;
  phasePercent: number | null;
  note: string | null;
}

/** Input that cannot be a rule; the message names the field and says what to check. */
export class SiteRuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SiteRuleError';
  }
}

const ROLES = ['GTV', 'ITV', 'CTV', 'PTV', 'BODY', 'LUNG', 'OAR', 'HELPER', 'UNKNOWN'] as const;
const MAX_PATTERN = 200;
const MAX_NOTE = 500;
/** A group with a repetition inside, itself repeated: "(a+)+", "(\w*)*", "(x|y+){2,}". */
const NESTED_REPEAT = /\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*(?:[+*]|\{\d+,\d*\})/;

const compiled = new Map<string, RegExp>();
function regexOf(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(pattern, 'i');
    if (compiled.size > 500) compiled.clear();
    compiled.set(pattern, re);
  }
  return re;
}

/** True when the rule matches the (trimmed) name; see the module comment. */
export function siteRuleMatches(rule: Pick<SiteStructureRule, 'match' | 'pattern'>, name: string): boolean {
  const n = name.trim();
  if (rule.match === 'exact') return n.toLowerCase() === rule.pattern.trim().toLowerCase();
  try {
    return regexOf(rule.pattern).test(n);
  } catch {
    return false; // checked on save; a stored bad pattern matches nothing
  }
}

/** Check an admin's rule; @throws SiteRuleError naming the field. */
export function parseSiteRuleInput(input: { match?: unknown; pattern?: unknown; role?: unknown; phasePercent?: unknown; note?: unknown }): SiteRuleInput {
  const match = input.match;
  if (match !== 'exact' && match !== 'regex') throw new SiteRuleError(`Match must be "exact" or "regex", not ${JSON.stringify(match ?? null)}.`);
  const pattern = typeof input.pattern === 'string' ? input.pattern.trim() : '';
  if (!pattern) throw new SiteRuleError('Pattern is empty: give the structure name (exact) or a regular expression (regex).');
  if (pattern.length > MAX_PATTERN) throw new SiteRuleError(`Pattern is ${pattern.length} characters; at most ${MAX_PATTERN}.`);
  if (match === 'regex') {
    try {
      new RegExp(pattern, 'i');
    } catch (e) {
      throw new SiteRuleError(`Pattern ${JSON.stringify(pattern)} is not a valid regular expression: ${(e as Error).message}.`);
    }
    if (NESTED_REPEAT.test(pattern))
      throw new SiteRuleError(
        `Pattern ${JSON.stringify(pattern)} repeats a group that itself repeats (like "(a+)+"), which can take exponential time on some names; write it without the nested repetition.`,
      );
  }
  const role = input.role;
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role))
    throw new SiteRuleError(`Role must be one of ${ROLES.join(', ')}, not ${JSON.stringify(role ?? null)}.`);
  let phasePercent: number | null = null;
  if (input.phasePercent !== undefined && input.phasePercent !== null && input.phasePercent !== '') {
    const v = typeof input.phasePercent === 'number' ? input.phasePercent : Number(String(input.phasePercent).trim().replace(/%$/, ''));
    if (!Number.isFinite(v) || v < 0 || v >= 100)
      throw new SiteRuleError(`Phase ${JSON.stringify(input.phasePercent)} is not a percent from 0 to 99 (leave it empty to read the phase from the name).`);
    if (role !== 'GTV') throw new SiteRuleError(`A phase is for a per-phase GTV only; this rule's role is ${role}. Leave the phase empty or choose GTV.`);
    phasePercent = v;
  }
  const note = typeof input.note === 'string' && input.note.trim() ? input.note.trim() : null;
  if (note && note.length > MAX_NOTE) throw new SiteRuleError(`Note is ${note.length} characters; at most ${MAX_NOTE}.`);
  return { match, pattern, role: role as StructureRole, phasePercent, note };
}

/** Read a stored version's rules; @throws SiteRuleError naming the version and the rule. */
export function parseStoredSiteRules(version: number, value: unknown): SiteStructureRule[] {
  if (!Array.isArray(value)) throw new SiteRuleError(`Structure rules version ${version} is not a list of rules.`);
  return value.map((r: unknown, i) => {
    const o = (r ?? {}) as Record<string, unknown>;
    if (typeof o.id !== 'string' || typeof o.enabled !== 'boolean')
      throw new SiteRuleError(`Structure rules version ${version}, rule ${i + 1}: no id or enabled flag.`);
    try {
      return { id: o.id, enabled: o.enabled, ...parseSiteRuleInput(o) };
    } catch (e) {
      throw new SiteRuleError(`Structure rules version ${version}, rule ${o.id}: ${(e as Error).message}`);
    }
  });
}
