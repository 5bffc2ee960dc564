import { describe, expect, it } from 'vitest';
import { csvCell, formatMinutesCsv, type MinutesCsvRow } from '@/lib/core/review/format-minutes-csv';

describe('csvCell (CSV injection and quoting)', () => {
  it('prefixes cells a spreadsheet would run as a formula with an apostrophe', () => {
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-2+3')).toBe("'-2+3");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\tx')).toBe("'\tx");
  });
  it('leaves ordinary text and numbers alone (a negative number is data)', () => {
    expect(csvCell('a = b')).toBe('a = b');
    expect(csvCell(-1.5)).toBe('-1.5');
    expect(csvCell(null)).toBe('');
    expect(csvCell(Number.NaN)).toBe('');
  });
  it('quotes commas, quotes and line breaks', () => {
    expect(csvCell('a, "b"\nc')).toBe('"a, ""b""\nc"');
  });
});

const row: MinutesCsvRow = {
  meeting: '2026-11-28',
  pseudonym: 'P-1',
  patientName: 'DOE^JANE',
  mrn: 'MRN1',
  decision: 'MACHINE_WRONG',
  decisionLabel: 'Machine wrong',
  comment: '=cmd|calc',
  reviewer: 'Dr R',
  decidedAt: new Date(Date.UTC(2026, 10, 28, 9, 30)),
  itvDice: 0.5,
  gtvMedianDice: null,
  itvHd95Mm: 4,
  itvFpCc: 1.25,
  maxFpDistanceMm: 12,
  machineMotionMm: null,
  studyId: 's1',
  runId: 'r1',
  decisionId: 'd2',
  status: 'current',
  supersedesDecisionId: 'd1',
  correctionReason: '=wrong structure',
};

describe('formatMinutesCsv', () => {
  it('has no identifier columns at all without `identified`', () => {
    const text = formatMinutesCsv([row], { identified: false });
    const [header, line] = text.split('\r\n');
    expect(header).not.toMatch(/name|mrn/);
    expect(text).not.toContain('DOE^JANE');
    expect(text).not.toContain('MRN1');
    expect(line).toBe(
      "2026-11-28,P-1,MACHINE_WRONG,Machine wrong,'=cmd|calc,Dr R,2026-11-28T09:30:00.000Z,0.5,,4,1.25,12,,s1,r1,d2,current,d1,'=wrong structure",
    );
    expect(header.split(',').slice(-4)).toEqual(['decision_id', 'status', 'supersedes_decision_id', 'correction_reason']);
  });
  it('adds name and MRN after the pseudonym when identified', () => {
    const [header, line] = formatMinutesCsv([row], { identified: true }).split('\r\n');
    expect(header.split(',').slice(0, 4)).toEqual(['meeting', 'pseudonym', 'patient_name', 'mrn']);
    expect(line.startsWith('2026-11-28,P-1,DOE^JANE,MRN1,MACHINE_WRONG')).toBe(true);
  });
});
