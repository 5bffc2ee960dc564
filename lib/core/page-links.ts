/**
 * The page numbers a paged table links to: the first, the last and two either side of the
 * current one; null marks a gap ("…"). Pure.
 */
export function pageLinks(page: number, pageCount: number): (number | null)[] {
  if (pageCount <= 1) return [];
  const want = new Set([1, pageCount]);
  for (let n = page - 2; n <= page + 2; n++) if (n >= 1 && n <= pageCount) want.add(n);
  const sorted = [...want].sort((a, b) => a - b);
  const out: (number | null)[] = [];
  let prev = 0;
  for (const n of sorted) {
    if (prev > 0 && n - prev > 1) out.push(null);
    out.push(n);
    prev = n;
  }
  return out;
}
