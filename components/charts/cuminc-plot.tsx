'use client';
/**
 * Cumulative incidence curves (Aalen–Johansen, from lib/core/survival): the event of interest as
 * solid step lines, the competing event dashed, one colour per group; SVG/PNG downloads.
 */
import { CartesianGrid, ComposedChart, Line, ResponsiveContainer, XAxis, YAxis } from 'recharts';
import { FigureFrame } from './figure-frame';
import { mergeStepCurves } from './km-plot';
import { groupColor } from './palette';

export interface CumincPlotCurve {
  label: string;
  group: string;
  /** 1 = event of interest (solid), 2 = competing event (dashed). */
  cause: 1 | 2;
  points: { time: number; est: number }[];
}

export function CumincPlot({
  title,
  fileName,
  curves,
  groups,
  riskTimes,
  footer,
}: {
  title: string;
  fileName: string;
  curves: CumincPlotCurve[];
  groups: string[];
  riskTimes: number[];
  footer?: string[];
}) {
  const data = mergeStepCurves(
    curves.map((c) => c.points),
    (p) => p.est,
    (k) => `c${k}`,
  );
  const maxTime = Math.max(...curves.flatMap((c) => c.points.map((p) => p.time)), ...riskTimes);
  const maxEst = Math.max(0.1, ...curves.flatMap((c) => c.points.map((p) => p.est)));
  const top = Math.min(1, Math.ceil(maxEst * 5 + 0.5) / 5);
  const color = (c: CumincPlotCurve) => groupColor(Math.max(0, groups.indexOf(c.group)));
  return (
    <FigureFrame
      title={title}
      fileName={fileName}
      legend={curves.map((c) => ({ label: c.label, color: color(c), dashed: c.cause === 2 }))}
      footer={footer}
      testId="cuminc-plot"
    >
      <div style={{ width: '100%', height: 360 }}>
        <ResponsiveContainer width="100%" height="100%">
          <ComposedChart data={data} margin={{ top: 10, right: 24, bottom: 28, left: 12 }}>
            <CartesianGrid stroke="#e3e7ec" />
            <XAxis
              dataKey="time"
              type="number"
              domain={[0, maxTime]}
              ticks={riskTimes}
              label={{ value: 'Days from the start of radiotherapy', position: 'insideBottom', offset: -16 }}
            />
            <YAxis
              domain={[0, top]}
              label={{ value: 'Cumulative incidence', angle: -90, position: 'insideLeft', offset: 4, style: { textAnchor: 'middle' } }}
            />
            {curves.map((c, k) => (
              <Line
                key={`c${k}`}
                dataKey={`c${k}`}
                name={c.label}
                type="stepAfter"
                stroke={color(c)}
                strokeWidth={c.cause === 1 ? 2.5 : 1.75}
                strokeDasharray={c.cause === 2 ? '6 4' : undefined}
                dot={false}
                isAnimationActive={false}
                connectNulls={false}
              />
            ))}
          </ComposedChart>
        </ResponsiveContainer>
      </div>
    </FigureFrame>
  );
}
