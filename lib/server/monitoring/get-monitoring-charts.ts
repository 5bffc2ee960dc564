/**
 * Everything the /monitoring page shows for its choices: the studies (findMonitoringStudies,
 * which checks monitoring:view) made into one control chart per series (buildControlCharts).
 */
import type { Db } from '../db/client';
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
}

export async function getMonitoringCharts(db: Db, { caller, query }: { caller: Caller; query: MonitoringQuery }): Promise<MonitoringCharts> {
  const { studies, withoutDate, datesShifted } = await findMonitoringStudies(db, { caller });
  return { series: buildControlCharts(studies, query), studies: studies.length, withoutDate, datesShifted };
}
