'use client';
/**
 * Kaplan–Meier curves by group: step lines with shaded 95% confidence bands, the number at risk
 * under the plot, and SVG/PNG downloads. Fed plain numbers (lib/core/survival computed them).
 */
import { Area, CartesianGrid, ComposedChart, Line, ResponsiveContainer, XAxis, YAxis } from 'recharts';
import { FigureFrame } from './figure-frame';
import { groupColor } from './palette';

export interface KmPlotGroup {
  group: string;
  points: { time: number; surv: number; nCensor?: number; lower: number | null; upper: number | null }[];
  atRisk: { time: number; nRisk: number }[];
}

type Row = Record<string, number | [number, number] | undefined>;

/** One row per distinct time; each group's value carried forward until its last time. */
export function mergeStepCurves<P extends { time: number }>(curves: P[][], value: (p: P) => number | [number, number], key: (k: number) => string): Row[] {
  const times = [...new Set(curves.flatMap((c) => c.map((p) => p.time)))].sort((a, b) => a - b);
  const cursor = curves.map(() => 0);
  return times.map((t) => {
    const row: Row = { time: t };
    curves.forEach((c, k) => {
      if (!c.length || t > c[c.length - 1].time) return;
      while (cursor[k] + 1 < c.length && c[cursor[k] + 1].time <= t) cursor[k]++;
      if (c[cursor[k]].time <= t) row[key(k)] = value(c[cursor[k]]);
    });
    return row;
  });
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : ' '.repeat(n - s.length) + s;
}

export function KmPlot({
  title,
  fileName,
  yLabel,
  groups,
  riskTimes,
}: {
  title: string;
  fileName: string;
  yLabel: string;
  groups: KmPlotGroup[];
  riskTimes: number[];
}) {
  const surv = mergeStepCurves(
    groups.map((g) => g.points),
    (p) => p.surv,
    (k) => `s${k}`,
  );
  const band = mergeStepCurves(
    groups.map((g) => g.points),
    (p) => [p.lower ?? 0, p.upper ?? p.surv] as [number, number],
    (k) => `ci${k}`,
  );
  // censoring ticks: a value only where someone in the group was censored
  const censored = groups.map((g) => new Map(g.points.filter((p) => (p.nCensor ?? 0) > 0).map((p) => [p.time, p.surv])));
  const data = surv.map((r, i) => {
    const ticks: Row = {};
    censored.forEach((m, k) => {
      const v = m.get(r.time as number);
      if (v !== undefined) ticks[`cens${k}`] = v;
    });
    return { ...r, ...band[i], ...ticks };
  });
  const maxTime = Math.max(...groups.flatMap((g) => g.points.map((p) => p.time)), ...riskTimes);
  const legend = groups.map((g, k) => ({ label: g.group, color: groupColor(k) }));
  const nameWidth = Math.min(40, Math.max(16, ...groups.map((g) => g.group.length)));
  const footer = [
    `${'Number at risk, day'.padEnd(nameWidth)} ${riskTimes.map((t) => pad(String(t), 7)).join('')}`,
    ...groups.map((g) => `${g.group.slice(0, nameWidth).padEnd(nameWidth)} ${g.atRisk.map((r) => pad(String(r.nRisk), 7)).join('')}`),
  ];
  return (
    <FigureFrame title={title} fileName={fileName} legend={legend} footer={footer} testId="km-plot">
      <div style={{ width: '100%', height: 380 }}>
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
              domain={[0, 1]}
              ticks={[0, 0.2, 0.4, 0.6, 0.8, 1]}
              label={{ value: yLabel, angle: -90, position: 'insideLeft', offset: 4, style: { textAnchor: 'middle' } }}
            />
            {groups.map((g, k) => (
              <Area
                key={`ci${k}`}
                dataKey={`ci${k}`}
                type="stepAfter"
                stroke="none"
                fill={groupColor(k)}
                fillOpacity={0.14}
                isAnimationActive={false}
                connectNulls={false}
              />
            ))}
            {groups.map((g, k) => (
              <Line
                key={`s${k}`}
                dataKey={`s${k}`}
                name={g.group}
                type="stepAfter"
                stroke={groupColor(k)}
                strokeWidth={2.5}
                dot={false}
                isAnimationActive={false}
                connectNulls={false}
              />
            ))}
            {groups.map((g, k) => (
              <Line
                key={`cens${k}`}
                dataKey={`cens${k}`}
                stroke="none"
                legendType="none"
                isAnimationActive={false}
                connectNulls={false}
                activeDot={false}
                dot={(props: { cx?: number; cy?: number; index?: number; value?: unknown }) =>
                  props.cx == null || props.cy == null || props.value == null ? (
                    <g key={`c${k}-${props.index}`} />
                  ) : (
                    <path
                      key={`c${k}-${props.index}`}
                      className="km-censor"
                      d={`M${props.cx},${props.cy - 5}V${props.cy + 5}`}
                      stroke={groupColor(k)}
                      strokeWidth={1.5}
                    />
                  )
                }
              />
            ))}
          </ComposedChart>
        </ResponsiveContainer>
      </div>
      <p className="muted" style={{ fontSize: '0.8rem', margin: '0.25rem 0 0' }}>
        Shaded: 95% confidence band (log transform, as R&apos;s survfit). Vertical ticks: censored patients.
      </p>
      <table data-testid="km-risk-table" style={{ marginTop: '0.5rem' }}>
        <caption style={{ textAlign: 'left', fontWeight: 600, padding: '0.25rem 0.5rem' }}>Number at risk</caption>
        <thead>
          <tr>
            <th>Group \ day</th>
            {riskTimes.map((t) => (
              <th key={t} style={{ textAlign: 'right' }}>
                {t}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {groups.map((g, k) => (
            <tr key={g.group}>
              <td style={{ color: groupColor(k), fontWeight: 600 }}>{g.group}</td>
              {g.atRisk.map((r) => (
                <td key={r.time} style={{ textAlign: 'right', fontVariantNumeric: 'tabular-nums' }}>
                  {r.nRisk}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </FigureFrame>
  );
}
