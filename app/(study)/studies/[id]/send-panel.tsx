/**
 * The study page's "Send machine contours" panel: per succeeded run, its approval (who, when)
 * and its sends to DICOM destinations with their state (queued, sending, sent, failed), tries
 * ("attempt 2 of 4", the next retry's time while one waits; find-run-sends.ts), DICOM status and
 * error, newest first. A physicist approves a run and sends an approved one; the page
 * refreshes itself while a send is queued or sending. docs/dicom-node.md, "Sending".
 */
import { db } from '@/lib/server/db/client';
import { can, type Caller } from '@/lib/server/auth/roles';
import { findRunSends } from '@/lib/server/dicom-send/find-run-sends';
import { findDicomDestinations } from '@/lib/server/dicom-send/find-dicom-destinations';
import { AutoRefresh } from '@/app/(app)/jobs/auto-refresh';
import { approveRunAction, sendRunAction } from './send-actions';
import { PendingButton } from '@/components/pending-button';

const when = (d: Date | null | undefined) => (d ? d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC' : '');
const hex = (n: number | null) => (n === null ? '' : `0x${n.toString(16).toUpperCase().padStart(4, '0')}`);

export async function SendPanel({ caller, studyId, done, error }: { caller: Caller; studyId: string; done: string | null; error: string | null }) {
  const runs = await findRunSends(db(), { caller, studyId });
  const mayApprove = can(caller.role, 'runs:approve');
  const maySend = can(caller.role, 'runs:send');
  // The instance's UID is a real DICOM UID in the peer's archive: shown only to those who see identifiers.
  const showUids = can(caller.role, 'identifiers:view');
  const destinations = maySend ? await findDicomDestinations(db(), { caller, enabledOnly: true }) : [];
  const active = runs.some((r) => r.dicomSends.some((s) => s.state === 'QUEUED' || s.state === 'SENDING'));
  return (
    <div className="card" id="send-contours" data-testid="send-contours">
      <h2>Send machine contours</h2>
      {done ? (
        <p className="notice" role="status" data-testid="send-done">
          {done}
        </p>
      ) : null}
      {error ? (
        <p className="error" role="alert" data-testid="send-error">
          {error}
        </p>
      ) : null}
      {active ? <AutoRefresh intervalMs={3000} /> : null}
      {runs.length === 0 ? <p className="muted">No finished run yet: its machine contours can be approved and sent once it succeeds.</p> : null}
      {runs.map((run) => (
        <div key={run.id} data-testid={`send-run-${run.id}`}>
          <p>
            Run of {run.modelVersion.name} {run.modelVersion.version}, finished {when(run.finishedAt)}:{' '}
            {run.approval ? (
              <strong data-testid="run-approval">
                approved by {run.approval.approvedByName || run.approval.approvedByEmail} on {when(run.approval.approvedAt)}
              </strong>
            ) : (
              <span className="muted" data-testid="run-approval">
                not approved
              </span>
            )}
          </p>
          {!run.approval && mayApprove ? (
            <form action={approveRunAction} className="inline-form">
              <input type="hidden" name="studyId" value={studyId} />
              <input type="hidden" name="runId" value={run.id} />
              <PendingButton pendingLabel="Approving…">Approve machine contours</PendingButton>
            </form>
          ) : null}
          {run.approval && maySend ? (
            destinations.length === 0 ? (
              <p className="muted">No enabled DICOM destination: an admin adds one on the DICOM destinations page.</p>
            ) : (
              <form action={sendRunAction} className="inline-form">
                <input type="hidden" name="studyId" value={studyId} />
                <input type="hidden" name="runId" value={run.id} />
                <select name="destinationId" aria-label="Destination">
                  {destinations.map((d) => (
                    <option key={d.id} value={d.id}>
                      {d.name} ({d.aeTitle} at {d.host}:{d.port})
                    </option>
                  ))}
                </select>
                <PendingButton pendingLabel="Sending…">Send RTSTRUCT</PendingButton>
              </form>
            )
          ) : null}
          {run.dicomSends.length > 0 ? (
            <table data-testid="run-sends">
              <thead>
                <tr>
                  <th>Destination</th>
                  <th>Queued</th>
                  <th>By</th>
                  <th>State</th>
                  <th>Tries</th>
                  <th>DICOM status</th>
                  <th>Detail</th>
                </tr>
              </thead>
              <tbody>
                {run.dicomSends.map((s) => (
                  <tr key={s.id} data-testid={`send-${s.id}`}>
                    <td>
                      {s.destination.name} ({s.destination.aeTitle} at {s.destination.host}:{s.destination.port})
                    </td>
                    <td>{when(s.queuedAt)}</td>
                    <td>{s.automatic ? 'automatic (unapproved)' : s.requestedByEmail}</td>
                    <td>{s.state.toLowerCase()}</td>
                    <td data-testid="send-tries">{s.triesLabel}</td>
                    <td>{s.statusCode !== null ? `${hex(s.statusCode)} ${s.statusMeaning ?? ''}` : ''}</td>
                    <td>{s.error ?? (s.state === 'SENT' && showUids ? `SOP Instance UID ${s.sopInstanceUid}` : '')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </div>
      ))}
    </div>
  );
}
