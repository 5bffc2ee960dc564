/**
 * The request of the outcomes analysis (zod), and its mapping to and from URL search parameters
 * so that the page, the CSV route and a bookmarked link all describe one analysis the same way:
 * `event`, `cov` (repeated), `group` (none|median|tertiles|threshold|categorical), `groupBy`,
 * `threshold`, `times` (comma-separated days), `ties`.
 */
import { z } from 'zod';

export const DEFAULT_RISK_TIMES_DAYS = [0, 180, 365, 730, 1095];

export const OutcomeAnalysisRequest = z.object({
  event: z.enum(['localFailure', 'death']).default('localFailure'),
  covariates: z.array(z.string().min(1).max(200)).max(20).default([]),
  grouping: z
    .object({
      kind: z.enum(['none', 'median', 'tertiles', 'threshold', 'categorical']),
      covariate: z.string().max(200).optional(),
      threshold: z.number({ error: 'The threshold must be a number in the covariate’s unit.' }).finite().optional(),
    })
    .default({ kind: 'none' }),
  riskTimesDays: z
    .array(
      z
        .number({ error: 'Number-at-risk times must be days (numbers ≥ 0) separated by commas.' })
        .finite()
        .nonnegative('Number-at-risk times must be ≥ 0 days.'),
    )
    .min(1, 'Give at least one number-at-risk time.')
    .max(12, 'Give at most 12 number-at-risk times.')
    .default(DEFAULT_RISK_TIMES_DAYS),
  ties: z.enum(['efron', 'breslow']).default('efron'),
});
export type OutcomeAnalysisRequest = z.output<typeof OutcomeAnalysisRequest>;
export type OutcomeAnalysisRequestInput = z.input<typeof OutcomeAnalysisRequest>;

type Params = URLSearchParams | Record<string, string | string[] | undefined>;

function getAll(p: Params, k: string): string[] {
  if (p instanceof URLSearchParams) return p.getAll(k);
  const v = p[k];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Loose input from search parameters (validated by OutcomeAnalysisRequest afterwards). */
export function analysisInputFromParams(p: Params): OutcomeAnalysisRequestInput {
  const one = (k: string) => getAll(p, k)[0];
  const kind = one('group') ?? 'none';
  const thresholdText = one('threshold');
  const times = one('times');
  return {
    event: (one('event') ?? 'localFailure') as 'localFailure',
    covariates: getAll(p, 'cov').filter((c) => c !== ''),
    grouping: {
      kind: kind as 'none',
      covariate: one('groupBy') || undefined,
      threshold: thresholdText === undefined || thresholdText.trim() === '' ? undefined : Number(thresholdText),
    },
    riskTimesDays: times
      ? times
          .split(/[\s,;]+/)
          .filter((s) => s !== '')
          .map(Number)
      : undefined,
    ties: (one('ties') ?? 'efron') as 'efron',
  };
}

export function analysisRequestToParams(r: OutcomeAnalysisRequest): URLSearchParams {
  const p = new URLSearchParams();
  p.set('event', r.event);
  for (const c of r.covariates) p.append('cov', c);
  p.set('group', r.grouping.kind);
  if (r.grouping.covariate) p.set('groupBy', r.grouping.covariate);
  if (r.grouping.threshold !== undefined) p.set('threshold', String(r.grouping.threshold));
  p.set('times', r.riskTimesDays.join(','));
  p.set('ties', r.ties);
  return p;
}
