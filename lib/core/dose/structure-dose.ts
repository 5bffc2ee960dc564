/**
 * One structure's dose metrics under a named convention (docs/dose.md):
 * - `iseg` (default): trilinear dose at the centres of the structure's CT voxels; CT voxel volume.
 * - `plastimatch`: what `plastimatch dvh` (1.9.4, dvh.cxx) does: the dose resampled onto the
 *   structure image (the CT grid) by trilinear interpolation, outside → 0, so the same samples as
 *   `iseg`, with plastimatch's binning for the DVH, Dx and Vy (computeDoseMetrics histogram).
 * - `dose-grid`: no interpolation: the dose-grid voxels whose centre falls in a structure voxel
 *   (nearest CT voxel); dose voxel volume.
 * - `dicompyler`: dose-grid pixels inside the contours on each contour plane, the dose plane taken
 *   at the contour's z (nearest frame within 0.5 mm, else linear between frames); pixel area ×
 *   slice thickness (dicompyler-core dvhcalc), with its DVH object's binned statistics.
 */
import { type Mask, type Volume, voxelVolumeCc } from '@/lib/core/volume';
import type { PlanarContourMm } from '@/lib/core/raster/rasterize-contours';
import { computeDoseMetrics, type DoseMetrics } from './dose-metrics';
import { doseOnContourPlanes, planeThicknessMm } from './dose-on-planes';
import { type MaskBounds, doseVoxelsInMask, sampleDoseInMask } from './sample-dose';
import { DoseError } from './errors';

export const DOSE_CONVENTIONS = ['iseg', 'plastimatch', 'dicompyler', 'dose-grid'] as const;
export type DoseConvention = (typeof DOSE_CONVENTIONS)[number];

export interface StructureDoseInput {
  dose: Volume<Float32Array>;
  /** The structure on the CT grid (iseg, plastimatch). */
  mask: Mask;
  /** An index box holding every voxel of `mask` (the rasteriser's report.bounds): only it is read. */
  bounds?: MaskBounds | null;
  /** The structure's closed planar contours (dicompyler). */
  contours?: readonly PlanarContourMm[];
  convention?: DoseConvention;
  prescription?: number;
  binWidth?: number;
}

export function structureDoseMetrics(input: StructureDoseInput): DoseMetrics & { convention: DoseConvention } {
  const convention = input.convention ?? 'iseg';
  const common = { prescription: input.prescription, binWidth: input.binWidth };
  if (convention === 'iseg') {
    const s = sampleDoseInMask(input.dose, input.mask, input.bounds);
    return { convention, ...computeDoseMetrics({ doses: s.doses, outside: s.outside, voxelVolumeCc: voxelVolumeCc(input.mask.grid), ...common }) };
  }
  if (convention === 'plastimatch') {
    const s = sampleDoseInMask(input.dose, input.mask, input.bounds);
    return {
      convention,
      ...computeDoseMetrics({ doses: s.doses, outside: s.outside, voxelVolumeCc: voxelVolumeCc(input.mask.grid), histogram: 'plastimatch', ...common }),
    };
  }
  if (convention === 'dose-grid') {
    const s = doseVoxelsInMask(input.dose, input.mask);
    return { convention, ...computeDoseMetrics({ doses: s.doses, voxelVolumeCc: voxelVolumeCc(input.dose.grid), ...common }) };
  }
  if (!input.contours) throw new DoseError("The dicompyler convention works on the structure's contours: pass them (a mask alone is not enough).");
  const thickness = planeThicknessMm(input.contours, input.mask.grid.spacingMm[2]);
  const s = doseOnContourPlanes(input.dose, input.contours, thickness);
  return { convention, ...computeDoseMetrics({ doses: s.doses, voxelVolumeCc: s.voxelVolumeCc, histogram: 'dicompyler', ...common }) };
}
