/**
 * /outcomes/snapshots/[id]: one frozen analysis (docs/outcomes-snapshots.md): its citable id,
 * content hash (checked against the stored canonical JSON), code and model versions, the
 * settings it was run with, every result (the explorer's result components, from the stored
 * numbers), the zip download and the R script that reproduces it.
 */
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { db } from '@/lib/server/db/client';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { can } from '@/lib/server/auth/roles';
import { AppError } from '@/lib/server/errors';
import { getAnalysisSnapshot, type AnalysisSnapshot } from '@/lib/server/snapshots/get-analysis-snapshot';
import { snapshotRScript } from '@/lib/server/snapshots/export-analysis-snapshot-zip';
import { Results } from '../../analysis-results';

export const dynamic = 'force-dynamic';

async function load(id: string, caller: Awaited<ReturnType<typeof requireCaller>>): Promise<AnalysisSnapshot | null> {
  try {
    return await getAnalysisSnapshot(db(), { caller, id });
  } catch (e) {
    if (e instanceof AppError && e.code === 'NOT_FOUND') return null;
    throw e;
  }
}

export default async function SnapshotPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const caller = await requireCaller();
  if (!can(caller.role, 'outcomes:view')) {
    return (
      <>
        <h1>Analysis snapshot</h1>
        <div className="card">
          <p>The {caller.role.toLowerCase()} role may not view outcomes.</p>
        </div>
      </>
    );
  }
  const { id } = await params;
  const s = await load(id, caller);
  if (!s) notFound();
  const existing = (await searchParams).existing === '1';
  const c = s.content;
  const a = c.analysis;
  const req = a.request;
  return (
    <>
      <p className="muted" style={{ marginBottom: 0 }}>
        <Link href="/outcomes/snapshots">Analysis snapshots</Link> ›
      </p>
      <h1 style={{ marginTop: '0.25rem' }}>{s.title}</h1>
      {existing && (
        <div className="notice" role="status" data-testid="snapshot-existing">
          This analysis was frozen before with identical content: this is that snapshot (its title is the first one given).
        </div>
      )}
      <section className="card" data-testid="snapshot-header">
        <dl className="snapshot-meta" style={{ display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '0.3rem 1rem', margin: 0 }}>
          <dt>Citable id</dt>
          <dd style={{ margin: 0 }}>
            <code data-testid="snapshot-id" style={{ fontSize: '1.1rem' }}>
              {s.id}
            </code>
          </dd>
          <dt>Content hash (sha256)</dt>
          <dd style={{ margin: 0, overflowWrap: 'anywhere' }}>
            <code data-testid="snapshot-hash">{s.contentHash}</code>{' '}
            {s.verified ? (
              <span className="muted">(checked against the stored content)</span>
            ) : (
              <strong className="error" role="alert">
                does not match the stored content
              </strong>
            )}
          </dd>
          <dt>Code version</dt>
          <dd style={{ margin: 0 }}>
            <code data-testid="snapshot-code-version">{c.codeVersion}</code>
          </dd>
          <dt>Frozen</dt>
          <dd style={{ margin: 0 }}>
            {s.createdAt.toISOString().slice(0, 19).replace('T', ' ')} UTC by {s.createdByEmail ?? 'unknown'}
            {s.createdByRole ? ` (${s.createdByRole.toLowerCase()})` : ''}
          </dd>
          <dt>Models</dt>
          <dd style={{ margin: 0 }}>
            {c.models.length === 0
              ? 'none (no metric covariates)'
              : c.models.map((m) => (
                  <div key={m.sha256 + m.version}>
                    {m.name} {m.version} <code style={{ fontSize: '0.8rem', overflowWrap: 'anywhere' }}>sha256 {m.sha256}</code> ({m.patients} patients)
                  </div>
                ))}
          </dd>
        </dl>
        <p style={{ marginBottom: 0 }}>
          <a href={`/api/outcomes/snapshots/${s.id}/zip`} download data-testid="snapshot-download" className="button-link">
            Download the snapshot (zip: dataset.csv, dictionary.json, results.json, reproduce.R)
          </a>
        </p>
        <p className="muted" style={{ marginBottom: 0, fontSize: '0.85rem' }}>
          Cite as: iSeg QA analysis snapshot {s.id} (sha256 {s.contentHash.slice(0, 16)}…), {c.codeVersion}.
        </p>
      </section>

      <section className="card" data-testid="snapshot-settings">
        <h2 style={{ marginTop: 0 }}>What was analysed</h2>
        <p style={{ marginTop: 0 }}>
          <strong>{a.event.label}.</strong> {a.event.definition}
        </p>
        <p>{a.analysisSet}</p>
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                <th>Covariate</th>
                <th>Unit fitted</th>
                <th>dataset.csv column</th>
                <th style={{ textAlign: 'right' }}>Scale (fitted = column ×)</th>
              </tr>
            </thead>
            <tbody>
              {a.covariates.length === 0 ? (
                <tr>
                  <td colSpan={4} className="muted">
                    none (curves only)
                  </td>
                </tr>
              ) : (
                a.covariates.map((x) => (
                  <tr key={x.key}>
                    <td>{x.label}</td>
                    <td>{x.kind === 'categorical' ? `levels ${(x.levels ?? []).join(', ')} (reference ${x.levels?.[0] ?? '—'})` : x.unit}</td>
                    <td>
                      <code>{x.column}</code>
                    </td>
                    <td style={{ textAlign: 'right' }}>{x.scale ?? '—'}</td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </div>
        <p>
          Grouping:{' '}
          {a.grouping.kind === 'none'
            ? 'none'
            : `${a.grouping.kind} of ${a.grouping.column}${a.grouping.threshold !== null ? ` at ${a.grouping.threshold}` : ''}`}{' '}
          ({a.grouping.groups.join('; ')}). Cox ties: {req.ties}. Number at risk at {req.riskTimesDays.join(', ')} days.
        </p>
        <details>
          <summary>Conventions</summary>
          <ul>
            <li>Times: {a.conventions.times}</li>
            <li>{a.conventions.cox}</li>
            <li>{a.conventions.kaplanMeier}</li>
            <li>{a.conventions.competingRisks}</li>
            <li>Missing values: {a.conventions.missingValues}</li>
            {a.conventions.metricColumns.map((m) => (
              <li key={m.column}>
                <code>{m.column}</code> ({m.unit ?? 'no unit'}): {m.convention ?? '—'}
              </li>
            ))}
          </ul>
        </details>
      </section>

      <Results a={c.results} tableLinks={false} />

      <section className="card">
        <h2 style={{ marginTop: 0 }}>Reproduce with R</h2>
        <p style={{ marginTop: 0 }}>
          Unzip the download, then in its folder run <code>Rscript reproduce.R</code> (R with the <code>survival</code> and <code>cmprsk</code> packages). It
          refits every model above from <code>dataset.csv</code> and writes the numbers to <code>reproduced.json</code>, in the order of{' '}
          <code>results.json</code>.
        </p>
        <details>
          <summary>reproduce.R</summary>
          <pre style={{ overflowX: 'auto', fontSize: '0.8rem' }}>{snapshotRScript(s)}</pre>
        </details>
      </section>
    </>
  );
}
