/**
 * The cohort page's drift-alert banner (docs/monitoring.md, "Alerts"): how many alerts are open,
 * the latest few (series, study pseudonym, chart), and for roles with monitoring:view a link to the
 * list on /monitoring where they are acknowledged. Alerts carry pseudonyms only, so researchers
 * see the same banner without a link. Nothing when no alert is open.
 */
import Link from 'next/link';
import { db } from '@/lib/server/db/client';
import { can, type Caller } from '@/lib/server/auth/roles';
import { findMonitoringAlerts } from '@/lib/server/monitoring/find-monitoring-alerts';
import { METRIC_INFO, type MonitoringMetric } from '@/lib/server/monitoring/monitoring-query';

const SHOWN = 3;

export async function DriftAlertsBanner({ caller }: { caller: Caller }) {
  const { open, alerts } = await findMonitoringAlerts(db(), { caller, take: SHOWN });
  if (open === 0) return null;
  const latest = alerts.filter((a) => a.status === 'open');
  return (
    <div className="notice" role="status" data-testid="drift-alerts-banner">
      <strong>
        {open} open drift alert{open === 1 ? '' : 's'}
      </strong>
      : a control chart of machine-vs-physician agreement went out of control (
      {latest
        .map(
          (a) =>
            `${METRIC_INFO[a.metric as MonitoringMetric]?.label ?? a.metric}, ${a.split === 'none' ? 'all studies' : a.splitLabel}, ${a.chart.toUpperCase()} at ${a.pseudonym}`,
        )
        .join('; ')}
      {open > latest.length ? '; …' : ''}).{' '}
      {can(caller.role, 'monitoring:view') ? (
        <Link href="/monitoring#alerts">See and acknowledge the alerts on Monitoring</Link>
      ) : (
        'A physicist reviews and acknowledges them on the Monitoring page.'
      )}
    </div>
  );
}
