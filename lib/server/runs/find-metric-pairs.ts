/**
 * Which physician structure each machine structure of a run is compared with: a phase GTV with
 * the physician GTV of the same series (or, failing that, of the same phase index); the machine
 * ITV with the physician ITV. Structures without a stored mask are left out.
 *
 * The reference structures as they are now, not as at the start: a physicist may have chosen
 * them while the run was queued or segmenting (lib/server/studies/choose-reference-structure.ts).
 */
import type { Db } from '../db/client';
import type { Grid } from '../../core/volume';
import type { RunPhaseGtv } from './segment-run-phases';
import type { RunItv } from './store-run-itv';

export interface RunMetricPair {
  reference: { id: string; kind: 'GTV' | 'ITV'; maskKey: string; maskSha256: string | null; phasePercent: number | null };
  test: { id: string; mask: Uint8Array; grid: Grid; sha256: string };
}

export async function findMetricPairs(o: { db: Db; studyId: string; phases: readonly RunPhaseGtv[]; itv: RunItv }): Promise<RunMetricPair[]> {
  const physician = await o.db.physicianStructure.findMany({ where: { studyId: o.studyId, referenceObserver: true }, orderBy: { id: 'asc' } });
  const reference = (s: (typeof physician)[number], kind: 'GTV' | 'ITV', maskKey: string) => ({
    id: s.id,
    kind,
    maskKey,
    maskSha256: s.maskSha256,
    phasePercent: s.phasePercent,
  });
  const pairs: RunMetricPair[] = [];
  for (const g of o.phases) {
    const ref =
      physician.find((s) => s.kind === 'GTV' && s.seriesId === g.seriesId) ??
      physician.find((s) => s.kind === 'GTV' && g.phaseIndex !== null && s.phaseIndex === g.phaseIndex);
    if (ref?.maskKey) pairs.push({ reference: reference(ref, 'GTV', ref.maskKey), test: { id: g.structureId, mask: g.mask, grid: g.grid, sha256: g.sha256 } });
  }
  const refItv = physician.find((s) => s.kind === 'ITV' && s.maskKey);
  if (refItv?.maskKey)
    pairs.push({
      reference: reference(refItv, 'ITV', refItv.maskKey),
      test: { id: o.itv.structureId, mask: o.itv.mask, grid: o.itv.grid, sha256: o.itv.sha256 },
    });
  return pairs;
}
