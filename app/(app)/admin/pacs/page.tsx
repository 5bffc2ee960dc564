/**
 * /admin/pacs: the DICOMweb servers (PACS) the "Query PACS" page searches and retrieves from
 * (permission pacs:manage). A password is written, never shown back: the form says only whether
 * one is stored; leaving the field empty keeps it. Every change is audited.
 */
import Link from 'next/link';
import { db } from '@/lib/server/db/client';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { can } from '@/lib/server/auth/roles';
import { findPacsEndpoints } from '@/lib/server/pacs/find-pacs-endpoints';
import { createPacsEndpointAction, updatePacsEndpointAction } from './actions';
import { PendingButton } from '@/components/pending-button';

export const dynamic = 'force-dynamic';

export default async function PacsSettingsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const caller = await requireCaller();
  if (!can(caller.role, 'pacs:manage')) {
    return (
      <>
        <h1>PACS</h1>
        <div className="card">
          <p>The {caller.role.toLowerCase()} role may not manage the PACS settings.</p>
        </div>
      </>
    );
  }
  const sp = await searchParams;
  const done = typeof sp.done === 'string' ? sp.done : null;
  const error = typeof sp.error === 'string' ? sp.error : null;
  const endpoints = await findPacsEndpoints(db(), { caller });
  return (
    <>
      <h1>PACS (DICOMweb)</h1>
      <p className="muted">
        Settings of the servers that <Link href="/pacs">PACS</Link> (the query page) searches and retrieves from.
      </p>
      {done ? (
        <p className="notice" role="status" data-testid="pacs-admin-done">
          {done}
        </p>
      ) : null}
      {error ? (
        <p className="error" role="alert" data-testid="pacs-admin-error">
          {error}
        </p>
      ) : null}
      <div className="card">
        <p className="muted">
          The base URL is the server&apos;s DICOMweb root (QIDO-RS and WADO-RS), e.g. <code>http://orthanc:8042/dicom-web</code>. Passwords are stored encrypted
          with this installation&apos;s key (<code>$ISEG_DATA_DIR/credentials-key</code>) and never shown again.
        </p>
      </div>
      {endpoints.map((e) => (
        <form key={e.id} action={updatePacsEndpointAction} className="card audit-search" data-testid={`pacs-endpoint-${e.name}`}>
          <input type="hidden" name="id" value={e.id} />
          <label>
            Name
            <input name="name" defaultValue={e.name} required maxLength={64} />
          </label>
          <label>
            Base URL
            <input name="baseUrl" defaultValue={e.baseUrl} required />
          </label>
          <label>
            User
            <input name="username" defaultValue={e.username ?? ''} autoComplete="off" />
          </label>
          <label>
            Password {e.hasPassword ? <span className="muted">(stored; empty keeps it)</span> : <span className="muted">(none)</span>}
            <input type="password" name="password" autoComplete="new-password" />
          </label>
          {e.hasPassword ? (
            <label>
              <input type="checkbox" name="clearPassword" /> Remove the password
            </label>
          ) : null}
          <label>
            <input type="checkbox" name="enabled" defaultChecked={e.enabled} /> Enabled
          </label>
          <div className="audit-buttons">
            <PendingButton pendingLabel="Saving…">Save</PendingButton>
          </div>
        </form>
      ))}
      <form action={createPacsEndpointAction} className="card audit-search" data-testid="pacs-endpoint-new">
        <h2>Add a PACS</h2>
        <label>
          Name
          <input name="name" required maxLength={64} />
        </label>
        <label>
          Base URL
          <input name="baseUrl" required placeholder="http://orthanc:8042/dicom-web" />
        </label>
        <label>
          User
          <input name="username" autoComplete="off" />
        </label>
        <label>
          Password
          <input type="password" name="password" autoComplete="new-password" />
        </label>
        <label>
          <input type="checkbox" name="enabled" defaultChecked /> Enabled
        </label>
        <div className="audit-buttons">
          <PendingButton pendingLabel="Saving…">Add</PendingButton>
        </div>
      </form>
    </>
  );
}
