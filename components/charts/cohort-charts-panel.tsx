'use client';
/**
 * The cohort page's four charts, fed one set of columns (one entry per study with results, as
 * JSON), so the page sends each study's numbers once rather than once per chart. The charts are drawn
 * one after another when the browser is idle: with thousands of studies, drawing them all
 * during hydration would hold up the first paint of the tables.
 */
import { useEffect, useMemo, useState } from 'react';
import { CohortScatter, type CohortScatterPoint } from './cohort-scatter';
import { CohortInstitutionPlot, type InstitutionBoxProps } from './cohort-institution-plot';

export interface CohortChartColumns {
  ids: string[];
  labels: string[];
  /** Index into `boxes` (−1: no ITV Dice). */
  institution: number[];
  itvDice: (number | null)[];
  physicianItvCc: (number | null)[];
  machineItvCc: (number | null)[];
  motionMm: (number | null)[];
}

function pointsOf(c: CohortChartColumns, x: (number | null)[], y: (number | null)[]): CohortScatterPoint[] {
  const out: CohortScatterPoint[] = [];
  for (let i = 0; i < c.ids.length; i++) if (x[i] !== null && y[i] !== null) out.push({ x: x[i]!, y: y[i]!, id: c.ids[i], label: c.labels[i] });
  return out;
}

function Placeholder({ title }: { title: string }) {
  return (
    <div style={{ height: 352 }} className="cohort-chart-placeholder">
      <strong>{title}</strong>
      <p className="muted">Drawing…</p>
    </div>
  );
}

export function CohortChartsPanel({ columnsJson, boxes, pairedLine }: { columnsJson: string; boxes: InstitutionBoxProps[]; pairedLine: string }) {
  // JSON in one string: the server streams it as one value instead of item by item.
  const columns = useMemo(() => JSON.parse(columnsJson) as CohortChartColumns, [columnsJson]);
  const [drawn, setDrawn] = useState(0);
  useEffect(() => {
    if (drawn >= 4) return;
    const next = () => setDrawn((d) => d + 1);
    const w = window as Window & { requestIdleCallback?: (cb: () => void, o?: { timeout: number }) => number; cancelIdleCallback?: (h: number) => void };
    if (w.requestIdleCallback) {
      const h = w.requestIdleCallback(next, { timeout: 1000 });
      return () => w.cancelIdleCallback?.(h);
    }
    const h = setTimeout(next, 50);
    return () => clearTimeout(h);
  }, [drawn]);
  const strip = useMemo(
    () =>
      columns.ids.flatMap((id, i) =>
        columns.institution[i] >= 0 && columns.itvDice[i] !== null
          ? [{ institution: boxes[columns.institution[i]].institution, dice: columns.itvDice[i]!, id, label: columns.labels[i] }]
          : [],
      ),
    [columns, boxes],
  );
  const diceVsVolume = useMemo(() => pointsOf(columns, columns.physicianItvCc, columns.itvDice), [columns]);
  const diceVsMotion = useMemo(() => pointsOf(columns, columns.motionMm, columns.itvDice), [columns]);
  const volumes = useMemo(() => pointsOf(columns, columns.physicianItvCc, columns.machineItvCc), [columns]);
  return (
    <div className="cohort-charts">
      <div className="card">{drawn >= 1 ? <CohortInstitutionPlot boxes={boxes} strip={strip} /> : <Placeholder title="ITV Dice by institution" />}</div>
      <div className="card">
        {drawn >= 2 ? (
          <CohortScatter
            title="ITV Dice vs tumour volume"
            fileName="itv-dice-vs-volume"
            points={diceVsVolume}
            xLabel="Physician ITV (cc, log scale)"
            yLabel="ITV Dice"
            logX
            yDomain={[0, 1]}
            testId="cohort-dice-volume"
          />
        ) : (
          <Placeholder title="ITV Dice vs tumour volume" />
        )}
      </div>
      <div className="card">
        {drawn >= 3 ? (
          <CohortScatter
            title="ITV Dice vs tumour motion"
            fileName="itv-dice-vs-motion"
            points={diceVsMotion}
            xLabel="Motion (mm, physician GTV centroid, peak-to-peak 3D)"
            yLabel="ITV Dice"
            yDomain={[0, 1]}
            testId="cohort-dice-motion"
          />
        ) : (
          <Placeholder title="ITV Dice vs tumour motion" />
        )}
      </div>
      <div className="card">
        {drawn >= 4 ? (
          <CohortScatter
            title="Machine vs physician ITV volume"
            fileName="itv-volume-machine-vs-physician"
            points={volumes}
            xLabel="Physician ITV (cc)"
            yLabel="Machine ITV (cc)"
            identity
            footer={[pairedLine]}
            testId="cohort-volumes"
          />
        ) : (
          <Placeholder title="Machine vs physician ITV volume" />
        )}
        <p className="muted small" data-testid="cohort-wilcoxon">
          {pairedLine}
        </p>
      </div>
    </div>
  );
}
