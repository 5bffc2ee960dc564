/**
 * The study page's "Dose" section (issue #15): the plan (prescription, fractions, where the
 * prescription comes from), the dose grid used, and per region (physician / machine ITV and GTV,
 * the FP and FN regions of the ITV pair) volume, Dmin, Dmean, Dmax, D98, D95, D50, D2, V95 %,
 * V100 % and the volume below 95 % of the prescription, in the `iseg` convention (docs/dose.md).
 * A physicist enters the prescription when the plan states none (dose-actions.ts). Below the
 * table, the cumulative DVH chart of the regions (components/viewer/dvh-chart.tsx).
 */
import { db } from '@/lib/server/db/client';
import type { Caller } from '@/lib/server/auth/roles';
import { getStudyDose, type StudyDoseRegion } from '@/lib/server/dose/get-study-dose';
import { getStudyDvh } from '@/lib/server/dose/get-study-dvh';
import { DvhChart } from '@/components/viewer/dvh-chart';
import { enterPrescriptionAction } from './dose-actions';
import { PendingButton } from '@/components/pending-button';

const REGION_LABEL: Record<StudyDoseRegion['region'], string> = {
  PHYSICIAN_ITV: 'Physician ITV',
  MACHINE_ITV: 'Machine ITV',
  PHYSICIAN_GTV: 'Physician GTV',
  MACHINE_GTV: 'Machine GTV',
  FP: 'FP (machine ∖ physician ITV)',
  FN: 'FN (physician ∖ machine ITV)',
};
const REASON: Record<string, string> = { NO_PRESCRIPTION: 'no prescription', EMPTY_REGION: 'empty' };

function cell(r: StudyDoseRegion, key: keyof StudyDoseRegion['values'], digits: number) {
  const v = r.values[key];
  if (v === null || v === undefined) {
    const why = r.nullReasons[key];
    return <td title={why ? (REASON[why] ?? why) : undefined}>—</td>;
  }
  return <td>{v.toFixed(digits)}</td>;
}

export async function DosePanel({ caller, studyId, done, error }: { caller: Caller; studyId: string; done: string | null; error: string | null }) {
  const dose = await getStudyDose(db(), { caller, studyId });
  const dvh = dose?.doseGrid ? await getStudyDvh(db(), { caller, studyId }) : [];
  const unit = dose?.doseGrid?.units === 'GY' || !dose?.doseGrid ? 'Gy' : dose.doseGrid.units.toLowerCase();
  return (
    <section className="card" id="dose" data-testid="study-dose">
      <h2>Dose</h2>
      {done ? (
        <p className="notice" role="status" data-testid="dose-done">
          {done}
        </p>
      ) : null}
      {error ? (
        <p className="error" role="alert" data-testid="dose-error">
          {error}
        </p>
      ) : null}
      {!dose ? (
        <p className="muted">
          No RTDOSE or RTPLAN was imported with this study: import them with its CT (the same folder or upload) to see the dose in each region.
        </p>
      ) : (
        <>
          <p data-testid="dose-plan">
            {dose.plan ? (
              <>
                Plan{dose.plan.label ? ` “${dose.plan.label}”` : ''}: prescription{' '}
                <strong>{dose.plan.prescriptionGy !== null ? `${dose.plan.prescriptionGy} Gy` : 'not stated'}</strong>
                {dose.plan.fractions ? ` in ${dose.plan.fractions} fractions` : ''}
                {dose.plan.prescriptionGy !== null ? ` (${dose.plan.source})` : ''}.
              </>
            ) : (
              'No plan: the dose came without an RTPLAN.'
            )}{' '}
            {dose.doseGrid ? (
              <span className="muted">
                Dose grid {dose.doseGrid.dims.join('×')} at {dose.doseGrid.spacingMm.map((s) => Number(s.toFixed(2))).join('×')} mm,{' '}
                {dose.doseGrid.summationType ?? 'no'} summation, max {dose.doseGrid.maxDose.toFixed(2)} {unit}
                {dose.doseGrid.count > 1 ? `; ${dose.doseGrid.choice}` : ''}.
              </span>
            ) : (
              <span className="muted">No usable dose grid (see the import findings).</span>
            )}
          </p>
          {dose.canEnterPrescription && dose.plan?.prescriptionGy == null ? (
            <form action={enterPrescriptionAction} className="inline-form" data-testid="prescription-form">
              <input type="hidden" name="studyId" value={studyId} />
              <label>
                Prescription (Gy) <input name="prescriptionGy" inputMode="decimal" required size={6} />
              </label>
              <label>
                Fractions <input name="fractions" inputMode="numeric" size={4} defaultValue={dose.plan?.fractions ?? ''} />
              </label>
              <PendingButton pendingLabel="Saving…">Save prescription</PendingButton>
            </form>
          ) : null}
          {dose.regions.length === 0 ? (
            <p className="muted">No dose metrics yet: they are computed for the physician ITV/GTV on import and for the machine regions when a run succeeds.</p>
          ) : (
            <table data-testid="dose-table">
              <thead>
                <tr>
                  <th>Region</th>
                  <th>Volume (cc)</th>
                  <th>Dmin ({unit})</th>
                  <th>Dmean</th>
                  <th>Dmax</th>
                  <th>D98</th>
                  <th>D95</th>
                  <th>D50</th>
                  <th>D2</th>
                  <th>V95 (%)</th>
                  <th>V100 (%)</th>
                  <th>Volume &lt; 95 % Rx (cc)</th>
                </tr>
              </thead>
              <tbody>
                {dose.regions.map((r) => (
                  <tr
                    key={`${r.region}:${r.componentIndex ?? ''}:${r.runId ?? ''}`}
                    data-testid={`dose-row-${r.region}${r.componentIndex === null ? '' : `-${r.componentIndex}`}`}
                  >
                    <td>
                      {REGION_LABEL[r.region] ?? r.region}
                      {r.componentIndex !== null ? `, component ${r.componentIndex + 1}` : ''}
                    </td>
                    {cell(r, 'volumeCc', 2)}
                    {cell(r, 'dminGy', 2)}
                    {cell(r, 'dmeanGy', 2)}
                    {cell(r, 'dmaxGy', 2)}
                    {cell(r, 'd98Gy', 2)}
                    {cell(r, 'd95Gy', 2)}
                    {cell(r, 'd50Gy', 2)}
                    {cell(r, 'd2Gy', 2)}
                    {cell(r, 'v95Pct', 1)}
                    {cell(r, 'v100Pct', 1)}
                    {cell(r, 'volumeBelow95PctCc', 2)}
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <DvhChart curves={dvh} prescriptionGy={dose.plan?.prescriptionGy ?? null} unit={unit} />
          <p className="muted">
            Convention <code>{dose.convention}</code>: trilinear dose at the centres of each region&apos;s CT voxels, exact Dx (docs/dose.md). Machine, FP and
            FN rows are the latest finished run&apos;s.
          </p>
        </>
      )}
    </section>
  );
}
