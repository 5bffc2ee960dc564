/**
 * The patient-level analysis dataset as a download (docs/analysis-dataset.md): the CSV (one row
 * per patient with an outcome) or its data dictionary (JSON). Both are built from
 * getOutcomeDataset, the outcomes explorer's own source, so they hold the explorer's numbers;
 * pseudonyms only, whatever the role. Every download writes an audit event
 * ('outcomes.dataset.export', with the format and the row count).
 */
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import { recordAuditEvent } from '../audit/record-audit-event';
import { formatCsv } from '../../core/csv/format-csv';
import { getOutcomeDataset } from './get-outcome-dataset';
import { analysisDatasetDictionary, analysisDatasetTable } from './analysis-dataset-columns';

export type AnalysisDatasetFormat = 'csv' | 'dictionary';

export interface AnalysisDatasetFile {
  fileName: string;
  contentType: string;
  body: string;
}

/**
 * @throws AppError UNAUTHORIZED / FORBIDDEN (outcomes:view: admins, physicists, researchers)
 */
export async function exportAnalysisDataset(db: Db, { caller, format }: { caller: Caller; format: AnalysisDatasetFormat }): Promise<AnalysisDatasetFile> {
  authorize(caller, 'outcomes:view');
  const ds = await getOutcomeDataset(db, { caller });
  let file: AnalysisDatasetFile;
  let columns: number;
  if (format === 'csv') {
    const t = analysisDatasetTable(ds);
    columns = t.header.length;
    file = { fileName: 'analysis-dataset.csv', contentType: 'text/csv; charset=utf-8', body: formatCsv(t.header, t.rows) };
  } else {
    const d = analysisDatasetDictionary(ds);
    columns = d.columns.length;
    file = { fileName: 'analysis-dataset-dictionary.json', contentType: 'application/json; charset=utf-8', body: JSON.stringify(d, null, 2) + '\n' };
  }
  await recordAuditEvent(db, {
    action: 'outcomes.dataset.export',
    caller,
    target: `outcomes:${file.fileName}`,
    details: { format, rows: ds.rows.length, columns },
  });
  return file;
}
