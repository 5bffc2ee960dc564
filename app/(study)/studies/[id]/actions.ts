'use server';
/**
 * Server action of the study viewer: a physicist chooses the reference structure (the data layer
 * authorises with studies:choose-reference, audits, and queues the run that makes the metrics).
 */
import { revalidatePath } from 'next/cache';
import { db } from '@/lib/server/db/client';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { toActionError, type ActionError } from '@/lib/server/errors';
import { webBoss } from '@/lib/server/jobs/web-boss';
import { chooseReferenceStructure, type ReferenceRole } from '@/lib/server/studies/choose-reference-structure';

export type ChooseReferenceActionResult = { ok: true; message: string } | ActionError;

export async function chooseReference(studyId: string, structureId: string, role: string): Promise<ChooseReferenceActionResult> {
  const caller = await requireCaller();
  try {
    const r = await chooseReferenceStructure(db(), await webBoss(), {
      caller,
      studyId: String(studyId).slice(0, 64),
      structureId: String(structureId).slice(0, 64),
      role: String(role).slice(0, 8) as ReferenceRole,
    });
    revalidatePath(`/studies/${studyId}`);
    const what = r.changed ? `Reference ${role} set.` : `That structure already is the reference ${role}.`;
    const run = r.run.queued
      ? r.run.created
        ? ` A run with ${r.run.model} is queued to compute the metrics against it.`
        : ' A run of this study is already queued or running; it uses this reference when it reaches the metrics.'
      : ` No run was queued: ${r.run.reason}`;
    return { ok: true, message: what + run };
  } catch (e) {
    return toActionError(e);
  }
}
