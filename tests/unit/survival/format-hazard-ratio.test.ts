import { describe, expect, it } from 'vitest';
import { formatHazardRatio, rescaledUnitLabel } from '../../../lib/core/survival/format-hazard-ratio';

describe('formatHazardRatio', () => {
  it('a per-voxel HR of 1.0000255 (1.0000161–1.0000349) keeps its digits instead of "1 (1–1)"', () => {
    const f = formatHazardRatio({ hr: 1.0000255, lower: 1.0000161, upper: 1.0000349 });
    expect(f.text).toBe('1.000026 (1.000016–1.000035)');
    expect(Number(f.lower)).toBeGreaterThan(1);
    expect(Number(f.lower)).toBeLessThan(Number(f.hr));
    expect(Number(f.hr)).toBeLessThan(Number(f.upper));
    // …and says what it is per 1000 voxels, at the usual 4 digits
    expect(f.rescaled).toMatchObject({ per: 1000, hr: '1.026', lower: '1.016', upper: '1.036' });
  });

  it('ordinary HRs print at 4 significant digits with no rescaling', () => {
    const f = formatHazardRatio({ hr: 1.1472, lower: 0.9871, upper: 1.3333 });
    expect(f).toMatchObject({ text: '1.147 (0.9871–1.333)', significant: 4 });
    expect(f.rescaled).toBeUndefined();
    expect(formatHazardRatio({ hr: 0.5, lower: 0.25, upper: 1 }).text).toBe('0.5000 (0.2500–1.000)');
  });

  it('a bound just below 1 never prints as 1 or above it', () => {
    const f = formatHazardRatio({ hr: 1.3, lower: 0.99996, upper: 1.7 });
    expect(Number(f.lower)).toBeLessThan(1);
    expect(f.lower).toBe('0.99996');
    const g = formatHazardRatio({ hr: 0.9, lower: 0.8, upper: 1.00004 });
    expect(Number(g.upper)).toBeGreaterThan(1);
  });

  it('bounds that differ never print equal, also below 1', () => {
    const f = formatHazardRatio({ hr: 0.99999, lower: 0.999985, upper: 0.999995 });
    expect(new Set([f.lower, f.hr, f.upper]).size).toBe(3);
    expect(Number(f.upper)).toBeLessThan(1);
  });

  it('an exact 1 stays 1; missing and infinite values are named; tiny and huge values use exponents', () => {
    expect(formatHazardRatio({ hr: 1, lower: 0.5, upper: 2 }).text).toBe('1.000 (0.5000–2.000)');
    expect(formatHazardRatio({ hr: 3e8, lower: 2, upper: Infinity }).text).toBe('3.000e+8 (2.000–Inf)');
    expect(formatHazardRatio({ hr: null, lower: undefined, upper: NaN }, { missing: '—' }).text).toBe('— (—–—)');
    expect(formatHazardRatio({ hr: 2e-5, lower: 1e-6, upper: 0.4 }).hr).toBe('2.000e-5');
  });

  it('minSignificant sets the starting digits', () => {
    expect(formatHazardRatio({ hr: 1.23456, lower: 1.1, upper: 1.4 }, { minSignificant: 3 }).text).toBe('1.23 (1.10–1.40)');
  });
});

describe('rescaledUnitLabel', () => {
  it('multiplies the unit and pluralises words, not abbreviations', () => {
    expect(rescaledUnitLabel(1000, 'per voxel')).toBe('per 1,000 voxels');
    expect(rescaledUnitLabel(100, 'per 10 percentage points')).toBe('per 1,000 percentage points');
    expect(rescaledUnitLabel(1000, 'per 0.1 Dice')).toBe('per 100 Dice');
    expect(rescaledUnitLabel(10, 'per cc')).toBe('per 10 cc');
    expect(rescaledUnitLabel(10, null)).toBe('per 10 units');
  });
});
