'use client';
/**
 * One control chart (recharts): the chart's statistic per study in time order, the centre line
 * and the control limits, points beyond the limits in red, the baseline studies shaded, and a
 * vertical marker where the model version or the scanner changes. For CUSUM the statistic is C+
 * and the second line −C−, both in units of the baseline σ, against ± h.
 */
import { useRouter } from 'next/navigation';
import { CartesianGrid, ComposedChart, Line, ReferenceArea, ReferenceLine, ResponsiveContainer, Scatter, Tooltip, XAxis, YAxis } from 'recharts';
import { FigureFrame, type LegendItem } from '@/components/charts/figure-frame';
import type { ChangeMarker, ChartPoint } from '@/lib/server/monitoring/build-control-charts';

const OUT = '#D55E00';
const IN = '#0072B2';
const LIMIT = '#59636e';
const MODEL = '#009E73';
const SCANNER = '#CC79A7';

function fmt(v: number | null | undefined, digits: number): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits);
}

interface DotProps {
  cx?: number;
  cy?: number;
  payload?: ChartPoint;
}

export function ControlChart({
  title,
  fileName,
  kind,
  yLabel,
  digits,
  points,
  markers,
  footer,
  testId,
}: {
  title: string;
  fileName: string;
  kind: 'shewhart' | 'ewma' | 'cusum';
  yLabel: string;
  digits: number;
  points: ChartPoint[];
  markers: ChangeMarker[];
  footer: string[];
  testId: string;
}) {
  const router = useRouter();
  const baselineN = points.filter((p) => p.inBaseline).map((p) => p.n);
  const statLabel = kind === 'shewhart' ? 'Value' : kind === 'ewma' ? 'EWMA statistic' : 'C+ (upper CUSUM)';
  const legend: LegendItem[] = [
    { label: statLabel, color: IN },
    ...(kind === 'cusum' ? [{ label: '−C− (lower CUSUM)', color: '#56B4E9' }] : []),
    ...(kind === 'ewma' ? [{ label: 'Study value', color: '#b8c0c8' }] : []),
    { label: kind === 'cusum' ? 'Decision interval ± h' : 'Control limits', color: LIMIT, dashed: true },
    { label: 'Beyond the limits', color: OUT },
    ...(markers.some((m) => m.kind === 'model') ? [{ label: 'Model version changes', color: MODEL, dashed: true }] : []),
    ...(markers.some((m) => m.kind === 'scanner') ? [{ label: 'Scanner changes', color: SCANNER, dashed: true }] : []),
  ];
  // Each line's own points are red where that line is beyond its limit (for CUSUM, C+ above h
  // or −C− below −h; a signal of one side does not colour the other).
  const dot =
    (which: 'statistic' | 'lower') =>
    ({ cx, cy, payload }: DotProps) => {
      if (cx === undefined || cy === undefined || !payload) return <g />;
      const v = which === 'statistic' ? payload.statistic : payload.lower;
      const out = v !== null && (v > payload.ucl || v < payload.lcl);
      return (
        <circle
          key={`${which}-${payload.n}`}
          cx={cx}
          cy={cy}
          r={out ? 4.5 : 3}
          fill={out ? OUT : IN}
          stroke="#fff"
          strokeWidth={1}
          data-out={out ? 'true' : undefined}
          style={{ cursor: 'pointer' }}
          onClick={() => router.push(`/studies/${payload.studyId}`)}
        />
      );
    };
  return (
    <FigureFrame title={title} fileName={fileName} legend={legend} footer={footer} testId={testId}>
      <div style={{ width: '100%', height: 320 }}>
        <ResponsiveContainer width="100%" height="100%">
          <ComposedChart data={points} margin={{ top: 18, right: 24, bottom: 28, left: 8 }}>
            <CartesianGrid stroke="#e3e7ec" />
            <XAxis
              dataKey="n"
              type="number"
              domain={[1, Math.max(2, points.length)]}
              allowDecimals={false}
              label={{ value: 'Study, in study-date order', position: 'insideBottom', offset: -16 }}
            />
            <YAxis
              type="number"
              domain={['auto', 'auto']}
              tickFormatter={(v: number) => String(Number(v.toPrecision(3)))}
              label={{ value: yLabel, angle: -90, position: 'insideLeft', offset: 12, style: { textAnchor: 'middle' } }}
            />
            {baselineN.length > 0 && (
              <ReferenceArea x1={Math.min(...baselineN)} x2={Math.max(...baselineN)} fill="#0072B2" fillOpacity={0.06} ifOverflow="extendDomain" />
            )}
            {markers.map((m) => (
              <ReferenceLine
                key={`${m.kind}-${m.n}`}
                x={m.n - 0.5}
                stroke={m.kind === 'model' ? MODEL : SCANNER}
                strokeDasharray="4 3"
                label={{
                  value: m.label,
                  position: m.kind === 'model' ? 'insideTopRight' : 'insideBottomRight',
                  fontSize: 11,
                  fill: m.kind === 'model' ? MODEL : SCANNER,
                }}
              />
            ))}
            <Line dataKey="ucl" type="stepAfter" stroke={LIMIT} strokeDasharray="6 4" dot={false} isAnimationActive={false} name="Upper limit" />
            <Line dataKey="lcl" type="stepAfter" stroke={LIMIT} strokeDasharray="6 4" dot={false} isAnimationActive={false} name="Lower limit" />
            <Line dataKey="centre" type="linear" stroke={LIMIT} strokeWidth={1} dot={false} isAnimationActive={false} name="Centre" />
            {kind === 'ewma' && <Scatter dataKey="value" fill="#b8c0c8" isAnimationActive={false} name="Study value" />}
            {kind === 'cusum' && <Line dataKey="lower" type="linear" stroke="#56B4E9" dot={dot('lower')} isAnimationActive={false} name="−C−" />}
            <Line dataKey="statistic" type="linear" stroke={IN} dot={dot('statistic')} activeDot={false} isAnimationActive={false} name={statLabel} />
            <Tooltip
              content={({ active, payload }) => {
                const p = active && payload?.length ? (payload[0]!.payload as ChartPoint) : null;
                if (!p) return null;
                return (
                  <div className="card" style={{ padding: '0.4rem 0.6rem', fontSize: '0.85rem', margin: 0 }}>
                    <strong>
                      #{p.n} {p.pseudonym}
                    </strong>{' '}
                    {p.studyDate ?? 'date unknown'}
                    <br />
                    value {fmt(p.value, digits)}
                    {kind === 'ewma' && <> · EWMA {fmt(p.statistic, digits)}</>}
                    {kind === 'cusum' && (
                      <>
                        {' '}
                        · C+ {fmt(p.statistic, 2)} · C− {fmt(p.lower === null ? null : -p.lower, 2)}
                      </>
                    )}
                    <br />
                    limits {fmt(p.lcl, kind === 'cusum' ? 2 : digits)} to {fmt(p.ucl, kind === 'cusum' ? 2 : digits)}
                    {p.outOfControl && <strong style={{ color: OUT }}> · beyond the limits</strong>}
                    <br />
                    <span className="muted">
                      {p.model} · {p.scanner ?? 'scanner not recorded'}
                    </span>
                  </div>
                );
              }}
            />
          </ComposedChart>
        </ResponsiveContainer>
      </div>
    </FigureFrame>
  );
}
