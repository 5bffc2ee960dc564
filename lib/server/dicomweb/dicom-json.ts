/**
 * Reading values out of the DICOM JSON model (PS3.18 §F.2) that QIDO-RS answers with:
 * `{ "0020000D": { "vr": "UI", "Value": ["1.2.3"] }, "00100010": { "vr": "PN", "Value": [{ "Alphabetic": "DOE^JANE" }] } }`.
 */
export type DicomJsonDataset = Record<string, { vr?: string; Value?: unknown[] } | undefined>;

/** The first value of `tag` as a string ('' when absent); a PN gives its Alphabetic form. */
export function jsonString(ds: DicomJsonDataset, tag: string): string {
  const v = ds[tag]?.Value?.[0];
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return String((v as { Alphabetic?: string }).Alphabetic ?? '');
  return String(v);
}

/** Every value of `tag` as strings. */
export function jsonStrings(ds: DicomJsonDataset, tag: string): string[] {
  return (ds[tag]?.Value ?? [])
    .map((v) => (typeof v === 'object' && v !== null ? String((v as { Alphabetic?: string }).Alphabetic ?? '') : String(v)))
    .filter((s) => s !== '');
}

/** The first value of `tag` as a number, or null. */
export function jsonNumber(ds: DicomJsonDataset, tag: string): number | null {
  const v = ds[tag]?.Value?.[0];
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
}

/** Parses a QIDO-RS answer body: an array of datasets ('' or 204 is an empty list). */
export function parseDicomJsonList(text: string, what: string): DicomJsonDataset[] {
  if (text.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${what}: the answer is not JSON (starts with "${text.slice(0, 60)}")`);
  }
  if (!Array.isArray(parsed)) throw new Error(`${what}: expected a JSON array of DICOM datasets`);
  return parsed as DicomJsonDataset[];
}
