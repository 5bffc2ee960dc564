/**
 * The drift alerts on /monitoring (docs/monitoring.md, "Alerts"): the list (series, study, value
 * against the limit, when, status; open first), an acknowledge form per open alert for roles with
 * monitoring:manage, and the stored monitoring configuration the worker evaluates with (its
 * editor for monitoring:manage).
 */
import Link from 'next/link';
import { db } from '@/lib/server/db/client';
import { can, type Caller } from '@/lib/server/auth/roles';
import { findMonitoringAlerts, type MonitoringAlertView } from '@/lib/server/monitoring/find-monitoring-alerts';
import { loadMonitoringConfig } from '@/lib/server/monitoring/load-monitoring-config';
import {
  METRIC_INFO,
  CHART_LABELS,
  MONITORING_CHARTS,
  MONITORING_METRICS,
  MONITORING_SPLITS,
  monitoringHref,
  monitoringQueryDefaults,
  type MonitoringMetric,
  type MonitoringChartKind,
  type MonitoringSplit,
} from '@/lib/server/monitoring/monitoring-query';
import { ALERT_METRICS, ALERT_SPLITS, type AlertConfig } from '@/lib/core/spc';
import { acknowledgeAlertAction, saveMonitoringConfigAction } from './actions';

const SPLIT_WORD: Record<string, string> = { none: 'overall', institution: 'institution', scanner: 'scanner', model: 'model version' };

function seriesLabel(a: MonitoringAlertView): string {
  const m = METRIC_INFO[a.metric as MonitoringMetric];
  return `${m?.label ?? a.metric}${m?.unit ? ` (${m.unit})` : ''} · ${a.split === 'none' ? 'all studies' : `${SPLIT_WORD[a.split] ?? a.split} ${a.splitLabel}`}`;
}

export function alertValueText(a: MonitoringAlertView): string {
  const digits = METRIC_INFO[a.metric as MonitoringMetric]?.digits ?? 3;
  const side = a.direction === 'up' ? 'above' : 'below';
  if (a.chart === 'cusum')
    return `${a.direction === 'up' ? 'C+' : 'C−'} ${a.statistic.toFixed(2)} σ > h ${a.limit.toFixed(2)} (value ${a.value.toFixed(digits)})`;
  if (a.chart === 'ewma') return `EWMA ${a.statistic.toFixed(digits + 1)} ${side} ${a.limit.toFixed(digits + 1)} (value ${a.value.toFixed(digits)})`;
  return `${a.value.toFixed(digits)} ${side} ${a.limit.toFixed(digits)}`;
}

/** A link to the chart that raised the alert, drawn with the current configuration's parameters. */
function chartLink(a: MonitoringAlertView, config: AlertConfig) {
  const metric = MONITORING_METRICS.find((m) => m === a.metric);
  const chart = MONITORING_CHARTS.find((x) => x === a.chart);
  const split = MONITORING_SPLITS.find((x) => x === (a.split as MonitoringSplit));
  if (!metric || !chart || !split) return null;
  return (
    <>
      {' '}
      <Link href={monitoringHref(monitoringQueryDefaults(config), { metric, chart, split }, config)} data-testid="monitoring-alert-chart">
        (chart)
      </Link>
    </>
  );
}

export async function AlertsPanel({ caller, done, error }: { caller: Caller; done: string | null; error: string | null }) {
  const [{ alerts, open, total }, current] = await Promise.all([findMonitoringAlerts(db(), { caller }), loadMonitoringConfig(db())]);
  const manage = can(caller.role, 'monitoring:manage');
  const c = current.config;
  return (
    <section className="card" id="alerts" data-testid="monitoring-alerts">
      <h2 style={{ marginTop: 0, fontSize: '1.1rem' }}>Drift alerts</h2>
      {done && (
        <p className="notice" role="status" data-testid="monitoring-alert-done">
          {done}
        </p>
      )}
      {error && (
        <p className="error" role="alert" data-testid="monitoring-alert-error">
          {error}
        </p>
      )}
      <p className="muted" style={{ marginTop: 0 }} data-testid="monitoring-alerts-summary">
        {total === 0 ? 'No alerts.' : `${open} open, ${total - open} acknowledged.`} After each run that succeeds the worker evaluates configuration{' '}
        {current.version === 0 ? 'version 0 (the defaults)' : `version ${current.version}`}: {c.metrics.map((m) => METRIC_INFO[m].label).join(', ')};{' '}
        {c.splits.map((s) => SPLIT_WORD[s]).join(' and ')}; baseline the first {c.baselineN} studies of each series;{' '}
        {[
          c.shewhart.enabled && `Shewhart ${c.shewhart.L} σ`,
          c.ewma.enabled && `EWMA λ ${c.ewma.lambda}, L ${c.ewma.L}`,
          c.cusum.enabled && `CUSUM k ${c.cusum.k}, h ${c.cusum.h}`,
        ]
          .filter(Boolean)
          .join('; ')}
        . An alert marks the first study of each excursion beyond a chart&apos;s limits.
      </p>
      {alerts.length > 0 && (
        <table data-testid="monitoring-alert-list">
          <thead>
            <tr>
              <th>Series</th>
              <th>Chart</th>
              <th>Study</th>
              <th>Value vs limit</th>
              <th>Raised</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {alerts.map((a) => (
              <tr key={a.id} id={`alert-${a.id}`} data-testid="monitoring-alert" data-status={a.status}>
                <td>{seriesLabel(a)}</td>
                <td>
                  {CHART_LABELS[a.chart as MonitoringChartKind] ?? a.chart}
                  {chartLink(a, c)}
                </td>
                <td>
                  <Link href={`/studies/${a.studyId}`}>{a.pseudonym}</Link> (#{a.position})
                </td>
                <td className="num">{alertValueText(a)}</td>
                <td>{a.createdAt.toISOString().slice(0, 16).replace('T', ' ')} UTC</td>
                <td>
                  {a.acknowledged ? (
                    <span data-testid="monitoring-alert-acknowledged">
                      Acknowledged by {a.acknowledged.byEmail ?? 'someone'} at {a.acknowledged.at.toISOString().slice(0, 16).replace('T', ' ')} UTC: “
                      {a.acknowledged.comment}”
                    </span>
                  ) : manage ? (
                    <form action={acknowledgeAlertAction} style={{ display: 'flex', gap: '0.3rem' }}>
                      <input type="hidden" name="alertId" value={a.id} />
                      <input name="comment" required maxLength={1000} placeholder="What was checked" aria-label={`comment on the alert for ${a.pseudonym}`} />
                      <button type="submit">Acknowledge</button>
                    </form>
                  ) : (
                    'Open'
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {total > alerts.length && (
        <p className="muted">
          The latest {alerts.length} of {total} are listed.
        </p>
      )}
      {manage && (
        <details data-testid="monitoring-config">
          <summary>Monitoring configuration (version {current.version})</summary>
          <form action={saveMonitoringConfigAction} className="cohort-filters">
            <input type="hidden" name="basedOnVersion" value={current.version} />
            <fieldset>
              <legend>Metrics</legend>
              {ALERT_METRICS.map((m) => (
                <label key={m}>
                  <input type="checkbox" name="metrics" value={m} defaultChecked={c.metrics.includes(m)} /> {METRIC_INFO[m].label}
                </label>
              ))}
            </fieldset>
            <fieldset>
              <legend>Series</legend>
              {ALERT_SPLITS.map((s) => (
                <label key={s}>
                  <input type="checkbox" name="splits" value={s} defaultChecked={c.splits.includes(s)} /> {SPLIT_WORD[s]}
                </label>
              ))}
            </fieldset>
            <label>
              Baseline studies
              <input name="baselineN" inputMode="numeric" defaultValue={c.baselineN} style={{ width: '5rem' }} />
            </label>
            <label>
              <input type="checkbox" name="shewhartEnabled" defaultChecked={c.shewhart.enabled} /> Shewhart L
              <input name="shewhartL" inputMode="decimal" defaultValue={c.shewhart.L} style={{ width: '4rem' }} />
            </label>
            <label>
              <input type="checkbox" name="ewmaEnabled" defaultChecked={c.ewma.enabled} /> EWMA λ
              <input name="ewmaLambda" inputMode="decimal" defaultValue={c.ewma.lambda} style={{ width: '4rem' }} /> L
              <input name="ewmaL" inputMode="decimal" defaultValue={c.ewma.L} style={{ width: '4rem' }} />
            </label>
            <label>
              <input type="checkbox" name="cusumEnabled" defaultChecked={c.cusum.enabled} /> CUSUM k
              <input name="cusumK" inputMode="decimal" defaultValue={c.cusum.k} style={{ width: '4rem' }} /> h
              <input name="cusumH" inputMode="decimal" defaultValue={c.cusum.h} style={{ width: '4rem' }} />
            </label>
            <label>
              Note
              <input name="note" maxLength={500} />
            </label>
            <div className="cohort-filter-buttons">
              <button type="submit">Save a new version</button>
            </div>
          </form>
        </details>
      )}
    </section>
  );
}
