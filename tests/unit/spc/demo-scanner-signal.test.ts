/**
 * The demo's scanner change raises a real drift alarm (issue #17.7; docs/monitoring.md, "The demo's
 * scanner change"). The per-study ITV Dice of the institution that changes scanner were measured
 * with the real demo model through segmentVolume on the images the seed writes, by
 * bench/monitoring/demo-scanner-signal.ts (the command is the fixture's `recipe`; it takes about
 * 20 minutes on two loaded cores, so it is a benchmark, not a test). Here, fast, the SPC core on
 * those numbers: the alerts the worker would raise under the demo's stored configuration are all
 * after the change and none before, and the charts the page draws signal after the change only.
 * The fixture must describe the current demo: its studies, the scanner change and the model are
 * checked against the code, so changing any of them fails here until the bench is rerun.
 * (Before this fixture, with the smoothing kernel alone, the drop was 0.67 σ and nothing signalled.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sampleCohort } from '../../../lib/core/phantom';
import { DEMO_ALERT_CONFIG, DEMO_SCANNER_CHANGE } from '../../../lib/core/phantom/scanner';
import { cusumChart, DEFAULT_ALERT_CONFIG, estimateBaseline, evaluateSeriesAlerts, ewmaChart, shewhartChart } from '../../../lib/core/spc';

interface Fixture {
  recipe: string;
  seed: string;
  patients: number;
  dims: number[];
  model: { name: string; version: string; sha256: string };
  change: unknown;
  studies: { patientId: string; studyDate: string; newScanner: boolean; itvDice: number; machineVoxels: number; physicianVoxels: number }[];
}
const fixture: Fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '../../fixtures/spc/demo-scanner-signal.json'), 'utf8'));
const dice = fixture.studies.map((s) => s.itvDice);
const firstNew = fixture.studies.findIndex((s) => s.newScanner);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('the demo scanner change on the measured Dice', () => {
  it('the fixture is the current demo: the same studies in study-date order, the same scanner change, the same model', () => {
    expect(fixture.seed).toBe('iseg-demo');
    expect(fixture.patients).toBe(40);
    expect(fixture.dims).toEqual([96, 96, 48]);
    const specs = sampleCohort({ patients: 40, seed: 'iseg-demo' })
      .patients.filter((s) => s.institutionId === DEMO_SCANNER_CHANGE.institutionId)
      .sort((a, b) => a.studyDate.localeCompare(b.studyDate) || a.index - b.index);
    expect(fixture.studies.map((s) => [s.patientId, s.studyDate, s.newScanner])).toEqual(
      specs.map((s) => [s.patientId, s.studyDate, s.studyDate >= DEMO_SCANNER_CHANGE.fromStudyDate]),
    );
    expect(fixture.change).toEqual(JSON.parse(JSON.stringify(DEMO_SCANNER_CHANGE)));
    const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../models/demo/manifest.json'), 'utf8'));
    expect(fixture.model).toEqual({ name: manifest.name, version: manifest.version, sha256: manifest.sha256 });
    // Studies on both sides of the change; the demo configuration's baseline lies before it.
    expect(firstNew).toBeGreaterThanOrEqual(DEMO_ALERT_CONFIG.baselineN);
    expect(fixture.studies.length - firstNew).toBeGreaterThanOrEqual(5);
  });

  it('agreement drops after the change, gradually: no study falls to nothing', () => {
    const before = dice.slice(0, firstNew);
    const after = dice.slice(firstNew);
    const sigma = estimateBaseline(before).sigma;
    expect((mean(before) - mean(after)) / sigma).toBeGreaterThan(1.5);
    expect(Math.min(...after)).toBeGreaterThan(0.3);
  });

  it('the alerts the worker raises under the demo configuration: after the change, none before', () => {
    const r = evaluateSeriesAlerts(dice, DEMO_ALERT_CONFIG);
    expect(r.status).toBe('ok');
    expect(r.alerts.length).toBeGreaterThan(0);
    for (const a of r.alerts) {
      expect(a.index).toBeGreaterThanOrEqual(firstNew);
      expect(a.direction).toBe('down');
    }
    // The EWMA and the CUSUM (made for persistent shifts) both signal.
    const charts = new Set(r.alerts.map((a) => a.chart));
    expect(charts.has('ewma') && charts.has('cusum')).toBe(true);
    // Runs finish one by one (the seed imports in study-date order): evaluating every prefix as it
    // grows raises no other alert than the whole series does.
    const seen = new Set<string>();
    for (let n = 2; n <= dice.length; n++) for (const a of evaluateSeriesAlerts(dice.slice(0, n), DEMO_ALERT_CONFIG).alerts) seen.add(`${a.chart}@${a.index}`);
    expect([...seen].sort()).toEqual(r.alerts.map((a) => `${a.chart}@${a.index}`).sort());
    // The default configuration (baseline 20 studies) cannot watch a 16-study series: why the demo stores its own.
    expect(evaluateSeriesAlerts(dice, DEFAULT_ALERT_CONFIG).status).toBe('no-baseline');
  });

  it('the page split by institution with the baseline the period before the change: EWMA and CUSUM beyond the limits after it, nothing before', () => {
    const baseline = estimateBaseline(dice.slice(0, firstNew));
    const ewma = ewmaChart(dice, baseline, { lambda: 0.2, L: 3 });
    const cusum = cusumChart(dice, baseline, { k: 0.5, h: 5 });
    const shewhart = shewhartChart(dice, baseline, { L: 3 });
    for (const chart of [ewma, cusum, shewhart]) expect(chart.slice(0, firstNew).filter((p) => p.outOfControl)).toEqual([]);
    expect(ewma.slice(firstNew).some((p) => p.outOfControl)).toBe(true);
    expect(cusum.slice(firstNew).some((p) => p.outOfControl && p.direction === 'down')).toBe(true);
  });
});

/**
 * The whole 40-patient demo measured the same way (`bench/monitoring/demo-scanner-signal.ts
 * --institution all --reuse tests/fixtures/spc/demo-scanner-signal.json --json
 * tests/fixtures/spc/demo-cohort-dice.json`): the demo configuration's other watched Dice series,
 * the other institutions and all studies together.
 */
describe('the demo configuration on the whole demo cohort', () => {
  const all: Omit<Fixture, 'studies'> & { studies: (Fixture['studies'][number] & { institutionId: string })[] } = JSON.parse(
    fs.readFileSync(path.join(__dirname, '../../fixtures/spc/demo-cohort-dice.json'), 'utf8'),
  );
  const series = (inst: string | null) => all.studies.filter((s) => inst === null || s.institutionId === inst);

  it('is the current demo, and its SYN-B studies are the ones above', () => {
    const specs = sampleCohort({ patients: 40, seed: 'iseg-demo' }).patients.sort((a, b) => a.studyDate.localeCompare(b.studyDate) || a.index - b.index);
    expect(all.studies.map((s) => [s.patientId, s.institutionId, s.studyDate])).toEqual(specs.map((s) => [s.patientId, s.institutionId, s.studyDate]));
    expect(all.change).toEqual(fixture.change);
    expect(all.model).toEqual(fixture.model);
    expect(series(DEMO_SCANNER_CHANGE.institutionId).map((s) => s.itvDice)).toEqual(dice);
  });

  it('raises no false alarm: the other institutions none, all studies together only at a study on the new scanner', () => {
    for (const inst of ['SYN-A', 'SYN-C']) {
      const r = evaluateSeriesAlerts(
        series(inst).map((s) => s.itvDice),
        DEMO_ALERT_CONFIG,
      );
      // SYN-A has 7 studies, fewer than the baseline: not watched; SYN-C (17) is, and stays in control.
      expect(r.alerts, inst).toEqual([]);
    }
    expect(
      evaluateSeriesAlerts(
        series('SYN-A').map((s) => s.itvDice),
        DEMO_ALERT_CONFIG,
      ).status,
    ).toBe('no-baseline');
    expect(
      evaluateSeriesAlerts(
        series('SYN-C').map((s) => s.itvDice),
        DEMO_ALERT_CONFIG,
      ).status,
    ).toBe('ok');
    const overall = series(null);
    const r = evaluateSeriesAlerts(
      overall.map((s) => s.itvDice),
      DEMO_ALERT_CONFIG,
    );
    expect(r.alerts.length).toBeGreaterThan(0);
    for (const a of r.alerts) expect(overall[a.index]!.newScanner, overall[a.index]!.patientId).toBe(true);
  });
});
