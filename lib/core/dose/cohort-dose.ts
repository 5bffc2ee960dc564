/**
 * The cohort page's dose view (docs/dose-cohort.md, "Cohort page"): per institution, of the studies the
 * filters keep, how many have a planned dose, and over those whose summarised run has an FP
 * region dose row: the median FP volume, the median fraction of the FP volume below 95 % of the
 * prescription, and how many have any FP volume below it. Pure; aggregates only (no study ids or
 * pseudonyms), so it is the same for every role that may see the cohort.
 */
import { medianOf } from '../stats/quantile';

export interface CohortDoseCase {
  institution: string;
  hasDose?: boolean;
  /** FP region volume (cc) from the summarised run's FP dose row; null without one. */
  fpDoseCc?: number | null;
  /** Its volume below 95 % of the prescription (cc); null without a prescription. */
  fpBelow95PctRxCc?: number | null;
}

export interface CohortDoseRow {
  /** Institution name, or "All institutions" for the total row. */
  institution: string;
  studies: number;
  withDose: number;
  /** Studies with an FP dose row (a run on a study with a dose). */
  withFpDose: number;
  medianFpCc: number | null;
  /** Median over studies with an FP volume > 0 and a prescription of (volume below 95 %) / volume. */
  medianFpFractionBelow95: number | null;
  /** Studies whose FP region has any volume below 95 % of the prescription. */
  withFpBelow95: number;
}

const finite = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

function row(institution: string, cases: readonly CohortDoseCase[]): CohortDoseRow {
  const fp = cases.filter((c) => c.hasDose && finite(c.fpDoseCc));
  return {
    institution,
    studies: cases.length,
    withDose: cases.filter((c) => c.hasDose).length,
    withFpDose: fp.length,
    medianFpCc: medianOf(fp.map((c) => c.fpDoseCc)),
    medianFpFractionBelow95: medianOf(fp.filter((c) => c.fpDoseCc! > 0 && finite(c.fpBelow95PctRxCc)).map((c) => c.fpBelow95PctRxCc! / c.fpDoseCc!)),
    withFpBelow95: fp.filter((c) => finite(c.fpBelow95PctRxCc) && c.fpBelow95PctRxCc > 0).length,
  };
}

/** One row per institution (sorted by name), then the total; [] when no study has a dose. */
export function cohortDoseByInstitution(cases: readonly CohortDoseCase[]): CohortDoseRow[] {
  if (!cases.some((c) => c.hasDose)) return [];
  const by = new Map<string, CohortDoseCase[]>();
  for (const c of cases) by.set(c.institution, [...(by.get(c.institution) ?? []), c]);
  const rows = [...by.keys()].sort((a, b) => a.localeCompare(b)).map((k) => row(k, by.get(k)!));
  return [...rows, row('All institutions', cases)];
}
