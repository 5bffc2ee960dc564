'use server';
/**
 * Server action of /pacs: retrieve the chosen studies (their opaque handles from the search) into
 * the import. The data layer authorises (studies:import), checks the handles and audits.
 */
import { redirect } from 'next/navigation';
import { db } from '@/lib/server/db/client';
import { getCaller } from '@/lib/server/auth/get-caller';
import { toActionError } from '@/lib/server/errors';
import { webBoss } from '@/lib/server/jobs/web-boss';
import { formText } from '@/lib/server/http/form-text';
import { requestPacsRetrieval } from '@/lib/server/pacs/request-pacs-retrieval';

export async function retrievePacsStudiesAction(form: FormData): Promise<void> {
  // A forged argument (not a form) reads as nothing chosen, like formText's missing field.
  const refs = form instanceof FormData ? form.getAll('ref').filter((v): v is string => typeof v === 'string' && v.length > 0) : [];
  const back = formText(form, 'back') ?? '';
  const query = back.startsWith('?') ? back.slice(1) : '';
  let message: string;
  let kind: 'done' | 'error' = 'done';
  try {
    const r = await requestPacsRetrieval(db(), { caller: await getCaller(), endpointId: formText(form, 'endpoint') ?? '', refs, boss: webBoss });
    const created = r.retrievals.filter((x) => x.created).length;
    const running = r.retrievals.length - created;
    message = `${created} retrieval(s) queued${running ? `, ${running} already in progress` : ''}. Progress below.`;
  } catch (e) {
    const failed = toActionError(e);
    kind = 'error';
    message = failed.code === 'INTERNAL' ? 'The request failed on the server; the server log has details. Nothing was queued.' : failed.error;
  }
  const params = new URLSearchParams(query);
  params.delete('done');
  params.delete('error');
  // After a retrieval is queued the page shows its progress and refreshes itself: the search is
  // not run again (each search is a query to the PACS and an audit event). After an error the
  // results stay for another choice.
  if (kind === 'done') params.delete('search');
  params.set(kind, message);
  redirect(`/pacs?${params.toString()}`);
}
