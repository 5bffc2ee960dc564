/**
 * Respiratory motion: the Lujan model z(t) = z₀ − b·cos²ⁿ(πt/τ) (Lujan et al., Med Phys 26:715,
 * 1999), with phase 0% = end-inhale (largest excursion) and 50% = end-exhale (the reference
 * position, where the tumour spends most of the cycle).
 */
import type { Vec3 } from '@/lib/core/volume';

/** The 10 phase percents of a 4D CT. */
export const PHASE_PERCENTS: readonly number[] = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90];

/**
 * Fraction of the full excursion at a phase: cos²ⁿ(π·phase/100); 1 at 0%, 0 at 50%.
 * @param phasePercent 0–100
 * @param n Lujan shape exponent (1 = cos², larger = flatter exhale)
 */
export function breathingFraction(phasePercent: number, n = 1): number {
  return Math.cos((Math.PI * phasePercent) / 100) ** (2 * n);
}

/** Displacement (mm, LPS) from the exhale position: `peakMm` (end-inhale vector) × fraction. */
export function displacementMm(peakMm: Vec3, phasePercent: number, n = 1): Vec3 {
  const f = breathingFraction(phasePercent, n);
  return [peakMm[0] * f, peakMm[1] * f, peakMm[2] * f];
}
