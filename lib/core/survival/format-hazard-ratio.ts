/**
 * Hazard ratios as text (CLI tables, the outcomes page, the forest plot's footer). One rule for
 * every place that prints an HR and its 95% CI:
 *
 * - Start at `minSignificant` significant digits (default 4) and add digits, the same number to
 *   the HR and both bounds, until rounding hides nothing: a bound that differs from 1 does not
 *   print as 1 or on the other side of 1, the two bounds do not print equal, and the HR does not
 *   print equal to a bound it differs from. A per-voxel HR of 1.0000255 (1.0000161–1.0000349)
 *   therefore prints as `1.0000255 (1.0000161–1.0000349)`, never `1 (1–1)`.
 * - When that needs two or more digits beyond `minSignificant` and the interval lies close to
 *   1, `rescaled` also gives the same estimate per 10^k units (HR^k with bounds lower^k and
 *   upper^k, exact for a Wald interval on the log scale) with k the smallest power of ten whose
 *   interval keeps those distinctions at one digit fewer than `minSignificant` (printed at
 *   `minSignificant`): "per 1000 voxels: 1.026 (1.016–1.036)".
 * - Values below 1e-4 or from 1e6 up print in exponent form; a missing value prints `missing`
 *   (default "NA"), an infinite bound `infinity` (default "Inf").
 *
 * Pure (no I/O); used by cli/commands/survival.ts and app/(app)/outcomes.
 */

export interface HazardRatioInput {
  hr: number | null | undefined;
  lower: number | null | undefined;
  upper: number | null | undefined;
}

export interface HazardRatioOptions {
  /** Significant digits to start from (default 4). */
  minSignificant?: number;
  /** Text for a missing value (default "NA"). */
  missing?: string;
  /** Text for an infinite bound (default "Inf"). */
  infinity?: string;
}

export interface HazardRatioText {
  hr: string;
  lower: string;
  upper: string;
  /** `HR (lower–upper)` */
  text: string;
  /** significant digits used */
  significant: number;
  /** the same estimate per `per` units, when the plain form needs many digits (see above) */
  rescaled?: { per: number; hr: string; lower: string; upper: string; text: string };
}

const MAX_SIGNIFICANT = 15;

const usable = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);

function formatPositive(x: number, significant: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a < 1e-4 || a >= 1e6) return x.toExponential(significant - 1);
  return x.toPrecision(significant);
}

function formatOne(x: number | null | undefined, significant: number, o: Required<Omit<HazardRatioOptions, 'minSignificant'>>): string {
  if (x === null || x === undefined || Number.isNaN(x)) return o.missing;
  if (x === Infinity) return o.infinity;
  if (x === -Infinity) return `-${o.infinity}`;
  return formatPositive(x, significant);
}

/** True when printing at `significant` digits keeps every distinction named in the rule. */
function faithful(v: HazardRatioInput, significant: number): boolean {
  // Indices are < shown.length, hence the `!`s.
  const vals = [v.hr, v.lower, v.upper];
  const shown = vals.map((x) => (usable(x) ? Number(formatPositive(x, significant)) : null));
  for (let i = 0; i < 3; i++) {
    const x = vals[i];
    const s = shown[i]!;
    if (!usable(x) || s === null) continue;
    if (Math.sign(x - 1) !== Math.sign(s - 1)) return false;
  }
  // pairs in order: lower < hr < upper (each pair only when both are finite and differ)
  const pairs: [number, number][] = [
    [1, 2],
    [1, 0],
    [0, 2],
  ];
  for (const [a, b] of pairs) {
    const xa = vals[a];
    const xb = vals[b];
    const sa = shown[a]!;
    const sb = shown[b]!;
    if (!usable(xa) || !usable(xb) || sa === null || sb === null || xa === xb) continue;
    if (Math.sign(xb - xa) !== Math.sign(sb - sa)) return false;
  }
  return true;
}

function digitsNeeded(v: HazardRatioInput, minSignificant: number): number {
  for (let p = minSignificant; p <= MAX_SIGNIFICANT; p++) if (faithful(v, p)) return p;
  return MAX_SIGNIFICANT;
}

export function formatHazardRatio(v: HazardRatioInput, options: HazardRatioOptions = {}): HazardRatioText {
  const minSignificant = Math.min(MAX_SIGNIFICANT, Math.max(1, Math.round(options.minSignificant ?? 4)));
  const o = { missing: options.missing ?? 'NA', infinity: options.infinity ?? 'Inf' };
  const p = digitsNeeded(v, minSignificant);
  const hr = formatOne(v.hr, p, o);
  const lower = formatOne(v.lower, p, o);
  const upper = formatOne(v.upper, p, o);
  const out: HazardRatioText = { hr, lower, upper, text: `${hr} (${lower}–${upper})`, significant: p };
  if (p >= minSignificant + 2 && usable(v.hr) && usable(v.lower) && usable(v.upper) && v.lower > 0.5 && v.upper < 2 && v.lower > 0) {
    for (let k = 1; k <= 9; k++) {
      const per = 10 ** k;
      const scaled = { hr: v.hr ** per, lower: v.lower ** per, upper: v.upper ** per };
      if (![scaled.hr, scaled.lower, scaled.upper].every((x) => Number.isFinite(x) && x > 0)) break;
      // one digit to spare, so the rescaled interval reads clearly rather than only just
      if (faithful(scaled, Math.max(1, minSignificant - 1))) {
        const s = {
          hr: formatOne(scaled.hr, minSignificant, o),
          lower: formatOne(scaled.lower, minSignificant, o),
          upper: formatOne(scaled.upper, minSignificant, o),
        };
        out.rescaled = { per, ...s, text: `${s.hr} (${s.lower}–${s.upper})` };
        break;
      }
    }
  }
  return out;
}

/** "per 1000 voxels" from a unit label such as "per voxel", "voxel", "per 10 years" or none. */
export function rescaledUnitLabel(per: number, unit: string | null | undefined): string {
  const u = (unit ?? '').trim().replace(/^per\s+/i, '');
  const m = /^([0-9.eE+-]+)\s+(.*)$/.exec(u);
  const base = m && Number.isFinite(Number(m[1])) ? Number(m[1]) : 1;
  const name = (m && Number.isFinite(Number(m[1])) ? m[2] : u) || 'unit';
  const total = Number((per * base).toPrecision(12));
  // plural of a lowercase word ("voxel", "percentage point"); abbreviations stay ("cc", "mm", "Dice")
  const word = /^[a-z][a-z ]*[a-z]$/.test(name) && !['cc', 'mm', 'cm', 'ml', 'gy'].includes(name);
  const plural = total !== 1 && word && !name.endsWith('s') ? `${name}s` : name;
  return `per ${total.toLocaleString('en-US')} ${plural}`;
}
