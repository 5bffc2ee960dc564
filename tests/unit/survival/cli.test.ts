import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectAllRel, FIXTURES, loadFixture } from './helpers';

const ROOT = join(__dirname, '..', '..', '..');
const CLI = join(ROOT, 'cli', 'iseg-qa.mjs');
const CSV = (name: string) => join(FIXTURES, 'cli', name);

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, 'survival', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// CSVs: Rscript tests/reference/survival/cli-csv.R (ovarian; competing.R's second simulated case)
describe('iseg-qa survival (spawned CLI)', () => {
  it('cox --json on ovarian matches coxph(Surv(futime, fustat) ~ age + resid.ds + rx, ovarian)', () => {
    const r = cli('cox', '--csv', CSV('ovarian.csv'), '--time', 'futime', '--event', 'fustat', '--covariates', 'age,resid_ds,rx', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const R = loadFixture('cox.json').cases.find((c: any) => c.name === 'ovarian efron');
    expect(out.coefficients.map((c: any) => c.name)).toEqual(['age', 'resid_ds', 'rx']);
    expectAllRel(
      out.coefficients.map((c: any) => c.coef),
      R.coef,
      1e-6,
      0,
      'coef',
    );
    expectAllRel(
      out.coefficients.map((c: any) => c.se),
      R.se,
      1e-6,
      0,
      'se',
    );
    expectAllRel(out.loglik, R.loglik, 1e-9, 0, 'loglik');
    expect(out.converged).toBe(true);
    expect(out.warnings.map((w: any) => w.code)).toContain('FEW_EVENTS_PER_COVARIATE');
  });

  it('cox with a categorical covariate and breslow ties prints a readable table', () => {
    const r = cli(
      'cox',
      '--csv',
      CSV('ovarian.csv'),
      '--time',
      'futime',
      '--event',
      'fustat',
      '--covariates',
      'age,ecog',
      '--categorical',
      'ecog',
      '--reference',
      'ecog=ecog1',
      '--ties',
      'breslow',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Cox proportional hazards \(breslow ties\): n = 26, events = 12/);
    expect(r.stdout).toMatch(/^ecogecog2 /m);
    expect(r.stdout).toMatch(/Likelihood ratio test/);
  });

  it('--per and --unit rescale and label a covariate (coef per 10 years = 10 × coef per year)', () => {
    const base = JSON.parse(cli('cox', '--csv', CSV('ovarian.csv'), '--time', 'futime', '--event', 'fustat', '--covariates', 'age,rx', '--json').stdout);
    const r = cli(
      'cox',
      '--csv',
      CSV('ovarian.csv'),
      '--time',
      'futime',
      '--event',
      'fustat',
      '--covariates',
      'age,rx',
      '--unit',
      'age=year',
      '--per',
      'age=10',
      '--json',
    );
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.coefficients[0].unit).toBe('per 10 years');
    expect(out.coefficients[1].unit).toBeNull();
    expectAllRel([out.coefficients[0].coef], [10 * base.coefficients[0].coef], 1e-9, 0, 'scaled coef');
    expectAllRel([out.coefficients[1].coef], [base.coefficients[1].coef], 1e-9, 0, 'other coef');
  });

  it('cox --strata matches coxph(Surv(futime, fustat) ~ age + strata(rx), ovarian)', () => {
    const r = cli('cox', '--csv', CSV('ovarian.csv'), '--time', 'futime', '--event', 'fustat', '--covariates', 'age', '--strata', 'rx', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    // R: sprintf('%.17g', c(coef(f), sqrt(diag(f$var)), f$loglik))
    expectAllRel([out.coefficients[0].coef, out.coefficients[0].se], [0.13735171927048392, 0.047407029416542339], 1e-6, 0, 'coef, se');
    expectAllRel(out.loglik, [-26.908872679813015, -20.564444362526544], 1e-9, 0, 'loglik');
  });

  it('km --group --json gives curves and the log-rank test (survdiff(Surv(futime, fustat) ~ rx, ovarian))', () => {
    const r = cli('km', '--csv', CSV('ovarian.csv'), '--time', 'futime', '--event', 'fustat', '--group', 'rx', '--times', '0,365', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const R = loadFixture('km.json').logrank.find((c: any) => c.name === 'ovarian by rx');
    expect(out.logrank.groups).toEqual(R.groups);
    expectAllRel(out.logrank.expected, R.exp, 1e-10, 0, 'expected');
    expectAllRel([out.logrank.chisq], [R.chisq], 1e-9, 0, 'chisq');
    expect(out.curves.map((c: any) => c.n)).toEqual(R.n);
    expect(out.curves[0].atRisk[0].nRisk).toBe(13);
  });

  it('cif --group --covariates --json matches cuminc Tests and crr', () => {
    const r = cli('cif', '--csv', CSV('competing.csv'), '--time', 'time', '--status', 'status', '--group', 'group', '--covariates', 'x1,x2', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const R = loadFixture('competing.json').cases[1];
    expectAllRel(
      out.grayTest.map((t: any) => t.stat),
      R.tests.stat,
      1e-8,
      0,
      'Gray stat',
    );
    expectAllRel(
      out.fineGray.coefficients.map((c: any) => c.coef),
      R.crr.coef,
      1e-6,
      0,
      'crr coef',
    );
    expectAllRel(
      out.fineGray.coefficients.map((c: any) => c.se),
      R.crr.se,
      1e-6,
      0,
      'crr se',
    );
    const a1 = out.curves.find((c: any) => c.group === 'A' && c.cause === 1);
    const ra1 = R.curves.find((c: any) => c.group === 'A' && c.cause === 1);
    expectAllRel(a1.est, ra1.est, 1e-10, 0, 'cuminc est');
  });

  it('cif analyses one set of rows: a missing group and a missing covariate drop the row from every estimate, counted with the reason', () => {
    const dir = fs.mkdtempSync(join(os.tmpdir(), 'iseg-cif-set-'));
    try {
      const lines = fs.readFileSync(CSV('competing.csv'), 'utf8').trim().split('\n');
      const cols = lines[0].split(',');
      const blank = (line: string, col: string) =>
        line
          .split(',')
          .map((v, j) => (cols[j] === col ? '' : v))
          .join(',');
      const withGaps = [lines[0], blank(lines[1], 'group'), blank(lines[2], 'x1'), ...lines.slice(3)];
      const without = [lines[0], ...lines.slice(3)];
      fs.writeFileSync(join(dir, 'gaps.csv'), withGaps.join('\n') + '\n');
      fs.writeFileSync(join(dir, 'complete.csv'), without.join('\n') + '\n');
      const args = (f: string) => ['cif', '--csv', join(dir, f), '--time', 'time', '--status', 'status', '--group', 'group', '--covariates', 'x1,x2', '--json'];
      const gaps = JSON.parse(cli(...args('gaps.csv')).stdout);
      const complete = JSON.parse(cli(...args('complete.csv')).stdout);
      const n = lines.length - 3;
      expect(gaps.n).toBe(n);
      expect(gaps.nDropped).toBe(2);
      expect(gaps.dropped).toEqual([
        { reason: 'missing group', count: 1 },
        { reason: 'missing x1', count: 1 },
      ]);
      // every part of the run is on the same n rows: the curves, Gray's test, Fine–Gray, cause-specific Cox
      expect(gaps.fineGray.n).toBe(n);
      expect(gaps.causeSpecificCox.n).toBe(n);
      // …and give what the same analysis gives on the file without those two rows
      expect(gaps.curves).toEqual(complete.curves);
      expect(gaps.grayTest).toEqual(complete.grayTest);
      expect(gaps.fineGray.coefficients).toEqual(complete.fineGray.coefficients);
      expect(gaps.causeSpecificCox.coefficients).toEqual(complete.causeSpecificCox.coefficients);
      const text = cli(...args('gaps.csv').slice(0, -1)).stdout;
      expect(text.match(/n = \d+/g)).toEqual([`n = ${n}`]);
      expect(text).toContain(`n = ${n}, 2 rows dropped (missing group: 1; missing x1: 1)`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('cif --times matches cmprsk::timepoints on MASS::Melanoma', () => {
    // Fixture and CSV: Rscript tests/reference/survival/cli-csv.R
    const R = loadFixture('cli/melanoma-timepoints.json');
    const r = cli('cif', '--csv', CSV('melanoma.csv'), '--time', 'time', '--status', 'st', '--group', 'sex', '--times', R.times.join(','), '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const est: number[] = [];
    const v: number[] = [];
    for (const name of R.curves) {
      const [group, cause] = name.split(' ');
      const c = out.curves.find((k: any) => k.group === group && k.cause === Number(cause));
      est.push(...c.at.map((a: any) => a.est));
      v.push(...c.at.map((a: any) => a.var));
    }
    expectAllRel(est, R.est, 1e-10, 0, 'est');
    expectAllRel(v, R.var, 1e-8, 0, 'var');
  });

  it('cox text shows a small per-voxel effect with enough digits (not "HR 1, CI 1–1") and per 1000 voxels', () => {
    // 600 patients, x = false-positive voxels (0–40,000), true HR per voxel exp(2.5e-5)
    const dir = fs.mkdtempSync(join(os.tmpdir(), 'iseg-cox-text-'));
    const lines = ['time,event,fpVoxels'];
    let s = 7;
    const u = () => ((s = (s * 1103515245 + 12345) % 2147483648) + 0.5) / 2147483648;
    for (let i = 0; i < 600; i++) {
      const x = Math.round(u() * 40_000);
      const t = -Math.log(u()) / (0.001 * Math.exp(2.5e-5 * x));
      const c = 1500 * u();
      lines.push(`${Math.min(t, c).toFixed(3)},${t <= c ? 1 : 0},${x}`);
    }
    fs.writeFileSync(join(dir, 'fp.csv'), lines.join('\n') + '\n');
    try {
      const args = ['cox', '--csv', join(dir, 'fp.csv'), '--time', 'time', '--event', 'event', '--covariates', 'fpVoxels', '--unit', 'fpVoxels=voxel'];
      const json = JSON.parse(cli(...args, '--json').stdout);
      const c = json.coefficients[0];
      expect(c.lower95).toBeGreaterThan(1); // the effect is there…
      expect(c.upper95 - c.lower95).toBeLessThan(1e-4);
      const r = cli(...args);
      expect(r.code).toBe(0);
      const row = r.stdout.split('\n').find((l) => l.startsWith('fpVoxels (per 1 voxel)'))!;
      const [, , hr, lower, upper] = row.split(/\s{2,}/);
      // …and the text shows it: the bounds differ from each other and from 1
      expect(Number(lower)).toBeGreaterThan(1);
      expect(Number(lower)).toBeLessThan(Number(hr));
      expect(Number(hr)).toBeLessThan(Number(upper));
      expect(Math.abs(Number(hr) - c.hr)).toBeLessThan(Math.abs(c.upper95 - c.lower95) / 2);
      const note = r.stdout.split('\n').find((l) => l.startsWith('fpVoxels: HR per 1,000 voxels = '))!;
      expect(note).toBeDefined();
      const per1000 = note
        .match(/= ([0-9.]+) \(([0-9.]+)–([0-9.]+)\)/)!
        .slice(1)
        .map(Number);
      expectAllRel(per1000, [c.hr ** 1000, c.lower95 ** 1000, c.upper95 ** 1000], 1e-3, 0, 'per 1000 voxels');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  const bad: [string, string[], RegExp][] = [
    [
      'missing column (lists available)',
      ['cox', '--csv', CSV('ovarian.csv'), '--time', 'futime', '--event', 'dead', '--covariates', 'age'],
      /event column "dead" is not in .*available columns: futime, fustat, age, resid_ds, rx, ecog/,
    ],
    [
      'non-numeric value',
      ['cox', '--csv', CSV('non-numeric.csv'), '--time', 'time', '--event', 'event', '--covariates', 'age'],
      /Column "age" row 2 \(line 3\) has "abc", which is not a number/,
    ],
    ['negative time', ['km', '--csv', CSV('negative-time.csv'), '--time', 'time', '--event', 'event'], /Time column "time" row 2 \(line 3\) is -3/],
    ['NaN time', ['km', '--csv', CSV('nan-time.csv'), '--time', 'time', '--event', 'event'], /Column "time" row 2 \(line 3\) has "NaN"/],
    ['event not 0/1', ['km', '--csv', CSV('bad-event.csv'), '--time', 'time', '--event', 'event'], /Event column "event" row 2 \(line 3\) is 2/],
    ['status outside 0/1/2', ['cif', '--csv', CSV('bad-status.csv'), '--time', 'time', '--status', 'status'], /Status column "status" row 2 \(line 3\) is 3/],
    ['empty file', ['km', '--csv', CSV('empty.csv'), '--time', 'time', '--event', 'event'], /is empty/],
    ['missing file', ['km', '--csv', CSV('nope.csv'), '--time', 'time', '--event', 'event'], /Cannot read CSV file .*ENOENT/],
    [
      'bad --ties',
      ['cox', '--csv', CSV('ovarian.csv'), '--time', 'futime', '--event', 'fustat', '--covariates', 'age', '--ties', 'exact'],
      /--ties must be efron or breslow/,
    ],
    [
      'constant covariate',
      ['cox', '--csv', CSV('constant.csv'), '--time', 'time', '--event', 'event', '--covariates', 'age'],
      /Covariate "age" has the same value \(60\) for every subject/,
    ],
  ];
  for (const [what, args, msg] of bad) {
    it(`bad input: ${what} → exit 2 with one line on stderr`, () => {
      const r = cli(...args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(msg);
    });
  }
});
