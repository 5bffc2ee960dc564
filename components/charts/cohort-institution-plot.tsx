'use client';
/**
 * ITV Dice by institution: a Tukey box (quartiles, median, whiskers to the most extreme value
 * within 1.5 IQR) over the strip of every study's value, jittered sideways so ties stay visible.
 * The quartiles come from lib/core/stats (R type 7), not from the chart.
 */
import { CartesianGrid, ReferenceArea, ReferenceLine, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from 'recharts';
import { FigureFrame } from './figure-frame';
import { groupColor } from './palette';

export interface InstitutionBoxProps {
  institution: string;
  n: number;
  q1: number;
  median: number;
  q3: number;
  lowWhisker: number;
  highWhisker: number;
}

/** Deterministic jitter in [−0.25, 0.25] from the study id, so the plot does not move on reload. */
function jitter(id: string): number {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return (((h >>> 0) % 1000) / 1000 - 0.5) * 0.5;
}

export function CohortInstitutionPlot({
  boxes,
  strip,
}: {
  boxes: InstitutionBoxProps[];
  strip: { institution: string; dice: number; id: string; label: string }[];
}) {
  const index = new Map(boxes.map((b, i) => [b.institution, i]));
  const points = strip
    .filter((s) => index.has(s.institution))
    .map((s) => ({ x: index.get(s.institution)! + jitter(s.id), y: s.dice, label: s.label, institution: s.institution }));
  const yMin = Math.max(0, Math.floor(Math.min(1, ...strip.map((s) => s.dice)) * 10) / 10);
  return (
    <FigureFrame
      title="ITV Dice by institution"
      fileName="itv-dice-by-institution"
      legend={[
        { label: 'Study', color: groupColor(0) },
        { label: 'Box: quartiles and median; whiskers: 1.5 IQR', color: groupColor(1) },
      ]}
      footer={boxes.map((b) => `${b.institution}: n = ${b.n}, median ${b.median.toFixed(3)} [${b.q1.toFixed(3)}–${b.q3.toFixed(3)}]`)}
      testId="cohort-institution-plot"
    >
      <div style={{ width: '100%', height: 300 }}>
        <ResponsiveContainer width="100%" height="100%">
          <ScatterChart margin={{ top: 10, right: 20, bottom: 28, left: 8 }}>
            <CartesianGrid stroke="#e3e7ec" />
            <XAxis
              dataKey="x"
              type="number"
              domain={[-0.6, boxes.length - 0.4]}
              ticks={boxes.map((_, i) => i)}
              interval={0}
              tickFormatter={(i: number) => boxes[i]?.institution ?? ''}
              tick={{ fontSize: 11 }}
              angle={boxes.length > 2 ? -12 : 0}
              textAnchor={boxes.length > 2 ? 'end' : 'middle'}
              height={boxes.length > 2 ? 44 : 30}
              allowDataOverflow
            />
            <YAxis
              dataKey="y"
              type="number"
              domain={[yMin, 1]}
              label={{ value: 'ITV Dice', angle: -90, position: 'insideLeft', offset: 4, style: { textAnchor: 'middle' } }}
            />
            {boxes.map((b, i) => (
              <ReferenceArea
                key={`box${i}`}
                x1={i - 0.32}
                x2={i + 0.32}
                y1={b.q1}
                y2={b.q3}
                fill={groupColor(1)}
                fillOpacity={0.12}
                stroke={groupColor(1)}
                strokeWidth={1.5}
                ifOverflow="visible"
              />
            ))}
            {boxes.flatMap((b, i) => [
              <ReferenceLine
                key={`med${i}`}
                segment={[
                  { x: i - 0.32, y: b.median },
                  { x: i + 0.32, y: b.median },
                ]}
                stroke={groupColor(1)}
                strokeWidth={3}
              />,
              <ReferenceLine
                key={`lo${i}`}
                segment={[
                  { x: i, y: b.lowWhisker },
                  { x: i, y: b.q1 },
                ]}
                stroke={groupColor(1)}
                strokeWidth={1.5}
              />,
              <ReferenceLine
                key={`hi${i}`}
                segment={[
                  { x: i, y: b.q3 },
                  { x: i, y: b.highWhisker },
                ]}
                stroke={groupColor(1)}
                strokeWidth={1.5}
              />,
            ])}
            <Tooltip
              content={({ active, payload }) => {
                const p = active && payload?.[0] ? (payload[0].payload as { label: string; institution: string; y: number }) : null;
                return p ? (
                  <div className="card" style={{ padding: '0.4rem 0.6rem', margin: 0 }}>
                    <strong>{p.label}</strong> · {p.institution}
                    <div>ITV Dice {p.y}</div>
                  </div>
                ) : null;
              }}
            />
            <Scatter data={points} fill={groupColor(0)} fillOpacity={0.55} isAnimationActive={false} />
          </ScatterChart>
        </ResponsiveContainer>
      </div>
    </FigureFrame>
  );
}
