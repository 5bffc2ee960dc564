/**
 * The tables of an outcome analysis as CSV (RFC 4180 quoting): the Cox table and the Fine–Gray
 * table (each row with the model's n and events), or the number at risk per group. Pure formatting of an already authorised analysis;
 * numbers are written in full precision, a missing value as an empty cell. Cells go through
 * lib/core/csv/format-csv.ts (RFC 4180; a KM group or covariate label starting with = + - @ is
 * written as text, a negative number stays a number).
 */
import { formatCsv, type CsvValue } from '@/lib/core/csv/format-csv';
import type { CoefficientRow, OutcomeAnalysis } from './run-outcome-analysis';

export const OUTCOME_TABLES = ['cox', 'fine-gray', 'km'] as const;
export type OutcomeTable = (typeof OUTCOME_TABLES)[number];

/** Through the one CSV writer of every export: group names and labels cannot run as formulas. */
function csv(header: string[], rows: unknown[][]): string {
  return formatCsv(header, rows as CsvValue[][]);
}

/** n: the patients the model used (complete cases); events: the events among them. */
function coefTable(model: string, event: string, n: number, events: number, coefs: CoefficientRow[]): string {
  return csv(
    ['model', 'event', 'n', 'events', 'covariate', 'unit', 'coef', 'se', 'hazard_ratio', 'lower95', 'upper95', 'z', 'p'],
    coefs.map((c) => [model, event, n, events, c.label, c.unit, c.coef, c.se, c.hr, c.lower95, c.upper95, c.z, c.p]),
  );
}

/** @returns the CSV text, or null when that table was not computed (the reason is in the analysis). */
export function formatOutcomeTableCsv(a: OutcomeAnalysis, table: OutcomeTable): string | null {
  if (table === 'cox') {
    if (a.cox.status !== 'ok') return null;
    return coefTable(`Cox PH (${a.cox.value.ties})`, a.eventLabel, a.cox.value.n, a.cox.value.nevent, a.cox.value.coefficients);
  }
  if (table === 'fine-gray') {
    if (a.cuminc.status !== 'ok' || a.cuminc.value.fineGray.status !== 'ok') return null;
    const fg = a.cuminc.value.fineGray.value;
    return coefTable('Fine-Gray subdistribution hazards', 'local failure (competing: death)', fg.n, fg.events, fg.coefficients);
  }
  if (a.km.status !== 'ok') return null;
  const lr = a.km.value.logRank;
  return csv(
    ['group', 'day', 'n_at_risk', 'survival', 'group_n', 'group_events', 'median_days', 'logrank_p'],
    a.km.value.groups.flatMap((g) => g.atRisk.map((r) => [g.group, r.time, r.nRisk, r.surv, g.n, g.events, g.median, lr?.p ?? null])),
  );
}
