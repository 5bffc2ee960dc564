/** Small server-rendered pieces shared by the review pages. */
import type { CaseKeyNumbers } from '@/lib/core/review/case-key-numbers';
import { DEFAULT_FLAG_THRESHOLDS, explainFlagCodes, type Flag } from '@/lib/core/flags';
import { FlagChips } from '@/components/flags/flag-chips';
import { REVIEW_DECISION_LABELS, type ReviewDecisionKind } from '@/lib/server/review/review.types';

export function fmt(x: number | null | undefined, digits = 2): string {
  return x === null || x === undefined ? '—' : x.toFixed(digits);
}

/** A number with its unit, or a dash alone when it is missing. */
export function withUnit(x: number | null | undefined, unit: string, digits = 1): string {
  return x === null || x === undefined ? '—' : `${x.toFixed(digits)} ${unit}`;
}

export function utc(d: Date | null): string {
  return d ? `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC` : '—';
}

/** The case's flags; each shows its rule and value on hover (lib/core/flags words them). */
export function Flags({ flags, details }: { flags: string[]; details?: Flag[] }) {
  // Stored summaries always carry their thresholds; the defaults only word a summary without them.
  return <FlagChips flags={details ?? explainFlagCodes(flags, NO_VALUES, DEFAULT_FLAG_THRESHOLDS)} className="review" />;
}

const NO_VALUES = { itvDice: null, gtvMinDice: null, largestFpRegionCc: null, maxFpDistanceMm: null };

export function DecisionBadge({ decision }: { decision: ReviewDecisionKind }) {
  return <span className={`review-decision review-decision-${decision.toLowerCase()}`}>{REVIEW_DECISION_LABELS[decision]}</span>;
}

/** The key numbers as a definition table; names their conventions (docs/metrics.md). */
export function KeyNumbersTable({ n, testId, compact = false }: { n: CaseKeyNumbers | null; testId?: string; compact?: boolean }) {
  if (!n)
    return (
      <p className="muted" data-testid={testId}>
        No metrics stored for this run.
      </p>
    );
  const rows: [string, string, string][] = [
    ['Dice, GTV (median over phases)', fmt(n.gtvMedianDice), 'voxel overlap, native grid'],
    ['Dice, ITV', fmt(n.itvDice), 'voxel overlap, native grid'],
    ['HD95, ITV', withUnit(n.itvHd95Mm, 'mm'), 'voxel surfaces'],
    ['HD95, GTV (median over phases)', withUnit(n.gtvMedianHd95Mm, 'mm'), 'voxel surfaces'],
    ['False-positive volume, ITV', withUnit(n.itvFpCc, 'cc', 2), 'machine ∖ physician'],
    ['Largest FP distance, ITV', withUnit(n.maxFpDistanceMm, 'mm'), 'farthest FP voxel from the physician ITV; 0 = no FP'],
    [
      'Motion (GTV centroid, peak to peak)',
      n.machineMotionMm === null && n.physicianMotionMm === null
        ? 'not stored for this run'
        : `machine ${withUnit(n.machineMotionMm, 'mm')}\nphysician ${withUnit(n.physicianMotionMm, 'mm')}`,
      'largest axis',
    ],
  ];
  if (compact) {
    // Presenter side panel: label and convention on the left, a large value on the right.
    return (
      <dl className="review-numbers-compact" data-testid={testId}>
        {rows.map(([label, value, note]) => (
          <div key={label} className="review-number">
            <dt>
              {label}
              <span className="muted review-small">{note}</span>
            </dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    );
  }
  return (
    <table className="review-numbers" data-testid={testId}>
      <tbody>
        {rows.map(([label, value, note]) => (
          <tr key={label}>
            <th scope="row">{label}</th>
            <td className="num">{value}</td>
            <td className="muted">{note}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** What a role without review:view sees instead of a review page. */
export function ReviewNotAllowed({ role, title }: { role: string; title: string }) {
  return (
    <>
      <h1>{title}</h1>
      <div className="card" data-testid="review-not-allowed">
        <p>The {role.toLowerCase()} role may not view the review meeting.</p>
        <p className="muted">Review meetings are for reviewers and physicists; ask an administrator for such an account if you take part.</p>
      </div>
    </>
  );
}
