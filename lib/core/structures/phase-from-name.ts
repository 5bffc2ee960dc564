/**
 * Respiratory phase named in a structure name. Pure.
 *
 * Read: a percent ("GTV_20%", "GTV 20 %", "GTV20pct", "GTV_20percent"); "phase" followed by a
 * multiple of ten ("GTV_phase_20", "gtv_phase_00"); a 4D CT bin written "T" or "CT" and two
 * digits that are a multiple of ten ("GTV_T50", "GTV_CT00"), only in a name that has "GTV" in it
 * ("T10" is also a vertebra). 100% is phase 0.
 * Not read: "Phase 3" (an index or a percent? the same ambiguity lib/dicom/phase.ts refuses for
 * series), "GTV_50" (a phase, a dose or a number?), "T1" (a tumour stage).
 */
const PERCENT = /(\d{1,3}(?:\.\d+)?)\s*(?:%|pct\b|percent\b)/i;
const PHASE = /phase[\s_-]*(\d{1,2}0|00)(?!\d)/i;
const BIN = /(?:^|[^a-z0-9])c?t[\s_-]?([0-9]0)(?![\d.%])/i;

/** Phase percent written in a name (0 ≤ p < 100), or null (see the module comment). */
export function phaseFromName(name: string): number | null {
  const m = PERCENT.exec(name) ?? PHASE.exec(name) ?? (/gtv/i.test(name) ? BIN.exec(name) : null);
  if (!m) return null;
  const v = Number(m[1]);
  if (!(v >= 0 && v <= 100)) return null;
  return v === 100 ? 0 : v;
}
