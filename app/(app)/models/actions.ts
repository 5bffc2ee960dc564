'use server';
/** Admin action of the models page: queue every study without a run of one installed model. */
import { revalidatePath } from 'next/cache';
import { db } from '@/lib/server/db/client';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { toActionError } from '@/lib/server/errors';
import { webBoss } from '@/lib/server/jobs/web-boss';
import { segmentStudiesWithoutRun } from '@/lib/server/runs/segment-studies-without-run';

export type SegmentAllResult = { ok: true; message: string } | { ok: false; error: string };

export async function segmentAllWithModel(modelFolder: string): Promise<SegmentAllResult> {
  const caller = await requireCaller();
  try {
    // The folder name is checked against the installed models in the data layer, never used as a path.
    const r = await segmentStudiesWithoutRun(db(), await webBoss(), { caller, modelFolder: String(modelFolder).slice(0, 100) });
    revalidatePath('/models');
    revalidatePath('/jobs');
    return {
      ok: true,
      message:
        r.studiesWithoutRun === 0 ? `Every study already has a run of ${r.model}.` : `Queued ${r.queued} run(s) of ${r.model}; follow them on the jobs page.`,
    };
  } catch (e) {
    return toActionError(e);
  }
}
