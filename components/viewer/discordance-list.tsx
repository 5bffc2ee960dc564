'use client';
/**
 * The regions where machine and physician disagree (26-connected FP and FN components, largest
 * first). Clicking one moves all three views to its centroid.
 */
import type { ViewerMetricSet, ViewerRegion } from '@/lib/server/studies/get-study-view';

export interface RegionRef {
  scope: 'GTV' | 'ITV';
  kind: 'FP' | 'FN';
  n: number;
  region: ViewerRegion;
}

function fmt(v: number | null | undefined, d: number): string {
  return v === null || v === undefined ? '—' : v.toFixed(d);
}

function Group({
  title,
  set,
  scope,
  selected,
  onSelect,
}: {
  title: string;
  set: ViewerMetricSet | undefined;
  scope: 'GTV' | 'ITV';
  selected: RegionRef | null;
  onSelect: (r: RegionRef) => void;
}) {
  if (!set?.discordance) return null;
  const items: RegionRef[] = [
    ...set.discordance.falsePositive.map((region, i) => ({ scope, kind: 'FP' as const, n: i + 1, region })),
    ...set.discordance.falseNegative.map((region, i) => ({ scope, kind: 'FN' as const, n: i + 1, region })),
  ];
  return (
    <div>
      <h3>{title}</h3>
      {items.length === 0 ? (
        <p className="muted">None: machine and physician agree voxel for voxel.</p>
      ) : (
        <ul className="viewer-regions">
          {items.map((r) => {
            const active = selected && selected.scope === r.scope && selected.kind === r.kind && selected.n === r.n;
            return (
              <li key={`${r.kind}${r.n}`}>
                <button
                  type="button"
                  className={`secondary${active ? ' active' : ''}`}
                  data-testid="discordance-region"
                  aria-pressed={!!active}
                  onClick={() => onSelect(r)}
                  title={`Centroid ${r.region.centroidMm.map((x) => x.toFixed(1)).join(', ')} mm (LPS)`}
                >
                  <span className={`swatch ${r.kind === 'FP' ? 'fp' : 'fn'}`} aria-hidden />
                  {r.kind} {r.n}: {fmt(r.region.volumeCc, 2)} cc · {r.region.voxelCount} vox · max {fmt(r.region.maxDistanceMm, 1)} mm · slices{' '}
                  {r.region.sliceRange[0] + 1}–{r.region.sliceRange[1] + 1}
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}

export function DiscordanceList({
  gtv,
  itv,
  phaseLabel,
  selected,
  onSelect,
}: {
  gtv: ViewerMetricSet | undefined;
  itv: ViewerMetricSet | undefined;
  phaseLabel: string;
  selected: RegionRef | null;
  onSelect: (r: RegionRef) => void;
}) {
  return (
    <section className="card viewer-discordance" data-testid="discordance-list">
      <h2>Discordant regions</h2>
      <p className="muted">FP: machine ∖ physician; FN: physician ∖ machine. Max: the farthest voxel's distance to the other contour. Click to jump.</p>
      {!gtv?.discordance && !itv?.discordance && <p className="muted">None stored yet: they are computed when the run finishes.</p>}
      <Group title={`GTV, phase ${phaseLabel}`} set={gtv} scope="GTV" selected={selected} onSelect={onSelect} />
      <Group title="ITV" set={itv} scope="ITV" selected={selected} onSelect={onSelect} />
    </section>
  );
}
