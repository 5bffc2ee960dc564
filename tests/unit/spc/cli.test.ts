import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..', '..');
const CLI = join(ROOT, 'cli', 'iseg-qa.mjs');
// The shuffled Dice series and the chart values of its first case ("baseline 20"):
// Rscript tests/reference/spc/make-spc-cases.R
const CSV = join(ROOT, 'tests', 'fixtures', 'spc', 'dice-series.csv');
const fx = JSON.parse(fs.readFileSync(join(ROOT, 'tests', 'fixtures', 'spc', 'charts.json'), 'utf8'));
const R = fx.cases[0];

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, 'spc', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
function json(...args: string[]) {
  const r = cli(...args, '--json');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}
function expectClose(actual: number[], expected: number[]) {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - expected[i]!), `point ${i + 1}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected[i]!))));
}

const tmp = fs.mkdtempSync(join(os.tmpdir(), 'spc-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
function csvFile(name: string, text: string): string {
  const p = join(tmp, name);
  fs.writeFileSync(p, text);
  return p;
}

describe('iseg-qa spc (spawned CLI) on the shuffled Dice series', () => {
  const base = ['--csv', CSV, '--value', 'itv_dice', '--order', 'study_date', '--baseline', '20'];

  it('ewma --json sorts by date and matches the R recipe (baseline, statistic, exact limits)', () => {
    const out = json('ewma', ...base);
    expect(out.chart).toBe('ewma');
    expect(out.orderKind).toBe('date');
    expect(out.parameters).toEqual({ lambda: 0.2, L: 3 });
    expect(out.baseline.n).toBe(20);
    expectClose([out.baseline.mean, out.baseline.sigma, out.baseline.movingRangeMean], [R.baseline.mean, R.baseline.sigma, R.baseline.movingRangeMean]);
    expect(out.points.map((p: any) => p.value)).toEqual(R.values);
    const e = R.ewma[0];
    expectClose(
      out.points.map((p: any) => p.statistic),
      e.statistic,
    );
    expectClose(
      out.points.map((p: any) => p.lcl),
      e.lcl,
    );
    expectClose(
      out.points.map((p: any) => p.ucl),
      e.ucl,
    );
    expect(out.points.map((p: any) => p.outOfControl)).toEqual(e.outOfControl);
    expect(out.outOfControl).toEqual(e.outOfControl.flatMap((x: boolean, i: number) => (x ? [i] : [])));
    expect(out.points.filter((p: any) => p.inBaseline)).toHaveLength(20);
    expect(Math.round(out.arl.inControl)).toBe(560);
  });

  it('cusum --json with --k and --h: C+ and C− in σ, directions', () => {
    const out = json('cusum', ...base, '--k', '0.25', '--h', '8');
    const c = R.cusum[1];
    expect([c.k, c.h]).toEqual([0.25, 8]);
    expectClose(
      out.points.map((p: any) => p.upper),
      c.upper,
    );
    expectClose(
      out.points.map((p: any) => p.lower),
      c.lower,
    );
    expect(out.points.map((p: any) => p.direction)).toEqual(c.direction);
  });

  it('shewhart --json, and ordering by a numeric column gives the same series', () => {
    const out = json('shewhart', '--csv', CSV, '--value', 'itv_dice', '--order', 'study_no', '--baseline', '20', '--L', '2.5');
    expect(out.orderKind).toBe('number');
    expect(out.points.map((p: any) => p.value)).toEqual(R.values);
    expectClose([out.points[0].lcl, out.points[0].ucl], [R.shewhart[1].lcl, R.shewhart[1].ucl]);
    expect(out.points.map((p: any) => p.outOfControl)).toEqual(R.shewhart[1].outOfControl);
  });

  it('still charts when the ARL is beyond reach (k = 10, h = 50): arl null with the reason', () => {
    const out = json('cusum', ...base, '--k', '10', '--h', '50');
    expect(out.points).toHaveLength(60);
    expect(out.outOfControl).toEqual([]);
    expect(out.arl.inControl).toBeNull();
    expect(out.arl.shift1Sigma).toBeNull();
    expect(out.arl.note).toMatch(/longer than 1e\+12 points/);
    const r = cli('cusum', ...base, '--k', '10', '--h', '50');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/average run length: in control not computable; after a 1σ shift not computable \(the average run length of the CUSUM/);
  });

  it('prints the baseline, the points and those out of control', () => {
    const r = cli('cusum', ...base);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/baseline: points 1–20 \(2026-01-06 to 2026-03-15\): mean 0\.83302, σ 0\.03048 \(MR̄ 0\.03438 \/ 1\.128\), n 20/);
    expect(r.stdout).toMatch(/in control ~465 points between false alarms/);
    const first = R.cusum[0].outOfControl.indexOf(true);
    expect(r.stdout).toContain(`out of control: ${R.cusum[0].outOfControl.filter(Boolean).length} points, the first #${first + 1}`);
    expect(r.stdout).toMatch(/C− \d+\.\d{4} > h 5/);
  });
});

describe('iseg-qa spc bad input', () => {
  const fail = (args: string[], re: RegExp) => {
    const r = cli(...args);
    expect(r.code, r.stdout).not.toBe(0);
    expect(r.stderr).toMatch(re);
    expect(r.stdout).toBe('');
  };
  it('names a missing column, listing the columns there are', () => {
    fail(
      ['ewma', '--csv', CSV, '--value', 'dice', '--order', 'study_date'],
      /--value "dice": CSV file .* has no such column; its columns are study_date, study_no, itv_dice/,
    );
    fail(['ewma', '--csv', CSV, '--value', 'itv_dice', '--order', 'date'], /--order "date".*no such column/);
  });
  it('names a non-numeric value with its row', () => {
    const f = csvFile('bad-value.csv', 'd,v\n2026-01-01,0.8\n2026-01-02,n/a\n2026-01-03,0.7\n');
    fail(['shewhart', '--csv', f, '--value', 'v', '--order', 'd'], /row 2 \(line 3\): v "n\/a" is not a number/);
    const g = csvFile('empty-value.csv', 'd,v\n2026-01-01,0.8\n2026-01-02,\n');
    fail(['shewhart', '--csv', g, '--value', 'v', '--order', 'd'], /row 2 \(line 3\) has no v value/);
  });
  it('names an order value that is neither a number nor an ISO date, or a mix', () => {
    const f = csvFile('bad-order.csv', 'd,v\n2026-01-01,0.8\n01/02/2026,0.7\n');
    fail(['ewma', '--csv', f, '--value', 'v', '--order', 'd'], /row 2 \(line 3\): d "01\/02\/2026" is neither a number nor an ISO date/);
    const g = csvFile('mixed-order.csv', 'd,v\n2026-01-01,0.8\n3,0.7\n');
    fail(['ewma', '--csv', g, '--value', 'v', '--order', 'd'], /row 2 .* is a number but the rows above hold dates/);
  });
  it('refuses fewer than 2 baseline points and a baseline with σ = 0', () => {
    fail(['ewma', '--csv', CSV, '--value', 'itv_dice', '--order', 'study_date', '--baseline', '1'], /--baseline "1" must be a whole number of points ≥ 2/);
    fail(['ewma', '--csv', CSV, '--value', 'itv_dice', '--order', 'study_date', '--baseline', '61'], /--baseline 61 is more than the 60 points/);
    const f = csvFile('flat.csv', 'n,v\n1,0.8\n2,0.8\n3,0.8\n4,0.7\n');
    fail(['cusum', '--csv', f, '--value', 'v', '--order', 'n', '--baseline', '3'], /v in .*flat\.csv: the baseline's σ is 0/);
    const one = csvFile('one.csv', 'n,v\n1,0.8\n');
    fail(['cusum', '--csv', one, '--value', 'v', '--order', 'n'], /at least 2 points/);
  });
  it('refuses a parameter of another chart, an out-of-range one, and a missing chart', () => {
    fail(['ewma', '--csv', CSV, '--value', 'itv_dice', '--order', 'study_date', '--k', '1'], /--k does not apply to the ewma chart \(it takes --lambda, --L\)/);
    fail(['ewma', '--csv', CSV, '--value', 'itv_dice', '--order', 'study_date', '--lambda', '1.5'], /λ .* must be in \(0, 1\], got 1\.5/);
    fail(['cusum', '--csv', CSV, '--value', 'itv_dice', '--order', 'study_date', '--h', 'five'], /--h "five" is not a number/);
    fail(['xbar', '--csv', CSV], /Unknown spc chart "xbar": use shewhart, ewma or cusum/);
    fail(['ewma', '--csv', CSV, '--value', 'itv_dice'], /needs --order/);
  });
});
