'use client';
/**
 * Outcomes CSV upload: send the file (multipart, within the one limit of
 * lib/server/outcomes/outcomes-csv-limit.ts, checked here before sending), show the server's
 * validation report and a preview, and import only on a second, explicit click (all rows or none).
 * Each import becomes a version that /admin/outcomes lists and can restore.
 */
import { useState, useTransition } from 'react';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { importOutcomesCsv, previewOutcomesCsv, type UploadResult } from './actions';
import { MAX_OUTCOMES_CSV_BYTES, OUTCOMES_CSV_LIMIT_TEXT, outcomesCsvTooLargeMessage } from '@/lib/server/outcomes/outcomes-csv-limit';

function asForm(file: File): FormData {
  const form = new FormData();
  form.set('file', file);
  return form;
}

export function OutcomesUpload({ allowMrn }: { allowMrn: boolean }) {
  const [file, setFile] = useState<File | null>(null);
  const [result, setResult] = useState<UploadResult | null>(null);
  const [clientError, setClientError] = useState<string | null>(null);
  const [pending, start] = useTransition();
  const router = useRouter();

  const onFile = async (f: File | undefined) => {
    setResult(null);
    setClientError(null);
    setFile(null);
    if (!f) return;
    if (f.size > MAX_OUTCOMES_CSV_BYTES) return setClientError(outcomesCsvTooLargeMessage(f.name, f.size));
    setFile(f);
    start(async () => setResult(await previewOutcomesCsv(asForm(f))));
  };
  const onImport = () => {
    if (!file) return;
    start(async () => {
      const r = await importOutcomesCsv(asForm(file));
      setResult(r);
      if (r.ok && r.report.imported !== null) router.refresh();
    });
  };

  const report = result?.ok ? result.report : null;
  return (
    <div data-testid="outcomes-upload">
      <p className="muted" style={{ marginTop: 0 }}>
        One row per patient. Columns: <code>{allowMrn ? 'pseudonym (or mrn)' : 'pseudonym'}</code>, <code>local_failure</code> (0/1),{' '}
        <code>local_failure_days</code>, <code>died</code> (0/1), <code>death_days</code>, <code>last_follow_up_days</code> — days from the start of
        radiotherapy — plus any clinical columns (for example <code>age</code>, <code>stage</code>, <code>dose_gy</code>). Empty cells and NA are missing.
        UTF-8, at most {OUTCOMES_CSV_LIMIT_TEXT}. Nothing is written until you confirm the import; each import is kept as a version (
        <Link href="/admin/outcomes">outcomes versions</Link>) and can be restored.
      </p>
      <label style={{ maxWidth: 420 }}>
        Outcomes CSV
        <input type="file" accept=".csv,text/csv" onChange={(e) => onFile(e.target.files?.[0])} disabled={pending} />
      </label>
      {pending && <p className="muted">Checking…</p>}
      {clientError && (
        <p className="error" role="alert">
          {clientError}
        </p>
      )}
      {result && !result.ok && (
        <p className="error" role="alert">
          {result.error}
        </p>
      )}
      {report && (
        <div style={{ marginTop: '0.75rem' }} data-testid="upload-report">
          <p>
            <strong>{report.fileName}</strong>: {report.rowCount} rows, identifier column <code>{report.identifierColumn ?? '—'}</code>
            {report.clinicalColumns.length > 0 && <>, clinical columns: {report.clinicalColumns.map((c) => `${c.name} (${c.kind})`).join(', ')}</>}.
          </p>
          {report.imported !== null ? (
            <p className="notice" role="status">
              Imported {report.imported} outcomes
              {report.version && (
                <>
                  {' '}
                  as version {report.version.id} ({report.version.rowsAdded} added, {report.version.rowsChanged} changed, {report.version.rowsUnchanged}{' '}
                  unchanged)
                </>
              )}
              . The analysis below now uses them.
            </p>
          ) : report.errors.length ? (
            <>
              <p className="error" role="alert">
                {report.errors.length} problem{report.errors.length === 1 ? '' : 's'} found: nothing can be imported until the file is fixed.
              </p>
              <table>
                <thead>
                  <tr>
                    <th>Row</th>
                    <th>Column</th>
                    <th>Problem</th>
                  </tr>
                </thead>
                <tbody>
                  {report.errors.slice(0, 200).map((e, k) => (
                    <tr key={k}>
                      <td>{e.row ?? 'file'}</td>
                      <td>{e.column ?? '—'}</td>
                      <td>{e.message}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {report.errors.length > 200 && <p className="muted">… and {report.errors.length - 200} more.</p>}
            </>
          ) : (
            <>
              <p className="ok" style={{ color: 'var(--ok)' }}>
                No problems found in {report.rowCount} rows. Preview of the first {report.preview.length}:
              </p>
              <table>
                <thead>
                  <tr>
                    <th>Row</th>
                    <th>{report.identifierColumn}</th>
                    <th>Local failure</th>
                    <th>LF days</th>
                    <th>Died</th>
                    <th>Death days</th>
                    <th>Last follow-up days</th>
                    {report.clinicalColumns.map((c) => (
                      <th key={c.name}>{c.name}</th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {report.preview.map((r) => (
                    <tr key={r.row}>
                      <td>{r.row}</td>
                      <td>{r.identifier}</td>
                      <td>{r.localFailure}</td>
                      <td>{r.localFailureDays ?? ''}</td>
                      <td>{r.died}</td>
                      <td>{r.deathDays ?? ''}</td>
                      <td>{r.lastFollowUpDays}</td>
                      {report.clinicalColumns.map((c) => (
                        <td key={c.name}>{r.clinical[c.name] ?? ''}</td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
              <button type="button" onClick={onImport} disabled={pending} style={{ marginTop: '0.75rem' }}>
                Import {report.rowCount} outcomes
              </button>
            </>
          )}
        </div>
      )}
    </div>
  );
}
