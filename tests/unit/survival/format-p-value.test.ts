import { describe, expect, it } from 'vitest';
import { formatPValue, formatPValueCell } from '@/lib/core/survival/format-p-value';

describe('formatPValue', () => {
  it('writes one comparison: "p < 0.001" below 0.001, "p = 0.012" otherwise', () => {
    expect(formatPValue(0.0000123)).toBe('p < 0.001');
    expect(formatPValue(0)).toBe('p < 0.001');
    expect(formatPValue(0.001)).toBe('p = 0.001');
    expect(formatPValue(0.01234)).toBe('p = 0.012');
    expect(formatPValue(0.99996)).toBe('p = 1.000');
    expect(formatPValue(null)).toBe('p = —');
    expect(formatPValue(0.0004, 'global p')).toBe('global p < 0.001');
    for (const p of [0, 1e-9, 0.0009, 0.5, 1]) expect(formatPValue(p)).not.toMatch(/=\s*</);
  });
  it('a table cell carries the value alone', () => {
    expect(formatPValueCell(0.0002)).toBe('< 0.001');
    expect(formatPValueCell(0.2)).toBe('0.200');
    expect(formatPValueCell(undefined)).toBe('—');
    expect(formatPValueCell(Number.NaN)).toBe('—');
  });
});
