/**
 * The cohort page's streamed widgets. Each awaits the same CohortData promise (one query per
 * page view) inside its own <Suspense>, so the filters paint first and each widget as soon as
 * the data is there.
 */
import Link from 'next/link';
import { can, type Caller } from '@/lib/server/auth/roles';
import type { MedianIqr } from '@/lib/core/stats/cohort-stats';
import { CASES_PER_PAGE, cohortHref, type CohortQuery } from '@/lib/server/cohort/find-cohort-cases.types';
import type { CaseSortKey, CohortCase } from '@/lib/core/stats/cohort-stats';
import { CohortChartsPanel } from '@/components/charts/cohort-charts-panel';
import type { CohortData } from './load-cohort';
import { explainFlagCodes, FLAG_LABELS, type FlagThresholds } from '@/lib/core/flags';
import { FlagChips } from '@/components/flags/flag-chips';
import { pageLinks } from '@/lib/core/page-links';

const COUNT_LABELS: Record<string, string> = { ...FLAG_LABELS, FAILED_RUN: 'failed run' };

function fmtIqr(m: MedianIqr, digits: number): string {
  if (m.n === 0 || m.median === null) return '—';
  return `${m.median.toFixed(digits)} [${m.q1!.toFixed(digits)}–${m.q3!.toFixed(digits)}]`;
}

const fmt = (v: number | null, digits: number) => (v === null ? '—' : v.toFixed(digits));

export function WidgetSkeleton({ label, height = 120 }: { label: string; height?: number }) {
  return (
    <div className="card cohort-skeleton" style={{ minHeight: height }} aria-busy="true">
      <span className="muted">Loading {label}…</span>
    </div>
  );
}

export async function CohortOverview({ data, caller, filtered }: { data: Promise<CohortData>; caller: Caller; filtered: boolean }) {
  const { stats: s, datesShifted } = await data;
  if (s.studies === 0) {
    return (
      <div className="card" data-testid="cohort-empty">
        {filtered ? (
          <p>
            No study matches these filters. <a href="/">Clear the filters</a>.
          </p>
        ) : (
          <>
            <p>
              <strong>No studies yet.</strong>
            </p>
            <p className="muted">
              {can(caller.role, 'studies:import') ? (
                <>
                  <Link href="/import">Import a study</Link> (a 4D CT as DICOM with its RTSTRUCT, or NIfTI), or run <code>npx iseg-qa import DIR</code>.
                </>
              ) : (
                'Ask a physicist or an administrator to import studies.'
              )}{' '}
              A worker segments each imported study in the background; its numbers appear here when the run finishes.
            </p>
          </>
        )}
      </div>
    );
  }
  const [gtv, itv] = s.rows;
  return (
    <>
      <div className="card" data-testid="cohort-summary">
        <p className="cohort-status" data-testid="cohort-status">
          <strong>{s.studies}</strong> studies · <strong>{s.withSummary}</strong> with results · {s.pending} queued or running · {s.failed} failed · {s.notRun}{' '}
          not run
        </p>
        {s.withSummary === 0 ? (
          <p className="notice" data-testid="cohort-waiting">
            No segmentation run has finished yet. {s.pending > 0 ? `${s.pending} runs are waiting for a worker: ` : ''}a worker with a model runs them (
            <code>npm start</code> starts one; more with <code>npm run worker</code>); this page fills in as they finish.
          </p>
        ) : (
          <table className="cohort-summary-table">
            <caption className="muted">Machine vs physician, median [IQR]. Dice and FP: voxel overlap on the CT grid; HD95: voxel-surface convention.</caption>
            <thead>
              <tr>
                <th>Structure</th>
                <th>n</th>
                <th>Dice</th>
                <th>HD95 (mm)</th>
                <th>FP volume (cc)</th>
              </tr>
            </thead>
            <tbody>
              <tr data-testid="cohort-row-gtv">
                <td>GTV, each 4D CT phase</td>
                <td>
                  {gtv.phases} phases ({gtv.studies} studies)
                </td>
                <td>{fmtIqr(gtv.dice, 3)}</td>
                <td>{fmtIqr(gtv.hd95Mm, 1)}</td>
                <td>{fmtIqr(gtv.fpCc, 2)}</td>
              </tr>
              <tr data-testid="cohort-row-itv">
                <td>ITV</td>
                <td>{itv.studies} studies</td>
                <td>{fmtIqr(itv.dice, 3)}</td>
                <td>{fmtIqr(itv.hd95Mm, 1)}</td>
                <td>{fmtIqr(itv.fpCc, 2)}</td>
              </tr>
            </tbody>
          </table>
        )}
        {Object.keys(s.flagCounts).length > 0 && (
          <p className="muted" data-testid="cohort-flag-counts">
            Flagged:{' '}
            {Object.entries(s.flagCounts)
              .map(([f, n]) => `${COUNT_LABELS[f] ?? f} ${n}`)
              .join(' · ')}
          </p>
        )}
        {datesShifted && <p className="muted small">Study dates are shifted per patient (pseudonymised view).</p>}
      </div>
      {s.missingSummary > 0 && (
        <div className="notice cohort-missing" data-testid="cohort-missing">
          {s.missingSummary} studies have a succeeded run without a QA summary (it finished before summaries were stored); they are left out of the numbers
          above. Run their segmentation again to include them.
        </div>
      )}
    </>
  );
}

export async function CohortCharts({ data }: { data: Promise<CohortData> }) {
  const d = await data;
  if (d.stats.withSummary === 0) return null;
  const p = d.stats.paired;
  const pText =
    p.p === null ? (p.note ?? '—') : `paired Wilcoxon signed-rank p = ${p.p < 0.001 ? p.p.toExponential(2) : p.p.toFixed(3)} (${p.method}, V = ${p.statistic})`;
  const pairedLine = `n = ${p.n} pairs · median difference (machine − physician) ${p.medianDifferenceCc === null ? '—' : `${p.medianDifferenceCc.toFixed(2)} cc`} · ${pText}`;
  const boxes = d.stats.byInstitution.map(({ outliers: _outliers, ...b }) => b);
  const t = d.chartPoints;
  return (
    <>
      {t.grid && (
        <p className="muted small" data-testid="cohort-chart-thinning">
          The charts draw {t.drawn.toLocaleString('en')} of the {t.of.toLocaleString('en')} studies with results: one per cell of a {t.grid[0]} × {t.grid[1]}{' '}
          grid over each chart, so every region with data, outliers included, keeps a point. The numbers, box plots and tables use every study.
        </p>
      )}
      <CohortChartsPanel columnsJson={d.columnsJson} boxes={boxes} pairedLine={pairedLine} />
    </>
  );
}

const COLUMNS: { key: CaseSortKey; label: string; num?: boolean }[] = [
  { key: 'pseudonym', label: 'Patient' },
  { key: 'institution', label: 'Institution' },
  { key: 'date', label: 'Study date' },
  { key: 'model', label: 'Model' },
  { key: 'gtvDice', label: 'GTV Dice (median)', num: true },
  { key: 'itvDice', label: 'ITV Dice', num: true },
  { key: 'hd95', label: 'ITV HD95 (mm)', num: true },
  { key: 'fpCc', label: 'ITV FP (cc)', num: true },
  { key: 'motion', label: 'Motion (mm)', num: true },
  { key: 'flags', label: 'Flags' },
];

function CaseFlags({ c, thresholds }: { c: CohortCase; thresholds: FlagThresholds }) {
  const failed = c.latestRunStatus === 'FAILED';
  if (!c.flags.length && !failed) {
    if (!c.hasSummary) return <span className="muted">{c.latestRunStatus ? c.latestRunStatus.toLowerCase() : 'not run'}</span>;
    return null;
  }
  const flags = explainFlagCodes(
    c.flags,
    { itvDice: c.itvDice, gtvMinDice: c.gtvMinDice ?? null, largestFpRegionCc: c.itvLargestFpRegionCc ?? null, maxFpDistanceMm: c.itvMaxFpDistanceMm ?? null },
    thresholds,
  );
  return (
    <FlagChips
      flags={flags}
      className="cohort"
      extra={failed ? [{ key: 'FAILED_RUN', label: 'failed run', title: c.latestRunError ?? undefined, className: 'failed' }] : undefined}
    />
  );
}

export async function CohortCaseTable({ data, query }: { data: Promise<CohortData>; query: CohortQuery }) {
  const d = await data;
  if (d.totalCases === 0) return null;
  const page = d.pageNumber;
  return (
    <div className="card" data-testid="cohort-cases">
      <h2 className="cohort-h2">Cases</h2>
      <div className="cohort-table-scroll">
        <table className="cohort-cases">
          <thead>
            <tr>
              {COLUMNS.map((col) => {
                const active = query.sort === col.key;
                const nextDir = active
                  ? query.dir === 'asc'
                    ? 'desc'
                    : 'asc'
                  : col.key === 'flags' || col.key === 'fpCc' || col.key === 'hd95' || col.key === 'motion'
                    ? 'desc'
                    : 'asc';
                return (
                  <th key={col.key} className={col.num ? 'num' : undefined} aria-sort={active ? (query.dir === 'asc' ? 'ascending' : 'descending') : undefined}>
                    <Link href={cohortHref(query, { sort: col.key, dir: nextDir, page: 1 })} data-testid={`sort-${col.key}`}>
                      {col.label}
                      {active ? (query.dir === 'asc' ? ' ▲' : ' ▼') : ''}
                    </Link>
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {d.page.map((c) => (
              <tr key={c.studyId} data-testid="cohort-case">
                <td>
                  <Link href={`/studies/${c.studyId}`}>{c.pseudonym}</Link>
                </td>
                <td className="cohort-inst">{c.institution}</td>
                <td>
                  {c.studyDate ?? '—'}
                  {c.studyDate && c.dateShifted ? <span className="muted small"> shifted</span> : null}
                </td>
                <td>{c.model ?? '—'}</td>
                <td className="num">{fmt(c.gtvMedianDice, 3)}</td>
                <td className="num">{fmt(c.itvDice, 3)}</td>
                <td className="num">{fmt(c.itvHd95Mm, 1)}</td>
                <td className="num">{fmt(c.itvFpCc, 2)}</td>
                <td className="num">{fmt(c.motionMm, 1)}</td>
                <td>
                  <CaseFlags c={c} thresholds={d.flagThresholds} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <nav className="cohort-pages" aria-label="Case table pages">
        <span className="muted" data-testid="cohort-page-range">
          {((page - 1) * CASES_PER_PAGE + 1).toLocaleString('en')}–{Math.min(page * CASES_PER_PAGE, d.totalCases).toLocaleString('en')} of{' '}
          {d.totalCases.toLocaleString('en')}
        </span>
        {page > 1 && <Link href={cohortHref(query, { page: page - 1 })}>← Previous</Link>}
        {pageLinks(page, d.pageCount).map((n, i) =>
          n === null ? (
            <span key={`gap-${i}`} className="muted">
              …
            </span>
          ) : n === page ? (
            <strong key={n} aria-current="page" data-testid="cohort-page-current">
              {n}
            </strong>
          ) : (
            <Link key={n} href={cohortHref(query, { page: n })} data-testid="cohort-page-link">
              {n}
            </Link>
          ),
        )}
        {page < d.pageCount && <Link href={cohortHref(query, { page: page + 1 })}>Next →</Link>}
      </nav>
    </div>
  );
}
