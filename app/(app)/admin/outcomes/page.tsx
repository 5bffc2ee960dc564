/**
 * /admin/outcomes: every outcomes version (each CSV import and each restore), newest first, with
 * who, when, the file's name and sha256 and what it changed, and a button to restore the outcomes
 * as an earlier version left them (permission outcomes:import). A restore is itself a new version
 * and is audited (`outcomes.restored`).
 */
import Link from 'next/link';
import { db } from '@/lib/server/db/client';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { can } from '@/lib/server/auth/roles';
import { findOutcomeVersions } from '@/lib/server/outcomes/find-outcome-versions';
import { restoreOutcomeVersionAction } from './actions';
import { PendingButton } from '@/components/pending-button';

export const dynamic = 'force-dynamic';

function RestoreButton({ versionId, label }: { versionId: number; label: string }) {
  return (
    <form action={restoreOutcomeVersionAction}>
      <input type="hidden" name="versionId" value={versionId} />
      <PendingButton className="secondary" aria-label={label} pendingLabel="Restoring…">
        Restore
      </PendingButton>
    </form>
  );
}

export default async function OutcomeVersionsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const caller = await requireCaller();
  if (!can(caller.role, 'outcomes:import')) {
    return (
      <>
        <h1>Outcomes versions</h1>
        <div className="card">
          <p>The {caller.role.toLowerCase()} role may not import outcomes or see their versions.</p>
        </div>
      </>
    );
  }
  const sp = await searchParams;
  const done = typeof sp.done === 'string' ? sp.done : null;
  const error = typeof sp.error === 'string' ? sp.error : null;
  const page = typeof sp.page === 'string' && /^\d{1,6}$/.test(sp.page) ? Number(sp.page) : 1;
  const { versions, total, pageSize } = await findOutcomeVersions(db(), { caller, page });
  const newest = page === 1 ? versions[0]?.id : undefined;
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return (
    <>
      <h1>Outcomes versions</h1>
      <p className="muted">
        Every outcomes import (<Link href="/outcomes">Outcomes</Link>) and every restore is a version: who, when, which file (name and sha256), and each changed
        patient&apos;s previous values. Restoring brings back the outcomes as an earlier version left them, as a new version; nothing is overwritten without a
        trace.
      </p>
      {done && (
        <p className="notice" role="status" data-testid="versions-done">
          {done}
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="card">
        {total === 0 ? (
          <p>No outcomes have been imported yet.</p>
        ) : (
          <table data-testid="outcome-versions">
            <thead>
              <tr>
                <th>Version</th>
                <th>When (UTC)</th>
                <th>Who</th>
                <th>What</th>
                <th>Added</th>
                <th>Changed</th>
                <th>Unchanged</th>
                <th>Removed</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              {versions.map((v) => (
                <tr key={v.id}>
                  <td>{v.id}</td>
                  <td>{v.at.toISOString().slice(0, 19).replace('T', ' ')}</td>
                  <td>
                    {v.userEmail ?? '—'}
                    {v.role ? ` (${v.role.toLowerCase()})` : ''}
                  </td>
                  <td>
                    {v.kind === 'restore' ? (
                      <>restore of {v.restoredFromId === 0 ? 'the state before the first version' : `version ${v.restoredFromId}`}</>
                    ) : (
                      <>
                        {v.fileName} {v.identifierColumn ? <span className="muted">by {v.identifierColumn}</span> : null}
                        {v.sha256 ? (
                          <div className="muted" style={{ fontSize: '0.75rem' }} title="sha256 of the imported file">
                            sha256 {v.sha256}
                          </div>
                        ) : null}
                      </>
                    )}
                  </td>
                  <td>{v.rowsAdded}</td>
                  <td>{v.rowsChanged}</td>
                  <td>{v.rowsUnchanged}</td>
                  <td>{v.rowsRemoved}</td>
                  <td>{v.id === newest ? <span className="muted">current</span> : <RestoreButton versionId={v.id} label={`Restore version ${v.id}`} />}</td>
                </tr>
              ))}
              {page === pages && (
                <tr>
                  <td>0</td>
                  <td colSpan={7} className="muted">
                    Before the first version (the outcomes the first import found, if any).
                  </td>
                  <td>
                    <RestoreButton versionId={0} label="Restore the state before the first version" />
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        )}
        {pages > 1 && (
          <p>
            {page > 1 && <Link href={`/admin/outcomes?page=${page - 1}`}>Newer</Link>} Page {page} of {pages}{' '}
            {page < pages && <Link href={`/admin/outcomes?page=${page + 1}`}>Older</Link>}
          </p>
        )}
      </div>
    </>
  );
}
