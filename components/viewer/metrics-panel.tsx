'use client';
/**
 * Machine vs physician numbers for the selected phase's GTV and for the ITV, each labelled with
 * its convention: overlap = voxel overlap on the native CT grid; surface distances in the voxel
 * convention (boundary voxel centres, as MONAI) and the surfel convention (DeepMind
 * surface-distance), with the surface-Dice tolerance.
 */
import type { ViewerMetricSet } from '@/lib/server/studies/get-study-view';

type Row = [label: string, convention: string, key: string, digits: number, unit?: string];

const ROWS: Row[] = [
  ['Dice', 'overlap', 'dice', 3],
  ['Jaccard', 'overlap', 'jaccard', 3],
  ['Machine volume', 'overlap', 'testVolumeCc', 2, 'cc'],
  ['Physician volume', 'overlap', 'referenceVolumeCc', 2, 'cc'],
  ['FP voxels (machine ∖ physician)', 'overlap', 'falsePositiveVoxels', 0],
  ['FP volume', 'overlap', 'falsePositiveVolumeCc', 2, 'cc'],
  ['FP fraction of machine volume', 'overlap', 'falsePositiveFraction', 3],
  ['FN volume (physician ∖ machine)', 'overlap', 'falseNegativeVolumeCc', 2, 'cc'],
  ['Centroid shift', 'overlap', 'centroidShiftMm', 1, 'mm'],
  ['HD', 'voxel', 'hausdorffMm', 1, 'mm'],
  ['HD95', 'voxel', 'hd95Mm', 1, 'mm'],
  ['Mean surface distance', 'voxel', 'meanSurfaceDistanceMm', 2, 'mm'],
  ['Surface Dice', 'voxel', 'surfaceDice', 3],
  ['HD', 'surfel', 'hausdorffMm', 1, 'mm'],
  ['HD95', 'surfel', 'hd95Mm', 1, 'mm'],
  ['Surface Dice', 'surfel', 'surfaceDice', 3],
];

const CONVENTION_NAMES: Record<string, string> = {
  overlap: 'Overlap: voxel overlap on the native CT grid',
  voxel: 'Surface, voxel convention: boundary voxel centres (MONAI)',
  surfel: 'Surface, surfel convention: surface elements at voxel corners (DeepMind surface-distance)',
};

const REASONS: Record<string, string> = { BOTH_EMPTY: 'both empty', REFERENCE_EMPTY: 'physician empty', TEST_EMPTY: 'machine empty' };

function value(set: ViewerMetricSet | undefined, convention: string, key: string, digits: number, unit?: string): string {
  const c = set?.conventions[convention];
  if (!c) return '—';
  const v = c.values[key];
  if (v === null || v === undefined) return c.nullReasons[key] ? `— (${REASONS[c.nullReasons[key]] ?? c.nullReasons[key]})` : '—';
  return `${v.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
}

export function MetricsPanel({
  gtv,
  itv,
  phaseLabel,
  emptyMessage,
}: {
  gtv: ViewerMetricSet | undefined;
  itv: ViewerMetricSet | undefined;
  phaseLabel: string;
  /** What to say when there are no metrics (default: they come when the run has finished). */
  emptyMessage?: string;
}) {
  const tolerance = (gtv ?? itv)?.conventions.voxel?.toleranceMm ?? (gtv ?? itv)?.conventions.surfel?.toleranceMm;
  let lastConvention = '';
  return (
    <section className="card viewer-metrics" data-testid="metrics-panel">
      <h2>Machine vs physician</h2>
      {!gtv && !itv ? (
        <p className="muted" data-testid="metrics-empty">
          {emptyMessage ?? 'No metrics yet: they appear when the segmentation run has finished.'}
        </p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Metric</th>
              <th>GTV, phase {phaseLabel}</th>
              <th>ITV</th>
            </tr>
          </thead>
          <tbody>
            {ROWS.map(([label, convention, key, digits, unit]) => {
              const head = convention !== lastConvention;
              lastConvention = convention;
              return [
                head && (
                  <tr key={`h-${convention}`} className="viewer-convention">
                    <th colSpan={3}>
                      {CONVENTION_NAMES[convention]}
                      {convention !== 'overlap' && tolerance !== undefined && tolerance !== null ? `; surface Dice tolerance ${tolerance} mm` : ''}
                    </th>
                  </tr>
                ),
                <tr key={`${convention}-${key}`}>
                  <td>{label}</td>
                  <td>{value(gtv, convention, key, digits, unit)}</td>
                  <td>{value(itv, convention, key, digits, unit)}</td>
                </tr>,
              ];
            })}
          </tbody>
        </table>
      )}
      {(gtv || itv) && (
        <p className="muted">
          {gtv ? `Machine GTV of phase ${phaseLabel} against the physician's "${gtv.referenceName}". ` : `No physician GTV for phase ${phaseLabel}. `}
          {itv ? `Machine ITV (union of the phase GTVs) against the physician's "${itv.referenceName}".` : 'No physician ITV to compare with.'}
        </p>
      )}
    </section>
  );
}
