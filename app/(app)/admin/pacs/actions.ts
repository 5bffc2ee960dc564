'use server';
/**
 * Server actions of /admin/pacs: add or change a DICOMweb server. The data layer authorises
 * (pacs:manage), seals the password and audits; the page shows the outcome from the URL.
 */
import { redirect } from 'next/navigation';
import { db } from '@/lib/server/db/client';
import { getCaller } from '@/lib/server/auth/get-caller';
import { toActionError } from '@/lib/server/errors';
import { formText } from '@/lib/server/http/form-text';
import { createPacsEndpoint } from '@/lib/server/pacs/create-pacs-endpoint';
import { updatePacsEndpoint } from '@/lib/server/pacs/update-pacs-endpoint';
import type { PacsEndpointInput } from '@/lib/server/pacs/pacs-endpoint.types';

function back(kind: 'done' | 'error', message: string): never {
  redirect(`/admin/pacs?${kind}=${encodeURIComponent(message)}`);
}

async function attempt(run: () => Promise<string>): Promise<never> {
  let message: string;
  try {
    message = await run();
  } catch (e) {
    const failed = toActionError(e);
    back('error', failed.code === 'INTERNAL' ? 'The change failed on the server; the server log has details. Nothing was changed.' : failed.error);
  }
  back('done', message);
}

function input(form: FormData): PacsEndpointInput {
  return {
    name: formText(form, 'name') ?? '',
    baseUrl: formText(form, 'baseUrl') ?? '',
    username: formText(form, 'username') ?? '',
    password: formText(form, 'password') ?? '',
    clearPassword: formText(form, 'clearPassword') === 'on',
    enabled: formText(form, 'enabled') === 'on',
  };
}

export async function createPacsEndpointAction(form: FormData): Promise<void> {
  await attempt(async () => {
    const e = await createPacsEndpoint(db(), { caller: await getCaller(), input: input(form) });
    return `Added PACS "${e.name}".`;
  });
}

export async function updatePacsEndpointAction(form: FormData): Promise<void> {
  await attempt(async () => {
    const e = await updatePacsEndpoint(db(), { caller: await getCaller(), id: formText(form, 'id') ?? '', input: input(form) });
    return `Saved PACS "${e.name}".`;
  });
}
