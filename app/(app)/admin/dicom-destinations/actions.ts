'use server';
/**
 * Server action of /admin/dicom-destinations: create or change a destination. The data layer
 * authorises (dicom-destinations:manage), checks every field and audits; Next.js checks the
 * request's Origin for server actions (docs/security.md, "Cross-site requests").
 */
import { redirect } from 'next/navigation';
import { db } from '@/lib/server/db/client';
import { getCaller } from '@/lib/server/auth/get-caller';
import { toActionError } from '@/lib/server/errors';
import { formText } from '@/lib/server/http/form-text';
import { saveDicomDestination } from '@/lib/server/dicom-send/save-dicom-destination';

function back(kind: 'done' | 'error', message: string): never {
  redirect(`/admin/dicom-destinations?${kind}=${encodeURIComponent(message)}`);
}

export async function saveDestinationAction(form: FormData): Promise<void> {
  let message: string;
  try {
    const id = formText(form, 'id')?.slice(0, 64) || null;
    const saved = await saveDicomDestination(db(), {
      caller: await getCaller(),
      id,
      input: {
        name: (formText(form, 'name') ?? '').slice(0, 200),
        aeTitle: (formText(form, 'aeTitle') ?? '').slice(0, 200),
        host: (formText(form, 'host') ?? '').slice(0, 300),
        port: (formText(form, 'port') ?? '').slice(0, 20),
        callingAeTitle: (formText(form, 'callingAeTitle') ?? '').slice(0, 200),
        enabled: formText(form, 'enabled') === 'on',
        autoSend: formText(form, 'autoSend') === 'on',
      },
    });
    message = `${id ? 'Saved' : 'Added'} ${saved.name} (${saved.aeTitle} at ${saved.host}:${saved.port}${saved.enabled ? '' : ', disabled'}${saved.autoSend ? ', automatic send after each run' : ''}).`;
  } catch (e) {
    const failed = toActionError(e);
    back('error', failed.code === 'INTERNAL' ? 'The change failed on the server; the server log has details. Nothing was changed.' : failed.error);
  }
  back('done', message);
}
