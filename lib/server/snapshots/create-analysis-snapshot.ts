/**
 * Freeze an outcomes analysis as a snapshot (docs/outcomes-snapshots.md): runs the analysis the
 * request describes on the caller's (pseudonymised) view of the outcomes, builds the snapshot
 * content, and stores its canonical JSON once under its content hash and citable id. Freezing
 * identical content again stores nothing and returns the existing snapshot (`created: false`).
 * Audited as 'outcomes.snapshot.create' either way.
 */
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import { AppError } from '../errors';
import { recordAuditEvent } from '../audit/record-audit-event';
import { codeVersion } from '../code-version';
import { getOutcomeDataset } from '../outcomes/get-outcome-dataset';
import { runOutcomeAnalysis } from '../outcomes/run-outcome-analysis';
import type { OutcomeAnalysisRequestInput } from '../outcomes/run-outcome-analysis.types';
import { canonicalJson } from '../../core/snapshots/canonical-json';
import { citableIdOf, snapshotContentHash } from '../../core/snapshots/snapshot-id';
import { buildSnapshotContent } from './build-snapshot-content';

export const SNAPSHOT_TITLE_MAX = 200;

export interface CreatedSnapshot {
  id: string;
  contentHash: string;
  title: string;
  /** false: identical content was frozen before; this is that snapshot. */
  created: boolean;
}

/**
 * @throws AppError UNAUTHORIZED / FORBIDDEN (outcomes:view), INVALID_INPUT (no title, a title
 *   over 200 characters, a bad request, no outcomes to freeze)
 */
export async function createAnalysisSnapshot(
  db: Db,
  { caller, request, title }: { caller: Caller; request: OutcomeAnalysisRequestInput; title: string },
): Promise<CreatedSnapshot> {
  authorize(caller, 'outcomes:view');
  const t = typeof title === 'string' ? title.trim().replace(/\s+/g, ' ') : '';
  if (!t) throw new AppError('INVALID_INPUT', 'Give the snapshot a title (what the analysis is for, e.g. "FP volume and local failure, abstract 2027").');
  if (t.length > SNAPSHOT_TITLE_MAX) throw new AppError('INVALID_INPUT', `The snapshot title has ${t.length} characters; keep it to ${SNAPSHOT_TITLE_MAX}.`);
  const dataset = await getOutcomeDataset(db, { caller });
  if (!dataset.rows.length) throw new AppError('INVALID_INPUT', 'There are no outcomes to freeze: import an outcomes CSV first.');
  const analysis = await runOutcomeAnalysis(db, { caller, request, dataset });
  const content = buildSnapshotContent({ dataset, analysis, codeVersion: codeVersion() });
  const canonical = canonicalJson(content);
  const contentHash = snapshotContentHash(canonical);
  const id = citableIdOf(contentHash);

  let created = false;
  let stored = await db.analysisSnapshot.findUnique({ where: { contentHash }, select: { id: true, title: true } });
  if (!stored) {
    try {
      stored = await db.analysisSnapshot.create({
        data: {
          id,
          contentHash,
          title: t,
          content: canonical,
          codeVersion: content.codeVersion,
          event: analysis.request.event,
          rowCount: content.dataset.rows.length,
          createdById: caller.userId,
          createdByEmail: caller.email,
          createdByRole: caller.role,
        },
        select: { id: true, title: true },
      });
      created = true;
    } catch (e) {
      // the same content frozen at the same moment by someone else: theirs stands
      if ((e as { code?: string }).code !== 'P2002') throw e;
      stored = await db.analysisSnapshot.findUnique({ where: { contentHash }, select: { id: true, title: true } });
      if (!stored) throw new AppError('CONFLICT', `Snapshot id ${id} is taken by a snapshot with other content; freeze again with a changed title.`);
    }
  }
  await recordAuditEvent(db, {
    action: 'outcomes.snapshot.create',
    caller,
    target: `snapshot:${stored.id}`,
    details: {
      contentHash,
      created,
      title: stored.title,
      event: analysis.request.event,
      rows: content.dataset.rows.length,
      analysisSet: analysis.counts.usable,
    },
  });
  return { id: stored.id, contentHash, title: stored.title, created };
}
