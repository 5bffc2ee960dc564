/**
 * The /monitoring page's defaults follow the stored alert configuration, so the chart a physicist
 * opens is the one that raised the alerts (docs/monitoring.md, "The page's defaults").
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_CONFIG, type AlertConfig } from '../../../lib/core/spc';
import { DEFAULT_MONITORING_QUERY, monitoringHref, monitoringQueryDefaults, parseMonitoringQuery } from '../../../lib/server/monitoring/monitoring-query';

const stored: AlertConfig = {
  ...structuredClone(DEFAULT_ALERT_CONFIG),
  baselineN: 8,
  shewhart: { enabled: true, L: 2.5 },
  ewma: { enabled: true, lambda: 0.1, L: 2.7 },
  cusum: { enabled: true, k: 0.25, h: 4 },
};

describe('monitoring page defaults from the alert configuration', () => {
  it('without a stored configuration: the built-in alert defaults (Shewhart L 3, EWMA λ 0.2 and L 2.86, baseline 20)', () => {
    expect(DEFAULT_MONITORING_QUERY).toMatchObject({ baselineN: 20, L: 3, lambda: 0.2, k: 0.5, h: 5, chart: 'shewhart' });
    const ewma = parseMonitoringQuery({ chart: 'ewma' });
    expect(ewma.ok && ewma.query.L).toBe(2.86);
  });

  it('an empty query takes the stored baseline and each chart its own L', () => {
    const q = parseMonitoringQuery({}, stored);
    expect(q).toEqual({ ok: true, query: { ...DEFAULT_MONITORING_QUERY, baselineN: 8, L: 2.5, lambda: 0.1, k: 0.25, h: 4 } });
    const e = parseMonitoringQuery({ chart: 'ewma', L: '' }, stored);
    expect(e.ok && e.query).toMatchObject({ chart: 'ewma', L: 2.7, lambda: 0.1, baselineN: 8 });
    const c = parseMonitoringQuery({ chart: 'cusum' }, stored);
    expect(c.ok && c.query).toMatchObject({ chart: 'cusum', k: 0.25, h: 4 });
  });

  it('what the user asks for wins over the stored values', () => {
    const q = parseMonitoringQuery({ chart: 'ewma', L: '3', baseline: '30', lambda: '0.3' }, stored);
    expect(q.ok && q.query).toMatchObject({ L: 3, baselineN: 30, lambda: 0.3 });
  });

  it('links leave the defaults out and a chart change takes the new chart’s default L', () => {
    const d = monitoringQueryDefaults(stored);
    expect(monitoringHref(d, {}, stored)).toBe('/monitoring');
    expect(monitoringHref(d, { chart: 'ewma' }, stored)).toBe('/monitoring?chart=ewma');
    expect(monitoringHref(d, { chart: 'ewma', L: 3 }, stored)).toBe('/monitoring?chart=ewma&L=3');
    expect(monitoringHref({ ...d, L: 2 }, { chart: 'ewma' }, stored)).toBe('/monitoring?chart=ewma&L=2');
    // The same link read back gives the query it was made from.
    const back = parseMonitoringQuery(Object.fromEntries(new URLSearchParams('chart=ewma&split=institution')), stored);
    expect(back.ok && monitoringHref(back.query, {}, stored)).toBe('/monitoring?chart=ewma&split=institution');
    // Under other defaults the stored values are written out.
    expect(monitoringHref(d)).toBe('/monitoring?baseline=8&L=2.5&lambda=0.1&k=0.25&h=4');
  });
});
