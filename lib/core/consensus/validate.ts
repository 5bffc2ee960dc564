import { ConsensusError } from './errors';

/** Checks that there is at least `min` mask and that all masks (and the domain, if any) have one length; returns it. */
export function checkMasks(masks: readonly Uint8Array[], min: number, what: string, domain?: Uint8Array): number {
  if (masks.length < min) {
    throw new ConsensusError(`${what} needs at least ${min} observer mask${min === 1 ? '' : 's'}, got ${masks.length}.`);
  }
  const n = masks[0]?.length ?? 0;
  masks.forEach((m, i) => {
    if (m.length !== n) {
      throw new ConsensusError(
        `${what}: observer mask ${i + 1} has ${m.length} voxels but mask 1 has ${n}; rasterise every observer's contour on the same grid.`,
      );
    }
  });
  if (domain && domain.length !== n) {
    throw new ConsensusError(`${what}: the domain mask has ${domain.length} voxels but the observer masks have ${n}; use the same grid.`);
  }
  return n;
}
