/** Import a study: upload a zip of a DICOM export (or NIfTI image + masks) and see the findings. */
import { requireCaller } from '@/lib/server/auth/get-caller';
import { can } from '@/lib/server/auth/roles';
import { env } from '@/lib/server/env';
import { ImportForm } from './import-form';

export const dynamic = 'force-dynamic';

export default async function ImportPage() {
  const caller = await requireCaller();
  if (!can(caller.role, 'studies:import')) {
    return (
      <>
        <h1>Import</h1>
        <div className="card">
          <p>The {caller.role.toLowerCase()} role may not import studies. Ask a physicist or an administrator.</p>
        </div>
      </>
    );
  }
  return (
    <>
      <h1>Import a study</h1>
      <div className="card">
        <p>
          Zip one patient&apos;s export and upload it: the planning CT and/or the 4D CT phases with the RTSTRUCT, or a NIfTI image (<code>ct.nii.gz</code>, or{' '}
          <code>ct_phase_20.nii.gz</code> per phase) with its mask files.
        </p>
        <p className="muted">
          Up to {env().ISEG_UPLOAD_MAX_MB} MiB per zip. Importing the same files again changes nothing. For many patients at once, use{' '}
          <code>npx iseg-qa import DIR</code>.
        </p>
        <ImportForm maxBytes={env().ISEG_UPLOAD_MAX_MB * 1024 * 1024} />
      </div>
    </>
  );
}
