/**
 * Import an outcomes CSV: validate every row and column, report the problems by row and column,
 * and — only when there are none and the caller asks for it — write every patient's outcome in
 * one transaction (all rows or none) as a new outcomes version (write-outcome-version.ts: who,
 * when, file name and sha256, rows added/changed/unchanged, each changed row's previous values)
 * with an audit event. Permission `outcomes:import` (physicists, admins) for preview and import.
 *
 * Columns: `pseudonym` or `mrn` (MRN only for roles with `identifiers:view`, and every MRN
 * lookup is audited, so the preview cannot be used to test MRNs unseen), `local_failure` (0/1),
 * `local_failure_days`, `died` (0/1), `death_days`, `last_follow_up_days`, and any extra
 * clinical columns (numeric when every value is a number, otherwise categorical). Times are days
 * from the start of radiotherapy. Empty cells and NA are missing.
 */
import { createHash } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import type { Db } from '../db/client';
import { authorize, can, type Caller } from '../auth/roles';
import { AppError } from '../errors';
import { recordAuditEvent } from '../audit/record-audit-event';
import { recordIdentifiedAccess } from '../audit/record-identified-access';
import type { CsvTable } from '../csv/read-csv-table';
import { MAX_OUTCOMES_CSV_BYTES, outcomesCsvTooLargeMessage } from './outcomes-csv-limit';
import { writeOutcomeVersion, type OutcomeVersionSummary } from './write-outcome-version';

export { MAX_OUTCOMES_CSV_BYTES };

export const OUTCOME_COLUMNS = ['local_failure', 'local_failure_days', 'died', 'death_days', 'last_follow_up_days'] as const;
/** Columns that would carry identifiers into the clinical data: refused. */
const IDENTIFIER_COLUMNS = new Set(['name', 'patient_name', 'birth_date', 'birthdate', 'dob', 'date_of_birth', 'patient_id']);
const MISSING = new Set(['', 'NA', 'na', 'N/A', '.']);

export interface ImportIssue {
  /** 1-based data row (line = row + 1); null for a file- or header-level problem. */
  row: number | null;
  column: string | null;
  code:
    'FILE' | 'MISSING_COLUMN' | 'NOT_NUMERIC' | 'NEGATIVE_TIME' | 'NOT_0_1' | 'MISSING_VALUE' | 'UNKNOWN_PATIENT' | 'DUPLICATE_PATIENT' | 'IDENTIFIER_COLUMN';
  message: string;
}

export interface ParsedOutcomeRow {
  row: number;
  identifier: string;
  localFailure: 0 | 1;
  localFailureDays: number | null;
  died: 0 | 1;
  deathDays: number | null;
  lastFollowUpDays: number;
  clinical: Record<string, number | string | null>;
}

export interface OutcomesImportReport {
  fileName: string;
  identifierColumn: 'pseudonym' | 'mrn' | null;
  rowCount: number;
  columns: string[];
  clinicalColumns: { name: string; kind: 'numeric' | 'categorical' }[];
  errors: ImportIssue[];
  /** First rows as parsed (valid rows only). */
  preview: ParsedOutcomeRow[];
  /** Outcomes written (null for a preview or when there were errors). */
  imported: number | null;
  /** The version the import made (null for a preview or when there were errors). */
  version: OutcomeVersionSummary | null;
}

/**
 * Parse CSV text held in memory (an upload) with the same rules as lib/server/csv/read-csv-table
 * (which reads files): BOM stripped, a header row, no duplicate columns, equal field counts.
 */
function tableFromText(text: string, fileName: string): CsvTable {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') throw new AppError('INVALID_INPUT', `${fileName} is empty: it needs a header row and at least one data row.`);
  let records: string[][];
  try {
    records = parse(text, { relax_column_count: true, skip_empty_lines: true, trim: true }) as string[][];
  } catch (e) {
    throw new AppError('INVALID_INPUT', `${fileName} could not be parsed as CSV: ${(e as Error).message.split('\n')[0]}`);
  }
  const header = records[0].map((h) => h.trim());
  const dup = header.find((h, i) => header.indexOf(h) !== i);
  if (dup !== undefined) throw new AppError('INVALID_INPUT', `${fileName} has the column "${dup}" twice in its header.`);
  const rowCount = records.length - 1;
  if (rowCount === 0) throw new AppError('INVALID_INPUT', `${fileName} has a header but no data rows.`);
  for (let r = 0; r < rowCount; r++)
    if (records[r + 1].length !== header.length)
      throw new AppError('INVALID_INPUT', `${fileName} row ${r + 1} (line ${r + 2}) has ${records[r + 1].length} fields but the header has ${header.length}.`);
  return { path: fileName, header, rowCount, cell: (c, r) => (records[r + 1][c] ?? '').trim(), number: () => undefined };
}

/**
 * Refuses a file over MAX_OUTCOMES_CSV_BYTES (PAYLOAD_TOO_LARGE, naming file, size and limit).
 * The server action calls it on the upload's size before reading it; importOutcomes again.
 */
export function checkOutcomesCsvSize(fileName: string, bytes: number): void {
  if (bytes > MAX_OUTCOMES_CSV_BYTES) throw new AppError('PAYLOAD_TOO_LARGE', outcomesCsvTooLargeMessage(fileName, bytes));
}

/**
 * Validate (mode 'preview') or validate and write (mode 'import') an outcomes CSV, given as text
 * (`csvText`) or as the uploaded bytes (`csvBytes`, which must be UTF-8; the version's sha256 is
 * of these bytes).
 * @returns the validation report; nothing is written unless mode is 'import' and `errors` is empty
 * @throws AppError FORBIDDEN (roles without outcomes:import; an `mrn` column from a role without
 *   identifiers:view), PAYLOAD_TOO_LARGE (over MAX_OUTCOMES_CSV_BYTES)
 */
export async function importOutcomes(
  db: Db,
  {
    caller,
    csvText,
    csvBytes,
    fileName = 'outcomes.csv',
    mode,
  }: { caller: Caller; csvText?: string; csvBytes?: Uint8Array; fileName?: string; mode: 'preview' | 'import' },
): Promise<OutcomesImportReport> {
  authorize(caller, 'outcomes:import');
  const bytes = csvBytes ?? Buffer.from(csvText ?? '', 'utf8');
  checkOutcomesCsvSize(fileName, bytes.byteLength);
  const report: OutcomesImportReport = {
    fileName,
    identifierColumn: null,
    rowCount: 0,
    columns: [],
    clinicalColumns: [],
    errors: [],
    preview: [],
    imported: null,
    version: null,
  };
  let t: CsvTable;
  try {
    let text: string;
    try {
      text = csvText ?? new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      throw new AppError('INVALID_INPUT', `${fileName} is not UTF-8 text: save it as "CSV UTF-8" (in Excel: Save As → CSV UTF-8) and choose it again.`);
    }
    t = tableFromText(text, fileName);
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    report.errors.push({ row: null, column: null, code: 'FILE', message: e.message });
    return report;
  }
  report.rowCount = t.rowCount;
  report.columns = t.header;
  const col = new Map(t.header.map((h, i) => [h.toLowerCase(), i]));

  const hasPseudonym = col.has('pseudonym');
  const hasMrn = col.has('mrn');
  // Matching MRNs tells whether a patient exists: only roles that may see identifiers may do it.
  if (hasMrn && !can(caller.role, 'identifiers:view'))
    throw new AppError(
      'FORBIDDEN',
      `The ${caller.role.toLowerCase()} role may not import outcomes by MRN (MRNs are identifiers); use the pseudonym column instead.`,
    );
  if (hasPseudonym && hasMrn)
    report.errors.push({ row: null, column: 'mrn', code: 'IDENTIFIER_COLUMN', message: 'The file has both a pseudonym and an mrn column: keep one of them.' });
  else if (!hasPseudonym && !hasMrn)
    report.errors.push({
      row: null,
      column: 'pseudonym',
      code: 'MISSING_COLUMN',
      message: `Missing column "pseudonym" (or "mrn"): found ${t.header.join(', ')}.`,
    });
  report.identifierColumn = hasMrn && !hasPseudonym ? 'mrn' : hasPseudonym && !hasMrn ? 'pseudonym' : null;
  for (const name of OUTCOME_COLUMNS)
    if (!col.has(name))
      report.errors.push({ row: null, column: name, code: 'MISSING_COLUMN', message: `Missing column "${name}": found ${t.header.join(', ')}.` });
  for (const h of t.header)
    if (IDENTIFIER_COLUMNS.has(h.toLowerCase()))
      report.errors.push({
        row: null,
        column: h,
        code: 'IDENTIFIER_COLUMN',
        message: `Column "${h}" looks like a direct identifier; remove it (identifiers are not stored with outcomes).`,
      });
  const known = new Set<string>(['pseudonym', 'mrn', ...OUTCOME_COLUMNS, ...IDENTIFIER_COLUMNS]);
  const clinicalNames = t.header.filter((h) => !known.has(h.toLowerCase()) && h !== '');
  for (const name of clinicalNames) {
    const c = t.header.indexOf(name);
    let numeric = true;
    for (let r = 0; r < t.rowCount && numeric; r++) {
      const s = t.cell(c, r);
      if (!MISSING.has(s) && !Number.isFinite(Number(s))) numeric = false;
    }
    report.clinicalColumns.push({ name, kind: numeric ? 'numeric' : 'categorical' });
  }
  if (report.errors.length) return report;

  const idCol = col.get(report.identifierColumn!)!;
  const rows: ParsedOutcomeRow[] = [];
  const seen = new Map<string, number>();
  for (let r = 0; r < t.rowCount; r++) {
    const rowNo = r + 1;
    const before = report.errors.length;
    const issue = (column: string, code: ImportIssue['code'], message: string) =>
      report.errors.push({ row: rowNo, column, code, message: `Row ${rowNo} (line ${rowNo + 1}), column "${column}": ${message}` });
    const num = (name: string, { required }: { required: boolean }): number | null => {
      const s = t.cell(col.get(name)!, r);
      if (MISSING.has(s)) {
        if (required) issue(name, 'MISSING_VALUE', 'a value is required here.');
        return null;
      }
      const v = Number(s);
      if (!Number.isFinite(v)) {
        issue(name, 'NOT_NUMERIC', `"${s}" is not a number.`);
        return null;
      }
      return v;
    };
    const flag = (name: string): 0 | 1 | null => {
      const v = num(name, { required: true });
      if (v === null) return null;
      if (v !== 0 && v !== 1) {
        issue(name, 'NOT_0_1', `${v} is not 0 or 1 (1 = yes, 0 = no).`);
        return null;
      }
      return v;
    };
    const time = (name: string, required: boolean): number | null => {
      const v = num(name, { required });
      if (v !== null && v < 0) {
        issue(name, 'NEGATIVE_TIME', `${v} days is negative; times are days from the start of radiotherapy.`);
        return null;
      }
      return v;
    };
    const identifier = t.cell(idCol, r);
    if (identifier === '') issue(report.identifierColumn!, 'MISSING_VALUE', 'the patient identifier is empty.');
    else if (seen.has(identifier)) issue(report.identifierColumn!, 'DUPLICATE_PATIENT', `"${identifier}" already appeared in row ${seen.get(identifier)}.`);
    else seen.set(identifier, rowNo);
    const localFailure = flag('local_failure');
    const localFailureDays = time('local_failure_days', localFailure === 1);
    const died = flag('died');
    const deathDays = time('death_days', died === 1);
    const lastFollowUpDays = time('last_follow_up_days', true);
    const clinical: Record<string, number | string | null> = {};
    for (const { name, kind } of report.clinicalColumns) {
      const s = t.cell(t.header.indexOf(name), r);
      clinical[name] = MISSING.has(s) ? null : kind === 'numeric' ? Number(s) : s;
    }
    if (report.errors.length === before)
      rows.push({
        row: rowNo,
        identifier,
        localFailure: localFailure!,
        localFailureDays,
        died: died!,
        deathDays,
        lastFollowUpDays: lastFollowUpDays!,
        clinical,
      });
  }

  // Resolve identifiers to patients (unknown ones are errors naming row and column).
  const ids = rows.map((x) => x.identifier);
  const patientIdOf = new Map<string, string>();
  if (report.identifierColumn === 'pseudonym') {
    const found = await db.patient.findMany({ where: { pseudonym: { in: ids } }, select: { id: true, pseudonym: true } });
    for (const p of found) patientIdOf.set(p.pseudonym, p.id);
  } else {
    const found = await db.patientIdentity.findMany({ where: { mrn: { in: ids } }, select: { patientId: true, mrn: true } });
    const count = new Map<string, number>();
    for (const p of found) count.set(p.mrn!, (count.get(p.mrn!) ?? 0) + 1);
    for (const p of found) if (count.get(p.mrn!) === 1) patientIdOf.set(p.mrn!, p.patientId);
    // Every MRN lookup is an identified read: one event per matched patient, or one saying none matched.
    const lookup = { mode, fileName, mrns: ids.length, matched: patientIdOf.size };
    if (patientIdOf.size)
      await recordIdentifiedAccess(db, {
        caller,
        action: 'outcomes.mrn_lookup',
        patientIds: [...patientIdOf.values()],
        target: `outcomes:${fileName}`,
        details: lookup,
      });
    else await recordAuditEvent(db, { action: 'outcomes.mrn_lookup', caller, target: `outcomes:${fileName}`, details: { identified: true, ...lookup } });
  }
  for (const x of rows)
    if (!patientIdOf.has(x.identifier))
      report.errors.push({
        row: x.row,
        column: report.identifierColumn,
        code: 'UNKNOWN_PATIENT',
        message: `Row ${x.row} (line ${x.row + 1}), column "${report.identifierColumn}": no patient with ${report.identifierColumn === 'mrn' ? 'MRN' : 'pseudonym'} "${x.identifier}" (or more than one); import the study first or check the value.`,
      });
  report.errors.sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
  report.preview = rows.slice(0, 10);
  if (mode === 'preview' || report.errors.length) return report;

  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const targets = rows.map((x) => ({
    patientId: patientIdOf.get(x.identifier)!,
    values: {
      localFailure: x.localFailure === 1,
      localFailureDays: x.localFailureDays,
      died: x.died === 1,
      deathDays: x.deathDays,
      lastFollowUpDays: x.lastFollowUpDays,
      clinical: x.clinical,
      source: `csv:${fileName}`,
    },
  }));
  report.version = await writeOutcomeVersion(db, {
    caller,
    kind: 'import',
    fileName,
    sha256,
    identifierColumn: report.identifierColumn,
    targets: async () => targets,
    audit: {
      action: 'outcomes.imported',
      target: `outcomes:${fileName}`,
      details: { rows: rows.length, identifierColumn: report.identifierColumn, sha256, clinicalColumns: report.clinicalColumns.map((c) => c.name) },
    },
  });
  report.imported = rows.length;
  return report;
}
