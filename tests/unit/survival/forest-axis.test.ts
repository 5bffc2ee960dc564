import { describe, expect, it } from 'vitest';
import { forestAxis, forestScaledRow } from '@/lib/core/survival/forest-axis';
import { formatHazardRatio } from '@/lib/core/survival/format-hazard-ratio';

describe('forestScaledRow', () => {
  it('draws a per-voxel HR per 1,000s of voxels (as the table prints it) and says so in the label', () => {
    const r = forestScaledRow({ label: 'ITV FP voxels', unit: 'per voxel', hr: 1.0000256, lower95: 1.0000158, upper95: 1.0000354 })!;
    const table = formatHazardRatio({ hr: 1.0000256, lower: 1.0000158, upper: 1.0000354 }).rescaled!;
    expect(r.per).toBe(table.per);
    expect(r.per).toBeGreaterThanOrEqual(1000);
    expect(r.name).toBe(`ITV FP voxels (per ${r.per.toLocaleString('en-US')} voxels)`);
    expect(r.hr).toBeCloseTo(1.0000256 ** r.per, 9);
    expect(r.lower95).toBeLessThan(r.hr);
    expect(r.upper95).toBeGreaterThan(r.hr);
    // the drawn interval is no longer a hair (1.0000196 per voxel): it spans more than 1 % of HR
    expect(r.upper95 / r.lower95).toBeGreaterThan(1.01);
    // and the axis chosen from it gives it most of the plot's width
    const { domain } = forestAxis([r.lower95], [r.upper95]);
    expect((Math.log(r.upper95) - Math.log(r.lower95)) / (Math.log(domain[1]) - Math.log(domain[0]))).toBeGreaterThan(0.4);
  });
  it('leaves an ordinary HR as it is, and refuses what cannot be drawn', () => {
    expect(forestScaledRow({ label: 'Age', unit: 'per 10 years', hr: 1.4, lower95: 0.9, upper95: 2.1 })).toEqual({
      name: 'Age (per 10 years)',
      hr: 1.4,
      lower95: 0.9,
      upper95: 2.1,
      per: 1,
    });
    expect(forestScaledRow({ label: 'x', unit: 'per cc', hr: 1.2, lower95: 0.5, upper95: Infinity })).toBeNull();
    expect(forestScaledRow({ label: 'x', unit: 'per cc', hr: null, lower95: 0.5, upper95: 2 })).toBeNull();
  });
});

describe('forestAxis', () => {
  it('a narrow interval gets a narrow axis with round ticks around 1, not a decade axis', () => {
    const { domain, ticks } = forestAxis([0.98], [1.06]);
    expect(domain[0]).toBeGreaterThan(0.97);
    expect(domain[0]).toBeLessThan(0.98);
    expect(domain[1]).toBeGreaterThan(1.06);
    expect(domain[1]).toBeLessThan(1.07);
    expect(ticks).toContain(1);
    expect(ticks.length).toBeGreaterThanOrEqual(4);
    // the demo cohort's per-voxel HR 1.031 (0.978–1.087) gets ticks every 0.02
    expect(forestAxis([0.9777], [1.0873]).ticks).toEqual([0.98, 1, 1.02, 1.04, 1.06, 1.08]);
    for (const t of ticks) expect(t >= domain[0] && t <= domain[1]).toBe(true);
    // the interval covers most of the axis (log scale)
    const frac = (Math.log(1.06) - Math.log(0.98)) / (Math.log(domain[1]) - Math.log(domain[0]));
    expect(frac).toBeGreaterThan(0.8);
  });
  it('a wide range keeps decade ticks (1, 2, 5 × 10^k)', () => {
    const { domain, ticks } = forestAxis([0.3, 1.2], [0.9, 8]);
    expect(domain[0]).toBeCloseTo(10 ** -1, 6);
    expect(domain[1]).toBeCloseTo(10 ** 1, 6);
    expect(ticks).toEqual([0.1, 0.2, 0.5, 1, 2, 5, 10]);
  });
});
