/** Drift alerts (lib/core/spc/alerts.ts): where a series' charts go out of control, by hand. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_CONFIG, evaluateSeriesAlerts, parseAlertConfig, SpcError, type AlertConfig } from '../../../lib/core/spc';

/** Baseline 0,1,0,1,… (mean 0.5, moving range 1, σ = 1/1.128 ≈ 0.8865). */
const baseline = (n: number) => Array.from({ length: n }, (_, i) => i % 2);
const only = (chart: 'shewhart' | 'ewma' | 'cusum', over: Partial<AlertConfig> = {}): AlertConfig => ({
  ...DEFAULT_ALERT_CONFIG,
  baselineN: 4,
  shewhart: { ...DEFAULT_ALERT_CONFIG.shewhart, enabled: chart === 'shewhart' },
  ewma: { ...DEFAULT_ALERT_CONFIG.ewma, enabled: chart === 'ewma' },
  cusum: { ...DEFAULT_ALERT_CONFIG.cusum, enabled: chart === 'cusum' },
  ...over,
});
const sigma = 1 / 1.128;

describe('evaluateSeriesAlerts', () => {
  it('raises a Shewhart alert at the first point of an excursion only, with the statistic and the limit crossed', () => {
    const ucl = 0.5 + 3 * sigma; // 3.159…
    const r = evaluateSeriesAlerts([...baseline(4), 0.5, 4, 5, 0.5, -3], only('shewhart'));
    expect(r.status).toBe('ok');
    expect(r.alerts).toHaveLength(2);
    expect(r.alerts[0]).toMatchObject({ index: 5, chart: 'shewhart', value: 4, statistic: 4, direction: 'up' });
    expect(r.alerts[0]!.limit).toBeCloseTo(ucl, 12);
    expect(r.alerts[1]).toMatchObject({ index: 8, value: -3, direction: 'down' });
    expect(r.alerts[1]!.limit).toBeCloseTo(0.5 - 3 * sigma, 12);
  });

  it('never alerts inside the baseline, even on a point beyond the limits there', () => {
    const r = evaluateSeriesAlerts([0, 1, 0, 1, 0, 30, 0, 1], only('shewhart', { baselineN: 8 }));
    expect(r.status).toBe('no-baseline'); // 8 points, all baseline: nothing to judge yet
    const r2 = evaluateSeriesAlerts([0, 1, 0, 1, 0.5], only('shewhart'));
    expect(r2).toMatchObject({ status: 'ok', alerts: [] });
  });

  it('EWMA: alerts when z leaves its exact time-varying limits (hand calculation)', () => {
    // z0 = 0.5; with λ = 0.5 and the points 0,1,0,1 then 3,3: z = 0.25, 0.625, 0.3125, 0.65625, 1.828125, 2.4140625.
    const cfg = only('ewma', { ewma: { enabled: true, lambda: 0.5, L: 3 } });
    const r = evaluateSeriesAlerts([...baseline(4), 3, 3], cfg);
    // i = 5: half-width 3σ sqrt(0.5/1.5 (1 − 0.25^5)) = 3 · 0.8865 · 0.57727 = 1.5353 → UCL 2.0353; z5 = 1.828 in control.
    // i = 6: z6 = 2.414 > 0.5 + 3σ sqrt(1/3 (1 − 0.25^6)) = 2.0355 → out.
    expect(r.alerts).toHaveLength(1);
    expect(r.alerts[0]!.index).toBe(5);
    expect(r.alerts[0]!.statistic).toBeCloseTo(2.4140625, 12);
    expect(r.alerts[0]!.limit).toBeCloseTo(0.5 + 3 * sigma * Math.sqrt((1 / 3) * (1 - 0.25 ** 6)), 12);
  });

  it('CUSUM: alerts when C+ passes h, reporting C+ and h (σ units)', () => {
    // The baseline leaves C+ = 0.5/σ − 0.5 = 0.064 (its last point, 1, is 0.564σ above the mean).
    // z of 2.5 is (2.5 − 0.5)/σ = 2.256; C+ grows by 1.756 per point: 1.82, 3.58, 5.33 > 5 at the third.
    const r = evaluateSeriesAlerts([...baseline(4), 2.5, 2.5, 2.5, 2.5], only('cusum'));
    expect(r.alerts).toHaveLength(1);
    expect(r.alerts[0]).toMatchObject({ index: 6, chart: 'cusum', direction: 'up', limit: 5 });
    expect(r.alerts[0]!.statistic).toBeCloseTo(0.5 / sigma - 0.5 + 3 * (2 / sigma - 0.5), 12);
  });

  it('is idempotent and stable: the same series gives the same alerts, and adding points keeps the earlier ones', () => {
    const series = [...baseline(20), 0.5, 0.4, 4.5, 4, 3.8, 0.5, 0.6, 3.9, 4.1, 4, 4.2];
    const a = evaluateSeriesAlerts(series, DEFAULT_ALERT_CONFIG);
    const b = evaluateSeriesAlerts(series, DEFAULT_ALERT_CONFIG);
    expect(b).toEqual(a);
    expect(a.alerts.length).toBeGreaterThan(0);
    const longer = evaluateSeriesAlerts([...series, 0.5, 0.5], DEFAULT_ALERT_CONFIG);
    const key = (x: { index: number; chart: string }) => `${x.chart}@${x.index}`;
    expect(longer.alerts.map(key).slice(0, a.alerts.length)).toEqual(a.alerts.map(key));
    // Every chart is represented after a 4σ jump.
    expect(new Set(a.alerts.map((x) => x.chart))).toEqual(new Set(['shewhart', 'ewma', 'cusum']));
  });

  it('says why there is no baseline when the first points do not vary', () => {
    const r = evaluateSeriesAlerts([1, 1, 1, 1, 5], only('shewhart'));
    expect(r.status).toBe('no-baseline');
    if (r.status === 'no-baseline') expect(r.reason).toMatch(/σ is 0/);
  });
});

describe('parseAlertConfig', () => {
  it('accepts the defaults and form strings, and orders the metrics and splits', () => {
    expect(parseAlertConfig(DEFAULT_ALERT_CONFIG)).toEqual(DEFAULT_ALERT_CONFIG);
    const c = parseAlertConfig({
      ...DEFAULT_ALERT_CONFIG,
      metrics: ['hd95', 'dice', 'dice'],
      baselineN: '30',
      ewma: { enabled: 'on', lambda: '0.1', L: '2.7' },
    });
    expect(c.metrics).toEqual(['dice', 'hd95']);
    expect(c.baselineN).toBe(30);
    expect(c.ewma).toEqual({ enabled: true, lambda: 0.1, L: 2.7 });
  });

  it.each([
    [{ baselineN: 1 }, /baselineN/],
    [{ ewma: { enabled: true, lambda: 0, L: 3 } }, /EWMA λ/],
    [{ cusum: { enabled: true, k: 0.5, h: -1 } }, /CUSUM h/],
    [{ metrics: [] }, /metrics/],
    [{ splits: ['physician'] }, /splits/],
  ])('refuses %j with a message naming the field', (patch, re) => {
    expect(() => parseAlertConfig({ ...DEFAULT_ALERT_CONFIG, ...patch })).toThrow(SpcError);
    expect(() => parseAlertConfig({ ...DEFAULT_ALERT_CONFIG, ...patch })).toThrow(re);
  });
});
