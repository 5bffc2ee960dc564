/**
 * The one CSV writer of every export (metrics, outcome tables, review minutes, audit log):
 * RFC 4180 (comma separator, CRLF line ends, a cell quoted when it holds a comma, a double quote,
 * CR or LF, with quotes doubled), and safe to open in a spreadsheet (OWASP "CSV injection").
 *
 * The formula rule, decided once for every export:
 * - A number (a JS `number`) is written as a number: finite → `String(v)`, NaN/±Infinity → empty.
 *   `-0.5` is data, not a formula, and is never touched.
 * - A string that is exactly a plain decimal number (`-0.5`, `12`, `1.5e-3`; no leading `+`, no
 *   spaces) is also left alone: number formatting done by the caller (toPrecision, toFixed)
 *   stays a number in the sheet.
 * - Any other string whose first character, or first character after leading spaces, is
 *   `=`, `+`, `-`, `@` (or their full-width forms ＝ ＋ － ＠), or that starts with a tab, CR or
 *   LF, gets a leading apostrophe, so Excel, LibreOffice and Google Sheets show it as text
 *   (`=HYPERLINK(…)` → `'=HYPERLINK(…)`, `-2+3` → `'-2+3`, `+1` → `'+1`).
 * - null and undefined are empty; a Date is its ISO 8601 UTC string; a bigint or boolean its
 *   text; any other object is its JSON (then checked and quoted as a string).
 * Pure: no I/O.
 */

export type CsvValue = string | number | bigint | boolean | Date | null | undefined | object;

/** A plain decimal number as text: left as it is (a negative number is not a formula). */
const PLAIN_NUMBER = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
/** What a spreadsheet would start evaluating as a formula. */
const FORMULA_START = /^(?:[\t\r\n]|[ \u00a0]*[=+\-@\uff1d\uff0b\uff0d\uff20])/;

/** The text of a value before escaping (see the module comment). */
function text(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? '' : v.toISOString();
  return JSON.stringify(v) ?? '';
}

/** Whether a cell's text would be run as a formula (and so gets the apostrophe). */
export function isFormulaLike(s: string): boolean {
  return FORMULA_START.test(s) && !PLAIN_NUMBER.test(s);
}

/** One cell, neutralised and quoted as needed. */
export function csvCell(v: CsvValue): string {
  let s = text(v);
  if (typeof v !== 'number' && isFormulaLike(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One line with its CRLF. */
export function csvLine(cells: readonly CsvValue[]): string {
  return cells.map(csvCell).join(',') + '\r\n';
}

/** Header plus rows → CSV text (CRLF line ends, trailing CRLF). */
export function formatCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  return csvLine(header) + rows.map(csvLine).join('');
}
