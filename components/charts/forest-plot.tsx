'use client';
/**
 * Forest plot of hazard ratios with 95% confidence intervals on a logarithmic axis, a reference
 * line at HR = 1, and SVG/PNG downloads. Rows whose interval is not finite are listed, not drawn.
 */
import { CartesianGrid, ReferenceLine, ResponsiveContainer, Scatter, ScatterChart, XAxis, YAxis } from 'recharts';
import { formatHazardRatio } from '@/lib/core/survival/format-hazard-ratio';
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
  const drawable = rows.filter((r) => r.hr !== null && r.lower95 !== null && r.upper95 !== null && r.hr > 0 && r.lower95 > 0);
  const skipped = rows.filter((r) => !drawable.includes(r));
  const names = drawable.map((r) => `${r.label} (${r.unit})`);
  const data = drawable.map((r, i) => ({ hr: r.hr!, y: drawable.length - i }));
  // each interval is a two-point scatter joined by a line, so it is placed by the log axis itself
  const intervals = drawable.map((r, i) => [
    { hr: r.lower95!, y: drawable.length - i },
    { hr: r.upper95!, y: drawable.length - i },
  ]);
  const lo = Math.min(1, ...drawable.map((r) => r.lower95!));
  const hi = Math.max(1, ...drawable.map((r) => r.upper95!));
  const domain: [number, number] = [Math.pow(10, Math.floor(Math.log10(lo) * 2) / 2), Math.pow(10, Math.ceil(Math.log10(hi) * 2) / 2)];
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(domain[0])); e <= Math.ceil(Math.log10(domain[1])); e++)
    for (const m of [1, 2, 5]) {
      const v = m * Math.pow(10, e);
      if (v >= domain[0] * 0.999 && v <= domain[1] * 1.001) ticks.push(Number(v.toPrecision(3)));
    }
  const height = 70 + 42 * Math.max(1, drawable.length);
  // enough digits that the bounds differ from each other and from 1 (lib/core/survival/format-hazard-ratio)
  const footer = drawable.map((r) => {
    const f = formatHazardRatio({ hr: r.hr, lower: r.lower95, upper: r.upper95 }, { minSignificant: 3, infinity: '∞' });
    return `${r.label} (${r.unit}): HR ${f.hr} [${f.lower}, ${f.upper}]${r.p !== null ? `, p = ${r.p.toPrecision(2)}` : ''}`;
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
