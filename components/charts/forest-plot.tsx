'use client';
/**
 * Forest plot of hazard ratios with 95% confidence intervals on a logarithmic axis, a reference
 * line at HR = 1, and SVG/PNG downloads. Rows whose interval is not finite are listed, not drawn.
 * The axis is chosen from the intervals, and an HR per a tiny unit (a voxel) is drawn per as many
 * units as the table rescales it to, named in its label (lib/core/survival/forest-axis.ts).
 */
import { CartesianGrid, ReferenceLine, ResponsiveContainer, Scatter, ScatterChart, XAxis, YAxis } from 'recharts';
import { formatHazardRatio } from '@/lib/core/survival/format-hazard-ratio';
import { forestAxis, forestScaledRow, type ForestScaledRow } from '@/lib/core/survival/forest-axis';
import { formatPValue } from '@/lib/core/survival/format-p-value';
import { FigureFrame } from './figure-frame';

export interface ForestRow {
  label: string;
  unit: string;
  hr: number | null;
  lower95: number | null;
  upper95: number | null;
  p: number | null;
}

export function ForestPlot({ title, fileName, rows, xLabel }: { title: string; fileName: string; rows: ForestRow[]; xLabel: string }) {
  const scaled = rows.map((r) => ({ r, s: forestScaledRow(r) }));
  const drawable = scaled.filter((x): x is { r: ForestRow; s: ForestScaledRow } => x.s !== null);
  const skipped = scaled.filter((x) => x.s === null).map((x) => x.r);
  const names = drawable.map(({ s }) => s.name);
  const data = drawable.map(({ s }, i) => ({ hr: s.hr, y: drawable.length - i }));
  // each interval is a two-point scatter joined by a line, so it is placed by the log axis itself
  const intervals = drawable.map(({ s }, i) => [
    { hr: s.lower95, y: drawable.length - i },
    { hr: s.upper95, y: drawable.length - i },
  ]);
  const { domain, ticks } = forestAxis(
    drawable.map(({ s }) => s.lower95),
    drawable.map(({ s }) => s.upper95),
  );
  const height = 70 + 42 * Math.max(1, drawable.length);
  // enough digits that the bounds differ from each other and from 1 (lib/core/survival/format-hazard-ratio)
  const footer = drawable.map(({ r, s }) => {
    const f = formatHazardRatio({ hr: s.hr, lower: s.lower95, upper: s.upper95 }, { minSignificant: 3, infinity: '∞' });
    return `${s.name}: HR ${f.hr} [${f.lower}, ${f.upper}]${r.p !== null ? `, ${formatPValue(r.p)}` : ''}`;
  });
  return (
    <FigureFrame
      title={title}
      fileName={fileName}
      legend={[{ label: 'Hazard ratio with 95% CI (log scale)', color: '#0b5cad' }]}
      footer={footer}
      testId="forest-plot"
    >
      <div style={{ width: '100%', height }}>
        <ResponsiveContainer width="100%" height="100%">
          <ScatterChart margin={{ top: 10, right: 24, bottom: 28, left: 12 }}>
            <CartesianGrid stroke="#e3e7ec" />
            <XAxis
              dataKey="hr"
              type="number"
              scale="log"
              domain={domain}
              ticks={ticks}
              allowDataOverflow
              tickFormatter={(v: number) => String(v)}
              label={{ value: xLabel, position: 'insideBottom', offset: -16 }}
            />
            <YAxis
              dataKey="y"
              type="number"
              domain={[0.5, drawable.length + 0.5]}
              ticks={drawable.map((_, i) => drawable.length - i)}
              tickFormatter={(v: number) => names[drawable.length - v] ?? ''}
              width={260}
              interval={0}
            />
            <ReferenceLine x={1} stroke="#59636e" strokeDasharray="4 3" />
            {intervals.map((seg, k) => (
              <Scatter
                key={k}
                data={seg}
                line={{ stroke: '#0b5cad', strokeWidth: 2 }}
                shape={(props: { cx?: number; cy?: number }) => (
                  <line x1={props.cx} x2={props.cx} y1={(props.cy ?? 0) - 6} y2={(props.cy ?? 0) + 6} stroke="#0b5cad" strokeWidth={2} />
                )}
                isAnimationActive={false}
                legendType="none"
              />
            ))}
            <Scatter data={data} fill="#0b5cad" shape="square" isAnimationActive={false} />
          </ScatterChart>
        </ResponsiveContainer>
      </div>
      {skipped.length > 0 && <p className="muted">Not drawn (interval not finite or not estimable): {skipped.map((r) => r.label).join(', ')}.</p>}
    </FigureFrame>
  );
}
