/**
 * Ask for studies found by searchPacsStudies to be retrieved and imported (permission
 * studies:import): one PacsRetrieval row and its `pacs.retrieve` job per study, written in one
 * transaction (the job exists if and only if the row does). A study already being retrieved from
 * the same PACS (queued, retrieving or importing) is not asked for twice: its retrieval is
 * returned. Audited as `pacs.retrieve.request`.
 *
 * `refs` are the opaque handles of the search rows; one not made by this installation for this
 * PACS is INVALID_INPUT.
 */
import type { PgBoss } from 'pg-boss';
import { recordAuditEvent } from '../audit/record-audit-event';
import { authorize, type Caller } from '../auth/roles';
import type { Db } from '../db/client';
import { AppError } from '../errors';
import { sendJobInTransaction } from '../jobs/send-job';
import { credentialsKey, openText } from './credentials-key';
import { pacsTarget } from './pacs-target';
import { PACS_RETRIEVE_JOB } from '../jobs/job-definitions';
import type { SealedStudyRef } from './search-pacs-studies';

export const ACTIVE_RETRIEVAL_STATES = ['QUEUED', 'RETRIEVING', 'IMPORTING'] as const;

export async function requestPacsRetrieval(
  db: Db,
  options: { caller: Caller | null | undefined; endpointId: string; refs: string[]; boss: PgBoss | (() => Promise<PgBoss>); dataDir?: string },
): Promise<{ retrievals: { id: string; created: boolean }[] }> {
  const caller = authorize(options.caller, 'studies:import');
  if (options.refs.length === 0) throw new AppError('INVALID_INPUT', 'Choose at least one study to retrieve.');
  if (options.refs.length > 200) throw new AppError('INVALID_INPUT', `${options.refs.length} studies chosen; retrieve at most 200 at a time.`);
  const target = await pacsTarget(db, options.endpointId, { dataDir: options.dataDir });
  const key = credentialsKey(options.dataDir);
  const studies = options.refs.map((ref) => {
    const opened = openText(key, ref);
    const parsed = opened ? (JSON.parse(opened) as SealedStudyRef) : null;
    if (!parsed || parsed.e !== target.id) {
      throw new AppError(
        'INVALID_INPUT',
        `A chosen study does not come from a search of PACS "${target.name}" on this server: search again and choose from the results.`,
      );
    }
    return parsed;
  });
  const boss = typeof options.boss === 'function' ? await options.boss() : options.boss;
  const out: { id: string; created: boolean }[] = [];
  for (const s of studies) {
    const active = await db.pacsRetrieval.findFirst({
      where: { endpointId: target.id, studyInstanceUid: s.uid, state: { in: [...ACTIVE_RETRIEVAL_STATES] } },
      select: { id: true },
    });
    if (active) {
      out.push({ id: active.id, created: false });
      continue;
    }
    const id = await db.$transaction(async (tx) => {
      const row = await tx.pacsRetrieval.create({
        data: { endpointId: target.id, studyInstanceUid: s.uid, instancesTotal: s.n, requestedById: caller.userId, requestedByEmail: caller.email },
      });
      const jobId = await sendJobInTransaction(boss, tx, PACS_RETRIEVE_JOB, { retrievalId: row.id });
      await tx.pacsRetrieval.update({ where: { id: row.id }, data: { jobId } });
      return row.id;
    });
    out.push({ id, created: true });
  }
  await recordAuditEvent(db, {
    action: 'pacs.retrieve.request',
    caller,
    target: `pacs:${target.id}`,
    details: { pacs: target.name, retrievals: out.map((r) => r.id), created: out.filter((r) => r.created).length },
  });
  return { retrievals: out };
}
