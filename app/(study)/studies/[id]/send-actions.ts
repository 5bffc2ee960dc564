'use server';
/**
 * Server actions of the study page's "Send machine contours" panel: a physicist approves a run's
 * machine contours (runs:approve) or sends an approved run to a DICOM destination (runs:send).
 * The data layer authorises and audits; Next.js checks the Origin of server actions.
 */
import { redirect } from 'next/navigation';
import { db } from '@/lib/server/db/client';
import { getCaller } from '@/lib/server/auth/get-caller';
import { toActionError } from '@/lib/server/errors';
import { webBoss } from '@/lib/server/jobs/web-boss';
import { approveRunContours } from '@/lib/server/dicom-send/approve-run-contours';
import { requestDicomSend } from '@/lib/server/dicom-send/request-dicom-send';

/** A form field as a bounded string ('' when the argument is not a form, e.g. a hand-made request). */
function field(form: unknown, name: string, max = 64): string {
  return form instanceof FormData ? String(form.get(name) ?? '').slice(0, max) : '';
}

function back(studyId: string, kind: 'sendDone' | 'sendError', message: string): never {
  redirect(`/studies/${encodeURIComponent(studyId)}?${kind}=${encodeURIComponent(message)}#send-contours`);
}

async function attempt(studyId: string, run: () => Promise<string>): Promise<never> {
  let message: string;
  try {
    message = await run();
  } catch (e) {
    const failed = toActionError(e);
    back(studyId, 'sendError', failed.code === 'INTERNAL' ? 'The request failed on the server; the server log has details.' : failed.error);
  }
  back(studyId, 'sendDone', message);
}

export async function approveRunAction(form: FormData): Promise<void> {
  const studyId = field(form, 'studyId');
  await attempt(studyId, async () => {
    const r = await approveRunContours(db(), { caller: await getCaller(), runId: field(form, 'runId') });
    return r.created ? 'Machine contours approved.' : `Already approved by ${r.approval.approvedByName || r.approval.approvedByEmail}.`;
  });
}

export async function sendRunAction(form: FormData): Promise<void> {
  const studyId = field(form, 'studyId');
  await attempt(studyId, async () => {
    const r = await requestDicomSend(db(), await webBoss(), {
      caller: await getCaller(),
      runId: field(form, 'runId'),
      destinationId: field(form, 'destinationId'),
    });
    return r.previousSends > 0
      ? `Queued to ${r.destination} again (sent ${r.previousSends} time${r.previousSends === 1 ? '' : 's'} before; the peer keeps one copy: same SOP Instance UID).`
      : `Queued to ${r.destination}.`;
  });
}
