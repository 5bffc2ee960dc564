/**
 * A p-value as the outcomes page and its figures print it: three decimals, and "< 0.001" below
 * that (never "p = < 0.001", a doubled comparison). Pure.
 */

/** The value alone, for a table cell under a "p" header: "0.012", "< 0.001", "—" when missing. */
export function formatPValueCell(p: number | null | undefined): string {
  if (p === null || p === undefined || Number.isNaN(p)) return '—';
  if (p < 0.001) return '< 0.001';
  // 0.9996 would round to "1.000"; a p-value is at most 1 anyway.
  return Math.min(p, 1).toFixed(3);
}

/** With its comparison, for running text: "p = 0.012", "p < 0.001", "p = —" when missing. */
export function formatPValue(p: number | null | undefined, name = 'p'): string {
  const cell = formatPValueCell(p);
  return cell.startsWith('<') ? `${name} ${cell}` : `${name} = ${cell}`;
}
