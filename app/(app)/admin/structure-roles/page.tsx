/**
 * /admin/structure-roles: the site's structure-name rules (permission structure-roles:manage).
 * List them, add one (exact name or regular expression → role, optional phase), disable or
 * enable one, see every saved version, and try a name: the role it would get at the next import
 * and the rule that decides. Each save is a new version and an audit event; imports name the
 * version they used in their STRUCTURE_ROLES finding (docs/structure-roles.md). Plain forms
 * posting server actions; the "try" box is a GET form.
 */
import Link from 'next/link';
import { db } from '@/lib/server/db/client';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { can } from '@/lib/server/auth/roles';
import { toActionError } from '@/lib/server/errors';
import { STRUCTURE_ROLES, type SiteStructureRule, type StructureRoleResult } from '@/lib/core/structures';
import { findStructureRules, type StructureRulesView } from '@/lib/server/structure-roles/find-structure-rules';
import { tryStructureName } from '@/lib/server/structure-roles/try-structure-name';
import { addStructureRuleAction, toggleStructureRuleAction } from './actions';
import { PendingButton } from '@/components/pending-button';

export const dynamic = 'force-dynamic';

function RulesTable({
  rules,
  basedOnVersion,
  editable,
  testId,
}: {
  rules: readonly SiteStructureRule[];
  basedOnVersion: number;
  editable: boolean;
  testId: string;
}) {
  if (rules.length === 0) return <p>No site rules: the built-in rules below decide every name.</p>;
  return (
    <table data-testid={testId}>
      <thead>
        <tr>
          <th>Order</th>
          <th>Rule</th>
          <th>Match</th>
          <th>Pattern</th>
          <th>Role</th>
          <th>Phase</th>
          <th>Note</th>
          <th>State</th>
        </tr>
      </thead>
      <tbody>
        {rules.map((r, i) => (
          <tr key={r.id} data-testid={`${testId}-${r.id}`}>
            <td>{i + 1}</td>
            <td>{r.id}</td>
            <td>{r.match}</td>
            <td>
              <code>{r.pattern}</code>
            </td>
            <td>{r.role}</td>
            <td>{r.phasePercent !== null ? `${r.phasePercent}%` : 'from the name'}</td>
            <td>{r.note ?? ''}</td>
            <td>
              {editable ? (
                <form action={toggleStructureRuleAction} className="inline-form">
                  <input type="hidden" name="ruleId" value={r.id} />
                  <input type="hidden" name="change" value={r.enabled ? 'disable' : 'enable'} />
                  <input type="hidden" name="basedOnVersion" value={basedOnVersion} />
                  {r.enabled ? 'enabled ' : 'disabled '}
                  <PendingButton pendingLabel="Saving…">{r.enabled ? 'Disable' : 'Enable'}</PendingButton>
                </form>
              ) : r.enabled ? (
                'enabled'
              ) : (
                'disabled'
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Tried({ result, view }: { result: StructureRoleResult; view: StructureRulesView }) {
  const site = view.current?.rules.find((r) => r.id === result.ruleId);
  const builtIn = view.builtIn.find((r) => r.id === result.ruleId);
  return (
    <p role="status" data-testid="structure-try-result">
      “{result.name}” → <strong>{result.role}</strong>
      {result.tg263Name ? ` (TG-263 ${result.tg263Name})` : ''}
      {result.target ? `, ${result.target}` : ''}
      {result.phasePercent !== null ? `, phase ${result.phasePercent}%` : ''}; kind {result.kind}. Decided by{' '}
      {site
        ? `site rule ${site.id} of version ${result.siteRuleVersion} (${site.match} “${site.pattern}”)`
        : `built-in rule ${result.ruleId}${builtIn ? `: ${builtIn.description}` : ''}`}
    </p>
  );
}

export default async function StructureRolesPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const caller = await requireCaller();
  if (!can(caller.role, 'structure-roles:manage')) {
    return (
      <>
        <h1>Structure roles</h1>
        <div className="card">
          <p>The {caller.role.toLowerCase()} role may not manage the structure rules.</p>
        </div>
      </>
    );
  }
  const sp = await searchParams;
  const done = typeof sp.done === 'string' ? sp.done : null;
  let error = typeof sp.error === 'string' ? sp.error : null;
  const tryName = typeof sp.try === 'string' ? sp.try : null;
  const versionParam = typeof sp.version === 'string' ? Number(sp.version) : undefined;
  let view: StructureRulesView;
  try {
    view = await findStructureRules(db(), {
      caller,
      version: versionParam !== undefined && Number.isInteger(versionParam) && versionParam > 0 ? versionParam : undefined,
    });
  } catch (e) {
    error = toActionError(e).error;
    view = await findStructureRules(db(), { caller });
  }
  let tried: StructureRoleResult | null = null;
  if (tryName !== null && tryName.trim()) {
    try {
      tried = await tryStructureName(db(), { caller, name: tryName });
    } catch (e) {
      error = toActionError(e).error;
    }
  }
  const currentVersion = view.current?.version ?? 0;
  return (
    <>
      <h1>Structure roles</h1>
      <p>
        Each physician structure gets a role from its name at import: the site rules below first, in order, then the built-in rules (TG-263-style
        normalisation). Only GTV and ITV structures are compared with the machine contours. A change applies to the next imports; studies imported before keep
        their roles (a physicist can still choose the reference structure on the study page).
      </p>
      {done ? (
        <p className="notice" role="status" data-testid="structure-roles-done">
          {done}
        </p>
      ) : null}
      {error ? (
        <p className="error" role="alert" data-testid="structure-roles-error">
          {error}
        </p>
      ) : null}

      <div className="card">
        <h2>Try a name</h2>
        <form method="get" className="inline-form">
          <input name="try" defaultValue={tryName ?? ''} maxLength={200} aria-label="Structure name" placeholder="e.g. GTVp, Lt Lung, z_PTV" required />
          <button type="submit">Try</button>
        </form>
        {tried ? <Tried result={tried} view={view} /> : null}
      </div>

      <div className="card">
        <h2>Site rules {currentVersion > 0 ? `(version ${currentVersion})` : '(none saved)'}</h2>
        <RulesTable rules={view.current?.rules ?? []} basedOnVersion={currentVersion} editable testId="site-rules" />
        <h3>Add a rule</h3>
        <form action={addStructureRuleAction} className="inline-form" data-testid="add-structure-rule">
          <input type="hidden" name="basedOnVersion" value={currentVersion} />
          <select name="match" defaultValue="exact" aria-label="Match">
            <option value="exact">exact name (ignoring case)</option>
            <option value="regex">regular expression (ignoring case)</option>
          </select>
          <input name="pattern" maxLength={200} required aria-label="Pattern" placeholder="Tumour_site or ^GTV_T\d0$" />
          <select name="role" defaultValue="GTV" aria-label="Role">
            {STRUCTURE_ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
          <input name="phasePercent" inputMode="numeric" aria-label="Phase percent (GTV only, optional)" placeholder="phase % (GTV, optional)" />
          <input name="note" maxLength={500} aria-label="Note" placeholder="note (optional)" />
          <PendingButton pendingLabel="Saving…">Add rule</PendingButton>
        </form>
      </div>

      <div className="card">
        <h2>Built-in rules (after the site rules)</h2>
        <ol data-testid="built-in-rules">
          {view.builtIn.map((r) => (
            <li key={r.id}>
              <code>{r.id}</code>: {r.description}
            </li>
          ))}
        </ol>
      </div>

      <div className="card">
        <h2>Versions</h2>
        {view.versions.length === 0 ? (
          <p>No version saved yet.</p>
        ) : (
          <table data-testid="structure-rule-versions">
            <thead>
              <tr>
                <th>Version</th>
                <th>Saved (UTC)</th>
                <th>By</th>
                <th>Change</th>
                <th>Rules (enabled / all)</th>
              </tr>
            </thead>
            <tbody>
              {view.versions.map((v) => (
                <tr key={v.version}>
                  <td>
                    <Link href={`/admin/structure-roles?version=${v.version}`}>{v.version}</Link>
                  </td>
                  <td>{v.at.toISOString().slice(0, 19).replace('T', ' ')}</td>
                  <td>{v.userEmail ?? ''}</td>
                  <td>{v.change}</td>
                  <td>
                    {v.enabledCount} / {v.ruleCount}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {view.shown ? (
          <>
            <h3>Rules of version {view.shown.version}</h3>
            <RulesTable rules={view.shown.rules} basedOnVersion={currentVersion} editable={false} testId="shown-rules" />
          </>
        ) : null}
      </div>
    </>
  );
}
