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

interface Row {
  studyId: string;
  pseudonym: string;
  institutionId: string;
  institution: string;
  scanner: string | null;
  modelVersionId: string;
  model: string;
  runId: string;
  itvDice: number | null;
  itvFpCc: number | null;
  itvHd95Mm: number | null;
}

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
  const rows = await db.$queryRaw<Row[]>`
    SELECT s.id AS "studyId", p.pseudonym, i.id AS "institutionId", i.name AS institution, s.scanner,
           mv.id AS "modelVersionId", mv.name || ' ' || mv.version AS model, r.id AS "runId",
           rs."itvDice", rs."itvFpCc", rs."itvHd95Mm"
    FROM "Study" s
    JOIN "Patient" p ON p.id = s."patientId"
    JOIN "Institution" i ON i.id = p."institutionId"
    JOIN (
      SELECT DISTINCT ON (x."studyId") x."studyId", x.id, x."modelVersionId" FROM "SegmentationRun" x
      WHERE x.status = 'SUCCEEDED'
      ORDER BY x."studyId", x."finishedAt" DESC NULLS LAST
    ) r ON r."studyId" = s.id
    JOIN "ModelVersion" mv ON mv.id = r."modelVersionId"
    JOIN "RunSummary" rs ON rs."runId" = r.id
    WHERE s."studyDate" IS NOT NULL
    ORDER BY s."studyDate" ASC, s."importedAt" ASC, s.id ASC`;
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
