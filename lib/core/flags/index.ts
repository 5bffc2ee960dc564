/**
 * QA flags of one segmentation run: which of the admin-set rules the run's stored metrics break,
 * each with the rule in words, the value, the threshold and the structure it is about. Pure: the
 * caller passes the run's summary numbers and the thresholds (the current FlagRuleSet, see
 * docs/flags.md).
 *
 * Rules and their defaults (DEFAULT_FLAG_THRESHOLDS), chosen so that a flag means "look at this
 * case", not "this case is wrong":
 * - LOW_DICE: the ITV Dice is below `itvDice` (default 0.65). Published lung GTV/ITV
 *   inter-observer Dice medians sit around 0.7–0.8, so below 0.65 is outside normal
 *   disagreement. "Low Dice" is about the ITV only, the structure a reader means.
 * - LOW_PHASE_DICE: some phase's GTV Dice is below `phaseGtvDice` (default 0.5), named by its
 *   phase ("phase 30 % GTV Dice 0.42"). A single mis-segmented phase enlarges the ITV, but a
 *   per-phase GTV is small and its Dice naturally lower, hence its own, lower threshold. With a
 *   planning CT alone (no ITV Dice) this is the GTV's Dice.
 * - LARGE_FP: the largest connected false-positive region of the ITV is > `largeFpCc` (default
 *   5 cc, a sphere of about 21 mm diameter). Scattered border voxels add up to several cc on
 *   large tumours, so the largest *region* is used, not the total FP volume.
 * - DISTANT_FP: some ITV false-positive voxel lies > `distantFpMm` (default 10 mm) from the
 *   physician's ITV: beyond a typical GTV→CTV margin (5–8 mm), tissue no margin would cover.
 * - OUTLIER_PHASE: lib/core/metrics/motion.ts found a machine GTV phase that is empty, or whose
 *   volume or centroid departs from its neighbours' (no threshold to set).
 * - NO_REFERENCE: there is no physician ITV and no physician GTV to compare with.
 */

export interface FlagThresholds {
  /** LOW_DICE when the ITV Dice is below this. */
  itvDice: number;
  /** LOW_PHASE_DICE when some phase's GTV Dice is below this. */
  phaseGtvDice: number;
  /** LARGE_FP when the largest ITV false-positive region is above this (cc). */
  largeFpCc: number;
  /** DISTANT_FP when some ITV false-positive voxel is farther than this from the physician ITV (mm). */
  distantFpMm: number;
}

export const DEFAULT_FLAG_THRESHOLDS: Readonly<FlagThresholds> = Object.freeze({ itvDice: 0.65, phaseGtvDice: 0.5, largeFpCc: 5, distantFpMm: 10 });

export const FLAG_CODES = ['LOW_DICE', 'LOW_PHASE_DICE', 'LARGE_FP', 'DISTANT_FP', 'OUTLIER_PHASE', 'NO_REFERENCE'] as const;
export type FlagCode = (typeof FLAG_CODES)[number];

/** Short labels, as the tables show them. */
export const FLAG_LABELS: Readonly<Record<FlagCode, string>> = {
  LOW_DICE: 'low ITV Dice',
  LOW_PHASE_DICE: 'low phase Dice',
  LARGE_FP: 'large FP',
  DISTANT_FP: 'distant FP',
  OUTLIER_PHASE: 'outlier phase',
  NO_REFERENCE: 'no reference',
};

/** What each threshold means, with its unit and allowed range (the admin form and the parser use it). */
export const THRESHOLD_FIELDS: readonly { key: keyof FlagThresholds; label: string; unit: string; min: number; max: number }[] = [
  { key: 'itvDice', label: 'Low ITV Dice: flag when the ITV Dice is below', unit: '', min: 0, max: 1 },
  { key: 'phaseGtvDice', label: 'Low phase Dice: flag when a phase GTV Dice is below', unit: '', min: 0, max: 1 },
  { key: 'largeFpCc', label: 'Large FP: flag when the largest ITV false-positive region is above', unit: 'cc', min: 0, max: 10000 },
  { key: 'distantFpMm', label: 'Distant FP: flag when an ITV false-positive voxel lies farther than', unit: 'mm', min: 0, max: 1000 },
];

export interface Flag {
  code: FlagCode;
  /** Short label ("low ITV Dice"). */
  label: string;
  /** The rule in words ("ITV Dice below 0.65"). */
  rule: string;
  /** The run's value the rule looked at (null for rules without a number). */
  value: number | null;
  threshold: number | null;
  /** What the flag is about: "ITV", "phase 30 % GTV", "GTV". */
  structure: string;
  /** One sentence: "phase 30 % GTV Dice 0.42 is below 0.5". */
  text: string;
}

/** The numbers of a run summary (lib/core/stats/run-summary.ts) the rules read. */
export interface FlagInput {
  phases: { phaseIndex: number | null; phasePercent: number | null; dice: number | null; physicianCc: number | null; outlier: boolean }[];
  itv: { dice: number | null; physicianCc: number | null; largestFpRegionCc: number | null; maxFpDistanceMm: number | null };
}

export class FlagRuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagRuleError';
  }
}

/**
 * Checks thresholds from an untrusted source (a form, a stored Json): every field present, a
 * finite number within its range.
 * @throws FlagRuleError naming the field and what to enter.
 */
export function parseFlagThresholds(raw: unknown): FlagThresholds {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new FlagRuleError('Flag thresholds must be an object with itvDice, phaseGtvDice, largeFpCc and distantFpMm.');
  const r = raw as Record<string, unknown>;
  const out = {} as FlagThresholds;
  for (const f of THRESHOLD_FIELDS) {
    const v = typeof r[f.key] === 'string' && (r[f.key] as string).trim() !== '' ? Number(r[f.key]) : r[f.key];
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new FlagRuleError(
        `Flag threshold "${f.key}" (${f.label}) is missing or not a number; enter a number from ${f.min} to ${f.max}${f.unit ? ` ${f.unit}` : ''}.`,
      );
    if (v < f.min || v > f.max)
      throw new FlagRuleError(`Flag threshold "${f.key}" is ${v}; it must be from ${f.min} to ${f.max}${f.unit ? ` ${f.unit}` : ''}.`);
    out[f.key] = v;
  }
  return out;
}

/** A number as the flags print it: Dice with 2 decimals, cc and mm with 1. */
const fmt = (v: number, digits: number) => String(Number(v.toFixed(digits)));

/** "phase 30 %" (4D CT), "phase 3" (no percent) or "" (planning CT). */
function phaseName(p: FlagInput['phases'][number]): string {
  if (p.phasePercent !== null) return `phase ${fmt(p.phasePercent, 0)} %`;
  if (p.phaseIndex !== null) return `phase ${p.phaseIndex}`;
  return '';
}

const lowDice = (v: number, t: FlagThresholds): Flag => ({
  code: 'LOW_DICE',
  label: FLAG_LABELS.LOW_DICE,
  rule: `ITV Dice below ${t.itvDice}`,
  value: v,
  threshold: t.itvDice,
  structure: 'ITV',
  text: `ITV Dice ${fmt(v, 2)} is below ${t.itvDice}`,
});

/** `structure`: "phase 30 % GTV", "GTV" (planning CT) or "lowest phase GTV" (phase not known). */
const lowPhaseDice = (v: number, structure: string, t: FlagThresholds, more = ''): Flag => ({
  code: 'LOW_PHASE_DICE',
  label: structure === 'lowest phase GTV' ? FLAG_LABELS.LOW_PHASE_DICE : `${structure} Dice ${fmt(v, 2)}`,
  rule: `a phase GTV Dice below ${t.phaseGtvDice}`,
  value: v,
  threshold: t.phaseGtvDice,
  structure,
  text: `${structure} Dice ${fmt(v, 2)} is below ${t.phaseGtvDice}${more}`,
});

const largeFp = (v: number, t: FlagThresholds): Flag => ({
  code: 'LARGE_FP',
  label: FLAG_LABELS.LARGE_FP,
  rule: `largest ITV false-positive region above ${t.largeFpCc} cc`,
  value: v,
  threshold: t.largeFpCc,
  structure: 'ITV',
  text: `largest ITV false-positive region ${fmt(v, 1)} cc is above ${t.largeFpCc} cc`,
});

const distantFp = (v: number, t: FlagThresholds): Flag => ({
  code: 'DISTANT_FP',
  label: FLAG_LABELS.DISTANT_FP,
  rule: `an ITV false-positive voxel farther than ${t.distantFpMm} mm from the physician ITV`,
  value: v,
  threshold: t.distantFpMm,
  structure: 'ITV',
  text: `an ITV false-positive voxel lies ${fmt(v, 1)} mm from the physician ITV, more than ${t.distantFpMm} mm`,
});

const OUTLIER_RULE = 'a machine GTV phase is empty, or its volume or centroid departs from its neighbours';
const outlierPhase = (names: string | null): Flag => ({
  code: 'OUTLIER_PHASE',
  label: FLAG_LABELS.OUTLIER_PHASE,
  rule: OUTLIER_RULE,
  value: null,
  threshold: null,
  structure: names ? `${names} GTV` : 'phase GTV',
  text: names
    ? `machine GTV of ${names} is empty or departs from its neighbouring phases`
    : 'a machine GTV phase is empty or departs from its neighbouring phases',
});

const noReference = (): Flag => ({
  code: 'NO_REFERENCE',
  label: FLAG_LABELS.NO_REFERENCE,
  rule: 'no physician ITV or GTV to compare with',
  value: null,
  threshold: null,
  structure: 'ITV/GTV',
  text: 'there is no physician ITV or GTV to compare the machine contours with',
});

/** The flags a run's numbers raise under `t`, in FLAG_CODES order. */
export function evaluateFlags(s: FlagInput, t: FlagThresholds): Flag[] {
  const flags: Flag[] = [];
  if (s.itv.dice !== null && s.itv.dice < t.itvDice) flags.push(lowDice(s.itv.dice, t));
  const low = s.phases.filter((p) => p.dice !== null && p.dice < t.phaseGtvDice).sort((a, b) => a.dice! - b.dice!);
  const worst = low[0];
  if (worst) {
    const name = phaseName(worst);
    const more = low.length > 1 ? ` (${low.length} phases below ${t.phaseGtvDice}; this is the lowest)` : '';
    flags.push(lowPhaseDice(worst.dice!, name ? `${name} GTV` : 'GTV', t, more));
  }
  if (s.itv.largestFpRegionCc !== null && s.itv.largestFpRegionCc > t.largeFpCc) flags.push(largeFp(s.itv.largestFpRegionCc, t));
  if (s.itv.maxFpDistanceMm !== null && s.itv.maxFpDistanceMm > t.distantFpMm) flags.push(distantFp(s.itv.maxFpDistanceMm, t));
  const outliers = s.phases.filter((p) => p.outlier);
  if (outliers.length) flags.push(outlierPhase(outliers.map(phaseName).join(', ')));
  if (s.itv.physicianCc === null && s.phases.every((p) => p.physicianCc === null)) flags.push(noReference());
  return flags;
}

/** The summary numbers a table row carries (the cohort's case row): enough to explain stored codes. */
export interface StoredFlagValues {
  itvDice: number | null;
  /** The lowest phase GTV Dice (which phase is not known here). */
  gtvMinDice: number | null;
  largestFpRegionCc: number | null;
  maxFpDistanceMm: number | null;
}

/**
 * Explains stored flag codes (RunSummary.flags, computed under `t`) with the row's numbers. A code
 * whose number is missing keeps its rule with a null value; an unknown code (e.g. FAILED_RUN,
 * not a rule) is left to the caller.
 */
export function explainFlagCodes(codes: readonly string[], v: StoredFlagValues, t: FlagThresholds): Flag[] {
  const out: Flag[] = [];
  const ruleOnly = (f: Flag): Flag => ({ ...f, value: null, text: `${f.rule} (value not stored)` });
  for (const code of codes) {
    if (code === 'LOW_DICE') out.push(v.itvDice !== null ? lowDice(v.itvDice, t) : ruleOnly(lowDice(0, t)));
    else if (code === 'LOW_PHASE_DICE')
      out.push(v.gtvMinDice !== null ? lowPhaseDice(v.gtvMinDice, 'lowest phase GTV', t) : ruleOnly(lowPhaseDice(0, 'lowest phase GTV', t)));
    else if (code === 'LARGE_FP') out.push(v.largestFpRegionCc !== null ? largeFp(v.largestFpRegionCc, t) : ruleOnly(largeFp(0, t)));
    else if (code === 'DISTANT_FP') out.push(v.maxFpDistanceMm !== null ? distantFp(v.maxFpDistanceMm, t) : ruleOnly(distantFp(0, t)));
    else if (code === 'OUTLIER_PHASE') out.push(outlierPhase(null));
    else if (code === 'NO_REFERENCE') out.push(noReference());
  }
  return out;
}

/** The flag codes only (what RunSummary.flags stores for sorting and counting). */
export function flagCodes(s: FlagInput, t: FlagThresholds): FlagCode[] {
  return evaluateFlags(s, t).map((f) => f.code);
}

/** "ITV Dice 0.42 is below 0.65 (rule: ITV Dice below 0.65)": the hover text of a flag. */
export function flagTitle(f: Flag): string {
  return `${f.text}. Rule: ${f.rule}.`;
}
