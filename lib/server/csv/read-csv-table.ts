/**
 * Read a CSV file with a header row into columns of strings. Plain files (no quote characters)
 * take a fast split path; anything quoted goes through csv-parse. Errors are AppError
 * INVALID_INPUT naming the file, line and what to check.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { AppError } from '../errors';

export interface CsvTable {
  path: string;
  header: string[];
  rowCount: number;
  /** Column values by header name (rows in file order, trimmed). */
  columns: Map<string, string[]>;
}

export function readCsvTable({ path }: { path: string }): CsvTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new AppError('INVALID_INPUT', `Cannot read CSV file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') throw new AppError('INVALID_INPUT', `CSV file ${path} is empty: it needs a header row and at least one data row.`);
  let records: string[][];
  if (!text.includes('"')) {
    const lines = text.split(/\r?\n/);
    while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
    records = lines.map((l) => l.split(','));
  } else {
    try {
      records = parse(text, { relax_column_count: true, skip_empty_lines: true }) as string[][];
    } catch (e) {
      throw new AppError('INVALID_INPUT', `CSV file ${path} could not be parsed: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  const header = records[0].map((h) => h.trim());
  const dup = header.find((h, i) => header.indexOf(h) !== i);
  if (dup !== undefined) throw new AppError('INVALID_INPUT', `CSV file ${path} has the column "${dup}" twice in its header.`);
  const rowCount = records.length - 1;
  if (rowCount === 0) throw new AppError('INVALID_INPUT', `CSV file ${path} has a header but no data rows.`);
  const columns = new Map<string, string[]>();
  header.forEach((h) => columns.set(h, new Array<string>(rowCount)));
  const cols = header.map((h) => columns.get(h)!);
  for (let r = 0; r < rowCount; r++) {
    const rec = records[r + 1];
    if (rec.length !== header.length && !(rec.length === 1 && rec[0].trim() === ''))
      throw new AppError('INVALID_INPUT', `CSV file ${path} row ${r + 1} (line ${r + 2}) has ${rec.length} fields but the header has ${header.length}.`);
    for (let c = 0; c < cols.length; c++) cols[c][r] = (rec[c] ?? '').trim();
  }
  return { path, header, rowCount, columns };
}
