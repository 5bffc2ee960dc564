/**
 * /admin/dicom-destinations: the DICOM nodes that machine RTSTRUCTs are sent to (C-STORE): name,
 * the peer's AE title, host and port, our calling AE title, enabled, and automatic send after
 * every successful run (permission dicom-destinations:manage; every save audited). A destination
 * is disabled, never deleted, so its send history stays. docs/dicom-node.md, "Sending".
 */
import { db } from '@/lib/server/db/client';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { can } from '@/lib/server/auth/roles';
import { findDicomDestinations } from '@/lib/server/dicom-send/find-dicom-destinations';
import { saveDestinationAction } from './actions';
import { PendingButton } from '@/components/pending-button';

export const dynamic = 'force-dynamic';

type Destination = Awaited<ReturnType<typeof findDicomDestinations>>[number];

function DestinationForm({ d }: { d?: Destination }) {
  return (
    <form action={saveDestinationAction} className="inline-form" data-testid={`destination-form-${d ? d.name : 'new'}`}>
      {d ? <input type="hidden" name="id" value={d.id} /> : null}
      <input name="name" defaultValue={d?.name ?? ''} placeholder="Name (e.g. Eclipse)" aria-label="Name" required maxLength={64} />
      <input name="aeTitle" defaultValue={d?.aeTitle ?? ''} placeholder="Peer AE title" aria-label="Peer AE title" required maxLength={16} />
      <input name="host" defaultValue={d?.host ?? ''} placeholder="Host" aria-label="Host" required />
      <input name="port" defaultValue={d?.port ?? 104} type="number" min={1} max={65535} aria-label="Port" required />
      <input
        name="callingAeTitle"
        defaultValue={d?.callingAeTitle ?? 'ISEG_QA'}
        placeholder="Our calling AE title"
        aria-label="Our calling AE title"
        required
        maxLength={16}
      />
      <label>
        <input type="checkbox" name="enabled" defaultChecked={d ? d.enabled : true} /> enabled
      </label>
      <label title="Send the machine RTSTRUCT (unapproved) after every successful run">
        <input type="checkbox" name="autoSend" defaultChecked={d?.autoSend ?? false} /> automatic send after each run
      </label>
      <PendingButton pendingLabel="Saving…">{d ? 'Save' : 'Add destination'}</PendingButton>
    </form>
  );
}

export default async function DicomDestinationsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const caller = await requireCaller();
  if (!can(caller.role, 'dicom-destinations:manage')) {
    return (
      <>
        <h1>DICOM destinations</h1>
        <div className="card">
          <p>The {caller.role.toLowerCase()} role may not manage DICOM destinations.</p>
        </div>
      </>
    );
  }
  const sp = await searchParams;
  const done = typeof sp.done === 'string' ? sp.done : null;
  const error = typeof sp.error === 'string' ? sp.error : null;
  const destinations = await findDicomDestinations(db(), { caller });
  return (
    <>
      <h1>DICOM destinations</h1>
      <p className="muted">
        Where a physicist sends a run&apos;s approved machine contours (an RT Structure Set referencing the CT), by DICOM C-STORE. The peer must know our
        calling AE title. With &quot;automatic send&quot;, every successful run&apos;s contours go there unapproved (ApprovalStatus UNAPPROVED). Disable a
        destination instead of deleting it.
      </p>
      {done ? (
        <p className="notice" role="status" data-testid="destinations-done">
          {done}
        </p>
      ) : null}
      {error ? (
        <p className="error" role="alert" data-testid="destinations-error">
          {error}
        </p>
      ) : null}
      <div className="card" data-testid="destinations">
        {destinations.length === 0 ? <p className="muted">No destination yet.</p> : destinations.map((d) => <DestinationForm key={d.id} d={d} />)}
      </div>
      <div className="card">
        <h2>Add a destination</h2>
        <DestinationForm />
      </div>
    </>
  );
}
