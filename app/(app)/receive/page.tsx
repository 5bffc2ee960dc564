/**
 * /receive: the DICOM listener's associations (calling AE title, address, time, accepted or
 * rejected and why, instances, how it ended) and received studies (patient pseudonym, sender,
 * modalities, instances, state: receiving → waiting quiet → importing → imported (link) or
 * failed (error), findings, "import now"), permission dicom-receive:view. Admins also edit the
 * allowed calling AE titles here (dicom-receive:manage-aes; audited). Refreshes every few seconds.
 */
import Link from 'next/link';
import { db } from '@/lib/server/db/client';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { can } from '@/lib/server/auth/roles';
import path from 'node:path';
import { env } from '@/lib/server/env';
import { bytesFromGb, formatBytes } from '@/lib/dicom/net/spool-capacity';
import { findDicomReceiveOverview } from '@/lib/server/dicom-receive/find-dicom-receive-overview';
import { findDicomAllowedAes } from '@/lib/server/dicom-receive/find-dicom-allowed-aes';
import { AutoRefresh } from '../jobs/auto-refresh';
import { allowAeAction, importNowAction, removeAeAction } from './actions';
import { PendingButton } from '@/components/pending-button';

export const dynamic = 'force-dynamic';

const STATE_LABEL: Record<string, string> = {
  RECEIVING: 'receiving',
  WAITING_QUIET: 'waiting until quiet',
  INTERRUPTED: 'transfer interrupted: waiting for the rest (or import now)',
  IMPORT_REQUESTED: 'import requested',
  IMPORTING: 'importing',
  IMPORTED: 'imported',
  FAILED: 'import failed',
};

const END_LABEL: Record<string, string> = {
  RELEASED: 'released',
  ABORTED: 'aborted',
  TIMED_OUT: 'timed out (silent peer)',
};

const when = (d: Date | null) => (d ? d.toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : '—');

export default async function ReceivePage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const caller = await requireCaller();
  if (!can(caller.role, 'dicom-receive:view')) {
    return (
      <>
        <h1>Receive</h1>
        <div className="card">
          <p>The {caller.role.toLowerCase()} role may not view the DICOM listener.</p>
        </div>
      </>
    );
  }
  const e = env();
  const sp = await searchParams;
  const done = typeof sp.done === 'string' ? sp.done : null;
  const error = typeof sp.error === 'string' ? sp.error : null;
  const [overview, allowed] = await Promise.all([
    findDicomReceiveOverview(db(), {
      caller,
      quietSeconds: e.ISEG_DICOM_QUIET_SECONDS,
      spool: {
        dir: path.join(e.dataDir, 'dicom-spool'),
        maxBytes: bytesFromGb(e.ISEG_DICOM_SPOOL_MAX_GB),
        minFreeBytes: bytesFromGb(e.ISEG_DICOM_SPOOL_MIN_FREE_GB),
      },
    }),
    findDicomAllowedAes(db(), { caller, envAllowed: e.ISEG_DICOM_ALLOWED_AETS }),
  ]);
  const mayImport = can(caller.role, 'studies:import');
  const mayManage = can(caller.role, 'dicom-receive:manage-aes');
  return (
    <>
      <h1>Receive</h1>
      <p className="muted" data-testid="receive-listener">
        {e.ISEG_DICOM_PORT === 0
          ? 'The DICOM listener is off (ISEG_DICOM_PORT=off).'
          : `DICOM listener: AE title ${e.ISEG_DICOM_AET} on ${e.ISEG_DICOM_HOST}:${e.ISEG_DICOM_PORT}; a study is imported ${e.ISEG_DICOM_QUIET_SECONDS} s after its last instance.`}
      </p>
      {overview.spool ? (
        overview.spool.fullReason ? (
          <p className="error" role="alert" data-testid="receive-spool-full">
            The DICOM spool is full: new instances are refused with status 0xA700 (out of resources) until the received studies are imported. What is already
            received is kept and imported. Cause: {overview.spool.fullReason}.
          </p>
        ) : (
          <p className="muted" data-testid="receive-spool">
            Spool: {formatBytes(overview.spool.usedBytes)} of {formatBytes(overview.spool.maxBytes)}
            {overview.spool.freeBytes !== null ? `; ${formatBytes(overview.spool.freeBytes)} free on its disk` : ''}.
          </p>
        )
      ) : null}
      <AutoRefresh intervalMs={3000} />
      {done ? (
        <p className="notice" role="status" data-testid="receive-done">
          {done}
        </p>
      ) : null}
      {error ? (
        <p className="error" role="alert" data-testid="receive-error">
          {error}
        </p>
      ) : null}

      <h2>Received studies</h2>
      <div className="card">
        {overview.studies.length === 0 ? (
          <p className="muted">No study received yet.</p>
        ) : (
          <table data-testid="receive-studies">
            <thead>
              <tr>
                <th>Patient</th>
                <th>From</th>
                <th>Modalities</th>
                <th>Instances</th>
                <th>Last received</th>
                <th>State</th>
                <th>Findings</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {overview.studies.map((s) => (
                <tr key={s.id} data-testid={`received-${s.id}`}>
                  <td>{s.patientPseudonym ?? '—'}</td>
                  <td>{s.callingAeTitle}</td>
                  <td>{s.modalities.join(', ')}</td>
                  <td>
                    {s.instanceCount}
                    {s.instancesReceived !== s.instanceCount ? <span className="muted"> ({s.instancesReceived} received)</span> : null}
                  </td>
                  <td>{when(s.lastReceivedAt)}</td>
                  <td data-testid="received-state">
                    {STATE_LABEL[s.state] ?? s.state}
                    {s.importDueAt ? <span className="muted"> (import due {when(s.importDueAt)})</span> : null}
                    {s.state === 'IMPORTED' && s.studyId ? (
                      <>
                        {' → '}
                        <Link href={`/studies/${s.studyId}`}>study</Link>
                      </>
                    ) : null}
                    {s.error ? <div className="error">{s.error}</div> : null}
                  </td>
                  <td>
                    {s.findings.length === 0 ? (
                      <span className="muted">none</span>
                    ) : (
                      <details>
                        <summary>{s.findings.length} finding(s)</summary>
                        <ul>
                          {s.findings.map((f, i) => (
                            <li key={i}>
                              {f.severity} {f.code}: {f.message}
                            </li>
                          ))}
                        </ul>
                      </details>
                    )}
                  </td>
                  <td>
                    {mayImport && ['RECEIVING', 'WAITING_QUIET', 'INTERRUPTED', 'FAILED'].includes(s.state) ? (
                      <form action={importNowAction}>
                        <input type="hidden" name="receivedStudyId" value={s.id} />
                        <PendingButton pendingLabel="Importing…">{s.state === 'FAILED' ? 'Retry import' : 'Import now'}</PendingButton>
                      </form>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>

      <h2>Associations</h2>
      <div className="card">
        {overview.associations.length === 0 ? (
          <p className="muted">No association yet.</p>
        ) : (
          <table data-testid="receive-associations">
            <thead>
              <tr>
                <th>Time</th>
                <th>Calling AE</th>
                <th>Called AE</th>
                <th>Address</th>
                <th>Result</th>
                <th>Instances</th>
                <th>Ended</th>
              </tr>
            </thead>
            <tbody>
              {overview.associations.map((a) => (
                <tr key={a.id}>
                  <td>{when(a.startedAt)}</td>
                  <td>{a.callingAeTitle}</td>
                  <td>{a.calledAeTitle}</td>
                  <td>{a.remoteAddress ?? '—'}</td>
                  <td>{a.accepted ? 'accepted' : <span className="error">rejected: {a.rejectReason}</span>}</td>
                  <td>
                    {a.instancesReceived}
                    {a.instancesFailed ? <span className="error"> ({a.instancesFailed} refused)</span> : null}
                  </td>
                  <td>{a.accepted ? (a.endState ? `${END_LABEL[a.endState] ?? a.endState.toLowerCase()} ${when(a.endedAt)}` : 'open') : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>

      <h2>Allowed calling AE titles</h2>
      <div className="card" data-testid="receive-allowed">
        <p className="muted">
          Only these senders may open an association. From ISEG_DICOM_ALLOWED_AETS:{' '}
          {allowed.fromEnvironment.length ? allowed.fromEnvironment.join(', ') : 'none'}.
        </p>
        {allowed.fromAdmin.length === 0 ? (
          <p className="muted">None added here.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>AE title</th>
                <th>Note</th>
                <th>Added</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {allowed.fromAdmin.map((a) => (
                <tr key={a.aeTitle}>
                  <td>{a.aeTitle}</td>
                  <td>{a.note ?? ''}</td>
                  <td>
                    {when(a.createdAt)} {a.createdByEmail ? `by ${a.createdByEmail}` : ''}
                  </td>
                  <td>
                    {mayManage ? (
                      <form action={removeAeAction}>
                        <input type="hidden" name="aeTitle" value={a.aeTitle} />
                        <PendingButton pendingLabel="Saving…">Remove</PendingButton>
                      </form>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {mayManage ? (
          <form action={allowAeAction} className="row">
            <label>
              AE title <input name="aeTitle" required maxLength={16} placeholder="ECLIPSE_01" />
            </label>
            <label>
              Note <input name="note" placeholder="Planning system, room 2" />
            </label>
            <PendingButton pendingLabel="Saving…">Allow</PendingButton>
          </form>
        ) : null}
      </div>
    </>
  );
}
