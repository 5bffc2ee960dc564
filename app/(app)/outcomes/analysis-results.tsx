/**
 * The outcomes analysis results (counts, Cox, Kaplan–Meier, competing risks and Fine–Gray) as
 * plain props: the explorer (/outcomes) renders a live analysis, a snapshot page
 * (/outcomes/snapshots/[id]) the frozen one (without the live CSV table links).
 */
import type { AnalysisNotice, CoefficientRow, OutcomeAnalysis } from '@/lib/server/outcomes/run-outcome-analysis';
import { analysisRequestToParams } from '@/lib/server/outcomes/run-outcome-analysis.types';
import { EVENT_CHOICES } from '@/lib/server/outcomes/outcome-covariates';
import { ForestPlot } from '@/components/charts/forest-plot';
import { KmPlot } from '@/components/charts/km-plot';
import { CumincPlot } from '@/components/charts/cuminc-plot';
import { formatHazardRatio, rescaledUnitLabel } from '@/lib/core/survival/format-hazard-ratio';
import { formatPValue, formatPValueCell } from '@/lib/core/survival/format-p-value';

function num(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined) return '—';
  return Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(2) : x.toFixed(digits);
}
/** A p-value in a table cell ("< 0.001", "0.012"); in running text use formatPValue ("p < 0.001"). */
const pval = formatPValueCell;

function Stat({ label, value }: { label: string; value: string | number }) {
  return (
    <div className="card stat">
      <div className="value">{value}</div>
      <div className="label">{label}</div>
    </div>
  );
}

function Notices({ items, testId }: { items: AnalysisNotice[]; testId?: string }) {
  if (!items.length) return null;
  return (
    <div className="notice" role="status" data-testid={testId} style={{ marginBottom: '0.75rem' }}>
      <strong>Warnings</strong>
      <ul style={{ margin: '0.25rem 0 0', paddingLeft: '1.2rem' }}>
        {items.map((w, k) => (
          <li key={k}>
            <code style={{ fontSize: '0.8rem' }}>{w.code}</code> {w.message}
          </li>
        ))}
      </ul>
    </div>
  );
}

function NotRun({ section }: { section: { status: 'not-run'; reason: string } | { status: 'error'; code: string; message: string } }) {
  return section.status === 'not-run' ? (
    <p className="muted">{section.reason}</p>
  ) : (
    <p className="error" role="alert">
      <code>{section.code}</code> {section.message}
    </p>
  );
}

function CoefTable({ rows, ratio, testId }: { rows: CoefficientRow[]; ratio: string; testId: string }) {
  return (
    <table data-testid={testId}>
      <thead>
        <tr>
          <th>Covariate</th>
          <th>Unit</th>
          <th style={{ textAlign: 'right' }}>{ratio}</th>
          <th style={{ textAlign: 'right' }}>95% CI</th>
          <th style={{ textAlign: 'right' }}>p</th>
          <th style={{ textAlign: 'right' }}>coef</th>
          <th style={{ textAlign: 'right' }}>SE</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((c) => {
          // enough digits that the bounds differ from each other and from 1 (lib/core/survival/format-hazard-ratio)
          const f = formatHazardRatio({ hr: c.hr, lower: c.lower95, upper: c.upper95 }, { missing: '—', infinity: '∞' });
          return (
            <tr key={c.name}>
              <td>{c.label}</td>
              <td>{c.unit}</td>
              <td style={{ textAlign: 'right', fontVariantNumeric: 'tabular-nums' }}>
                {f.hr}
                {f.rescaled && c.unit.startsWith('per ') ? (
                  <div className="muted" style={{ fontSize: '0.8rem' }} data-testid="hr-rescaled">
                    {rescaledUnitLabel(f.rescaled.per, c.unit)}: {f.rescaled.text}
                  </div>
                ) : null}
              </td>
              <td style={{ textAlign: 'right', fontVariantNumeric: 'tabular-nums' }}>
                {f.lower} – {f.upper}
              </td>
              <td style={{ textAlign: 'right', fontVariantNumeric: 'tabular-nums' }}>{pval(c.p)}</td>
              <td style={{ textAlign: 'right', fontVariantNumeric: 'tabular-nums' }}>{num(c.coef, 4)}</td>
              <td style={{ textAlign: 'right', fontVariantNumeric: 'tabular-nums' }}>{num(c.se, 4)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function Results({ a, tableLinks = true }: { a: OutcomeAnalysis; tableLinks?: boolean }) {
  const params = analysisRequestToParams(a.request).toString();
  const lf = a.request.event === 'localFailure';
  const coxWarnings = a.cox.status === 'ok' ? a.cox.value.warnings : [];
  const groupText = a.grouping ? `by ${a.grouping.description}` : 'all patients';
  const kmTitle = `Kaplan–Meier: ${lf ? 'freedom from local failure' : 'overall survival'}, ${groupText}`;
  return (
    <>
      <div className="grid" data-testid="outcome-counts">
        <Stat label="Patients with outcomes" value={a.counts.patientsWithOutcome} />
        <Stat label={`Analysis set (${EVENT_CHOICES[a.request.event].short}): every table and curve below`} value={a.counts.usable} />
        <Stat label={lf ? 'Local failures' : 'Deaths'} value={a.counts.events} />
        {a.counts.competingDeaths !== null && <Stat label="Deaths without local failure (competing)" value={a.counts.competingDeaths} />}
        <Stat label="Median follow-up, days (reverse KM)" value={a.counts.medianFollowUpDays === null ? '—' : Math.round(a.counts.medianFollowUpDays)} />
      </div>
      {a.counts.excluded.length > 0 && (
        <p className="muted" data-testid="excluded-counts">
          Left out of the analysis set: {a.counts.excluded.map((x) => `${x.count} × ${x.reason}`).join('; ')}.
        </p>
      )}
      <Notices items={[...a.warnings, ...coxWarnings]} testId="analysis-warnings" />

      <section className="card" data-testid="cox-section">
        <h2 style={{ marginTop: 0 }}>Cox proportional hazards: {EVENT_CHOICES[a.request.event].short}</h2>
        {a.cox.status !== 'ok' ? (
          <NotRun section={a.cox} />
        ) : (
          <>
            <p className="muted" style={{ marginTop: 0 }}>
              n = {a.cox.value.n}, events = {a.cox.value.nevent}
              {a.cox.value.nDropped > 0 && `, ${a.cox.value.nDropped} left out for a missing covariate`}; {a.cox.value.ties} ties; {a.cox.value.iterations}{' '}
              iterations ({a.cox.value.stopReason}). Hazard ratios are per the unit shown.
            </p>
            <CoefTable rows={a.cox.value.coefficients} ratio="HR" testId="cox-table" />
            <p style={{ fontSize: '0.9rem' }} data-testid="cox-tests">
              Likelihood ratio χ² = {num(a.cox.value.likelihoodRatio.chisq, 2)} on {a.cox.value.likelihoodRatio.df} df,{' '}
              {formatPValue(a.cox.value.likelihoodRatio.p)} · Wald χ² = {num(a.cox.value.wald.chisq, 2)}, {formatPValue(a.cox.value.wald.p)} · Score (log-rank)
              χ² = {num(a.cox.value.score.chisq, 2)}, {formatPValue(a.cox.value.score.p)} · Concordance C = {num(a.cox.value.concordance.c, 3)} (SE{' '}
              {num(a.cox.value.concordance.se, 3)})
            </p>
            {a.cox.value.zph.length > 0 && (
              <details>
                <summary>
                  Proportional-hazards test (cox.zph, KM transform){a.cox.value.zphGlobal && `: ${formatPValue(a.cox.value.zphGlobal.p, 'global p')}`}
                </summary>
                <table data-testid="zph-table">
                  <thead>
                    <tr>
                      <th>Term</th>
                      <th style={{ textAlign: 'right' }}>χ²</th>
                      <th style={{ textAlign: 'right' }}>df</th>
                      <th style={{ textAlign: 'right' }}>p</th>
                    </tr>
                  </thead>
                  <tbody>
                    {[...a.cox.value.zph, ...(a.cox.value.zphGlobal ? [{ term: 'GLOBAL', label: 'Global', ...a.cox.value.zphGlobal }] : [])].map((z) => (
                      <tr key={z.term}>
                        <td>{z.label}</td>
                        <td style={{ textAlign: 'right' }}>{num(z.chisq, 3)}</td>
                        <td style={{ textAlign: 'right' }}>{z.df}</td>
                        <td style={{ textAlign: 'right' }}>{pval(z.p)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </details>
            )}
            {tableLinks && (
              <p>
                <a href={`/api/outcomes/table?table=cox&${params}`} download>
                  Download the Cox table (CSV)
                </a>
              </p>
            )}
            <ForestPlot
              title={`Cox model: hazard ratios for ${EVENT_CHOICES[a.request.event].short}`}
              fileName="outcomes-cox-forest"
              rows={a.cox.value.coefficients}
              xLabel="Hazard ratio (log scale), per the unit shown"
            />
          </>
        )}
      </section>

      <section className="card" data-testid="km-section">
        <h2 style={{ marginTop: 0 }}>Kaplan–Meier</h2>
        {a.km.status !== 'ok' ? (
          <NotRun section={a.km} />
        ) : (
          <>
            <p data-testid="logrank" style={{ marginTop: 0 }}>
              {a.km.value.logRank ? (
                <>
                  <strong>Log-rank {formatPValue(a.km.value.logRank.p)}</strong> (χ² = {num(a.km.value.logRank.chisq, 2)} on {a.km.value.logRank.df} df)
                </>
              ) : (
                <span className="muted">{a.km.value.logRankNote}</span>
              )}
            </p>
            <KmPlot
              title={kmTitle + (a.km.value.logRank ? ` (log-rank ${formatPValue(a.km.value.logRank.p)})` : '')}
              fileName="outcomes-kaplan-meier"
              yLabel={lf ? 'Free from local failure' : 'Alive'}
              groups={a.km.value.groups.map((g) => ({ group: `${g.group} (n=${g.n}, ${g.events} events)`, points: g.points, atRisk: g.atRisk }))}
              riskTimes={a.request.riskTimesDays}
            />
            <table style={{ marginTop: '0.75rem' }}>
              <thead>
                <tr>
                  <th>Group</th>
                  <th style={{ textAlign: 'right' }}>n</th>
                  <th style={{ textAlign: 'right' }}>Events</th>
                  <th style={{ textAlign: 'right' }}>Median, days (95% CI)</th>
                </tr>
              </thead>
              <tbody>
                {a.km.value.groups.map((g) => (
                  <tr key={g.group}>
                    <td>{g.group}</td>
                    <td style={{ textAlign: 'right' }}>{g.n}</td>
                    <td style={{ textAlign: 'right' }}>{g.events}</td>
                    <td style={{ textAlign: 'right' }}>
                      {g.median === null ? 'not reached' : Math.round(g.median)} ({g.medianLower95 === null ? '—' : Math.round(g.medianLower95)} –{' '}
                      {g.medianUpper95 === null ? 'NR' : Math.round(g.medianUpper95)})
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {tableLinks && (
              <p>
                <a href={`/api/outcomes/table?table=km&${params}`} download>
                  Download the number-at-risk table (CSV)
                </a>
              </p>
            )}
          </>
        )}
      </section>

      <section className="card" data-testid="cuminc-section">
        <h2 style={{ marginTop: 0 }}>Competing risks: local failure, with death as the competing event</h2>
        {a.cuminc.status !== 'ok' ? (
          <NotRun section={a.cuminc} />
        ) : (
          <>
            <p style={{ marginTop: 0 }} data-testid="gray">
              {a.cuminc.value.gray ? (
                <strong>
                  Gray&apos;s test for local failure: {formatPValue(a.cuminc.value.gray.p)} (χ² = {num(a.cuminc.value.gray.stat, 2)} on {a.cuminc.value.gray.df}{' '}
                  df)
                </strong>
              ) : (
                <span className="muted">{a.cuminc.value.grayNote}</span>
              )}
            </p>
            <CumincPlot
              title={`Cumulative incidence, ${groupText}` + (a.cuminc.value.gray ? ` (Gray's ${formatPValue(a.cuminc.value.gray.p)})` : '')}
              fileName="outcomes-cumulative-incidence"
              curves={a.cuminc.value.curves}
              groups={a.km.status === 'ok' ? a.km.value.groups.map((g) => g.group) : []}
              riskTimes={a.request.riskTimesDays}
            />
            <h3>Fine–Gray subdistribution hazards</h3>
            {a.cuminc.value.fineGray.status !== 'ok' ? (
              <NotRun section={a.cuminc.value.fineGray} />
            ) : (
              <>
                <p className="muted" style={{ marginTop: 0 }}>
                  n = {a.cuminc.value.fineGray.value.n}
                  {a.cuminc.value.fineGray.value.nDropped > 0 && `, ${a.cuminc.value.fineGray.value.nDropped} left out for a missing covariate`};{' '}
                  {a.cuminc.value.fineGray.value.iterations} iterations ({a.cuminc.value.fineGray.value.stopReason}). Subdistribution hazard ratios are per the
                  unit shown.
                </p>
                <Notices items={a.cuminc.value.fineGray.value.warnings} />
                <CoefTable rows={a.cuminc.value.fineGray.value.coefficients} ratio="SHR" testId="fine-gray-table" />
                {tableLinks && (
                  <p>
                    <a href={`/api/outcomes/table?table=fine-gray&${params}`} download>
                      Download the Fine–Gray table (CSV)
                    </a>
                  </p>
                )}
              </>
            )}
          </>
        )}
      </section>
    </>
  );
}
