/**
 * The study page's "Observers" section (docs/observers.md): when two or more physicians contoured
 * the study's GTV/ITV, who they are (pseudonyms for roles without identifiers:view), and side by
 * side physician vs physician, the machine (latest succeeded run) vs each physician and vs their
 * consensus (majority vote, STAPLE): ITV values and the mean over the phase GTVs. Nothing for a
 * study with one observer.
 */
import { db } from '@/lib/server/db/client';
import type { Caller } from '@/lib/server/auth/roles';
import { getStudyObservers, type ObserverComparisonRow } from '@/lib/server/observers/get-study-observers';

const f = (v: number | null, digits: number) => (v === null ? '—' : v.toFixed(digits));

function ComparisonTable({ rows, testId, gtv }: { rows: ObserverComparisonRow[]; testId: string; gtv: boolean }) {
  return (
    <div className="table-scroll">
      <table data-testid={testId}>
        <thead>
          <tr>
            <th scope="col">Comparison</th>
            <th scope="col">Dice</th>
            <th scope="col">HD95 (mm)</th>
            <th scope="col">Mean surface distance (mm)</th>
            <th scope="col">Surface Dice</th>
            {gtv ? <th scope="col">Phases</th> : null}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.label} data-comparison={r.comparison}>
              <th scope="row">{r.label}</th>
              <td>{f(r.dice, 3)}</td>
              <td>{f(r.hd95Mm, 1)}</td>
              <td>{f(r.meanSurfaceDistanceMm, 2)}</td>
              <td>{f(r.surfaceDice, 3)}</td>
              {gtv ? <td>{r.phases}</td> : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export async function ObserversPanel({ caller, studyId }: { caller: Caller; studyId: string }) {
  const o = await getStudyObservers(db(), { caller, studyId });
  if (!o) return null;
  return (
    <section className="card" id="observers" data-testid="study-observers">
      <h2>Observers</h2>
      <p data-testid="study-observer-list">
        {o.observers.map((x, n) => (
          <span key={x.index}>
            {n > 0 ? '; ' : ''}
            {x.label} ({x.reference ? 'reference observer, compared with the machine above' : 'another observer'}, {x.structures} GTV/ITV)
          </span>
        ))}
        .
      </p>
      {o.itv.length === 0 && o.gtv.length === 0 ? (
        <p className="muted">No inter-observer metrics yet: they are measured when a segmentation run of this study succeeds.</p>
      ) : (
        <>
          <h3>ITV</h3>
          {o.itv.length ? <ComparisonTable rows={o.itv} testId="study-observers-itv" gtv={false} /> : <p className="muted">Fewer than two physician ITVs.</p>}
          <h3>GTV (mean over the phases)</h3>
          {o.gtv.length ? (
            <ComparisonTable rows={o.gtv} testId="study-observers-gtv" gtv />
          ) : (
            <p className="muted">Fewer than two physician GTVs on a phase.</p>
          )}
          <p className="muted">
            Metric conventions as in the machine-vs-physician metrics (Dice: voxels; HD95, mean surface distance and surface Dice at 2 mm: voxel convention).
            Majority vote: voxels more than half of the physicians drew (with two, their intersection).
          </p>
        </>
      )}
    </section>
  );
}
