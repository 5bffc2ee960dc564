/**
 * /admin/flags: the QA flag thresholds (permission flags:manage). The current values with what
 * each rule means, a form to save new ones (a new version, audited; every run's flags are
 * recomputed with it, docs/flags.md) and the history of versions. A plain form posting a server
 * action.
 */
import { db } from '@/lib/server/db/client';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { can } from '@/lib/server/auth/roles';
import { THRESHOLD_FIELDS, type FlagThresholds } from '@/lib/core/flags';
import { findFlagRules } from '@/lib/server/flags/find-flag-rules';
import { saveFlagRulesAction } from './actions';
import { PendingButton } from '@/components/pending-button';

export const dynamic = 'force-dynamic';

const show = (t: FlagThresholds | null) =>
  t ? THRESHOLD_FIELDS.map((f) => `${f.key} ${t[f.key]}${f.unit ? ` ${f.unit}` : ''}`).join(' · ') : 'unreadable (save the thresholds again)';

export default async function FlagRulesPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const caller = await requireCaller();
  if (!can(caller.role, 'flags:manage')) {
    return (
      <>
        <h1>QA flags</h1>
        <div className="card">
          <p>The {caller.role.toLowerCase()} role may not set the flag thresholds.</p>
        </div>
      </>
    );
  }
  const sp = await searchParams;
  const done = typeof sp.done === 'string' ? sp.done : null;
  const error = typeof sp.error === 'string' ? sp.error : null;
  const view = await findFlagRules(db(), { caller });
  const t = view.current.thresholds;
  return (
    <>
      <h1>QA flags</h1>
      <p>
        A flag marks a case to look at in the review meeting, not a wrong contour. The cohort page, the review queue and the study page show each flag with its
        rule and the case&apos;s value. Saving new thresholds makes a new version (kept with who and why, and in the audit log) and recomputes the flags of
        every finished run at once.
      </p>
      {done ? (
        <p className="notice" role="status" data-testid="flag-rules-done">
          {done}
        </p>
      ) : null}
      {error ? (
        <p className="error" role="alert" data-testid="flag-rules-error">
          {error}
        </p>
      ) : null}

      <div className="card">
        <h2>Thresholds {view.current.version > 0 ? `(version ${view.current.version})` : '(defaults; none saved yet)'}</h2>
        <form action={saveFlagRulesAction} data-testid="flag-rules-form" className="flag-rules-form">
          <input type="hidden" name="basedOnVersion" value={view.current.version} />
          {THRESHOLD_FIELDS.map((f) => (
            <label key={f.key}>
              {f.label}
              <span>
                <input name={f.key} type="number" step="any" min={f.min} max={f.max} required defaultValue={t[f.key]} />
                {f.unit ? ` ${f.unit}` : ''}
              </span>
            </label>
          ))}
          <label>
            Why (kept with the version)
            <input name="note" maxLength={500} placeholder="e.g. agreed at the QA meeting of 6 December" />
          </label>
          <p>
            <PendingButton pendingLabel="Saving…">Save as a new version</PendingButton>
          </p>
        </form>
        <p className="muted small">
          Also flagged, with no threshold to set: an outlier phase (a machine GTV phase empty, or departing in volume or position from its neighbours) and a
          study without a physician ITV or GTV.
        </p>
      </div>

      <div className="card">
        <h2>Versions</h2>
        {view.versions.length === 0 ? (
          <p>No version saved yet: the defaults apply.</p>
        ) : (
          <table data-testid="flag-rule-versions">
            <thead>
              <tr>
                <th>Version</th>
                <th>Saved</th>
                <th>By</th>
                <th>Thresholds</th>
                <th>Why</th>
              </tr>
            </thead>
            <tbody>
              {view.versions.map((v) => (
                <tr key={v.version}>
                  <td>{v.version}</td>
                  <td>{v.createdAt.toISOString().slice(0, 16).replace('T', ' ')} UTC</td>
                  <td>{v.createdByEmail ?? '—'}</td>
                  <td>{show(v.thresholds)}</td>
                  <td>{v.note ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </>
  );
}
