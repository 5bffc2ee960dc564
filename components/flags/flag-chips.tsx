/**
 * QA flags as small labels (cohort table, review queue): each shows its rule and value on hover
 * (title) and to screen readers (hidden text after the label). lib/core/flags words them.
 */
import { flagTitle, type Flag } from '@/lib/core/flags';

export function FlagChips({
  flags,
  className,
  extra,
}: {
  flags: readonly Flag[];
  /** The list's and each label's class: "cohort-flags"/"cohort-flag", "review-flags"/"review-flag". */
  className: 'cohort' | 'review';
  /** Labels that are not rules (a failed run), shown after the flags. */
  extra?: readonly { key: string; label: string; title?: string; className?: string }[];
}) {
  if (flags.length === 0 && !extra?.length) return <span className="muted">—</span>;
  return (
    <span className={`${className}-flags`}>
      {flags.map((f) => (
        <span key={f.code} className={`${className}-flag`} title={flagTitle(f)} data-flag={f.code}>
          {f.label}
          <span className="sr-only">: {flagTitle(f)}</span>
        </span>
      ))}
      {extra?.map((x) => (
        <span key={x.key} className={`${className}-flag${x.className ? ` ${x.className}` : ''}`} title={x.title}>
          {x.label}
        </span>
      ))}
    </span>
  );
}

/** Every flag in full (study and review case pages): label, the sentence, the rule and its threshold. */
export function FlagList({ flags, rulesVersion, testId }: { flags: readonly Flag[]; rulesVersion: number | null; testId?: string }) {
  const source = rulesVersion === null ? null : rulesVersion === 0 ? 'the default thresholds' : `flag rules version ${rulesVersion}`;
  if (flags.length === 0)
    return (
      <p className="muted" data-testid={testId}>
        No QA flags{source ? ` under ${source}` : ''}.
      </p>
    );
  return (
    <table data-testid={testId} className="flag-list">
      <thead>
        <tr>
          <th>Flag</th>
          <th>Structure</th>
          <th>Value</th>
          <th>Rule{source ? ` (${source})` : ''}</th>
        </tr>
      </thead>
      <tbody>
        {flags.map((f) => (
          <tr key={f.code} data-flag={f.code}>
            <td>{f.code === 'LOW_PHASE_DICE' ? 'low phase Dice' : f.label}</td>
            <td>{f.structure}</td>
            <td>{f.text}</td>
            <td>{f.rule}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
