/**
 * Dates as a researcher or reviewer sees them: the real date plus the patient's fixed
 * PatientIdentity.dateShiftDays. The shift is the same for every date of one patient, so
 * intervals (days from CT to failure, between two studies) are preserved while the calendar date
 * no longer identifies the patient (PS3.15 E.3.6 "Retain Longitudinal Temporal Information with
 * Modified Dates"). Roles with 'identifiers:view' see real dates. A shifted date is always shown
 * with its label, so that nobody mistakes it for a real one.
 */
import { can, type Caller, type Role } from '../auth/roles';

const SHIFTED_DATE_LABEL = 'shifted date';

export interface DisplayDate {
  /** YYYY-MM-DD (UTC calendar date), or null when there is no date. */
  iso: string | null;
  shifted: boolean;
  /** "2026-03-04" or "2026-03-04 (shifted date)". */
  text: string;
}

const DAY_MS = 86_400_000;

/** `date` moved by `days` whole days (UTC; no daylight-saving effects). */
export function shiftDate(date: Date, days: number): Date {
  if (!Number.isInteger(days)) throw new RangeError(`A date shift must be whole days, got ${days}.`);
  return new Date(date.getTime() + days * DAY_MS);
}

/** Whether this role sees dates shifted (everyone who may not see identifiers). */
export function seesShiftedDates(role: Role): boolean {
  return !can(role, 'identifiers:view');
}

/**
 * The date to show `caller` for a patient: real for roles with 'identifiers:view', shifted by
 * `dateShiftDays` for all others. `dateShiftDays` null (no identity row, e.g. a NIfTI import
 * without dates) shows no date to a shifted-date role rather than a real one.
 */
export function displayDate(caller: Pick<Caller, 'role'>, date: Date | null | undefined, dateShiftDays: number | null | undefined): DisplayDate {
  if (!date) return { iso: null, shifted: seesShiftedDates(caller.role), text: '—' };
  if (!seesShiftedDates(caller.role)) {
    const iso = date.toISOString().slice(0, 10);
    return { iso, shifted: false, text: iso };
  }
  if (dateShiftDays === null || dateShiftDays === undefined) return { iso: null, shifted: true, text: '—' };
  const iso = shiftDate(date, dateShiftDays).toISOString().slice(0, 10);
  return { iso, shifted: true, text: `${iso} (${SHIFTED_DATE_LABEL})` };
}

/** DICOM DA (YYYYMMDD) shifted by `days`; '' stays ''. @throws RangeError for a malformed DA. */
export function shiftDicomDate(da: string, days: number): string {
  if (!da) return '';
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(da.trim());
  if (!m) throw new RangeError(`"${da}" is not a DICOM date (YYYYMMDD).`);
  const d = shiftDate(new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])), days);
  return d.toISOString().slice(0, 10).replace(/-/g, '');
}
