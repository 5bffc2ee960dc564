/**
 * /monitoring: control charts of contour agreement over time (physicists, admins). The choices
 * (metric, chart, split, baseline, chart parameters) are URL search parameters of a GET form,
 * validated with zod (lib/server/monitoring/monitoring-query.ts): a bad value is named on the
 * page and nothing is drawn. One chart per series with its baseline, the change markers, and the
 * studies beyond the limits linked to their study pages.
 */
import Link from 'next/link';
import { db } from '@/lib/server/db/client';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { can } from '@/lib/server/auth/roles';
import { getMonitoringCharts } from '@/lib/server/monitoring/get-monitoring-charts';
import { loadMonitoringConfig, type MonitoringConfigCurrent } from '@/lib/server/monitoring/load-monitoring-config';
import type { SeriesResult } from '@/lib/server/monitoring/build-control-charts';
import {
  CHART_LABELS,
  METRIC_INFO,
  MONITORING_CHARTS,
  MONITORING_METRICS,
  MONITORING_SPLITS,
  monitoringQueryDefaults,
  parseMonitoringQuery,
  SPLIT_LABELS,
  type MonitoringQuery,
  type SearchParams,
} from '@/lib/server/monitoring/monitoring-query';
import { ControlChart } from './control-chart';
import { AlertsPanel } from './alerts-panel';
import { GetForm, GetSubmitButton } from '@/components/get-form';

export const dynamic = 'force-dynamic';

function fmt(v: number | null | undefined, digits: number): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits);
}

/** More scanner changes than this in one series are not drawn one by one. */
const MAX_SCANNER_MARKERS = 8;

function fmtArl(v: number): string {
  return v >= 1e7 ? 'more than 10 million' : v >= 100 ? Math.round(v).toLocaleString('en-GB') : v.toFixed(1);
}

const first = (sp: SearchParams, k: string): string => {
  const v = sp[k];
  return (Array.isArray(v) ? v[0] : v) ?? '';
};

function Choices({ sp, q, current }: { sp: SearchParams; q: MonitoringQuery | null; current: MonitoringConfigCurrent }) {
  // With a bad value the form shows what was asked for, so it can be corrected in place.
  const val = (k: string, fallback: string | number | null) => (q ? String(fallback ?? '') : first(sp, k) || String(fallback ?? ''));
  const d = q ?? monitoringQueryDefaults(current.config);
  const shewhartL = current.config.shewhart.L;
  const ewmaL = current.config.ewma.L;
  // L left empty means the chart's own default (the Shewhart and EWMA defaults differ), so
  // changing the chart in this form takes the new chart's L.
  const lValue = q ? (q.L === monitoringQueryDefaults(current.config, q.chart).L ? '' : String(q.L)) : first(sp, 'L');
  return (
    <GetForm action="/monitoring" className="card cohort-filters" data-testid="monitoring-choices">
      <label>
        Metric
        <select name="metric" defaultValue={val('metric', d.metric)}>
          {MONITORING_METRICS.map((m) => (
            <option key={m} value={m}>
              {METRIC_INFO[m].label}
              {METRIC_INFO[m].unit ? ` (${METRIC_INFO[m].unit})` : ''}
            </option>
          ))}
        </select>
      </label>
      <label>
        Chart
        <select name="chart" defaultValue={val('chart', d.chart)}>
          {MONITORING_CHARTS.map((c) => (
            <option key={c} value={c}>
              {CHART_LABELS[c]}
            </option>
          ))}
        </select>
      </label>
      <label>
        Split by
        <select name="split" defaultValue={val('split', d.split)}>
          {MONITORING_SPLITS.map((s) => (
            <option key={s} value={s}>
              {SPLIT_LABELS[s]}
            </option>
          ))}
        </select>
      </label>
      <label>
        Baseline: first N studies
        <input type="number" name="baseline" min={2} step={1} defaultValue={val('baseline', d.baselineN)} style={{ minWidth: '6rem', width: '6rem' }} />
      </label>
      <label>
        or baseline period from
        <input type="date" name="from" defaultValue={val('from', d.from)} />
      </label>
      <label>
        to
        <input type="date" name="to" defaultValue={val('to', d.to)} />
      </label>
      <label>
        λ (EWMA)
        <input name="lambda" inputMode="decimal" defaultValue={val('lambda', d.lambda)} style={{ minWidth: '4rem', width: '4rem' }} />
      </label>
      <label>
        L (limits, σ)
        <input
          name="L"
          inputMode="decimal"
          defaultValue={lValue}
          placeholder={shewhartL === ewmaL ? String(shewhartL) : `${shewhartL} / ${ewmaL}`}
          title={`Empty: the alert configuration's L (Shewhart ${shewhartL}, EWMA ${ewmaL})`}
          style={{ minWidth: '5rem', width: '5rem' }}
        />
      </label>
      <label>
        k (CUSUM, σ)
        <input name="k" inputMode="decimal" defaultValue={val('k', d.k)} style={{ minWidth: '4rem', width: '4rem' }} />
      </label>
      <label>
        h (CUSUM, σ)
        <input name="h" inputMode="decimal" defaultValue={val('h', d.h)} style={{ minWidth: '4rem', width: '4rem' }} />
      </label>
      <div className="cohort-filter-buttons">
        <GetSubmitButton pendingLabel="Drawing…">Draw</GetSubmitButton>
        <Link href="/monitoring">Defaults</Link>
      </div>
    </GetForm>
  );
}

function chartDescription(q: MonitoringQuery): string {
  switch (q.chart) {
    case 'shewhart':
      return `Shewhart individuals chart: each study's value against the baseline mean ± ${q.L} σ.`;
    case 'ewma':
      return `EWMA with λ = ${q.lambda}: z = λ x + (1 − λ) z₋₁ from the baseline mean, against its exact time-varying limits (L = ${q.L}).`;
    case 'cusum':
      return `Two-sided tabular CUSUM with k = ${q.k} σ and h = ${q.h} σ: C+ and C− accumulate the standardised deviations from the baseline mean (shown as C+ above 0 and −C− below); a signal when either exceeds h.`;
  }
}

function Series({ s, q, index, datesShifted }: { s: SeriesResult; q: MonitoringQuery; index: number; datesShifted: boolean }) {
  const info = METRIC_INFO[q.metric];
  const unit = info.unit ? ` (${info.unit})` : '';
  const c = s.chart;
  const testId = `monitoring-series-${index}`;
  // A scanner that changes at many studies (scanners interleaved in time) would draw a line at
  // nearly every point; then the page says so and suggests the split instead.
  const scannerChanges = c.markers.filter((m) => m.kind === 'scanner').length;
  const markers = scannerChanges > MAX_SCANNER_MARKERS ? c.markers.filter((m) => m.kind !== 'scanner') : c.markers;
  const baselineWhat = q.from || q.to ? `studies dated ${q.from ?? '…'} to ${q.to ?? '…'}` : `the first ${q.baselineN} studies`;
  return (
    <section className="card" data-testid={testId}>
      <h2 style={{ marginTop: 0, fontSize: '1.1rem' }}>{s.label}</h2>
      <p className="muted" style={{ marginTop: 0 }}>
        {s.studies} {s.studies === 1 ? 'study' : 'studies'} with a value
        {s.withoutValue > 0 ? `; ${s.withoutValue} without (${info.label} undefined or the physician ITV missing), not charted` : ''}.
      </p>
      {c.status === 'no-baseline' ? (
        <p className="notice" role="status" data-testid="monitoring-no-baseline">
          {c.message}
        </p>
      ) : (
        <>
          <p data-testid="monitoring-baseline">
            <strong>Baseline</strong> ({baselineWhat}): mean {fmt(c.baseline.mean, info.digits + 1)}
            {unit}, σ {fmt(c.baseline.sigma, info.digits + 1)} (average moving range {fmt(c.baseline.movingRangeMean, info.digits + 1)} / 1.128), n ={' '}
            {c.baseline.n}.
          </p>
          <ControlChart
            title={`${info.label}${unit}: ${s.label}`}
            fileName={`monitoring-${q.metric}-${q.chart}-${index + 1}`}
            kind={q.chart}
            yLabel={q.chart === 'cusum' ? 'CUSUM (σ)' : `${info.label}${unit}`}
            digits={info.digits}
            points={c.points}
            markers={markers}
            footer={[
              chartDescription(q),
              `Baseline: mean ${fmt(c.baseline.mean, info.digits + 1)}, σ ${fmt(c.baseline.sigma, info.digits + 1)}, n = ${c.baseline.n}.`,
            ]}
            testId={`${testId}-chart`}
          />
          {markers !== c.markers && (
            <p className="muted" data-testid="monitoring-scanner-changes">
              The scanner changes {scannerChanges} times in this series (studies from several scanners interleave), too often to mark each change; split by
              scanner to chart each one.
            </p>
          )}
          <OutOfControl s={s} q={q} datesShifted={datesShifted} />
        </>
      )}
    </section>
  );
}

function OutOfControl({ s, q, datesShifted }: { s: SeriesResult; q: MonitoringQuery; datesShifted: boolean }) {
  if (s.chart.status !== 'ok') return null;
  const info = METRIC_INFO[q.metric];
  const out = s.chart.points.filter((p) => p.outOfControl);
  if (out.length === 0) return <p className="muted">No study beyond the limits.</p>;
  return (
    <table data-testid="monitoring-out-of-control">
      <caption style={{ textAlign: 'left', captionSide: 'top', fontWeight: 600, paddingBottom: '0.3rem' }}>
        {out.length} {out.length === 1 ? 'study' : 'studies'} beyond the limits
      </caption>
      <thead>
        <tr>
          <th>#</th>
          <th>Study</th>
          <th>Study date{datesShifted ? ' (shifted)' : ''}</th>
          <th>Value{info.unit ? ` (${info.unit})` : ''}</th>
          <th>{q.chart === 'shewhart' ? 'Limits' : q.chart === 'ewma' ? 'EWMA (limits)' : 'C+ / C− (h)'}</th>
          <th>Direction</th>
          <th>Model · scanner</th>
        </tr>
      </thead>
      <tbody>
        {out.map((p) => (
          <tr key={p.n}>
            <td className="num">{p.n}</td>
            <td>
              <Link href={`/studies/${p.studyId}`}>{p.pseudonym}</Link>
            </td>
            <td>{p.studyDate ?? '—'}</td>
            <td className="num">{fmt(p.value, info.digits)}</td>
            <td className="num">
              {q.chart === 'shewhart'
                ? `${fmt(p.lcl, info.digits)} to ${fmt(p.ucl, info.digits)}`
                : q.chart === 'ewma'
                  ? `${fmt(p.statistic, info.digits)} (${fmt(p.lcl, info.digits)} to ${fmt(p.ucl, info.digits)})`
                  : `${fmt(p.statistic, 2)} / ${fmt(p.lower === null ? null : -p.lower, 2)} (${fmt(p.ucl, 2)})`}
            </td>
            <td>{p.direction === 'up' ? 'above' : p.direction === 'down' ? 'below' : '—'}</td>
            <td>
              {p.model} · {p.scanner ?? 'not recorded'}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export default async function MonitoringPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const caller = await requireCaller();
  // The role from the database, not the session token's: a role taken away after sign-in is
  // refused here too (the data layer refuses it again).
  if (!can(caller.role, 'monitoring:view')) {
    return (
      <>
        <h1>Monitoring</h1>
        <div className="card" role="alert">
          <p>The {caller.role.toLowerCase()} role may not view the monitoring charts. Ask a physicist or an administrator.</p>
        </div>
      </>
    );
  }
  const sp = await searchParams;
  const current = await loadMonitoringConfig(db());
  const parsed = parseMonitoringQuery(sp, current.config);
  if (!parsed.ok) {
    return (
      <>
        <h1>Monitoring</h1>
        <div className="error" role="alert" data-testid="monitoring-bad-query">
          <p style={{ margin: 0 }}>These choices cannot be drawn; correct them below or go back to the defaults:</p>
          <ul>
            {parsed.problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </div>
        <Choices sp={sp} q={null} current={current} />
      </>
    );
  }
  const q = parsed.query;
  const data = await getMonitoringCharts(db(), { caller, query: q });
  const info = METRIC_INFO[q.metric];
  return (
    <>
      <h1>Monitoring</h1>
      <p className="muted" style={{ marginTop: 0 }}>
        Control charts of machine-vs-physician agreement over time: one point per study (its current run, the latest that succeeded), in study-date order.{' '}
        {info.label}
        {info.unit ? ` (${info.unit})` : ''}: {info.convention}, as on the cohort page. {chartDescription(q)}
        {can(caller.role, 'alert-webhooks:manage') ? (
          <>
            {' '}
            New alerts can also be POSTed to a webhook per alert type: <Link href="/admin/alert-webhooks">Alert webhooks</Link>.
          </>
        ) : null}
      </p>
      <AlertsPanel caller={caller} done={first(sp, 'alertDone') || null} error={first(sp, 'alertError') || null} />
      <Choices sp={sp} q={q} current={current} />
      <p className="muted" data-testid="monitoring-defaults-source" style={{ marginTop: 0 }}>
        Empty choices take the values drift alerts are evaluated with (configuration{' '}
        {current.version === 0 ? 'version 0, the defaults' : `version ${current.version}`}): baseline the first {current.config.baselineN} studies, Shewhart L{' '}
        {current.config.shewhart.L}, EWMA λ {current.config.ewma.lambda} and L {current.config.ewma.L}, CUSUM k {current.config.cusum.k} and h{' '}
        {current.config.cusum.h}.
      </p>
      {data.studies === 0 ? (
        <p className="notice" role="status" data-testid="monitoring-empty">
          No runs yet: a study appears here once a segmentation run of it has succeeded. Import studies and run the model (Import, Jobs).
          {data.withoutDate > 0 ? ` ${data.withoutDate} studies with a finished run have no study date and cannot be placed in time.` : ''}
        </p>
      ) : (
        <>
          <p data-testid="monitoring-summary">
            {data.studies} studies in {data.series.length} {data.series.length === 1 ? 'series' : 'series'}
            {q.split !== 'none' ? ` (split by ${SPLIT_LABELS[q.split].toLowerCase()})` : ''}.
            {data.withoutDate > 0 ? ` ${data.withoutDate} without a study date are not charted.` : ''}
            {data.datesShifted
              ? ' Study dates are shown shifted per patient (your role does not see real dates); the order is the real study-date order.'
              : ''}{' '}
            Vertical lines mark where the model version or the scanner changes.
          </p>
          {data.arl && (
            <p data-testid="monitoring-arl">
              <strong>Average run length</strong> of this chart for normal data: in control {fmtArl(data.arl.inControl)} studies between false alarms on
              average; after a shift of 1 σ, {fmtArl(data.arl.oneSigma)} studies until it signals
              {q.chart === 'ewma' ? ' (with the asymptotic limits, as tables give it)' : ''}.
            </p>
          )}
          {data.series.map((s, i) => (
            <Series key={`${i}-${s.label}`} s={s} q={q} index={i} datesShifted={data.datesShifted} />
          ))}
        </>
      )}
    </>
  );
}
