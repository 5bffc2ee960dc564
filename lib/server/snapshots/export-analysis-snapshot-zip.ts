/**
 * A snapshot as a zip (docs/outcomes-snapshots.md): dataset.csv (the frozen rows, pseudonyms and
 * days only), dictionary.json (every column), results.json (the request, conventions, models and
 * every result), reproduce.R (refits every model with survival/cmprsk from dataset.csv) and
 * snapshot.json (the canonical JSON; `sha256sum snapshot.json` prints the content hash).
 * Every download is audited ('outcomes.snapshot.download').
 */
import { zipSync, strToU8 } from 'fflate';
import type { Db } from '../db/client';
import type { Caller } from '../auth/roles';
import { recordAuditEvent } from '../audit/record-audit-event';
import { formatCsv } from '../../core/csv/format-csv';
import { reproduceRScript } from '../../core/snapshots/reproduce-r';
import { getAnalysisSnapshot, type AnalysisSnapshot } from './get-analysis-snapshot';

export const SNAPSHOT_ZIP_FILES = ['dataset.csv', 'dictionary.json', 'results.json', 'reproduce.R', 'snapshot.json'] as const;

export interface SnapshotZip {
  fileName: string;
  bytes: Uint8Array;
}

/** The R script of a snapshot (also shown on its page). */
export function snapshotRScript(s: AnalysisSnapshot): string {
  const c = s.content;
  const a = c.analysis;
  const r = c.results;
  return reproduceRScript({
    snapshotId: s.id,
    contentHash: s.contentHash,
    title: s.title,
    codeVersion: c.codeVersion,
    eventLabel: a.event.label,
    timeColumn: a.event.timeColumn,
    eventColumn: a.event.eventColumn,
    statusColumn: a.event.statusColumn,
    ties: a.request.ties,
    covariates: a.covariates.map((x) => ({
      column: x.column,
      label: x.label,
      unit: x.unit,
      kind: x.kind,
      scale: x.scale ?? 1,
      ...(x.levels ? { levels: x.levels } : {}),
    })),
    groups: a.grouping.groups,
    textColumns: c.dataset.dictionary.columns.filter((x) => x.type === 'string' || x.type === 'categorical').map((x) => x.name),
    fitCox: r.cox.status === 'ok',
    fitFineGray: r.cuminc.status === 'ok' && r.cuminc.value.fineGray.status === 'ok',
    compareGroups: a.grouping.groups.length >= 2,
  });
}

/** results.json: what was asked, how, on what, and every number the explorer showed. */
function resultsJson(s: AnalysisSnapshot): string {
  const c = s.content;
  return (
    JSON.stringify(
      {
        snapshot: { id: s.id, contentHash: s.contentHash, title: s.title, createdAt: s.createdAt.toISOString(), codeVersion: c.codeVersion, format: c.format },
        analysis: c.analysis,
        models: c.models,
        results: c.results,
      },
      null,
      2,
    ) + '\n'
  );
}

/**
 * @throws AppError UNAUTHORIZED / FORBIDDEN (outcomes:view), NOT_FOUND
 */
export async function exportAnalysisSnapshotZip(db: Db, { caller, id }: { caller: Caller; id: string }): Promise<SnapshotZip> {
  const s = await getAnalysisSnapshot(db, { caller, id });
  const c = s.content;
  const mtime = s.createdAt;
  const files: Record<string, Uint8Array> = {
    'dataset.csv': strToU8(formatCsv(c.dataset.header, c.dataset.rows)),
    'dictionary.json': strToU8(JSON.stringify(c.dataset.dictionary, null, 2) + '\n'),
    'results.json': strToU8(resultsJson(s)),
    'reproduce.R': strToU8(snapshotRScript(s)),
    'snapshot.json': strToU8(s.canonical),
  };
  const bytes = zipSync(Object.fromEntries(Object.entries(files).map(([name, data]) => [`${s.id}/${name}`, [data, { mtime, level: 6 }]])));
  await recordAuditEvent(db, {
    action: 'outcomes.snapshot.download',
    caller,
    target: `snapshot:${s.id}`,
    details: { contentHash: s.contentHash, rows: c.dataset.rows.length, bytes: bytes.length },
  });
  return { fileName: `${s.id}.zip`, bytes };
}
