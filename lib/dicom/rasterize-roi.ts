/**
 * Structure set ↔ CT series: find the series an RTSTRUCT was drawn on, and turn one ROI into a
 * mask on that series' grid, with findings for everything that did not map cleanly.
 * Reference: DICOM PS3.3 C.8.8.5.3 (Referenced Frame of Reference), C.8.8.6 (ROI Contour).
 */
import { type Grid, type Mask } from '@/lib/core/volume';
import { type RasterReport, rasterizeContours } from '@/lib/core/raster/rasterize-contours';
import { type Finding, finding } from './findings';
import type { CtSeries } from './ct-series';
import type { RtContour, RtRoi, RtStructureSet } from './rtstruct';

const fmt = (v: number) => Number(v.toFixed(2)).toString();

/**
 * Pick the CT series a structure set refers to, from the series of an import.
 *
 * Order of evidence: a series named in RT Referenced Series; else the series holding the
 * referenced image SOP instances; else the one series with a grid on the same frame of
 * reference. Findings: REFERENCED_SERIES_MISSING (error when nothing matches, or several series
 * share the frame of reference; warning when it fell back), FRAME_OF_REFERENCE_MISMATCH (warning).
 */
export function findReferencedSeries(ss: RtStructureSet, series: readonly CtSeries[]): { series: CtSeries | null; findings: Finding[] } {
  const findings: Finding[] = [];
  const label = `Structure set ${ss.label ? `"${ss.label}" ` : ''}(${ss.file})`;
  const contourSops = new Set<string>(ss.referencedImageSopUids);
  for (const r of ss.rois) for (const c of r.contours) for (const u of c.referencedSopInstanceUids) contourSops.add(u);
  const hits = (s: CtSeries) => s.slices.reduce((n, h) => n + (contourSops.has(h.sopInstanceUid) ? 1 : 0), 0);
  // A 4D series split by TemporalPositionIndex shares one UID: prefer the part holding the images.
  const named = series.filter((s) => ss.referencedSeriesUids.includes(s.seriesInstanceUid));
  let found: CtSeries | undefined = named.length > 1 ? [...named].sort((a, b) => hits(b) - hits(a))[0] : named[0];
  if (!found && ss.referencedImageSopUids.length > 0) {
    const refs = new Set(ss.referencedImageSopUids);
    found = series.find((s) => s.slices.some((h) => refs.has(h.sopInstanceUid)));
    if (found)
      findings.push(
        finding(
          'REFERENCED_SERIES_MISSING',
          'warning',
          `${label} names series ${ss.referencedSeriesUids.join(', ') || '(none)'}, which is not in the import; using series ${found.seriesInstanceUid}, which holds the images its contours reference.`,
          ss.file,
        ),
      );
  }
  if (!found) {
    if (contourSops.size > 0) found = series.find((s) => hits(s) > 0);
    if (!found && ss.frameOfReferenceUid) {
      const same = series.filter((s) => s.frameOfReferenceUid === ss.frameOfReferenceUid && s.grid);
      if (same.length === 1) found = same[0];
      else if (same.length > 1) {
        findings.push(
          finding(
            'REFERENCED_SERIES_MISSING',
            'error',
            `${label} names series ${ss.referencedSeriesUids.join(', ') || '(none)'}, which is not in the import, and ${same.length} series share its frame of reference ${ss.frameOfReferenceUid}: choose one (--series UID).`,
            ss.file,
          ),
        );
        return { series: null, findings };
      }
    }
    if (found)
      findings.push(
        finding(
          'REFERENCED_SERIES_MISSING',
          'warning',
          `${label} names series ${ss.referencedSeriesUids.join(', ') || '(none)'}, which is not in the import; using series ${found.seriesInstanceUid} on the same frame of reference / holding the contours' images. Check that this is the planning CT.`,
          ss.file,
        ),
      );
  }
  if (!found) {
    findings.push(
      finding(
        'REFERENCED_SERIES_MISSING',
        'error',
        `${label} refers to series ${ss.referencedSeriesUids.join(', ') || '(none)'} on frame of reference ${ss.frameOfReferenceUid ?? '(none)'}, and no series in the import matches: import its CT series with it.`,
        ss.file,
      ),
    );
    return { series: null, findings };
  }
  if (ss.frameOfReferenceUid && found.frameOfReferenceUid && ss.frameOfReferenceUid !== found.frameOfReferenceUid)
    findings.push(
      finding(
        'FRAME_OF_REFERENCE_MISMATCH',
        'warning',
        `${label} is on frame of reference ${ss.frameOfReferenceUid} but its CT series ${found.seriesInstanceUid} is on ${found.frameOfReferenceUid}: contours are placed by their mm coordinates as if the two were the same; check the registration.`,
        ss.file,
      ),
    );
  return { series: found, findings };
}

export interface RasterizeRoiInput {
  structureSet: RtStructureSet;
  /** ROI name (exact, then case-insensitive) or number. */
  roi: string | number;
  grid: Grid;
  /** SOPInstanceUID of each slice k of the grid, to check contour image references; optional. */
  sliceSopInstanceUids?: readonly string[];
  /** See rasterizeContours; default 0.1 mm plus the series' largest slice residual. */
  sliceToleranceMm?: number;
}

/** Find an ROI by exact name, then case-insensitive name, then number. */
export function findRoi(ss: RtStructureSet, roi: string | number): RtRoi | undefined {
  if (typeof roi === 'number') return ss.rois.find((r) => r.number === roi);
  return (
    ss.rois.find((r) => r.name === roi) ??
    ss.rois.find((r) => r.name.toLowerCase() === roi.toLowerCase()) ??
    (/^\d+$/.test(roi) ? ss.rois.find((r) => r.number === Number(roi)) : undefined)
  );
}

/**
 * Rasterise one ROI's CLOSED_PLANAR contours onto a grid (XOR per slice, voxel-centre rule).
 *
 * Findings (per ROI, aggregated): UNSUPPORTED_CONTOUR_TYPE (POINT/OPEN contours skipped),
 * CONTOUR_OFF_SLICE / CONTOUR_NON_PLANAR (skipped, with their positions), CONTOUR_OUTSIDE_IMAGE
 * (skipped), CONTOUR_PARTLY_OUTSIDE_IMAGE (clipped), CONTOUR_SELF_INTERSECTING (rasterised as drawn,
 * with the slices named), CONTOUR_TOO_FEW_POINTS, SOP_REFERENCE_UNRESOLVED
 * (placed by position instead), SOP_REFERENCE_MISMATCH (the referenced image is not the slice the
 * contour lies on; placed by position), CONTOUR_INVALID_POINTS (a contour with a non-numeric
 * coordinate, e.g. NaN: skipped, naming its slice).
 * @returns the mask, its number of voxels inside (`voxelCount`, the sum of the mask, counted
 *   while filling) and the index box holding them (`bounds`, RasterReport.bounds), or a null mask
 *   with an ROI_NOT_FOUND finding.
 */
export function rasterizeRoi(input: RasterizeRoiInput): {
  mask: Mask | null;
  roi: RtRoi | null;
  findings: Finding[];
  voxelCount: number;
  bounds: RasterReport['bounds'];
} {
  const ss = input.structureSet;
  const roi = findRoi(ss, input.roi);
  const findings: Finding[] = [];
  if (!roi) {
    findings.push(
      finding(
        'ROI_NOT_FOUND',
        'error',
        `No ROI "${input.roi}" in ${ss.file}; it has: ${ss.rois.map((r) => `${r.number} "${r.name}"`).join(', ') || 'none'}.`,
        ss.file,
      ),
    );
    return { mask: null, roi: null, findings, voxelCount: 0, bounds: null };
  }
  const label = `ROI ${roi.number} "${roi.name}" (${ss.file})`;
  const closed = roi.contours.filter((c) => c.geometricType === 'CLOSED_PLANAR');
  const skipped = roi.contours.length - closed.length;
  if (skipped > 0)
    findings.push(
      finding(
        'UNSUPPORTED_CONTOUR_TYPE',
        'warning',
        `${label}: ${skipped} contour(s) of type ${[...new Set(roi.contours.filter((c) => c.geometricType !== 'CLOSED_PLANAR').map((c) => c.geometricType))].join('/')} skipped; only CLOSED_PLANAR contours make a volume.`,
        ss.file,
      ),
    );
  const g = input.grid;
  // Position along the slice normal (for axial slices, z) of the first slice.
  const z0 = g.originMm[0] * g.direction[2] + g.originMm[1] * g.direction[5] + g.originMm[2] * g.direction[8];
  const usable = closed.filter((c) => c.pointsMm.every(Number.isFinite));
  if (usable.length < closed.length)
    findings.push(
      invalidPointsFinding(
        label,
        roi,
        closed.filter((c) => !usable.includes(c)),
        { grid: g, z0, sliceSops: input.sliceSopInstanceUids },
        ss.file,
      ),
    );
  const { mask, report } = rasterizeContours(input.grid, usable, { sliceToleranceMm: input.sliceToleranceMm });
  const pos = (slice: number | null, offsetMm: number) => (slice === null ? NaN : z0 + slice * g.spacingMm[2] + offsetMm);
  const listPos = (ps: typeof report.placements) =>
    ps
      .slice(0, 5)
      .map((p) => `${fmt(pos(p.slice, p.offsetMm))} mm`)
      .join(', ') + (ps.length > 5 ? ', …' : '');
  const by = (s: string) => report.placements.filter((p) => p.status === s);
  const off = by('off-slice');
  if (off.length > 0)
    findings.push(
      finding(
        'CONTOUR_OFF_SLICE',
        'warning',
        `${label}: ${off.length} contour(s) (${report.pointsOffSlice} points incl. non-planar) lie between slices, at ${listPos(off)} along the slice normal (offsets ${off
          .slice(0, 5)
          .map((p) => fmt(p.offsetMm))
          .join(', ')} mm); they are skipped. Was the ROI drawn on another series?`,
        ss.file,
      ),
    );
  const nonPlanar = by('non-planar');
  if (nonPlanar.length > 0)
    findings.push(
      finding(
        'CONTOUR_NON_PLANAR',
        'warning',
        `${label}: ${nonPlanar.length} contour(s) are not parallel to the slices (spread up to ${fmt(Math.max(...nonPlanar.map((p) => p.thicknessMm)))} mm along the normal); they are skipped. Was the ROI drawn on an oblique or different series?`,
        ss.file,
      ),
    );
  const outside = by('outside-grid');
  if (outside.length > 0)
    findings.push(
      finding(
        'CONTOUR_OUTSIDE_IMAGE',
        'warning',
        `${label}: ${outside.length} contour(s) lie outside the image (beyond the first/last slice or wholly outside the field of view), at ${listPos(outside)}; they are skipped. Check that the right CT series was imported.`,
        ss.file,
      ),
    );
  const partly = report.placements.filter((p) => p.status === 'rasterised' && p.partlyOutside);
  if (partly.length > 0)
    findings.push(
      finding(
        'CONTOUR_PARTLY_OUTSIDE_IMAGE',
        'warning',
        `${label}: ${partly.length} contour(s) extend beyond the image edge and are clipped to it; the ROI volume is underestimated there.`,
        ss.file,
      ),
    );
  const crossing = report.placements.filter((p) => p.status === 'rasterised' && p.selfIntersectionMm);
  if (crossing.length > 0) {
    const where = crossing
      .slice(0, 5)
      .map((p) => `slice ${p.slice} (at ${fmt(pos(p.slice, p.offsetMm))} mm, crossing near ${p.selfIntersectionMm!.map(fmt).join(', ')} mm)`)
      .join('; ');
    findings.push(
      finding(
        'CONTOUR_SELF_INTERSECTING',
        'warning',
        `${label}: ${crossing.length} contour(s) cross themselves (a bow-tie or twisted outline): ${where}${crossing.length > 5 ? '; …' : ''}. They are rasterised as drawn with the even–odd rule (where the outline overlaps itself, the overlap counts as outside); check the contour on those slices in the planning system.`,
        ss.file,
      ),
    );
  }
  const few = by('too-few-points');
  if (few.length > 0)
    findings.push(
      finding('CONTOUR_TOO_FEW_POINTS', 'warning', `${label}: ${few.length} CLOSED_PLANAR contour(s) have fewer than 3 points and are skipped.`, ss.file),
    );
  if (input.sliceSopInstanceUids) {
    const sopToSlice = new Map(input.sliceSopInstanceUids.map((u, k) => [u, k]));
    let unresolved = 0;
    let mismatched = 0;
    const examples: string[] = [];
    report.placements.forEach((p) => {
      const refs = usable[p.contour].referencedSopInstanceUids;
      if (refs.length === 0) return;
      const k = sopToSlice.get(refs[0]);
      if (k === undefined) unresolved++;
      else if (p.status === 'rasterised' && k !== p.slice) {
        mismatched++;
        if (examples.length < 3) examples.push(`contour on slice ${p.slice} references slice ${k}`);
      }
    });
    if (unresolved > 0)
      findings.push(
        finding(
          'SOP_REFERENCE_UNRESOLVED',
          'warning',
          `${label}: ${unresolved} contour(s) reference images that are not in the series; they were matched to slices by position along the slice normal instead. Check that the full CT series was imported.`,
          ss.file,
        ),
      );
    if (mismatched > 0)
      findings.push(
        finding(
          'SOP_REFERENCE_MISMATCH',
          'warning',
          `${label}: ${mismatched} contour(s) reference an image other than the slice they lie on (${examples.join('; ')}); they were placed by position. Check the exporting system.`,
          ss.file,
        ),
      );
  }
  return { mask, roi, findings, voxelCount: report.insideVoxels, bounds: report.bounds };
}

/**
 * CONTOUR_INVALID_POINTS for contours with a non-numeric coordinate (NaN, or text that is not a
 * number, in ContourData): which contour of the ROI and which slice, from its image reference or
 * else from the position of its numeric points along the slice normal.
 */
function invalidPointsFinding(
  label: string,
  roi: RtRoi,
  bad: RtContour[],
  at: { grid: Grid; z0: number; sliceSops?: readonly string[] },
  file: string,
): Finding {
  const d = at.grid.direction;
  const describe = (c: RtContour) => {
    const n = roi.contours.indexOf(c) + 1;
    const pts = c.pointsMm;
    let nonFinite = 0;
    for (let t = 0; t < pts.length; t++) if (!Number.isFinite(pts[t])) nonFinite++;
    let k = c.referencedSopInstanceUids.map((u) => at.sliceSops?.indexOf(u) ?? -1).find((x) => x >= 0);
    if (k === undefined) {
      let sum = 0;
      let count = 0;
      for (let t = 0; t + 2 < pts.length; t += 3) {
        const z = pts[t] * d[2] + pts[t + 1] * d[5] + pts[t + 2] * d[8];
        if (Number.isFinite(z)) {
          sum += z;
          count++;
        }
      }
      if (count > 0) k = Math.round((sum / count - at.z0) / at.grid.spacingMm[2]);
    }
    const where =
      k === undefined
        ? 'on a slice that cannot be told (no numeric point, no image reference)'
        : `on slice ${k} (z ${fmt(at.z0 + k * at.grid.spacingMm[2])} mm)`;
    return `contour ${n} ${where}: ${nonFinite} of ${pts.length} coordinates are not numbers (NaN)`;
  };
  const list = bad.slice(0, 5).map(describe).join('; ') + (bad.length > 5 ? `; and ${bad.length - 5} more` : '');
  return finding(
    'CONTOUR_INVALID_POINTS',
    'warning',
    `${label}: ${list}. ${bad.length === 1 ? 'That contour is' : 'Those contours are'} skipped, so the ROI lacks ${bad.length === 1 ? 'it' : 'them'}: check the ContourData of this ROI in the exporting system and export the structure set again.`,
    file,
  );
}

/** The grid and per-slice SOP instance UIDs of a loadable series, for rasterizeRoi. */
export function seriesRasterTarget(series: CtSeries): { grid: Grid; sliceSopInstanceUids: string[]; sliceToleranceMm: number } | null {
  if (!series.grid) return null;
  return { grid: series.grid, sliceSopInstanceUids: series.slices.map((h) => h.sopInstanceUid), sliceToleranceMm: 0.1 + series.maxSliceResidualMm };
}
