/**
 * The cohort page's filters and table settings, as URL search parameters (a GET form), parsed
 * leniently: a malformed value is dropped and reported, so a hand-edited URL still shows a page
 * that says what it ignored.
 */
import { z } from 'zod';
import { CASE_SORT_KEYS, type CaseSortKey } from '../../core/stats/cohort-stats';

export const CASES_PER_PAGE = 50;

export interface CohortFilters {
  /** Institution id. */
  institution: string | null;
  /** Study date range (YYYY-MM-DD, inclusive), on the dates the caller sees (shifted for researchers). */
  from: string | null;
  to: string | null;
  /** ModelVersion id. */
  model: string | null;
  physician: string | null;
  scanner: string | null;
}

export interface CohortQuery extends CohortFilters {
  sort: CaseSortKey;
  dir: 'asc' | 'desc';
  /** 1-based page of the case table. */
  page: number;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const text = z.string().trim().min(1).max(200);

export type SearchParams = Record<string, string | string[] | undefined>;

export function parseCohortQuery(sp: SearchParams): { query: CohortQuery; ignored: string[] } {
  const ignored: string[] = [];
  const one = (k: string) => {
    const v = sp[k];
    const s = Array.isArray(v) ? v[0] : v;
    return s === undefined || s.trim() === '' ? null : s;
  };
  const pick = <T>(k: string, parse: (s: string) => T | null): T | null => {
    const s = one(k);
    if (s === null) return null;
    const v = parse(s);
    if (v === null) ignored.push(`${k}=${s.slice(0, 40)}`);
    return v;
  };
  const str = (s: string) => (text.safeParse(s).success ? s.trim() : null);
  // A real calendar day: 2024-02-31 would otherwise reach Postgres and fail the page.
  const day = (s: string) => {
    if (!DAY.test(s)) return null;
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s ? s : null;
  };
  const sort = pick('sort', (s) => ((CASE_SORT_KEYS as readonly string[]).includes(s) ? (s as CaseSortKey) : null)) ?? 'flags';
  const query: CohortQuery = {
    institution: pick('institution', str),
    from: pick('from', day),
    to: pick('to', day),
    model: pick('model', str),
    physician: pick('physician', str),
    scanner: pick('scanner', str),
    sort,
    dir: pick('dir', (s) => (s === 'asc' || s === 'desc' ? s : null)) ?? (sort === 'flags' ? 'desc' : 'asc'),
    page: pick('page', (s) => (/^\d{1,6}$/.test(s) && Number(s) >= 1 ? Number(s) : null)) ?? 1,
  };
  return { query, ignored };
}

/** Search parameters for a link that keeps the filters and changes `patch`. */
export function cohortHref(q: CohortQuery, patch: Partial<CohortQuery>): string {
  const m = { ...q, ...patch };
  const p = new URLSearchParams();
  for (const k of ['institution', 'from', 'to', 'model', 'physician', 'scanner'] as const) if (m[k]) p.set(k, m[k]!);
  if (m.sort !== 'flags' || m.dir !== 'desc') {
    p.set('sort', m.sort);
    p.set('dir', m.dir);
  }
  if (m.page > 1) p.set('page', String(m.page));
  const s = p.toString();
  return s ? `/?${s}` : '/';
}
