/**
 * Every MetricResult row of a study as one long CSV (one value per line), for any role that may
 * view studies. No identifiers: the patient appears by pseudonym only, and no DICOM UID is
 * written. Discordance regions are flattened as `falsePositive#1.volumeCc` (regions numbered
 * from 1, as the viewer lists them; vectors indexed from 0: `centroidMm[2]`).
 * The reference structure is named by its role and phase ("GTV 30%", "ITV"; present-free-text.ts),
 * never by its ROI name, which is free text from DICOM. Written by lib/core/csv/format-csv.ts
 * (RFC 4180, CRLF, formula cells neutralised, numbers as numbers).
 */
import type { Db } from '../db/client';
import { type Caller, authorize } from '../auth/roles';
import { AppError } from '../errors';
import { formatCsv, type CsvValue } from '@/lib/core/csv/format-csv';
import { EXPORT_PRESENTER } from '../deid/present-free-text';

export const METRICS_CSV_COLUMNS = [
  'pseudonym',
  'study_id',
  'run_id',
  'model',
  'model_version',
  'model_sha256',
  'reference_structure',
  'test_structure',
  'scope',
  'phase_index',
  'phase_percent',
  'convention',
  'metric',
  'value',
  'null_reason',
  'tolerance_mm',
  'code_version',
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

/** @throws AppError FORBIDDEN (role), NOT_FOUND (no such study). */
export async function exportStudyMetricsCsv(
  db: Db,
  { caller, studyId }: { caller: Caller | null; studyId: string },
): Promise<{ csv: string; fileName: string; rows: number }> {
  authorize(caller, 'studies:view');
  const study = await db.study.findUnique({ where: { id: studyId }, select: { id: true, patient: { select: { pseudonym: true } } } });
  if (!study) throw new AppError('NOT_FOUND', `Study ${studyId} does not exist (deleted, or a wrong link).`);
  const rows = await db.metricResult.findMany({
    where: { studyId },
    orderBy: [{ runId: 'asc' }, { testStructureId: 'asc' }, { convention: 'asc' }],
    select: {
      runId: true,
      convention: true,
      values: true,
      nullReasons: true,
      toleranceMm: true,
      codeVersion: true,
      run: { select: { modelVersion: { select: { name: true, version: true, sha256: true } } } },
      referenceStructure: { select: { name: true, kind: true, phaseIndex: true, phasePercent: true, interpretedType: true } },
      testStructure: { select: { label: true, kind: true, phaseIndex: true, series: { select: { phasePercent: true } } } },
    },
  });
  const lines: CsvValue[][] = [];
  let n = 0;
  for (const r of rows) {
    const reasons = (r.nullReasons ?? {}) as Record<string, string>;
    const t = r.testStructure;
    for (const [metric, value] of flattenMetricValues(r.values)) {
      lines.push([
        study.patient.pseudonym,
        study.id,
        r.runId,
        r.run?.modelVersion.name,
        r.run?.modelVersion.version,
        r.run?.modelVersion.sha256,
        EXPORT_PRESENTER.structureName(r.referenceStructure),
        t.label,
        t.kind,
        t.phaseIndex,
        t.kind === 'ITV' ? null : t.series?.phasePercent,
        r.convention,
        metric,
        value,
        reasons[metric] ?? null,
        r.toleranceMm,
        r.codeVersion,
      ]);
      n++;
    }
  }
  return { csv: formatCsv(METRICS_CSV_COLUMNS, lines), fileName: `metrics-${study.patient.pseudonym}.csv`, rows: n };
}
