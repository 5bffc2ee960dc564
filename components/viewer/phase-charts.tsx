'use client';
/**
 * Per-phase GTV volume (machine vs physician, cc) and centroid trajectory (LR, AP, SI in mm,
 * relative to the physician's mean centroid over the phases) from GET /api/studies/[id]/phases.
 */
import { useEffect, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { StudyPhaseSeries } from '@/lib/server/studies/get-study-phase-series';
import { GROUP_COLORS } from '@/components/charts/palette';
import { OVERLAY_COLORS } from './overlay-colors';

const AXES = [
  { key: 'LR', n: 0, color: GROUP_COLORS[2] },
  { key: 'AP', n: 1, color: GROUP_COLORS[1] },
  { key: 'SI', n: 2, color: GROUP_COLORS[0] },
] as const;

export function PhaseCharts({ studyId, runId, selectedPhase, height }: { studyId: string; runId: string; selectedPhase: number | null; height: number }) {
  const [data, setData] = useState<StudyPhaseSeries | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let stopped = false;
    fetch(`/api/studies/${encodeURIComponent(studyId)}/phases`, { cache: 'no-store' })
      .then(async (r) => {
        const body = await r.json();
        if (!r.ok) throw new Error(body.error?.message ?? `HTTP ${r.status}`);
        if (!stopped) setData(body as StudyPhaseSeries);
      })
      .catch((e: Error) => !stopped && setError(e.message));
    return () => {
      stopped = true;
    };
  }, [studyId, runId]);

  if (error)
    return (
      <section className="card">
        <p className="error">Phase charts unavailable: {error}</p>
      </section>
    );
  if (!data)
    return (
      <section className="card">
        <p className="muted">Loading phase charts…</p>
      </section>
    );
  const phases = data.phases.filter((p) => p.phaseIndex !== null);
  if (phases.length < 2) return null;

  const ref = phases.filter((p) => p.physicianCentroidMm);
  const mean = [0, 1, 2].map((a) => (ref.length ? ref.reduce((s, p) => s + p.physicianCentroidMm![a], 0) / ref.length : 0));
  const rows = phases.map((p) => {
    const row: Record<string, number | string | null> = {
      phase: p.phasePercent !== null ? `${p.phasePercent}%` : String(p.phaseIndex),
      machineCc: p.machineCc,
      physicianCc: p.physicianCc,
    };
    for (const ax of AXES) {
      row[`m${ax.key}`] = p.machineCentroidMm ? Number((p.machineCentroidMm[ax.n] - mean[ax.n]).toFixed(2)) : null;
      row[`p${ax.key}`] = p.physicianCentroidMm ? Number((p.physicianCentroidMm[ax.n] - mean[ax.n]).toFixed(2)) : null;
    }
    return row;
  });
  const selected = phases.find((p) => p.phaseIndex === selectedPhase);
  const selectedLabel = selected ? (selected.phasePercent !== null ? `${selected.phasePercent}%` : String(selected.phaseIndex)) : undefined;
  const axisProps = { dataKey: 'phase', label: { value: 'Respiratory phase', position: 'insideBottom' as const, offset: -12 } };

  return (
    <section className="card viewer-charts" data-testid="phase-charts">
      <h2>Over the breathing cycle</h2>
      <p className="muted">
        {data.source === 'summary' ? 'From the run summary.' : 'Computed from the stored masks.'} Selected phase: {selectedLabel ?? '—'}.
      </p>
      <div className="viewer-chart-row">
        <figure data-testid="volume-chart">
          <figcaption>GTV volume per phase (cc)</figcaption>
          <div style={{ width: '100%', height }}>
            <ResponsiveContainer width="100%" height="100%">
              <LineChart data={rows} margin={{ top: 8, right: 16, bottom: 24, left: 4 }}>
                <CartesianGrid stroke="#e3e7ec" />
                <XAxis {...axisProps} />
                <YAxis label={{ value: 'cc', angle: -90, position: 'insideLeft' }} />
                <Tooltip />
                <Legend verticalAlign="top" />
                <Line dataKey="machineCc" name="Machine" stroke={OVERLAY_COLORS.machineGtv} strokeWidth={2} isAnimationActive={false} />
                <Line
                  dataKey="physicianCc"
                  name="Physician"
                  stroke={OVERLAY_COLORS.physicianGtv}
                  strokeWidth={2}
                  strokeDasharray="5 3"
                  isAnimationActive={false}
                />
              </LineChart>
            </ResponsiveContainer>
          </div>
        </figure>
        <figure data-testid="trajectory-chart">
          <figcaption>GTV centroid per phase (mm from the physician&apos;s mean; solid machine, dashed physician)</figcaption>
          <div style={{ width: '100%', height }}>
            <ResponsiveContainer width="100%" height="100%">
              <LineChart data={rows} margin={{ top: 8, right: 16, bottom: 24, left: 4 }}>
                <CartesianGrid stroke="#e3e7ec" />
                <XAxis {...axisProps} />
                <YAxis label={{ value: 'mm', angle: -90, position: 'insideLeft' }} />
                <Tooltip />
                <Legend verticalAlign="top" />
                {AXES.map((ax) => (
                  <Line key={`m${ax.key}`} dataKey={`m${ax.key}`} name={`${ax.key} machine`} stroke={ax.color} strokeWidth={2} isAnimationActive={false} />
                ))}
                {AXES.map((ax) => (
                  <Line
                    key={`p${ax.key}`}
                    dataKey={`p${ax.key}`}
                    name={`${ax.key} physician`}
                    stroke={ax.color}
                    strokeWidth={1.5}
                    strokeDasharray="5 3"
                    isAnimationActive={false}
                  />
                ))}
              </LineChart>
            </ResponsiveContainer>
          </div>
        </figure>
      </div>
    </section>
  );
}
