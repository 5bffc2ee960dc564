/**
 * The current monitoring configuration drift alerts are evaluated with (docs/monitoring.md,
 * "Alerts"): the latest MonitoringConfig, or lib/core/spc's DEFAULT_ALERT_CONFIG (version 0)
 * before anyone saved one. No permission check of its own: it serves the worker's evaluation and
 * operations that checked theirs.
 * @throws AppError INTERNAL when the stored version cannot be read (names the version).
 */
import { DEFAULT_ALERT_CONFIG, parseAlertConfig, SpcError, type AlertConfig } from '../../core/spc';
import type { DbOrTx } from '../db/client';
import { AppError } from '../errors';

export interface MonitoringConfigCurrent {
  /** 0 = the built-in defaults (no MonitoringConfig saved yet). */
  version: number;
  config: AlertConfig;
}

/** Key of the transaction-level advisory lock a configuration save holds (saves one after another). */
export const MONITORING_CONFIG_LOCK = 4_217_120_633;

export async function loadMonitoringConfig(db: DbOrTx): Promise<MonitoringConfigCurrent> {
  const latest = await db.monitoringConfig.findFirst({ orderBy: { version: 'desc' }, select: { version: true, config: true } });
  if (!latest) return { version: 0, config: structuredClone(DEFAULT_ALERT_CONFIG) };
  try {
    return { version: latest.version, config: parseAlertConfig(latest.config) };
  } catch (e) {
    if (e instanceof SpcError)
      throw new AppError(
        'INTERNAL',
        `Monitoring configuration version ${latest.version} cannot be read: ${e.message} Save the configuration again on Monitoring.`,
      );
    throw e;
  }
}
