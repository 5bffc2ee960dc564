'use client';
/**
 * A cohort scatter plot (one point per study): optional log x axis and identity line; a point's
 * tooltip names the study's pseudonym, and clicking it opens the study.
 */
import { useRouter } from 'next/navigation';
import { CartesianGrid, ReferenceLine, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from 'recharts';
import { FigureFrame } from './figure-frame';
import { groupColor } from './palette';

export interface CohortScatterPoint {
  x: number;
  y: number;
  id: string;
  label: string;
}

export function CohortScatter({
  title,
  fileName,
  points,
  xLabel,
  yLabel,
  logX = false,
  identity = false,
  yDomain,
  footer,
  testId,
}: {
  title: string;
  fileName: string;
  points: CohortScatterPoint[];
  xLabel: string;
  yLabel: string;
  logX?: boolean;
  /** Draw y = x over the common range (for machine vs physician volumes). */
  identity?: boolean;
  yDomain?: [number, number];
  footer?: string[];
  testId?: string;
}) {
  const router = useRouter();
  const data = logX ? points.filter((p) => p.x > 0) : points;
  const xs = data.map((p) => p.x);
  const ys = data.map((p) => p.y);
  const lo = Math.min(...xs, ...(identity ? ys : []));
  const hi = Math.max(...xs, ...(identity ? ys : []));
  // Equal axes from 0 to a round number, so the identity line is the diagonal and ticks read well.
  const step = hi > 0 ? Math.pow(10, Math.floor(Math.log10(hi))) : 1;
  const top = hi > 0 ? Math.ceil(hi / (step / 2)) * (step / 2) : 1;
  // A log axis gets 1–2–5 ticks; recharts' own are too sparse to read a volume off.
  const logTicks =
    logX && data.length
      ? [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000].filter((t) => t >= Math.min(...xs) / 1.01 && t <= Math.max(...xs) * 1.01)
      : undefined;
  const legend = [
    { label: `Studies (n = ${data.length})`, color: groupColor(0) },
    ...(identity ? [{ label: 'Identity (y = x)', color: '#59636e', dashed: true }] : []),
  ];
  return (
    <FigureFrame title={title} fileName={fileName} legend={legend} footer={footer} testId={testId}>
      <div style={{ width: '100%', height: 300 }}>
        <ResponsiveContainer width="100%" height="100%">
          <ScatterChart margin={{ top: 10, right: 20, bottom: 28, left: 8 }}>
            <CartesianGrid stroke="#e3e7ec" />
            <XAxis
              dataKey="x"
              type="number"
              name={xLabel}
              scale={logX ? 'log' : 'auto'}
              domain={identity ? [0, top] : logX ? ['dataMin', 'dataMax'] : [0, 'auto']}
              ticks={logTicks && logTicks.length >= 2 ? logTicks : undefined}
              interval={0}
              allowDataOverflow={identity}
              tickFormatter={(v: number) => String(Number(v.toPrecision(3)))}
              label={{ value: xLabel, position: 'insideBottom', offset: -16 }}
            />
            <YAxis
              dataKey="y"
              type="number"
              name={yLabel}
              domain={identity ? [0, top] : (yDomain ?? ['auto', 'auto'])}
              allowDataOverflow={identity || !!yDomain}
              tickFormatter={(v: number) => String(Number(v.toPrecision(3)))}
              label={{ value: yLabel, angle: -90, position: 'insideLeft', offset: 4, style: { textAnchor: 'middle' } }}
            />
            <Tooltip
              cursor={{ strokeDasharray: '3 3' }}
              content={({ active, payload }) => {
                const p = active && payload?.[0] ? (payload[0].payload as CohortScatterPoint) : null;
                return p ? (
                  <div className="card" style={{ padding: '0.4rem 0.6rem', margin: 0 }}>
                    <strong>{p.label}</strong>
                    <div>
                      {xLabel}: {p.x}
                    </div>
                    <div>
                      {yLabel}: {p.y}
                    </div>
                  </div>
                ) : null;
              }}
            />
            {identity && Number.isFinite(lo) && (
              <ReferenceLine
                segment={[
                  { x: 0, y: 0 },
                  { x: top, y: top },
                ]}
                stroke="#59636e"
                strokeDasharray="6 4"
              />
            )}
            <Scatter
              data={data}
              fill={groupColor(0)}
              fillOpacity={0.65}
              isAnimationActive={false}
              shape="circle"
              onClick={(p: unknown) => {
                const id = (p as { payload?: CohortScatterPoint }).payload?.id;
                if (id) router.push(`/studies/${id}`);
              }}
              style={{ cursor: 'pointer' }}
            />
          </ScatterChart>
        </ResponsiveContainer>
      </div>
    </FigureFrame>
  );
}
