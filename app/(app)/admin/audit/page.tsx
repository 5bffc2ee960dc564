/**
 * /admin/audit: search the audit log by user, action, patient pseudonym and date range, a page
 * at a time, and download the matching events as CSV (permission audit:view). A GET form, so a
 * search is a link.
 */
import Link from 'next/link';
import { Suspense } from 'react';
import { db } from '@/lib/server/db/client';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { can } from '@/lib/server/auth/roles';
import { toAppError } from '@/lib/server/errors';
import { findAuditEvents, type AuditPage } from '@/lib/server/audit/find-audit-events';
import { auditSearchFromParams } from '@/lib/server/audit/find-audit-events.types';
import { AuditChainStatus } from './audit-chain-status';

export const dynamic = 'force-dynamic';

const COMMON_ACTIONS = [
  'auth.',
  'auth.sign_in',
  'auth.sign_in_failed',
  'user.',
  'user.role_changed',
  'study.',
  'study.import',
  'study.export.deid',
  'identity.',
  'audit.export',
];

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** "from: RESEARCHER · to: REVIEWER · email: …" (nested values as JSON). */
function detailsText(d: unknown): string {
  if (!d || typeof d !== 'object') return d === null || d === undefined ? '' : String(d);
  return Object.entries(d as Record<string, unknown>)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' · ');
}

export default async function AuditPageView({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const caller = await requireCaller();
  if (!can(caller.role, 'audit:view')) {
    return (
      <>
        <h1>Audit log</h1>
        <div className="card">
          <p>The {caller.role.toLowerCase()} role may not view audit.</p>
        </div>
      </>
    );
  }
  const input = auditSearchFromParams(await searchParams);
  let result: AuditPage | null = null;
  let error: string | null = null;
  try {
    result = await findAuditEvents(db(), { caller, search: input });
  } catch (e) {
    // Bad parameters, or the database gone: the message on the page; anything else, the error page.
    const failed = toAppError(e);
    if (failed.code === 'INTERNAL') throw e;
    error = failed.message;
  }
  const s = result?.search;
  const filters = {
    user: s?.user ?? input.user,
    action: s?.action ?? input.action,
    patient: s?.patient ?? input.patient,
    from: s?.from ?? input.from,
    to: s?.to ?? input.to,
  };
  return (
    <>
      <h1>Audit log</h1>
      <p className="muted">
        Every sign-in (and failed attempt), role change, import, and view or export of identified data. The log is append-only: the database refuses to change
        or delete an event. Patients appear by pseudonym.
      </p>
      <Suspense fallback={<p className="muted">Verifying the audit log&apos;s hash chain…</p>}>
        <AuditChainStatus caller={caller} />
      </Suspense>
      <form className="card audit-search" method="get" action="/admin/audit" data-testid="audit-search">
        <label>
          User (email contains)
          <input name="user" defaultValue={filters.user ?? ''} />
        </label>
        <label>
          Action (or prefix ending in “.”)
          <input name="action" list="audit-actions" defaultValue={filters.action ?? ''} />
          <datalist id="audit-actions">
            {COMMON_ACTIONS.map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
        </label>
        <label>
          Patient (pseudonym)
          <input name="patient" defaultValue={filters.patient ?? ''} />
        </label>
        <label>
          From
          <input name="from" type="date" defaultValue={filters.from ?? ''} />
        </label>
        <label>
          To
          <input name="to" type="date" defaultValue={filters.to ?? ''} />
        </label>
        <div className="audit-buttons">
          <button type="submit">Search</button>
          <Link className="button-link secondary" href="/admin/audit">
            Clear
          </Link>
        </div>
      </form>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {result ? (
        <div className="card">
          <div className="audit-summary">
            <span data-testid="audit-total">
              {result.total} event{result.total === 1 ? '' : 's'}
              {result.pages > 1 ? ` · page ${result.page} of ${result.pages}` : ''}
            </span>
            <a href={`/api/admin/audit${query(filters)}`} download>
              Download CSV
            </a>
          </div>
          <div className="table-scroll">
            <table data-testid="audit-table">
              <thead>
                <tr>
                  <th>When (UTC)</th>
                  <th>User</th>
                  <th>Role</th>
                  <th>Action</th>
                  <th>Patient</th>
                  <th>Target</th>
                  <th>From</th>
                  <th>Details</th>
                </tr>
              </thead>
              <tbody>
                {result.rows.map((r) => (
                  <tr key={r.id}>
                    <td className="nowrap">{r.at.toISOString().replace('T', ' ').slice(0, 19)}</td>
                    <td>{r.userEmail ?? '—'}</td>
                    <td>{r.role?.toLowerCase() ?? '—'}</td>
                    <td>
                      <code>{r.action}</code>
                    </td>
                    <td>{r.pseudonym ?? ''}</td>
                    <td className="audit-target">{r.target ?? ''}</td>
                    <td title={r.userAgent ?? ''}>{r.ip ?? ''}</td>
                    <td className="audit-details">{detailsText(r.details)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {result.pages > 1 ? (
            <nav className="pager" aria-label="Pages">
              {result.page > 1 ? <Link href={`/admin/audit${query({ ...filters, page: result.page - 1 })}`}>← Newer</Link> : <span />}
              {result.page < result.pages ? <Link href={`/admin/audit${query({ ...filters, page: result.page + 1 })}`}>Older →</Link> : <span />}
            </nav>
          ) : null}
        </div>
      ) : null}
    </>
  );
}
