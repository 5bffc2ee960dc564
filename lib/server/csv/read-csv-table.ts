/**
 * Read a CSV file with a header row. Plain files (no quote characters) are indexed in one scan
 * of the text (field offsets, no per-cell strings), and numbers are parsed straight from the
 * characters; anything quoted goes through csv-parse. Errors are AppError INVALID_INPUT naming
 * the file, row and what to check.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { AppError } from '../errors';

export interface CsvTable {
  path: string;
  header: string[];
  rowCount: number;
  /** Trimmed cell text, row 0 = first data row. */
  cell(column: number, row: number): string;
  /**
   * The cell as a number; NaN for an empty cell; undefined when the text is not a plain
   * decimal number (callers then look at `cell`).
   */
  number(column: number, row: number): number | undefined;
}

const POW10 = Array.from({ length: 23 }, (_, k) => Math.pow(10, k));

/** Parse [i, j) of text as a decimal number exactly as Number() would, or undefined. */
function parseDecimal(text: string, i: number, j: number): number | undefined {
  while (i < j && text.charCodeAt(i) === 32) i++;
  while (j > i && (text.charCodeAt(j - 1) === 32 || text.charCodeAt(j - 1) === 13)) j--;
  if (i === j) return NaN;
  let neg = false;
  let c = text.charCodeAt(i);
  if (c === 45 || c === 43) {
    neg = c === 45;
    i++;
  }
  let m = 0;
  let digits = 0;
  let scale = 0;
  let seenDot = false;
  let any = false;
  for (; i < j; i++) {
    c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      any = true;
      if (m === 0 && c === 48 && !seenDot) continue;
      m = m * 10 + (c - 48);
      digits++;
      if (seenDot) scale++;
    } else if (c === 46 && !seenDot) seenDot = true;
    else return undefined; // exponent, NA, text: let the caller decide
  }
  // exact when the mantissa and the power of ten are both exact doubles (single rounding)
  if (!any || digits > 15 || scale > 22) return undefined;
  const v = scale ? m / POW10[scale] : m;
  return neg ? -v : v;
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
  const checkHeader = (header: string[]) => {
    const dup = header.find((h, i) => header.indexOf(h) !== i);
    if (dup !== undefined) throw new AppError('INVALID_INPUT', `CSV file ${path} has the column "${dup}" twice in its header.`);
  };
  const fieldCountError = (row: number, got: number, want: number) =>
    new AppError('INVALID_INPUT', `CSV file ${path} row ${row + 1} (line ${row + 2}) has ${got} fields but the header has ${want}.`);

  if (!text.includes('"')) {
    const len = text.length;
    let eol = text.indexOf('\n');
    if (eol < 0) eol = len;
    const header = text
      .slice(0, eol)
      .replace(/\r$/, '')
      .split(',')
      .map((h) => h.trim());
    checkHeader(header);
    const nc = header.length;
    let lines = 1;
    for (let q = text.indexOf('\n', eol + 1); q >= 0; q = text.indexOf('\n', q + 1)) lines++;
    let starts = new Int32Array(2 * nc * lines + 2);
    let count = 0; // fields recorded
    let i = eol + 1;
    let row = 0;
    while (i < len) {
      // skip blank lines
      let e = text.indexOf('\n', i);
      if (e < 0) e = len;
      let blank = true;
      for (let q = i; q < e && blank; q++) {
        const ch = text.charCodeAt(q);
        blank = ch === 32 || ch === 13 || ch === 9;
      }
      if (blank) {
        i = e + 1;
        continue;
      }
      let fields = 0;
      let s = i;
      for (;;) {
        if (count + 2 > starts.length) {
          const bigger = new Int32Array(starts.length * 2);
          bigger.set(starts);
          starts = bigger;
        }
        let j = s;
        while (j < e && text.charCodeAt(j) !== 44) j++;
        if (fields < nc) {
          starts[count++] = s;
          starts[count++] = j;
        }
        fields++;
        if (j >= e) break;
        s = j + 1;
      }
      if (fields !== nc) throw fieldCountError(row, fields, nc);
      row++;
      i = e + 1;
    }
    if (row === 0) throw new AppError('INVALID_INPUT', `CSV file ${path} has a header but no data rows.`);
    const at = (c: number, r: number) => (r * nc + c) * 2;
    return {
      path,
      header,
      rowCount: row,
      cell: (c, r) => text.slice(starts[at(c, r)], starts[at(c, r) + 1]).trim(),
      number: (c, r) => parseDecimal(text, starts[at(c, r)], starts[at(c, r) + 1]),
    };
  }

  let records: string[][];
  try {
    records = parse(text, { relax_column_count: true, skip_empty_lines: true }) as string[][];
  } catch (e) {
    throw new AppError('INVALID_INPUT', `CSV file ${path} could not be parsed: ${(e as Error).message.split('\n')[0]}`);
  }
  const header = records[0].map((h) => h.trim());
  checkHeader(header);
  const rowCount = records.length - 1;
  if (rowCount === 0) throw new AppError('INVALID_INPUT', `CSV file ${path} has a header but no data rows.`);
  for (let r = 0; r < rowCount; r++) if (records[r + 1].length !== header.length) throw fieldCountError(r, records[r + 1].length, header.length);
  const cell = (c: number, r: number) => (records[r + 1][c] ?? '').trim();
  return { path, header, rowCount, cell, number: (c, r) => parseDecimal(cell(c, r), 0, cell(c, r).length) };
}
