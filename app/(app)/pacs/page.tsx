/**
 * /pacs, "Query PACS": search a configured DICOMweb server (QIDO-RS) by patient ID, study date
 * range and modality, choose studies, and retrieve them (WADO-RS) into the same import as
 * uploads, as `pacs.retrieve` jobs with progress (permission studies:import). Patient ID, name,
 * study UID, full date and description are shown only to roles with identifiers:view
 * (search-pacs-studies.ts decides; docs/security.md).
 */
import Link from 'next/link';
import { db } from '@/lib/server/db/client';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { can } from '@/lib/server/auth/roles';
import { toActionError } from '@/lib/server/errors';
import { findPacsEndpoints } from '@/lib/server/pacs/find-pacs-endpoints';
import { findPacsRetrievals } from '@/lib/server/pacs/find-pacs-retrievals';
import { searchPacsStudies, type PacsStudyRow } from '@/lib/server/pacs/search-pacs-studies';
import { AutoRefresh } from '../jobs/auto-refresh';
import { retrievePacsStudiesAction } from './actions';
import { PendingButton } from '@/components/pending-button';
import { GetForm, GetSubmitButton } from '@/components/get-form';

export const dynamic = 'force-dynamic';

type Sp = Record<string, string | string[] | undefined>;
const one = (sp: Sp, k: string): string => (typeof sp[k] === 'string' ? (sp[k] as string) : '');

export default async function PacsPage({ searchParams }: { searchParams: Promise<Sp> }) {
  const caller = await requireCaller();
  if (!can(caller.role, 'studies:import')) {
    return (
      <>
        <h1>Query PACS</h1>
        <div className="card">
          <p>The {caller.role.toLowerCase()} role may not import studies. Ask a physicist or an administrator.</p>
        </div>
      </>
    );
  }
  const sp = await searchParams;
  const endpoints = await findPacsEndpoints(db(), { caller, enabledOnly: true });
  const endpointId = one(sp, 'endpoint') || endpoints[0]?.id || '';
  const search = { patientId: one(sp, 'patientId'), dateFrom: one(sp, 'from'), dateTo: one(sp, 'to'), modality: one(sp, 'modality') };
  const asked = one(sp, 'search') === '1';
  let results: { studies: PacsStudyRow[]; truncated: boolean; endpoint: { name: string } } | null = null;
  let searchError: string | null = null;
  if (asked && endpointId) {
    try {
      results = await searchPacsStudies(db(), {
        caller,
        endpointId,
        search: {
          patientId: search.patientId || undefined,
          dateFrom: search.dateFrom || undefined,
          dateTo: search.dateTo || undefined,
          modality: search.modality || undefined,
        },
      });
    } catch (e) {
      const failed = toActionError(e);
      searchError = failed.code === 'INTERNAL' ? 'The search failed on the server; the server log has details.' : failed.error;
    }
  }
  const retrievals = await findPacsRetrievals(db(), { caller, limit: 30 });
  const active = retrievals.some((r) => r.state === 'QUEUED' || r.state === 'RETRIEVING' || r.state === 'IMPORTING');
  const back = `?${new URLSearchParams({ endpoint: endpointId, patientId: search.patientId, from: search.dateFrom, to: search.dateTo, modality: search.modality, search: asked ? '1' : '' }).toString()}`;
  const done = one(sp, 'done');
  const error = one(sp, 'error');
  return (
    <>
      <h1>Query PACS</h1>
      {can(caller.role, 'pacs:manage') ? (
        <p className="muted" data-testid="pacs-settings-link">
          <Link href="/admin/pacs">PACS settings</Link>: the DICOMweb servers searched here (address, user, password).
        </p>
      ) : null}
      {done ? (
        <p className="notice" role="status" data-testid="pacs-done">
          {done}
        </p>
      ) : null}
      {error ? (
        <p className="error" role="alert" data-testid="pacs-error">
          {error}
        </p>
      ) : null}
      {endpoints.length === 0 ? (
        <div className="card">
          <p>
            No PACS is configured.{' '}
            {can(caller.role, 'pacs:manage') ? <Link href="/admin/pacs">Add one</Link> : 'An administrator adds one on the PACS settings page.'}
          </p>
        </div>
      ) : (
        <GetForm action="/pacs" className="card audit-search" data-testid="pacs-search">
          <input type="hidden" name="search" value="1" />
          <label>
            PACS
            <select name="endpoint" defaultValue={endpointId}>
              {endpoints.map((e) => (
                <option key={e.id} value={e.id}>
                  {e.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Patient ID
            <input name="patientId" defaultValue={search.patientId} maxLength={64} autoComplete="off" />
          </label>
          <label>
            Study date from
            <input type="date" name="from" defaultValue={search.dateFrom} />
          </label>
          <label>
            to
            <input type="date" name="to" defaultValue={search.dateTo} />
          </label>
          <label>
            Modality
            <select name="modality" defaultValue={search.modality}>
              <option value="">any</option>
              <option value="CT">CT</option>
              <option value="RTSTRUCT">RTSTRUCT</option>
              <option value="MR">MR</option>
              <option value="PT">PT</option>
            </select>
          </label>
          <div className="audit-buttons">
            <GetSubmitButton pendingLabel="Searching…">Search</GetSubmitButton>
          </div>
        </GetForm>
      )}
      {searchError ? (
        <p className="error" role="alert" data-testid="pacs-search-error">
          {searchError}
        </p>
      ) : null}
      {results ? (
        <form action={retrievePacsStudiesAction} className="card" data-testid="pacs-results">
          <input type="hidden" name="endpoint" value={endpointId} />
          <input type="hidden" name="back" value={back} />
          <p className="muted">
            {results.studies.length} stud{results.studies.length === 1 ? 'y' : 'ies'} in {results.endpoint.name}
            {results.truncated ? ' (more matched: narrow the search)' : ''}.
            {results.studies[0] && !results.studies[0].identified ? ' Patient identifiers are hidden for your role.' : ''}
          </p>
          {results.studies.length > 0 ? (
            <>
              <div className="table-scroll">
                <table>
                  <thead>
                    <tr>
                      <th>Retrieve</th>
                      <th>Patient ID</th>
                      <th>Patient</th>
                      <th>Study date</th>
                      <th>Description</th>
                      <th>Modalities</th>
                      <th>Series</th>
                      <th>Instances</th>
                    </tr>
                  </thead>
                  <tbody>
                    {results.studies.map((s, n) => (
                      <tr key={s.ref} data-testid={`pacs-study-${n}`}>
                        <td>
                          <input type="checkbox" name="ref" value={s.ref} aria-label={`Retrieve study ${n + 1}`} />
                        </td>
                        <td>{s.patientId ?? <span className="muted">hidden</span>}</td>
                        <td>{s.patientName ?? <span className="muted">hidden</span>}</td>
                        <td className="nowrap">{s.studyDate || '—'}</td>
                        <td>{s.studyDescription ?? <span className="muted">hidden</span>}</td>
                        <td>{s.modalities.join(', ') || '—'}</td>
                        <td>{s.seriesCount ?? '—'}</td>
                        <td>{s.instanceCount ?? '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <p>
                <PendingButton pendingLabel="Retrieving…">Retrieve and import the chosen studies</PendingButton>
              </p>
            </>
          ) : null}
        </form>
      ) : null}
      <div className="card" data-testid="pacs-retrievals">
        <h2>Retrievals</h2>
        {/* Not while search results are shown: a refresh would query the PACS again. */}
        {active && !results ? <AutoRefresh intervalMs={3000} /> : null}
        {active && results ? (
          <p className="muted">
            <Link href={`/pacs?endpoint=${encodeURIComponent(endpointId)}`}>Follow the progress</Link> (the page then refreshes itself).
          </p>
        ) : null}
        {retrievals.length === 0 ? (
          <p className="muted">None yet.</p>
        ) : (
          <div className="table-scroll">
            <table>
              <thead>
                <tr>
                  <th>Asked</th>
                  <th>PACS</th>
                  {can(caller.role, 'identifiers:view') ? <th>Study UID</th> : null}
                  <th>State</th>
                  <th>Instances</th>
                  <th>Result</th>
                  <th>By</th>
                </tr>
              </thead>
              <tbody>
                {retrievals.map((r) => (
                  <tr key={r.id} data-testid={`pacs-retrieval-${r.id}`}>
                    <td className="nowrap">{r.queuedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC</td>
                    <td>{r.pacs}</td>
                    {can(caller.role, 'identifiers:view') ? <td className="audit-target">{r.studyInstanceUid}</td> : null}
                    <td>{r.state.toLowerCase()}</td>
                    <td className="nowrap">
                      {r.instancesFetched}
                      {r.instancesTotal !== null ? ` / ${r.instancesTotal}` : ''}
                    </td>
                    <td>
                      {r.studyId ? (
                        <Link href={`/studies/${r.studyId}`}>
                          {r.alreadyImported ? 'already imported' : 'imported'}
                          {r.findingCount ? ` · ${r.findingCount} finding(s)` : ''}
                        </Link>
                      ) : r.error ? (
                        <span className="error">{r.error}</span>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                    <td>{r.requestedByEmail}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </>
  );
}
