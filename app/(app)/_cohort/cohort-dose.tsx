/**
 * The cohort page's dose view (issue #15): per institution, of the studies the filters keep, how
 * many have a planned dose, the median FP volume, the median fraction of it below 95 % of the
 * prescription and how many studies have any FP volume below it (lib/core/dose/cohort-dose.ts;
 * from the page's one query). Aggregates only: the same for every role. Nothing is shown while
 * no study has a dose.
 */
import type { CohortData } from './load-cohort';

const num = (v: number | null, digits: number) => (v === null ? '—' : v.toFixed(digits));

export async function CohortDose({ data }: { data: Promise<CohortData> }) {
  const { doseRows } = await data;
  if (doseRows.length === 0) return null;
  return (
    <div className="card" data-testid="cohort-dose">
      <h2>Planned dose in the false-positive regions</h2>
      <div className="table-scroll">
        <table className="cohort-summary-table">
          <caption className="muted">
            FP region = machine ITV ∖ physician ITV of each study&apos;s latest succeeded run; planned dose on the CT voxels (docs/dose-cohort.md). Medians over
            the studies with a dose and a run; the fraction below 95 % over those with an FP volume above 0 and a prescription (— when no study has both);
            &quot;k of n&quot;: k studies with any FP volume below 95 % of n with a run.
          </caption>
          <thead>
            <tr>
              <th>Institution</th>
              <th>Studies</th>
              <th>With dose</th>
              <th>Median FP volume (cc)</th>
              <th>Median fraction of FP volume &lt; 95 % Rx</th>
              <th>Studies with FP &lt; 95 % Rx</th>
            </tr>
          </thead>
          <tbody>
            {doseRows.map((r) => (
              <tr key={r.institution} data-testid="cohort-dose-row">
                <th scope="row">{r.institution}</th>
                <td>{r.studies}</td>
                <td>{r.withDose}</td>
                <td>{num(r.medianFpCc, 2)}</td>
                <td>{r.medianFpFractionBelow95 === null ? '—' : `${(100 * r.medianFpFractionBelow95).toFixed(0)} %`}</td>
                <td>
                  {r.withFpBelow95} of {r.withFpDose}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
