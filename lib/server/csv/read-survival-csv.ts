/**
 * Read survival input from a CSV with named columns and validate it, naming the column and row
 * of every problem: a missing column (listing those available), a non-numeric value, a negative
 * or NaN time, an event not coded 0/1, a status outside 0/1/2, an empty file. Empty cells and
 * `NA` are missing values (the models drop those rows and report the count); TRUE/FALSE read as 1/0.
 */
import { AppError } from '../errors';
import { readCsvTable, type CsvTable } from './read-csv-table';

export interface SurvivalCsvOptions {
  path: string;
  time: string;
  /** 0/1 event column (Cox, KM). */
  event?: string;
  /** 0/1/2 status column (competing risks). */
  status?: string;
  /** Numeric covariates. */
  numeric?: string[];
  /** Categorical covariates (kept as strings). */
  categorical?: string[];
  /** Grouping or strata columns (kept as strings). */
  labels?: string[];
}

export interface SurvivalCsv {
  rowCount: number;
  time: Float64Array;
  event?: Float64Array;
  status?: Float64Array;
  numeric: Record<string, Float64Array>;
  /** Categorical and label columns; missing values are null. */
  text: Record<string, (string | null)[]>;
}

const MISSING = new Set(['', 'NA', 'na', 'N/A', '.']);

function columnIndex(t: CsvTable, name: string, role: string): number {
  const c = t.header.indexOf(name);
  if (c < 0) throw new AppError('INVALID_INPUT', `The ${role} column "${name}" is not in ${t.path}; available columns: ${t.header.join(', ')}.`);
  return c;
}

function column(t: CsvTable, name: string, role: string): string[] {
  const c = columnIndex(t, name, role);
  return Array.from({ length: t.rowCount }, (_, r) => t.cell(c, r));
}

function numericColumn(t: CsvTable, name: string, role: string): Float64Array {
  const c = columnIndex(t, name, role);
  const out = new Float64Array(t.rowCount);
  for (let r = 0; r < t.rowCount; r++) {
    const fast = t.number(c, r);
    if (fast !== undefined) {
      out[r] = fast;
      continue;
    }
    const s = t.cell(c, r);
    // R's write.csv writes logical columns (e.g. Surv(time, status == 2)) as TRUE/FALSE
    if (s === 'TRUE' || s === 'FALSE') {
      out[r] = s === 'TRUE' ? 1 : 0;
      continue;
    }
    if (MISSING.has(s)) {
      out[r] = NaN;
      continue;
    }
    const v = Number(s);
    if (s === 'NaN' || !Number.isFinite(v))
      throw new AppError('INVALID_INPUT', `Column "${name}" row ${r + 1} (line ${r + 2}) has "${s}", which is not a number.`);
    out[r] = v;
  }
  return out;
}

export function readSurvivalCsv(opts: SurvivalCsvOptions): SurvivalCsv {
  const t = readCsvTable({ path: opts.path });
  const out: SurvivalCsv = { rowCount: t.rowCount, time: numericColumn(t, opts.time, 'time'), numeric: {}, text: {} };
  for (let r = 0; r < t.rowCount; r++) {
    const v = out.time[r];
    if (v < 0) throw new AppError('INVALID_INPUT', `Time column "${opts.time}" row ${r + 1} (line ${r + 2}) is ${v}: times must be ≥ 0.`);
  }
  if (opts.event) {
    out.event = numericColumn(t, opts.event, 'event');
    for (let r = 0; r < t.rowCount; r++) {
      const v = out.event[r];
      if (!Number.isNaN(v) && v !== 0 && v !== 1) {
        const oneTwo = out.event.every((x) => Number.isNaN(x) || x === 1 || x === 2);
        const hint = oneTwo ? " The column looks coded 1/2 (as R's lung: 1 = censored, 2 = event): subtract 1." : '';
        throw new AppError(
          'INVALID_INPUT',
          `Event column "${opts.event}" row ${r + 1} (line ${r + 2}) is ${v}: code events as 1 (event) or 0 (censored).${hint}`,
        );
      }
    }
  }
  if (opts.status) {
    out.status = numericColumn(t, opts.status, 'status');
    for (let r = 0; r < t.rowCount; r++) {
      const v = out.status[r];
      if (!Number.isNaN(v) && v !== 0 && v !== 1 && v !== 2)
        throw new AppError(
          'INVALID_INPUT',
          `Status column "${opts.status}" row ${r + 1} (line ${r + 2}) is ${v}: code 0 (censored), 1 (event of interest) or 2 (competing event).`,
        );
    }
  }
  for (const name of opts.numeric ?? []) out.numeric[name] = numericColumn(t, name, 'covariate');
  for (const name of [...(opts.categorical ?? []), ...(opts.labels ?? [])])
    out.text[name] = column(t, name, 'grouping').map((s) => (MISSING.has(s) ? null : s));
  return out;
}
