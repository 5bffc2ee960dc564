/**
 * Merge times that differ only by floating-point noise, as R's survival::aeqSurv (the default
 * `timefix = TRUE` of coxph, survfit, survdiff and concordance): unique times closer than
 * sqrt(machine eps), absolutely or relative to their mean magnitude, become one time.
 * Without this, 1/3·3 and 1 would be different event times here but tied in R.
 */
const TOL = Math.sqrt(2.220446049250313e-16);

/** Returns the input unchanged when no near-ties exist, otherwise a corrected copy. */
export function fixTiedTimes(time: ArrayLike<number>): ArrayLike<number> {
  // Every index below is bounded by its loop (arrays sized from the same counts), hence the `!`s.
  const finite: number[] = [];
  for (let i = 0; i < time.length; i++) if (Number.isFinite(time[i])) finite.push(time[i]!);
  const y = Float64Array.from(new Set(finite)).sort();
  if (y.length < 2) return time;
  let meanAbs = 0;
  for (let i = 0; i < y.length; i++) meanAbs += Math.abs(y[i]!);
  meanAbs /= y.length;
  const cuts: number[] = [y[0]!];
  let anyTied = false;
  for (let i = 1; i < y.length; i++) {
    const dy = y[i]! - y[i - 1]!;
    if (dy <= TOL || dy / meanAbs <= TOL) anyTied = true;
    else cuts.push(y[i]!);
  }
  if (!anyTied) return time;
  const out = new Float64Array(time.length);
  for (let i = 0; i < time.length; i++) {
    const t = time[i]!;
    if (!Number.isFinite(t)) {
      out[i] = t;
      continue;
    }
    let lo = 0;
    let hi = cuts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (cuts[mid]! <= t) lo = mid;
      else hi = mid - 1;
    }
    out[i] = cuts[lo]!;
  }
  return out;
}
