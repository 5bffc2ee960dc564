/**
 * /outcomes: the outcomes explorer. A GET form describes the analysis (so a link reproduces it);
 * the server runs it (lib/server/outcomes → lib/core/survival) and hands plain numbers to the
 * client charts. Researchers see pseudonyms only; reviewers are refused in the data layer.
 */
import { Suspense } from 'react';
import Link from 'next/link';
import { db } from '@/lib/server/db/client';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { can, type Caller } from '@/lib/server/auth/roles';
import { AppError } from '@/lib/server/errors';
import { getOutcomeDataset } from '@/lib/server/outcomes/get-outcome-dataset';
import { runOutcomeAnalysis, type OutcomeAnalysis } from '@/lib/server/outcomes/run-outcome-analysis';
import {
  analysisInputFromParams,
  analysisRequestToParams,
  DEFAULT_RISK_TIMES_DAYS,
  OutcomeAnalysisRequest,
  type OutcomeAnalysisRequestInput,
} from '@/lib/server/outcomes/run-outcome-analysis.types';
import { EVENT_CHOICES, type CovariateInfo } from '@/lib/server/outcomes/outcome-covariates';
import { OutcomesUpload } from './outcomes-upload';
import { Results } from './analysis-results';
import { FreezeSnapshot } from './freeze-snapshot';
import { DownloadLink } from '@/components/download-link';
import { GetForm, GetSubmitButton } from '@/components/get-form';

export const dynamic = 'force-dynamic';

function CovariateChoice({ c, checked }: { c: CovariateInfo; checked: boolean }) {
  const disabled = c.unavailableReason !== null;
  return (
    <label style={{ flexDirection: 'row', alignItems: 'flex-start', gap: '0.5rem', opacity: disabled ? 0.65 : 1 }}>
      <input type="checkbox" name="cov" value={c.key} defaultChecked={checked && !disabled} disabled={disabled} style={{ marginTop: '0.2rem' }} />
      <span>
        {c.label} <span className="muted">({c.unit})</span>
        <br />
        <span className="muted" style={{ fontSize: '0.8rem' }}>
          {disabled ? c.unavailableReason : `${c.nAvailable} patients with a value`}
        </span>
      </span>
    </label>
  );
}

function AnalysisForm({ request, covariates }: { request: OutcomeAnalysisRequest; covariates: CovariateInfo[] }) {
  const metric = covariates.filter((c) => c.source === 'metric');
  const clinical = covariates.filter((c) => c.source === 'clinical');
  const groupable = covariates.filter((c) => !c.unavailableReason);
  // minWidth 0: a fieldset is at least as wide as its content by default, so a long option in a
  // select pushed it past its grid column over the next box (Grouping over Options at 1440 px).
  const fieldset = { border: '1px solid var(--line)', borderRadius: 6, padding: '0.5rem 0.75rem', margin: 0, minWidth: 0 } as const;
  return (
    <GetForm action="/outcomes" className="card outcomes-form" data-testid="analysis-form">
      <h2 style={{ marginTop: 0 }}>Analysis</h2>
      <div style={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(260px, 1fr))', gap: '1rem' }}>
        <fieldset style={fieldset}>
          <legend>Event</legend>
          {Object.entries(EVENT_CHOICES).map(([key, e]) => (
            <label key={key} style={{ flexDirection: 'row', gap: '0.5rem' }}>
              <input type="radio" name="event" value={key} defaultChecked={request.event === key} />
              {e.label}
            </label>
          ))}
          <p className="muted" style={{ fontSize: '0.8rem', marginBottom: 0 }}>
            Times are days from the start of radiotherapy. For local failure, death without local failure censors the Kaplan–Meier and Cox analyses and is the
            competing event in the cumulative-incidence and Fine–Gray analyses.
          </p>
        </fieldset>
        <fieldset style={fieldset}>
          <legend>Grouping for the curves</legend>
          <label>
            Split
            <select name="group" defaultValue={request.grouping.kind}>
              <option value="none">No grouping (all patients)</option>
              <option value="median">Median split</option>
              <option value="tertiles">Tertiles</option>
              <option value="threshold">Threshold</option>
              <option value="categorical">Categories (categorical column)</option>
            </select>
          </label>
          <label>
            Group by
            <select name="groupBy" defaultValue={request.grouping.covariate ?? ''}>
              <option value="">—</option>
              {groupable.map((c) => (
                <option key={c.key} value={c.key}>
                  {c.label} ({c.kind === 'numeric' ? c.unit : 'categorical'})
                </option>
              ))}
            </select>
          </label>
          <label>
            Threshold (in the covariate&apos;s unit)
            <input name="threshold" type="number" step="any" defaultValue={request.grouping.threshold ?? ''} />
          </label>
        </fieldset>
        <fieldset style={fieldset}>
          <legend>Options</legend>
          <label>
            Number at risk at (days)
            <input name="times" defaultValue={request.riskTimesDays.join(', ')} />
          </label>
          <label>
            Ties (Cox)
            <select name="ties" defaultValue={request.ties}>
              <option value="efron">Efron</option>
              <option value="breslow">Breslow</option>
            </select>
          </label>
        </fieldset>
      </div>
      <fieldset style={{ ...fieldset, marginTop: '1rem' }}>
        <legend>Covariates (Cox and Fine–Gray)</legend>
        <div style={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(300px, 1fr))', gap: '0.5rem 1rem' }}>
          {metric.map((c) => (
            <CovariateChoice key={c.key} c={c} checked={request.covariates.includes(c.key)} />
          ))}
          {clinical.map((c) => (
            <CovariateChoice key={c.key} c={c} checked={request.covariates.includes(c.key)} />
          ))}
        </div>
        {metric.every((c) => c.unavailableReason) && (
          <p className="muted" style={{ fontSize: '0.85rem' }}>
            Metric covariates (false-positive voxels, Dice, HD95, …) appear once segmentation runs have produced ITV metrics for patients with outcomes: import
            their 4D CT studies and let the worker run.
          </p>
        )}
        {clinical.length === 0 && (
          <p className="muted" style={{ fontSize: '0.85rem' }}>
            No clinical columns yet: add columns such as age, stage or dose to the outcomes CSV (below) to use them here.
          </p>
        )}
      </fieldset>
      <p style={{ marginBottom: 0 }}>
        <GetSubmitButton pendingLabel="Running…">Run analysis</GetSubmitButton>{' '}
        <Link href="/outcomes" className="muted" style={{ marginLeft: '0.75rem' }}>
          Reset
        </Link>
      </p>
    </GetForm>
  );
}

export default async function OutcomesPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const caller = await requireCaller();
  if (!can(caller.role, 'outcomes:view')) {
    return (
      <>
        <h1>Outcomes</h1>
        <div className="card">
          <p>The {caller.role.toLowerCase()} role may not view outcomes.</p>
          <p className="muted">Ask an administrator for a researcher or physicist account if you need outcome analyses.</p>
        </div>
      </>
    );
  }
  const input = analysisInputFromParams(await searchParams);
  return (
    <>
      <h1>Outcomes</h1>
      <Suspense fallback={<p className="muted">Loading outcomes and running the analysis…</p>}>
        <OutcomesBody caller={caller} input={input} />
      </Suspense>
    </>
  );
}

async function OutcomesBody({ caller, input }: { caller: Caller; input: OutcomeAnalysisRequestInput }) {
  const dataset = await getOutcomeDataset(db(), { caller });
  let analysis: OutcomeAnalysis | null = null;
  let error: string | null = null;
  try {
    analysis = await runOutcomeAnalysis(db(), { caller, request: input, dataset });
  } catch (e) {
    if (!(e instanceof AppError) || e.code !== 'INVALID_INPUT') throw e;
    error = e.message;
  }
  const parsed = OutcomeAnalysisRequest.safeParse(input);
  const formRequest = analysis?.request ?? (parsed.success ? parsed.data : OutcomeAnalysisRequest.parse({ riskTimesDays: DEFAULT_RISK_TIMES_DAYS }));
  const empty = dataset.rows.length === 0;
  return (
    <>
      {empty ? (
        <div className="card" data-testid="outcomes-empty">
          <p>
            <strong>No outcomes yet.</strong> Upload an outcomes CSV below: one row per patient with local failure, death and follow-up in days. The analysis
            appears here as soon as it is imported.
          </p>
        </div>
      ) : (
        <p className="muted" style={{ marginTop: 0 }}>
          {dataset.rows.length} patients with outcomes{dataset.patientsWithoutOutcome > 0 && `, ${dataset.patientsWithoutOutcome} without`}. Patients are shown
          by pseudonym only.{' '}
          <DownloadLink href="/api/outcomes/dataset.csv" data-testid="download-analysis-dataset" pendingLabel="Exporting the analysis dataset…">
            Download the analysis dataset (CSV, one row per patient)
          </DownloadLink>{' '}
          and{' '}
          <a href="/api/outcomes/dataset-dictionary.json" download data-testid="download-analysis-dictionary">
            its data dictionary (JSON)
          </a>
          .
        </p>
      )}
      {!empty && <AnalysisForm request={formRequest} covariates={dataset.covariates} />}
      {error && (
        <div className="card" role="alert" data-testid="analysis-error">
          <p className="error" style={{ margin: 0 }}>
            {error}
          </p>
        </div>
      )}
      {!empty && analysis && <Results a={analysis} />}
      {!empty && analysis && <FreezeSnapshot params={analysisRequestToParams(analysis.request).toString()} />}
      {can(caller.role, 'outcomes:import') && (
        <section className="card">
          <h2 style={{ marginTop: 0 }}>Import outcomes</h2>
          <OutcomesUpload allowMrn={can(caller.role, 'identifiers:view')} />
        </section>
      )}
    </>
  );
}
