/**
 * Evaluate the drift alerts (docs/monitoring.md, "Alerts"): every watched series (metric × split
 * value of the current MonitoringConfig) of the studies the /monitoring page charts (each study's
 * current succeeded run with a summary, with a study date, in study-date order) through
 * lib/core/spc's evaluateSeriesAlerts, and one MonitoringAlert per excursion start that is not
 * stored yet. The worker calls it after a run succeeds (workers/tasks/segmentation-run.ts).
 *
 * Idempotent: an alert is unique per (configuration version, series, chart, study) and inserted
 * with ON CONFLICT DO NOTHING, so a retried job, a second worker evaluating at the same moment or a
 * later re-evaluation adds nothing that is already there. No permission check: it reads no
 * identifiers (pseudonyms, institution, scanner and model names only) and is run by the worker.
 */
import { evaluateSeriesAlerts, type AlertMetric, type AlertSplit } from '../../core/spc';
import type { DbOrTx } from '../db/client';
import type { Prisma } from '../db/generated/client';
import { loadMonitoringConfig } from './load-monitoring-config';
import { readMonitoredRuns, type MonitoredRun as Row } from './read-monitored-runs';

const FIELD: Record<AlertMetric, 'itvDice' | 'itvFpCc' | 'itvHd95Mm'> = { dice: 'itvDice', fp: 'itvFpCc', hd95: 'itvHd95Mm' };

function splitOf(r: Row, split: AlertSplit): { key: string; label: string } {
  switch (split) {
    case 'none':
      return { key: '', label: 'All studies' };
    case 'institution':
      return { key: r.institutionId, label: r.institution };
    case 'scanner':
      return { key: r.scanner ?? '', label: r.scanner ?? 'Scanner not recorded' };
    case 'model':
      return { key: r.modelVersionId, label: r.model };
  }
}

export interface EvaluateMonitoringAlertsResult {
  configVersion: number;
  /** Series evaluated (with a baseline or not). */
  series: number;
  /** Alerts the evaluation found, stored before or now. */
  found: number;
  /** Alerts stored by this call. */
  created: number;
}

export async function evaluateMonitoringAlerts(
  db: DbOrTx,
  { triggeredByRunId = null }: { triggeredByRunId?: string | null } = {},
): Promise<EvaluateMonitoringAlertsResult> {
  const { version, config } = await loadMonitoringConfig(db);
  // Studies without a date cannot be placed in time (the page counts them; alerts skip them).
  const rows = (await readMonitoredRuns(db, { shiftDates: false })).filter((r) => r.hasDate);
  const alerts: Prisma.MonitoringAlertCreateManyInput[] = [];
  let seriesCount = 0;
  for (const metric of config.metrics) {
    const field = FIELD[metric];
    for (const split of config.splits) {
      const groups = new Map<string, { label: string; rows: Row[] }>();
      for (const r of rows) {
        const v = r[field];
        if (v === null || !Number.isFinite(v)) continue;
        const { key, label } = splitOf(r, split);
        let g = groups.get(key);
        if (!g) groups.set(key, (g = { label, rows: [] }));
        g.rows.push(r);
      }
      for (const [key, g] of groups) {
        seriesCount++;
        const result = evaluateSeriesAlerts(
          g.rows.map((r) => r[field]!),
          config,
        );
        if (result.status !== 'ok') continue;
        for (const a of result.alerts) {
          const r = g.rows[a.index]!;
          alerts.push({
            configVersion: version,
            seriesKey: `${metric}|${split}|${key}`,
            metric,
            split,
            splitLabel: g.label,
            chart: a.chart,
            studyId: r.studyId,
            runId: r.runId,
            pseudonym: r.pseudonym,
            position: a.index + 1,
            value: a.value,
            statistic: a.statistic,
            limit: a.limit,
            direction: a.direction,
            baselineMean: result.baseline.mean,
            baselineSigma: result.baseline.sigma,
            triggeredByRunId,
          });
        }
      }
    }
  }
  const { count } = alerts.length ? await db.monitoringAlert.createMany({ data: alerts, skipDuplicates: true }) : { count: 0 };
  return { configVersion: version, series: seriesCount, found: alerts.length, created: count };
}
