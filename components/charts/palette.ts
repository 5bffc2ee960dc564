/**
 * Okabe–Ito colour-blind-safe palette (Okabe & Ito 2008), in an order that keeps the first
 * groups distinguishable in greyscale too.
 */
export const GROUP_COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];

export function groupColor(index: number): string {
  return GROUP_COLORS[index % GROUP_COLORS.length];
}
