/** The audit log as CSV (RFC 4180, CRLF), one event per row; cells that a spreadsheet would run as a formula are quoted with a leading apostrophe. */
import type { AuditRow } from './find-audit-events';

export const AUDIT_CSV_HEADER = ['id', 'at_utc', 'user_email', 'role', 'action', 'patient_pseudonym', 'target', 'ip', 'user_agent', 'details'];

function cell(v: unknown): string {
  let s = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  // CSV injection: =, +, -, @, tab, CR at the start would be evaluated by Excel/LibreOffice.
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function auditCsvLine(r: AuditRow): string {
  return [r.id, r.at.toISOString(), r.userEmail, r.role, r.action, r.pseudonym, r.target, r.ip, r.userAgent, r.details].map(cell).join(',') + '\r\n';
}

export function auditCsvHeader(): string {
  return AUDIT_CSV_HEADER.join(',') + '\r\n';
}
