/**
 * The /monitoring data layer on a real Postgres: the current run per study in study-date order
 * (then import time), the split into series, the baseline (first N studies or a date period),
 * the chart values against hand calculations, the model and scanner change markers, and who may
 * see it (physicists and admins; admins get shifted dates and physician pseudonyms).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { findMonitoringStudies } from '../../../lib/server/monitoring/find-monitoring-studies';
import { getMonitoringCharts } from '../../../lib/server/monitoring/get-monitoring-charts';
import { DEFAULT_MONITORING_QUERY, parseMonitoringQuery, type MonitoringQuery } from '../../../lib/server/monitoring/monitoring-query';
import { runSummaryCreate } from '../../../lib/server/runs/run-summary.types';
import type { Caller } from '../../../lib/server/auth/roles';
import { monitoringRunSummary } from '../helpers/monitoring-run-summary';

const who = (role: Caller['role']): Caller => ({ userId: `u-${role}`, email: `${role}@x.org`, name: role, role });

const q = (patch: Partial<MonitoringQuery>): MonitoringQuery => ({ ...DEFAULT_MONITORING_QUERY, ...patch });

// Hand calculations (σ = mean moving range / 1.128):
// the whole series in time order is A1 0.80, B1 0.70, B2 0.72, A2 0.82, A3 0.78, A4 0.30.
// Baseline = first 4: mean 3.04 / 4 = 0.76; moving ranges 0.10, 0.02, 0.10 → 0.073333; σ = 0.0650118.
const SIGMA4 = 0.22 / 3 / 1.128;

describe('monitoring data layer', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('monitoring');
    const alpha = await t.db.institution.create({ data: { name: 'Alpha' } });
    const beta = await t.db.institution.create({ data: { name: 'Beta' } });
    const m1 = await t.db.modelVersion.create({ data: { name: 'iseg', version: '1', sha256: 'a'.repeat(64), manifest: {} } });
    const m2 = await t.db.modelVersion.create({ data: { name: 'iseg', version: '2', sha256: 'b'.repeat(64), manifest: {} } });
    let uid = 0;
    const study = async (k: string, inst: string, date: string | null, importedAt: string, physician: string, scanner: string, shift: number | null = -10) => {
      const p = await t.db.patient.create({
        data: {
          pseudonym: `PSN-${k}`,
          institutionId: inst,
          ...(shift === null ? {} : { identity: { create: { name: `Name ${k}`, mrn: `MRN-${k}`, dateShiftDays: shift } } }),
        },
      });
      const s = await t.db.study.create({
        data: {
          patientId: p.id,
          studyInstanceUid: `2.25.77${++uid}`,
          contentHash: `h-${k}`,
          studyDate: date === null ? null : new Date(`${date}T00:00:00Z`),
          importedAt: new Date(importedAt),
          physician,
          scanner,
        },
      });
      return s.id;
    };
    const run = (studyId: string, modelVersionId: string, status: 'SUCCEEDED' | 'FAILED', at: string, dice: number | null | undefined) =>
      t.db.segmentationRun.create({
        data: {
          studyId,
          modelVersionId,
          status,
          queuedAt: new Date(at),
          finishedAt: new Date(at),
          ...(dice === undefined ? {} : { summary: { create: runSummaryCreate(monitoringRunSummary(dice, 0.8)) } }),
        },
      });
    // Inserted out of order on purpose: the chart's order is study date, then import time.
    const A4 = await study('A4', alpha.id, '2024-01-05', '2024-02-01T00:00:00Z', 'Dr One', 'S2');
    await run(A4, m1.id, 'SUCCEEDED', '2024-02-01T00:00:00Z', 0.1);
    await run(A4, m2.id, 'SUCCEEDED', '2024-02-02T00:00:00Z', 0.3); // the current run counts
    const A2 = await study('A2', alpha.id, '2024-01-03', '2024-01-20T12:00:00Z', 'Dr One', 'S1');
    await run(A2, m1.id, 'SUCCEEDED', '2024-01-21T00:00:00Z', 0.82);
    const B2 = await study('B2', beta.id, '2024-01-03', '2024-01-20T06:00:00Z', 'Dr Two', 'S1'); // same day, imported first
    await run(B2, m1.id, 'SUCCEEDED', '2024-01-21T00:00:00Z', 0.72);
    const A1 = await study('A1', alpha.id, '2024-01-01', '2024-01-20T00:00:00Z', 'Dr One', 'S1', null); // no identity: no shifted date
    await run(A1, m1.id, 'SUCCEEDED', '2024-01-21T00:00:00Z', 0.8);
    const B1 = await study('B1', beta.id, '2024-01-02', '2024-01-20T00:00:00Z', 'Dr Two', 'S1');
    await run(B1, m1.id, 'SUCCEEDED', '2024-01-21T00:00:00Z', 0.7);
    const A3 = await study('A3', alpha.id, '2024-01-04', '2024-01-20T00:00:00Z', 'Dr One', 'S2');
    await run(A3, m1.id, 'SUCCEEDED', '2024-01-21T00:00:00Z', 0.78);
    // No ITV Dice (e.g. both masks empty): counted, not charted.
    const A5 = await study('A5', alpha.id, '2024-01-06', '2024-02-01T00:00:00Z', 'Dr One', 'S2');
    await run(A5, m2.id, 'SUCCEEDED', '2024-02-03T00:00:00Z', null);
    // No study date: cannot be placed in time.
    const X = await study('X', alpha.id, null, '2024-02-01T00:00:00Z', 'Dr One', 'S2');
    await run(X, m2.id, 'SUCCEEDED', '2024-02-03T00:00:00Z', 0.8);
    // Only a failed run, and a succeeded run without a summary: not on the chart.
    const F = await study('F', beta.id, '2024-01-07', '2024-02-01T00:00:00Z', 'Dr Two', 'S1');
    await run(F, m2.id, 'FAILED', '2024-02-03T00:00:00Z', undefined);
    const G = await study('G', beta.id, '2024-01-08', '2024-02-01T00:00:00Z', 'Dr Two', 'S1');
    await run(G, m2.id, 'SUCCEEDED', '2024-02-03T00:00:00Z', undefined);
  });
  afterAll(async () => t.drop());

  it('one row per study with a summarised current run, in study-date then import order', async () => {
    const r = await findMonitoringStudies(t.db, { caller: who('PHYSICIST') });
    expect(r.datesShifted).toBe(false);
    expect(r.withoutDate).toBe(1);
    expect(r.studies.map((s) => s.pseudonym)).toEqual(['PSN-A1', 'PSN-B1', 'PSN-B2', 'PSN-A2', 'PSN-A3', 'PSN-A4', 'PSN-A5']);
    expect(r.studies.find((s) => s.pseudonym === 'PSN-A4')).toMatchObject({ model: 'iseg 2', itvDice: 0.3, itvFpCc: 1.5, itvHd95Mm: 4, physician: 'Dr One' });
    expect(r.studies[0]).toMatchObject({ studyDate: '2024-01-01', institution: 'Alpha', scanner: 'S1' });
  });

  it('Shewhart over all studies: the first N as the baseline, the point beyond the limits, model and scanner changes', async () => {
    const r = await getMonitoringCharts(t.db, { caller: who('PHYSICIST'), query: q({ baselineN: 4 }) });
    expect(r.studies).toBe(7);
    // The chart's ARLs (docs/monitoring.md): Shewhart L = 3, 1 / (2 Φ(−3)) = 370.4; 1 σ shift 43.9.
    expect(r.arl!.inControl).toBeCloseTo(370.4, 1);
    expect(r.arl!.oneSigma).toBeCloseTo(43.9, 1);
    expect(r.series).toHaveLength(1);
    const [s] = r.series;
    expect(s).toMatchObject({ label: 'All studies', studies: 6, withoutValue: 1 });
    if (s.chart.status !== 'ok') throw new Error(s.chart.message);
    expect(s.chart.baseline.n).toBe(4);
    expect(s.chart.baseline.mean).toBeCloseTo(0.76, 12);
    expect(s.chart.baseline.sigma).toBeCloseTo(SIGMA4, 12);
    const p = s.chart.points;
    expect(p.map((x) => x.value)).toEqual([0.8, 0.7, 0.72, 0.82, 0.78, 0.3]);
    expect(p.map((x) => x.inBaseline)).toEqual([true, true, true, true, false, false]);
    expect(p[0].ucl).toBeCloseTo(0.76 + 3 * SIGMA4, 12); // 0.955035
    expect(p[0].lcl).toBeCloseTo(0.76 - 3 * SIGMA4, 12); // 0.564965
    expect(p.filter((x) => x.outOfControl).map((x) => [x.pseudonym, x.n, x.direction])).toEqual([['PSN-A4', 6, 'down']]);
    // A3 is the first study on scanner S2, A4 the first on model iseg 2.
    expect(s.chart.markers).toEqual([
      { n: 5, kind: 'scanner', label: 'Scanner S2' },
      { n: 6, kind: 'model', label: 'Model iseg 2' },
    ]);
  });

  it('EWMA and CUSUM on the same baseline (hand calculations)', async () => {
    const e = (await getMonitoringCharts(t.db, { caller: who('ADMIN'), query: q({ baselineN: 4, chart: 'ewma', lambda: 0.2, L: 3 }) })).series[0].chart;
    if (e.status !== 'ok') throw new Error(e.message);
    // z1 = 0.2 * 0.80 + 0.8 * 0.76 = 0.768; half-width 3 σ sqrt(0.2 / 1.8 * (1 - 0.8^2)) = 3 σ * 0.2
    expect(e.points[0].statistic).toBeCloseTo(0.768, 12);
    expect(e.points[0].ucl).toBeCloseTo(0.76 + 0.6 * SIGMA4, 12);
    expect(e.points.at(-1)!.outOfControl).toBe(true);
    const c = (await getMonitoringCharts(t.db, { caller: who('PHYSICIST'), query: q({ baselineN: 4, chart: 'cusum', k: 0.5, h: 5 }) })).series[0].chart;
    if (c.status !== 'ok') throw new Error(c.message);
    // z = (x − 0.76) / σ; C− = max(0, −z − 0.5 + C−): 0, 0.42291, 0.53818, 0, 0, then 7.0756 − 0.5 = 6.5756 > 5
    const z = (x: number) => (x - 0.76) / SIGMA4;
    expect(c.points[2].lower).toBeCloseTo(-(-z(0.7) - 0.5 + (-z(0.72) - 0.5)), 10);
    expect(c.points[5].lower).toBeCloseTo(-(-z(0.3) - 0.5), 10);
    expect(c.points.map((x) => x.outOfControl)).toEqual([false, false, false, false, false, true]);
    expect(c.points[5]).toMatchObject({ direction: 'down', ucl: 5, lcl: -5, centre: 0 });
    // R spc: xcusum.arl(0.5, 5, 0, sided = "two") = 465.4; xewma.arl(0.2, 3, 0, sided = "two") = 559.9
    const arl = async (patch: Partial<MonitoringQuery>) => (await getMonitoringCharts(t.db, { caller: who('PHYSICIST'), query: q(patch) })).arl;
    expect((await arl({ chart: 'cusum' }))!.inControl).toBeCloseTo(465.4, 1);
    expect((await arl({ chart: 'ewma' }))!.inControl).toBeCloseTo(559.9, 1);
    // Far outside the useful range (an ARL beyond the core's reliable range) the core refuses: none is shown.
    expect(await arl({ chart: 'cusum', k: 10, h: 50 })).toBeNull();
  });

  it('split by institution: one series each, each with its own baseline', async () => {
    const r = await getMonitoringCharts(t.db, { caller: who('PHYSICIST'), query: q({ split: 'institution', baselineN: 3 }) });
    expect(r.series.map((s) => [s.label, s.studies, s.withoutValue])).toEqual([
      ['Alpha', 4, 1],
      ['Beta', 2, 0],
    ]);
    const [a, b] = r.series.map((s) => s.chart);
    if (a.status !== 'ok' || b.status !== 'ok') throw new Error('expected both baselines');
    // Alpha: 0.80, 0.82, 0.78 → mean 0.80, moving ranges 0.02, 0.04 → σ = 0.03 / 1.128
    expect(a.baseline.mean).toBeCloseTo(0.8, 12);
    expect(a.baseline.sigma).toBeCloseTo(0.03 / 1.128, 12);
    expect(a.points.filter((p) => p.outOfControl).map((p) => p.pseudonym)).toEqual(['PSN-A4']);
    expect(a.markers.map((m) => [m.n, m.kind])).toEqual([
      [3, 'scanner'],
      [4, 'model'],
    ]);
    // Beta has only 2 studies: its baseline is both.
    expect(b.baseline).toMatchObject({ n: 2 });
    expect(b.baseline.mean).toBeCloseTo(0.71, 12);
    const byModel = await getMonitoringCharts(t.db, { caller: who('PHYSICIST'), query: q({ split: 'model', baselineN: 2 }) });
    expect(byModel.series.map((s) => [s.label, s.studies])).toEqual([
      ['iseg 1', 5],
      ['iseg 2', 1],
    ]);
    const byScanner = await getMonitoringCharts(t.db, { caller: who('PHYSICIST'), query: q({ split: 'scanner' }) });
    expect(byScanner.series.map((s) => [s.label, s.studies])).toEqual([
      ['S1', 4],
      ['S2', 2],
    ]);
  });

  it('a baseline period: the studies dated in it; fewer than 2 is an empty state that says what to choose', async () => {
    const r = await getMonitoringCharts(t.db, { caller: who('PHYSICIST'), query: q({ from: '2024-01-02', to: '2024-01-03' }) });
    const c = r.series[0].chart;
    if (c.status !== 'ok') throw new Error(c.message);
    expect(c.points.map((p) => p.inBaseline)).toEqual([false, true, true, true, false, false]);
    // 0.70, 0.72, 0.82 → mean 0.746667; moving ranges 0.02, 0.10 → σ = 0.06 / 1.128
    expect(c.baseline.mean).toBeCloseTo(2.24 / 3, 12);
    expect(c.baseline.sigma).toBeCloseTo(0.06 / 1.128, 12);
    const one = (await getMonitoringCharts(t.db, { caller: who('PHYSICIST'), query: q({ from: '2024-01-04', to: '2024-01-04' }) })).series[0].chart;
    expect(one).toMatchObject({ status: 'no-baseline', baselineStudies: 1 });
    expect(one.status === 'no-baseline' && one.message).toMatch(/at least 2 studies.*choose a longer period/i);
  });

  it('admins see shifted dates and physician pseudonyms, in the real order; researchers and reviewers are refused', async () => {
    const r = await findMonitoringStudies(t.db, { caller: who('ADMIN') });
    expect(r.datesShifted).toBe(true);
    expect(r.studies.map((s) => s.pseudonym)).toEqual(['PSN-A1', 'PSN-B1', 'PSN-B2', 'PSN-A2', 'PSN-A3', 'PSN-A4', 'PSN-A5']);
    expect(r.studies.map((s) => s.studyDate)).toEqual([null, '2023-12-23', '2023-12-24', '2023-12-24', '2023-12-25', '2023-12-26', '2023-12-27']);
    expect(JSON.stringify(r)).not.toMatch(/Dr One|Dr Two|MRN-|Name /);
    const byPhysician = await getMonitoringCharts(t.db, { caller: who('ADMIN'), query: q({ split: 'physician' }) });
    expect(byPhysician.series).toHaveLength(2);
    expect(byPhysician.series.every((s) => /^Physician [A-Z2-9]{6}$/.test(s.label))).toBe(true);
    const physicians = await getMonitoringCharts(t.db, { caller: who('PHYSICIST'), query: q({ split: 'physician' }) });
    expect(physicians.series.map((s) => s.label)).toEqual(['Dr One', 'Dr Two']);
    for (const role of ['RESEARCHER', 'REVIEWER'] as const) {
      await expect(getMonitoringCharts(t.db, { caller: who(role), query: DEFAULT_MONITORING_QUERY })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    }
    await expect(findMonitoringStudies(t.db, { caller: null as unknown as Caller })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('the page parameters: defaults, and a clear message for each bad value', () => {
    expect(parseMonitoringQuery({})).toEqual({ ok: true, query: DEFAULT_MONITORING_QUERY });
    expect(parseMonitoringQuery({ chart: 'ewma', lambda: '0.1', split: 'scanner', baseline: '30', from: '', to: '2024-05-01' })).toEqual({
      ok: true,
      // EWMA's own default L (the alert configuration's 2.86), not the Shewhart 3.
      query: { ...DEFAULT_MONITORING_QUERY, chart: 'ewma', L: 2.86, lambda: 0.1, split: 'scanner', baselineN: 30, to: '2024-05-01' },
    });
    const bad = parseMonitoringQuery({ chart: 'pie', lambda: '2', baseline: '1', from: '2024-02-31', metric: ['x', 'dice'] });
    expect(bad.ok).toBe(false);
    const problems = bad.ok ? [] : bad.problems.join('\n');
    expect(problems).toMatch(/chart=pie: expected one of shewhart, ewma, cusum/);
    expect(problems).toMatch(/lambda=2: expected λ: greater than 0 and at most 1/);
    expect(problems).toMatch(/baseline=1: expected at least 2 studies/);
    expect(problems).toMatch(/from=2024-02-31: expected a calendar date/);
    expect(problems).toMatch(/metric=x: expected one of dice, fp, hd95/);
    const backwards = parseMonitoringQuery({ from: '2024-05-01', to: '2024-01-01' });
    expect(backwards.ok === false && backwards.problems[0]).toMatch(/backwards/);
  });
});
