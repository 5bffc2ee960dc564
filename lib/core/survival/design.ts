/**
 * Design matrix for survival models: numeric columns pass through; categorical columns become
 * treatment (dummy) contrasts against a reference level, named as R names them
 * (`stage` with levels I, II, III and reference I → `stageII`, `stageIII`).
 */
import { invalid } from './errors';

export interface CovariateSpec {
  /** Column name in `columns`. */
  name: string;
  kind: 'numeric' | 'categorical';
  /** Categorical only: the reference level (default: the first level in R's sort order). */
  reference?: string;
  /** Categorical only: explicit level order (default: sorted, numbers numerically). */
  levels?: string[];
}

export interface DesignMatrix {
  covariates: Float64Array[];
  names: string[];
  /** One entry per spec, listing its columns (for cox.zph per-term tests). */
  terms: { name: string; columns: number[] }[];
}

function isMissing(v: unknown): boolean {
  return v === null || v === undefined || v === '' || (typeof v === 'number' && Number.isNaN(v));
}

/** Sort labels as R's factor() does: numbers numerically, strings in R's (locale) collation order. */
export function sortLevels(values: string[]): string[] {
  const uniq = [...new Set(values)];
  const allNumeric = uniq.every((v) => v.trim() !== '' && Number.isFinite(Number(v)));
  // R's sort() of strings follows the collation locale ("abc" < "Abd" < "high" < "Low"), not bytes
  return allNumeric ? uniq.sort((a, b) => Number(a) - Number(b)) : uniq.sort((a, b) => a.localeCompare(b, 'en') || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Build the model matrix. Missing values stay NaN (the fitter drops those rows).
 * @throws SurvivalError INVALID_INPUT for an unknown column, a non-numeric value in a numeric
 *   column, or a reference level that does not occur.
 */
export function buildDesignMatrix(columns: Record<string, ArrayLike<number | string | null | undefined>>, specs: CovariateSpec[]): DesignMatrix {
  const out: DesignMatrix = { covariates: [], names: [], terms: [] };
  for (const spec of specs) {
    const col = columns[spec.name];
    if (!col) throw invalid(`Column "${spec.name}" not found; available: ${Object.keys(columns).join(', ')}.`);
    const n = col.length;
    if (spec.kind === 'numeric') {
      const v = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const x = col[i];
        if (isMissing(x)) v[i] = NaN;
        else {
          const num = typeof x === 'number' ? x : Number(x);
          if (!Number.isFinite(num)) throw invalid(`Column "${spec.name}" row ${i + 1}: "${x}" is not a number.`);
          v[i] = num;
        }
      }
      out.terms.push({ name: spec.name, columns: [out.covariates.length] });
      out.covariates.push(v);
      out.names.push(spec.name);
      continue;
    }
    const labels: string[] = [];
    for (let i = 0; i < n; i++) if (!isMissing(col[i])) labels.push(String(col[i]));
    let levels = spec.levels ? [...spec.levels] : sortLevels(labels);
    for (const l of new Set(labels))
      if (!levels.includes(l)) throw invalid(`Column "${spec.name}" has value "${l}" that is not among the given levels ${levels.join(', ')}.`);
    if (spec.reference !== undefined) {
      if (!levels.includes(spec.reference))
        throw invalid(`Reference level "${spec.reference}" does not occur in column "${spec.name}" (levels: ${levels.join(', ')}).`);
      levels = [spec.reference, ...levels.filter((l) => l !== spec.reference)];
    }
    const cols: number[] = [];
    for (const level of levels.slice(1)) {
      const v = new Float64Array(n);
      for (let i = 0; i < n; i++) v[i] = isMissing(col[i]) ? NaN : String(col[i]) === level ? 1 : 0;
      cols.push(out.covariates.length);
      out.covariates.push(v);
      out.names.push(`${spec.name}${level}`);
    }
    out.terms.push({ name: spec.name, columns: cols });
  }
  return out;
}
