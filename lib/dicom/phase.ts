/**
 * 4D CT respiratory phase recognition from series attributes.
 *
 * Vendors name the phases in SeriesDescription ("CT 20%", "Gated, 20.0%", "20% phase", "T=20%",
 * "4D 20 %", "Resp 20 percent") or number them with TemporalPositionIndex (0020,9128) out of
 * NumberOfTemporalPositions (0020,0105). Anything else (e.g. "Phase 3", which may be an index or
 * a percent; or two different percentages) is ambiguous and gives null, so the user maps the
 * series by hand. Derived series (MIP, MinIP, AIP/average) are not phases.
 * Reference: AAPM TG-76 (4D CT phase binning); DICOM PS3.3 C.7.6.16.2.10 (Temporal Position).
 */
export interface PhaseInfo {
  /** Respiratory phase in percent of the cycle, 0 ≤ percent < 100 (0 = end-inhale by convention). */
  percent: number;
  source: 'description' | 'temporal-position' | 'manual';
}

export interface PhaseInput {
  seriesDescription?: string;
  temporalPositionIndex?: number;
  numberOfTemporalPositions?: number;
}

const DERIVED = /\b(mip|minip|min-ip|aip|avg|average|ave|mean|max|min)\b/i;
const PERCENT = /(\d{1,3}(?:\.\d+)?)\s*(?:%|percent\b|pct\b)/gi;

/**
 * Recognise the phase percent of one series. Returns null when the series is not a phase or
 * when the attributes do not say which phase it is unambiguously.
 */
export function recognisePhase(input: PhaseInput): PhaseInfo | null {
  const desc = input.seriesDescription?.trim() ?? '';
  if (desc && DERIVED.test(desc)) return null;
  if (desc) {
    const values = new Set<number>();
    for (const m of desc.matchAll(PERCENT)) values.add(Number(m[1]));
    if (values.size === 1) {
      const v = [...values][0];
      if (v >= 0 && v < 100) return { percent: v, source: 'description' };
      if (v === 100) return { percent: 0, source: 'description' };
      return null;
    }
    if (values.size > 1) return null;
  }
  const t = input.temporalPositionIndex;
  const n = input.numberOfTemporalPositions;
  if (t !== undefined && n !== undefined && Number.isInteger(t) && Number.isInteger(n) && n > 1 && t >= 1 && t <= n)
    return { percent: Math.round(((t - 1) * 1000) / n) / 10, source: 'temporal-position' };
  return null;
}
