'use client';
/**
 * Upload form for POST /api/studies with upload progress (XMLHttpRequest upload events; fetch
 * has none) and the import report: study (linked to its page), patient pseudonym, series,
 * structures, findings.
 */
import { useState } from 'react';
import Link from 'next/link';

interface Finding {
  code: string;
  severity: 'info' | 'warning' | 'error';
  message: string;
  file?: string;
}
export interface ImportResult {
  /** Present for a new import: whether a segmentation run was queued, or why not. */
  segmentation?: { queued: true; runId: string } | { queued: false; reason: string } | null;
  studyId: string;
  pseudonym: string;
  alreadyImported: boolean;
  /** The import added series or structures to a study stored before (re-import with added files). */
  merged?: boolean;
  source: string;
  seriesCount: number;
  structureCount: number;
  series: { seriesInstanceUid: string; description: string | null; phaseIndex: number | null; phasePercent: number | null; dims: number[] }[];
  structures: { name: string; kind: string; phaseIndex: number | null; phasePercent: number | null; voxelCount: number | null; volumeCc: number | null }[];
  findings: Finding[];
}

type State =
  | { kind: 'idle' }
  | { kind: 'uploading'; loaded: number; total: number }
  | { kind: 'importing' }
  | { kind: 'done'; result: ImportResult }
  | { kind: 'failed'; message: string };

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

export function ImportForm({ maxBytes }: { maxBytes: number }) {
  const [state, setState] = useState<State>({ kind: 'idle' });

  function submit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const file = form.get('file');
    if (!(file instanceof File) || file.size === 0) return setState({ kind: 'failed', message: 'Choose a .zip file first.' });
    if (file.size > maxBytes)
      return setState({ kind: 'failed', message: `${file.name} is ${mib(file.size)}; the limit is ${mib(maxBytes)}. Split it into one zip per patient.` });
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/studies');
    xhr.responseType = 'json';
    xhr.upload.onprogress = (ev) => setState({ kind: 'uploading', loaded: ev.loaded, total: ev.lengthComputable ? ev.total : file.size });
    xhr.upload.onload = () => setState({ kind: 'importing' });
    xhr.onerror = () => setState({ kind: 'failed', message: 'The upload did not reach the server; check the connection and try again.' });
    xhr.onload = () => {
      const body = xhr.response as (ImportResult & { error?: { code: string; message: string } }) | null;
      if (xhr.status >= 200 && xhr.status < 300 && body) setState({ kind: 'done', result: body });
      else setState({ kind: 'failed', message: body?.error?.message ?? `The server answered ${xhr.status}.` });
    };
    setState({ kind: 'uploading', loaded: 0, total: file.size });
    xhr.send(form);
  }

  const busy = state.kind === 'uploading' || state.kind === 'importing';
  return (
    <>
      <form onSubmit={submit} data-testid="import-form">
        <p>
          <input type="file" name="file" accept=".zip,application/zip" required disabled={busy} data-testid="import-file" />
        </p>
        <details>
          <summary>Options</summary>
          <p>
            <label>
              4D CT phases by hand (when the files are ambiguous):{' '}
              <input type="text" name="phaseMap" placeholder="SERIES_UID=0,SERIES_UID=10,…" size={48} disabled={busy} />
            </label>
          </p>
          <p>
            <label>
              Patient ID (NIfTI uploads only): <input type="text" name="patientId" size={20} disabled={busy} />
            </label>
          </p>
          <p>
            <label>
              Observer (who drew the structures, when several physicians contoured this patient):{' '}
              <input type="text" name="observer" size={24} maxLength={64} placeholder="e.g. Dr Smith" disabled={busy} data-testid="import-observer" />
            </label>
            <br />
            <span className="muted">
              Instead of the RTSTRUCTs&apos; OperatorsName; ROI names with an observer suffix (GTV_dr2) keep theirs. Blank: read from the files.
            </span>
          </p>
        </details>
        <p>
          <button type="submit" disabled={busy} data-testid="import-submit">
            Upload and import
          </button>
        </p>
      </form>
      {state.kind === 'uploading' && (
        <p data-testid="import-progress">
          <progress value={state.loaded} max={state.total || 1} /> Uploading {mib(state.loaded)} of {mib(state.total)}
        </p>
      )}
      {state.kind === 'importing' && <p data-testid="import-progress">Uploaded; reading, rasterising and storing the study…</p>}
      {state.kind === 'failed' && (
        <p className="error" data-testid="import-error">
          {state.message}
        </p>
      )}
      {state.kind === 'done' && <ImportReport result={state.result} />}
    </>
  );
}

/** The import's report, with a link to the imported study. */
export function ImportReport({ result: r }: { result: ImportResult }) {
  const order = { error: 0, warning: 1, info: 2 } as const;
  const findings = [...r.findings].sort((a, b) => order[a.severity] - order[b.severity]);
  return (
    <div data-testid="import-report">
      <h2>{r.alreadyImported ? 'Already imported' : r.merged ? 'Added to the stored study' : 'Imported'}</h2>
      <p>
        Study <code>{r.studyId}</code>, patient <strong>{r.pseudonym}</strong> ({r.source}): {r.seriesCount} series, {r.structureCount} structures.{' '}
        <Link href={`/studies/${encodeURIComponent(r.studyId)}`} data-testid="import-study-link">
          Open the study →
        </Link>
      </p>
      {r.segmentation && (
        <p data-testid="import-segmentation">
          {r.segmentation.queued ? `Segmentation run queued (${r.segmentation.runId}).` : `Not segmented: ${r.segmentation.reason}.`}
        </p>
      )}
      <h3>Series</h3>
      <table>
        <thead>
          <tr>
            <th>Description</th>
            <th>Phase</th>
            <th>Grid</th>
          </tr>
        </thead>
        <tbody>
          {r.series.map((s) => (
            <tr key={s.seriesInstanceUid}>
              <td>{s.description ?? '—'}</td>
              <td>{s.phasePercent === null ? 'planning CT' : `${s.phasePercent}% (#${s.phaseIndex})`}</td>
              <td>{s.dims.join('×')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Structures</h3>
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Kind</th>
            <th>Phase</th>
            <th>Voxels</th>
            <th>Volume (cc)</th>
          </tr>
        </thead>
        <tbody>
          {r.structures.map((s) => (
            <tr key={`${s.name}-${s.phaseIndex}`}>
              <td>{s.name}</td>
              <td>{s.kind}</td>
              <td>{s.phasePercent === null ? '—' : `${s.phasePercent}%`}</td>
              <td>{s.voxelCount ?? '—'}</td>
              <td>{s.volumeCc === null ? '—' : s.volumeCc.toFixed(2)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Findings ({findings.length})</h3>
      {findings.length === 0 ? (
        <p className="muted">None: every file was read and every contour mapped cleanly.</p>
      ) : (
        <table data-testid="import-findings">
          <thead>
            <tr>
              <th>Severity</th>
              <th>Code</th>
              <th>Message</th>
            </tr>
          </thead>
          <tbody>
            {findings.map((f, n) => (
              <tr key={n} className={f.severity === 'error' ? 'error' : undefined}>
                <td>{f.severity}</td>
                <td>{f.code}</td>
                <td>{f.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
