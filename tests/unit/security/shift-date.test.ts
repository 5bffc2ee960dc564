/** Shifted dates for researchers and reviewers (lib/server/deid/shift-date.ts); hand-checked calendar cases. */
import { describe, expect, it } from 'vitest';
import { displayDate, seesShiftedDates, shiftDate, shiftDicomDate } from '../../../lib/server/deid/shift-date';

const d = (s: string) => new Date(`${s}T00:00:00Z`);

describe('shift-date', () => {
  it('shifts whole days across month, leap-day and year boundaries', () => {
    expect(shiftDate(d('2026-02-27'), 2).toISOString().slice(0, 10)).toBe('2026-03-01');
    expect(shiftDate(d('2024-02-28'), 1).toISOString().slice(0, 10)).toBe('2024-02-29');
    expect(shiftDate(d('2025-01-01'), -1).toISOString().slice(0, 10)).toBe('2024-12-31');
    expect(shiftDicomDate('20240228', 1)).toBe('20240229');
    expect(shiftDicomDate('20251231', 366)).toBe('20270101');
    expect(shiftDicomDate('', 10)).toBe('');
    expect(() => shiftDicomDate('2024-02-28', 1)).toThrow('is not a DICOM date');
    expect(() => shiftDate(d('2024-02-28'), 1.5)).toThrow('whole days');
  });

  it('keeps intervals between two dates of one patient', () => {
    const a = d('2026-01-10'),
      b = d('2026-07-03');
    const shift = -137;
    expect(shiftDate(b, shift).getTime() - shiftDate(a, shift).getTime()).toBe(b.getTime() - a.getTime());
  });

  it('shows real dates only to roles that may see identifiers, and labels shifted ones', () => {
    expect(seesShiftedDates('PHYSICIST')).toBe(false);
    for (const role of ['RESEARCHER', 'REVIEWER', 'ADMIN'] as const) expect(seesShiftedDates(role)).toBe(true);
    expect(displayDate({ role: 'PHYSICIST' }, d('2026-03-04'), 40)).toEqual({ iso: '2026-03-04', shifted: false, text: '2026-03-04' });
    expect(displayDate({ role: 'RESEARCHER' }, d('2026-03-04'), 40)).toEqual({ iso: '2026-04-13', shifted: true, text: '2026-04-13 (shifted date)' });
    // no shift known: no date rather than the real one
    expect(displayDate({ role: 'REVIEWER' }, d('2026-03-04'), null).text).toBe('—');
    expect(displayDate({ role: 'REVIEWER' }, null, 3).text).toBe('—');
  });
});
