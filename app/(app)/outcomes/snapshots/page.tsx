/**
 * /outcomes/snapshots: the frozen analyses (docs/outcomes-snapshots.md), newest first, each with
 * its citable id, title, event, rows, code version and who froze it when.
 */
import Link from 'next/link';
import { db } from '@/lib/server/db/client';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { can } from '@/lib/server/auth/roles';
import { listAnalysisSnapshots } from '@/lib/server/snapshots/list-analysis-snapshots';
import { EVENT_CHOICES } from '@/lib/server/outcomes/outcome-covariates';

export const dynamic = 'force-dynamic';

export default async function SnapshotsPage() {
  const caller = await requireCaller();
  if (!can(caller.role, 'outcomes:view')) {
    return (
      <>
        <h1>Analysis snapshots</h1>
        <div className="card">
          <p>The {caller.role.toLowerCase()} role may not view outcomes.</p>
        </div>
      </>
    );
  }
  const snapshots = await listAnalysisSnapshots(db(), { caller });
  return (
    <>
      <h1>Analysis snapshots</h1>
      <p className="muted" style={{ marginTop: 0 }}>
        Frozen outcomes analyses: each is stored unchangeably with a content hash and a citable id. Freeze one from the{' '}
        <Link href="/outcomes">outcomes explorer</Link>.
      </p>
      {snapshots.length === 0 ? (
        <div className="card" data-testid="snapshots-empty">
          <p style={{ margin: 0 }}>No snapshots yet. Run an analysis on the outcomes page and press “Freeze as snapshot”.</p>
        </div>
      ) : (
        <div className="card table-scroll">
          <table data-testid="snapshots-table">
            <thead>
              <tr>
                <th>Id</th>
                <th>Title</th>
                <th>Event</th>
                <th style={{ textAlign: 'right' }}>Patients</th>
                <th>Frozen (UTC)</th>
                <th>By</th>
                <th>Code version</th>
              </tr>
            </thead>
            <tbody>
              {snapshots.map((s) => (
                <tr key={s.id}>
                  <td>
                    <Link href={`/outcomes/snapshots/${s.id}`}>
                      <code>{s.id}</code>
                    </Link>
                  </td>
                  <td>{s.title}</td>
                  <td>{EVENT_CHOICES[s.event as keyof typeof EVENT_CHOICES]?.short ?? s.event}</td>
                  <td style={{ textAlign: 'right' }}>{s.rowCount}</td>
                  <td>{s.createdAt.toISOString().slice(0, 16).replace('T', ' ')}</td>
                  <td>{s.createdByEmail ?? '—'}</td>
                  <td>
                    <code style={{ fontSize: '0.8rem' }}>{s.codeVersion}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
