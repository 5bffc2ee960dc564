/**
 * The hand-made 4D CT phase mapping of the CLI (`--phase-map UID=percent,…`) and the upload form:
 * SeriesInstanceUID → respiratory phase percent (0 ≤ p < 100).
 */
import { AppError } from '../errors';

/** @throws AppError INVALID_INPUT naming the bad item. */
export function parsePhaseMap(text: string | undefined | null): Record<string, number> | undefined {
  if (text === undefined || text === null || text.trim() === '') return undefined;
  const out: Record<string, number> = {};
  for (const item of text.split(/[,\s;]+/).filter(Boolean)) {
    const m = /^([0-9.]+(?:#\d+)?)=(\d{1,2}(?:\.\d+)?)%?$/.exec(item);
    if (!m || !(Number(m[2]) >= 0 && Number(m[2]) < 100))
      throw new AppError('INVALID_INPUT', `Phase map item "${item}" is not SERIES_UID=percent (a DICOM UID, "=", a percent 0–99, e.g. 1.2.840.1.2.3=20).`);
    if (m[1] in out) throw new AppError('INVALID_INPUT', `Phase map names series ${m[1]} twice.`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}
