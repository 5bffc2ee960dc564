/**
 * The drift alerts (docs/monitoring.md, "Alerts"), newest first, with how many are open: for the
 * cohort page's banner (cohort:view: every role that sees the cohort) and the /monitoring list.
 * Alerts carry no identifiers: the study is named by its pseudonym for every role, the series by
 * metric, split and institution / scanner / model name. `acknowledged` says who (by e-mail) and
 * when, with the comment; roles without monitoring:view (researchers, reviewers) see that an
 * alert was acknowledged and when, not who or the comment.
 */
import { authorize, can, type Caller } from '../auth/roles';
import type { DbOrTx } from '../db/client';

export interface MonitoringAlertView {
  id: string;
  configVersion: number;
  metric: string;
  split: string;
  splitLabel: string;
  chart: string;
  studyId: string;
  runId: string;
  pseudonym: string;
  position: number;
  value: number;
  statistic: number;
  limit: number;
  direction: string;
  baselineMean: number;
  baselineSigma: number;
  createdAt: Date;
  status: 'open' | 'acknowledged';
  acknowledged: { at: Date; byEmail: string | null; comment: string | null } | null;
}

export interface MonitoringAlerts {
  open: number;
  total: number;
  alerts: MonitoringAlertView[];
}

export async function findMonitoringAlerts(
  db: DbOrTx,
  { caller, take = 200 }: { caller: Caller | null | undefined; take?: number },
): Promise<MonitoringAlerts> {
  const who = authorize(caller, 'cohort:view');
  const full = can(who.role, 'monitoring:view');
  const [open, total, rows] = await Promise.all([
    db.monitoringAlert.count({ where: { acknowledgedAt: null } }),
    db.monitoringAlert.count(),
    db.monitoringAlert.findMany({ orderBy: [{ acknowledgedAt: { sort: 'desc', nulls: 'first' } }, { createdAt: 'desc' }, { id: 'asc' }], take }),
  ]);
  return {
    open,
    total,
    alerts: rows.map((r) => ({
      id: r.id,
      configVersion: r.configVersion,
      metric: r.metric,
      split: r.split,
      splitLabel: r.splitLabel,
      chart: r.chart,
      studyId: r.studyId,
      runId: r.runId,
      pseudonym: r.pseudonym,
      position: r.position,
      value: r.value,
      statistic: r.statistic,
      limit: r.limit,
      direction: r.direction,
      baselineMean: r.baselineMean,
      baselineSigma: r.baselineSigma,
      createdAt: r.createdAt,
      status: r.acknowledgedAt ? 'acknowledged' : 'open',
      acknowledged: r.acknowledgedAt
        ? { at: r.acknowledgedAt, byEmail: full ? r.acknowledgedByEmail : null, comment: full ? r.acknowledgeComment : null }
        : null,
    })),
  };
}
