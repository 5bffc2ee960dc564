/** Search parameters of the audit log (page /admin/audit and its CSV, /api/admin/audit). */
import { z } from 'zod';

const optionalText = z
  .string()
  .trim()
  .max(200)
  .optional()
  .transform((v) => (v ? v : undefined));
/** True when "YYYY-MM-DD" names a day of the calendar (not 2026-13-45 or 2026-02-30). */
function isCalendarDay(v: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}
const optionalDay = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v ? v : undefined))
  .pipe(
    z
      .string()
      .refine(isCalendarDay, { error: (i) => `"${String(i.input).slice(0, 40)}" must be a date YYYY-MM-DD that exists on the calendar, e.g. 2026-03-31` })
      .optional(),
  );

export const AuditSearch = z.object({
  /** Part of the user's email (case-insensitive). */
  user: optionalText,
  /** An action, or its prefix ending in "." ("auth." for every sign-in event). */
  action: optionalText,
  /** A patient's pseudonym (exact). */
  patient: optionalText,
  /** First and last day (UTC), inclusive. */
  from: optionalDay,
  to: optionalDay,
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(500).default(50),
});
export type AuditSearch = z.output<typeof AuditSearch>;
export type AuditSearchInput = z.input<typeof AuditSearch>;

/** Reads the search from URL query parameters (first value of each). */
export function auditSearchFromParams(params: Record<string, string | string[] | undefined> | URLSearchParams): AuditSearchInput {
  const get = (k: string) => {
    const v = params instanceof URLSearchParams ? (params.get(k) ?? undefined) : params[k];
    return Array.isArray(v) ? v[0] : v;
  };
  return {
    user: get('user'),
    action: get('action'),
    patient: get('patient'),
    from: get('from'),
    to: get('to'),
    page: get('page') as never,
    pageSize: get('pageSize') as never,
  };
}
