/**
 * Save a new monitoring configuration (permission monitoring:manage): a new MonitoringConfig
 * version (n + 1 after n) and an audit event ('monitoring.config.save', with the previous and the
 * new configuration and the note), in one transaction under an advisory lock. Alerts already
 * raised stay (they name the version they were raised under); the alerts are then evaluated at
 * once with the new version (evaluateMonitoringAlerts, idempotent), so the list reflects it without
 * waiting for the next run.
 *
 * `basedOnVersion` (the version the page showed; 0 = the defaults): when another save came in
 * between, the save is refused (CONFLICT) rather than overwriting a configuration not seen.
 * @throws AppError UNAUTHORIZED / FORBIDDEN, INVALID_INPUT (names the field), CONFLICT.
 */
import { parseAlertConfig, SpcError, type AlertConfig } from '../../core/spc';
import { authorize, type Caller } from '../auth/roles';
import type { Db } from '../db/client';
import { AppError } from '../errors';
import { recordAuditEvent } from '../audit/record-audit-event';
import { loadMonitoringConfig, MONITORING_CONFIG_LOCK } from './load-monitoring-config';
import { evaluateMonitoringAlerts } from './evaluate-monitoring-alerts';

export async function saveMonitoringConfig(
  db: Db,
  { caller, input, note, basedOnVersion }: { caller: Caller | null | undefined; input: unknown; note?: unknown; basedOnVersion?: unknown },
): Promise<{ version: number; config: AlertConfig; newAlerts: number }> {
  const who = authorize(caller, 'monitoring:manage');
  let expected: number | null = null;
  if (basedOnVersion !== undefined && basedOnVersion !== null && basedOnVersion !== '') {
    expected = Number(basedOnVersion);
    if (!Number.isInteger(expected) || expected < 0)
      throw new AppError('INVALID_INPUT', `basedOnVersion ${JSON.stringify(basedOnVersion)} is not a version number; reload the page.`);
  }
  let config: AlertConfig;
  try {
    config = parseAlertConfig(input);
  } catch (e) {
    if (e instanceof SpcError) throw new AppError('INVALID_INPUT', e.message);
    throw e;
  }
  const noteRaw = typeof note === 'string' ? note.trim() : '';
  if (noteRaw.length > 500) throw new AppError('INVALID_INPUT', `The note is ${noteRaw.length} characters; keep it to 500.`);
  let saved: { version: number; config: AlertConfig };
  try {
    saved = await db.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${MONITORING_CONFIG_LOCK}::bigint)`;
      const current = await loadMonitoringConfig(tx);
      if (expected !== null && expected !== current.version)
        throw new AppError(
          'CONFLICT',
          `The monitoring configuration changed since this page was loaded (now version ${current.version}, the page showed ${expected}); nothing was saved. Reload the page and save again.`,
        );
      const version = current.version + 1;
      await tx.monitoringConfig.create({
        data: { version, config: structuredClone(config) as object, createdById: who.userId, createdByEmail: who.email, note: noteRaw || null },
      });
      await recordAuditEvent(tx, {
        action: 'monitoring.config.save',
        caller: who,
        target: `monitoring-config:v${version}`,
        details: {
          version,
          previousVersion: current.version,
          previous: structuredClone(current.config),
          config: structuredClone(config),
          note: noteRaw || null,
        },
      });
      return { version, config };
    });
  } catch (e) {
    if (typeof e === 'object' && e !== null && (e as { code?: string }).code === 'P2002')
      throw new AppError('CONFLICT', 'Someone else saved the monitoring configuration at the same moment; nothing was saved. Reload the page and save again.');
    throw e;
  }
  const evaluated = await evaluateMonitoringAlerts(db);
  return { ...saved, newAlerts: evaluated.created };
}
