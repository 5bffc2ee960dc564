/**
 * Search the audit log (permission audit:view), newest first, a page at a time. Patients are
 * named by pseudonym only: the log stores patient ids, and the page never shows identifiers.
 * @throws AppError UNAUTHORIZED / FORBIDDEN, INVALID_INPUT (names the bad parameter).
 */
import type { Db } from '../db/client';
import type { Prisma } from '../db/generated/client';
import { authorize, can, type Caller, type Role } from '../auth/roles';
import { AppError } from '../errors';
import { AuditSearch, type AuditSearchInput } from './find-audit-events.types';

export interface AuditRow {
  id: string;
  at: Date;
  userEmail: string | null;
  role: Role | null;
  action: string;
  /** The patient's pseudonym; null when the event names none (or the patient was deleted). */
  pseudonym: string | null;
  target: string | null;
  ip: string | null;
  userAgent: string | null;
  details: unknown;
}

export interface AuditPage {
  rows: AuditRow[];
  total: number;
  page: number;
  pageSize: number;
  pages: number;
  search: AuditSearch;
}

export function parseAuditSearch(input: AuditSearchInput): AuditSearch {
  const parsed = AuditSearch.safeParse(input);
  if (!parsed.success) {
    throw new AppError('INVALID_INPUT', `Audit search: ${parsed.error.issues.map((i) => `parameter "${i.path.join('.')}": ${i.message}`).join('; ')}.`);
  }
  if (parsed.data.from && parsed.data.to && parsed.data.from > parsed.data.to) {
    throw new AppError('INVALID_INPUT', `The date range is empty: "from" ${parsed.data.from} is after "to" ${parsed.data.to}.`);
  }
  return parsed.data;
}

async function whereFor(db: Db, s: AuditSearch): Promise<Prisma.AuditEventWhereInput | null> {
  const where: Prisma.AuditEventWhereInput = {};
  if (s.user) where.userEmail = { contains: s.user, mode: 'insensitive' };
  if (s.action) where.action = s.action.endsWith('.') ? { startsWith: s.action } : s.action;
  if (s.patient) {
    const p = await db.patient.findUnique({ where: { pseudonym: s.patient }, select: { id: true } });
    if (!p) return null;
    where.patientId = p.id;
  }
  if (s.from || s.to) {
    where.at = {
      ...(s.from ? { gte: new Date(`${s.from}T00:00:00Z`) } : {}),
      ...(s.to ? { lt: new Date(new Date(`${s.to}T00:00:00Z`).getTime() + 86_400_000) } : {}),
    };
  }
  return where;
}

export async function findAuditEvents(db: Db, { caller, search }: { caller: Caller | null | undefined; search: AuditSearchInput }): Promise<AuditPage> {
  const who = authorize(caller, 'audit:view');
  const s = parseAuditSearch(search);
  const where = await whereFor(db, s);
  if (!where) return { rows: [], total: 0, page: 1, pageSize: s.pageSize, pages: 0, search: s };
  const total = await db.auditEvent.count({ where });
  const pages = Math.ceil(total / s.pageSize);
  const page = Math.min(s.page, Math.max(pages, 1));
  const events = await db.auditEvent.findMany({ where, orderBy: [{ at: 'desc' }, { id: 'desc' }], skip: (page - 1) * s.pageSize, take: s.pageSize });
  return { rows: await withPseudonyms(db, events, who), total, page, pageSize: s.pageSize, pages, search: s };
}

/** Every matching event (for the CSV export), newest first, in batches. */
export async function* iterateAuditEvents(
  db: Db,
  { caller, search }: { caller: Caller | null | undefined; search: AuditSearchInput },
): AsyncGenerator<AuditRow[]> {
  const who = authorize(caller, 'audit:view');
  const s = parseAuditSearch(search);
  const where = await whereFor(db, s);
  if (!where) return;
  let cursor: bigint | undefined;
  for (;;) {
    const events = await db.auditEvent.findMany({
      where: cursor === undefined ? where : { AND: [where, { id: { lt: cursor } }] },
      orderBy: { id: 'desc' },
      take: 1000,
    });
    if (events.length === 0) return;
    yield await withPseudonyms(db, events, who);
    cursor = events[events.length - 1].id;
  }
}

/**
 * Event details may name real DICOM UIDs (an identified export records which series it wrote).
 * The audit roles do not hold 'identifiers:view', so UID-like values are masked for them.
 */
const UID_LIKE = /^\d+(\.\d+){3,}(#\d+)?$/;
function redactDetails(d: unknown, keyHint = ''): unknown {
  if (Array.isArray(d)) return d.map((x) => redactDetails(x, keyHint));
  if (d && typeof d === 'object') return Object.fromEntries(Object.entries(d).map(([k, v]) => [k, redactDetails(v, k)]));
  if (typeof d === 'string' && (UID_LIKE.test(d) || /uid/i.test(keyHint))) return '[uid withheld]';
  return d;
}

type EventRecord = Awaited<ReturnType<Db['auditEvent']['findMany']>>[number];

async function withPseudonyms(db: Db, events: EventRecord[], caller: Caller): Promise<AuditRow[]> {
  const redact = !can(caller.role, 'identifiers:view');
  const ids = [...new Set(events.map((e) => e.patientId).filter((x): x is string => !!x))];
  const patients = ids.length ? await db.patient.findMany({ where: { id: { in: ids } }, select: { id: true, pseudonym: true } }) : [];
  const byId = new Map(patients.map((p) => [p.id, p.pseudonym]));
  return events.map((e) => ({
    id: e.id.toString(),
    at: e.at,
    userEmail: e.userEmail,
    role: e.role,
    action: e.action,
    pseudonym: e.patientId ? (byId.get(e.patientId) ?? null) : null,
    target: e.target,
    ip: e.ip,
    userAgent: e.userAgent,
    details: redact ? redactDetails(e.details) : e.details,
  }));
}
