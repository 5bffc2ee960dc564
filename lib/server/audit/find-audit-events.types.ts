/** Search parameters of the audit log (page /admin/audit and its CSV, /api/admin/audit). */
import { z } from 'zod';

const optionalText = z
  .string()
  .trim()
  .max(200)
  .optional()
  .transform((v) => (v ? v : undefined));
const optionalDay = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v ? v : undefined))
  .pipe(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD').optional());

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
  return { user: get('user'), action: get('action'), patient: get('patient'), from: get('from'), to: get('to'), page: get('page') as never, pageSize: get('pageSize') as never };
}
