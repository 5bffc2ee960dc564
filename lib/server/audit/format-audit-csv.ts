/**
 * The audit log as CSV, one event per row, through the one CSV writer of every export
 * (lib/core/csv/format-csv.ts: RFC 4180, CRLF; cells a spreadsheet would run as a formula get a
 * leading apostrophe). Details are written as their JSON.
 */
import { csvLine, type CsvValue } from '@/lib/core/csv/format-csv';
import type { AuditRow } from './find-audit-events';

const AUDIT_CSV_HEADER = ['id', 'at_utc', 'user_email', 'role', 'action', 'patient_pseudonym', 'target', 'ip', 'user_agent', 'details'];

export function auditCsvLine(r: AuditRow): string {
  return csvLine([r.id, r.at, r.userEmail, r.role, r.action, r.pseudonym, r.target, r.ip, r.userAgent, r.details as CsvValue]);
}

export function auditCsvHeader(): string {
  return csvLine(AUDIT_CSV_HEADER);
}
