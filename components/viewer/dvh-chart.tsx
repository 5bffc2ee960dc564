'use client';
/**
 * The study's cumulative DVHs (issue #15 item 3): % of each region's volume receiving at least
 * each dose (Gy), one line per region (physician ITV/GTV, machine ITV/GTV, FP, FN; the `iseg`
 * convention, as stored with the dose metrics), with the structure list above it to show or hide
 * lines, and the prescription marked. Region colours are the viewer's overlay colours.
 */
import { useMemo, useState } from 'react';
import { CartesianGrid, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { StudyDvhCurve } from '@/lib/server/dose/get-study-dvh';
import { OVERLAY_COLORS } from './overlay-colors';
import styles from './viewer.module.css';

const REGIONS: Record<StudyDvhCurve['region'], { label: string; color: string; dash?: string }> = {
  PHYSICIAN_ITV: { label: 'Physician ITV', color: OVERLAY_COLORS.physicianItv },
  PHYSICIAN_GTV: { label: 'Physician GTV', color: OVERLAY_COLORS.physicianGtv },
  MACHINE_ITV: { label: 'Machine ITV', color: OVERLAY_COLORS.machineItv, dash: '6 3' },
  MACHINE_GTV: { label: 'Machine GTV', color: OVERLAY_COLORS.machineGtv, dash: '6 3' },
  FP: { label: 'FP (machine ∖ physician ITV)', color: OVERLAY_COLORS.fp, dash: '2 2' },
  FN: { label: 'FN (physician ∖ machine ITV)', color: OVERLAY_COLORS.fn, dash: '2 2' },
};
/** At most this many points per line (the stored bins are 0.1 Gy: a 70 Gy DVH has 700). */
const MAX_POINTS = 350;

export function DvhChart({ curves, prescriptionGy, unit = 'Gy' }: { curves: StudyDvhCurve[]; prescriptionGy: number | null; unit?: string }) {
  const [hidden, setHidden] = useState<Record<string, boolean>>({});
  const rows = useMemo(() => {
    const n = Math.max(0, ...curves.map((c) => c.dvh.doseGy.length));
    const stride = Math.max(1, Math.ceil(n / MAX_POINTS));
    const out: Record<string, number>[] = [];
    for (let b = 0; b < n; b += stride) {
      const row: Record<string, number> = {};
      for (const c of curves) {
        const d = c.dvh.doseGy[b];
        if (d !== undefined) row.dose = d;
        // Past a curve's last bin no voxel receives that much: 0 %.
        row[c.region] = c.dvh.volumePct[b] ?? 0;
      }
      if (row.dose === undefined) row.dose = b * (curves[0]?.dvh.binWidthGy ?? 0.1);
      out.push(row);
    }
    return out;
  }, [curves]);
  if (curves.length === 0) return null;
  return (
    <div data-testid="dvh-chart">
      <h3>Cumulative DVH</h3>
      <div className={styles.dvhStructures} role="group" aria-label="DVH structures">
        {curves.map((c) => (
          <label key={c.region}>
            <input type="checkbox" checked={!hidden[c.region]} onChange={(e) => setHidden((h) => ({ ...h, [c.region]: !e.target.checked }))} />
            <span
              className={styles.isoSwatch}
              style={{ borderColor: REGIONS[c.region].color, borderTopStyle: REGIONS[c.region].dash ? 'dashed' : 'solid' }}
              aria-hidden
            />
            {REGIONS[c.region].label} <span className="muted">({c.volumeCc.toFixed(1)} cc)</span>
          </label>
        ))}
      </div>
      <div style={{ width: '100%', height: 320 }}>
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={rows} margin={{ top: 24, right: 24, bottom: 24, left: 8 }}>
            <CartesianGrid stroke="#e3e7ec" />
            <XAxis
              dataKey="dose"
              type="number"
              domain={[0, (max: number) => Math.max(10, Math.ceil(max / 10) * 10)]}
              tickFormatter={(v: number) => v.toFixed(0)}
              label={{ value: `Dose (${unit})`, position: 'insideBottom', offset: -12 }}
            />
            <YAxis domain={[0, 100]} label={{ value: '% volume', angle: -90, position: 'insideLeft' }} />
            <Tooltip
              labelFormatter={(v) => `${Number(v).toFixed(1)} ${unit}`}
              formatter={(v, name) => [`${Number(v).toFixed(1)} %`, REGIONS[name as StudyDvhCurve['region']]?.label ?? String(name)]}
            />
            {prescriptionGy !== null && (
              <ReferenceLine x={prescriptionGy} stroke="#555" strokeDasharray="4 4" label={{ value: `Rx ${prescriptionGy} ${unit}`, position: 'top' }} />
            )}
            {curves
              .filter((c) => !hidden[c.region])
              .map((c) => (
                <Line
                  key={c.region}
                  dataKey={c.region}
                  name={c.region}
                  stroke={REGIONS[c.region].color}
                  strokeDasharray={REGIONS[c.region].dash}
                  strokeWidth={2}
                  dot={false}
                  isAnimationActive={false}
                />
              ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
      <p className="muted">
        % of each region&apos;s volume receiving at least the dose, trilinear dose at the centres of its CT voxels (the <code>iseg</code> convention,
        docs/dose.md).
      </p>
    </div>
  );
}
