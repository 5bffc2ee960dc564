import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSurvivalCsv } from '@/lib/server/csv/read-survival-csv';

const dir = mkdtempSync(join(tmpdir(), 'surv-csv-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('readSurvivalCsv', () => {
  it('parses numbers exactly as Number() (fast path), CRLF, NA and empty cells as missing', () => {
    const vals = ['0.1', '-2.5e-3', '123456789.123456', '0.30000000000000004', '7', '1e300', '00.250', '-0'];
    const text = 'time,event,x\r\n' + vals.map((v, i) => `${i + 1},${i % 2},${v}`).join('\r\n') + '\r\n9,NA,\r\n';
    const r = readSurvivalCsv({ path: file('a.csv', text), time: 'time', event: 'event', numeric: ['x'] });
    expect(r.rowCount).toBe(9);
    expect([...r.numeric.x.slice(0, 8)]).toEqual(vals.map(Number));
    expect(Object.is(r.numeric.x[7], -0)).toBe(true);
    expect(Number.isNaN(r.numeric.x[8])).toBe(true);
    expect(Number.isNaN(r.event![8])).toBe(true);
  });
  it('quoted files go through csv-parse with the same results', () => {
    const r = readSurvivalCsv({ path: file('q.csv', '"time","status","grp"\n"3",1,"a, b"\n4,2,c\n'), time: 'time', status: 'status', labels: ['grp'] });
    expect([...r.time]).toEqual([3, 4]);
    expect(r.text.grp).toEqual(['a, b', 'c']);
  });
  it('a row with the wrong number of fields is reported with its line', () => {
    expect(() => readSurvivalCsv({ path: file('b.csv', 'time,event\n1,0\n2\n'), time: 'time', event: 'event' })).toThrow(
      /row 2 \(line 3\) has 1 fields but the header has 2/,
    );
  });
  it('TRUE/FALSE (as R writes logicals) read as 1/0', () => {
    const r = readSurvivalCsv({ path: file('l.csv', 'time,dead\n3,TRUE\n4,FALSE\n'), time: 'time', event: 'dead' });
    expect([...r.event!]).toEqual([1, 0]);
  });
  it('a header without rows is an error', () => {
    expect(() => readSurvivalCsv({ path: file('h.csv', 'time,event\n'), time: 'time', event: 'event' })).toThrow(/no data rows/);
  });
});
