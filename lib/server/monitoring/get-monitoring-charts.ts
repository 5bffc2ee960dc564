/**
 * Everything the /monitoring page shows for its choices: the studies (findMonitoringStudies,
 * which checks monitoring:view) made into one control chart per series (buildControlCharts).
 */
import type { Db } from '../db/client';
import { cusumArl, ewmaArl, shewhartArl, SpcError } from '../../core/spc';
import type { Caller } from '../auth/roles';
import { findMonitoringStudies } from './find-monitoring-studies';
import { buildControlCharts, type SeriesResult } from './build-control-charts';
import type { MonitoringQuery } from './monitoring-query';

export interface MonitoringCharts {
  series: SeriesResult[];
  /** Studies with a summarised current run and a study date (the charted population before the metric's nulls). */
  studies: number;
  withoutDate: number;
  datesShifted: boolean;
  /**
   * The chart's average run lengths for normal data (lib/core/spc; EWMA with its fixed asymptotic
   * limits, as the tables give it): in control (the mean gap between false alarms) and after a
   * 1 σ shift (the mean delay to detection). Null when the core cannot give them (an SpcError:
   * an ARL beyond its reliable range, e.g. k = 10, h = 50, or a quadrature that does not settle).
   */
  arl: { inControl: number; oneSigma: number } | null;
}

function chartArl(q: MonitoringQuery): MonitoringCharts['arl'] {
  const at = (shift: number) =>
    q.chart === 'shewhart' ? shewhartArl(q.L, shift) : q.chart === 'ewma' ? ewmaArl(q.lambda, q.L, shift) : cusumArl(q.k, q.h, shift);
  try {
    const [inControl, oneSigma] = [at(0), at(1)];
    // An ARL is at least 1: anything else is not shown, whatever the core returns.
    return [inControl, oneSigma].every((v) => Number.isFinite(v) && v >= 1) ? { inControl, oneSigma } : null;
  } catch (e) {
    if (e instanceof SpcError) return null;
    throw e;
  }
}

export async function getMonitoringCharts(db: Db, { caller, query }: { caller: Caller; query: MonitoringQuery }): Promise<MonitoringCharts> {
  const { studies, withoutDate, datesShifted } = await findMonitoringStudies(db, { caller });
  return { series: buildControlCharts(studies, query), studies: studies.length, withoutDate, datesShifted, arl: chartArl(query) };
}
