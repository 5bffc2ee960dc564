/**
 * Every MetricResult row of a study as one long CSV (one value per line), for any role that may
 * view studies. No identifiers: the patient appears by pseudonym only, and no DICOM UID is
 * written. Discordance regions are flattened as `falsePositive#1.volumeCc` (regions numbered
 * from 1, as the viewer lists them; vectors indexed from 0: `centroidMm[2]`).
 */
import type { Db } from '../db/client';
import { type Caller, authorize } from '../auth/roles';
import { AppError } from '../errors';

export const METRICS_CSV_COLUMNS = [
  'pseudonym', 'study_id', 'run_id', 'model', 'model_version', 'model_sha256', 'reference_structure', 'test_structure',
  'scope', 'phase_index', 'phase_percent', 'convention', 'metric', 'value', 'null_reason', 'tolerance_mm', 'code_version',
] as const;

/** Flatten nested metric values into [name, value] pairs. */
export function flattenMetricValues(values: unknown, prefix = ''): [string, number | string | boolean | null][] {
  if (values === null || typeof values !== 'object') return [[prefix, values as number | string | boolean | null]];
  const out: [string, number | string | boolean | null][] = [];
  if (Array.isArray(values)) {
    values.forEach((v, n) => {
      const name = v !== null && typeof v === 'object' && !Array.isArray(v) ? `${prefix}#${n + 1}` : `${prefix}[${n}]`;
      out.push(...flattenMetricValues(v, name));
    });
    return out;
  }
  for (const [k, v] of Object.entries(values)) out.push(...flattenMetricValues(v, prefix ? `${prefix}.${k}` : k));
  return out;
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
  // Quote when needed; a leading = + - @ would make a spreadsheet run a formula.
  const safe = /^[=+\-@]/.test(s) && typeof v !== 'number' ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** @throws AppError FORBIDDEN (role), NOT_FOUND (no such study). */
export async function exportStudyMetricsCsv(db: Db, { caller, studyId }: { caller: Caller | null; studyId: string }): Promise<{ csv: string; fileName: string; rows: number }> {
  authorize(caller, 'studies:view');
  const study = await db.study.findUnique({ where: { id: studyId }, select: { id: true, patient: { select: { pseudonym: true } } } });
  if (!study) throw new AppError('NOT_FOUND', `Study ${studyId} does not exist (deleted, or a wrong link).`);
  const rows = await db.metricResult.findMany({
    where: { studyId },
    orderBy: [{ runId: 'asc' }, { testStructureId: 'asc' }, { convention: 'asc' }],
    select: {
      runId: true, convention: true, values: true, nullReasons: true, toleranceMm: true, codeVersion: true,
      run: { select: { modelVersion: { select: { name: true, version: true, sha256: true } } } },
      referenceStructure: { select: { name: true } },
      testStructure: { select: { label: true, kind: true, phaseIndex: true, series: { select: { phasePercent: true } } } },
    },
  });
  const lines = [METRICS_CSV_COLUMNS.join(',')];
  let n = 0;
  for (const r of rows) {
    const reasons = (r.nullReasons ?? {}) as Record<string, string>;
    const t = r.testStructure;
    for (const [metric, value] of flattenMetricValues(r.values)) {
      lines.push(
        [
          study.patient.pseudonym, study.id, r.runId, r.run?.modelVersion.name, r.run?.modelVersion.version, r.run?.modelVersion.sha256,
          r.referenceStructure.name, t.label, t.kind, t.phaseIndex, t.kind === 'ITV' ? null : t.series?.phasePercent,
          r.convention, metric, value, reasons[metric] ?? null, r.toleranceMm, r.codeVersion,
        ].map(cell).join(','),
      );
      n++;
    }
  }
  return { csv: lines.join('\n') + '\n', fileName: `metrics-${study.patient.pseudonym}.csv`, rows: n };
}
