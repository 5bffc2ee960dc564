/**
 * iseg-qa dicom inspect DIR [--json]
 * iseg-qa dicom rasterize DIR --roi NAME --out MASK.nii.gz [--series UID] [--json]
 *
 * inspect: every CT series (uid, modality, description, phase, dims, spacing, orientation,
 * findings) and structure set (ROI number, name, contour count, point count, types, findings).
 * rasterize: one ROI as a uint8 NIfTI mask on its referenced CT grid (or --series).
 */
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import {
  type CtSeries,
  type DicomImport,
  type Finding,
  type RtStructureSet,
  findReferencedSeries,
  findRoi,
  rasterizeRoi,
  readDicom,
  seriesRasterTarget,
} from '@/lib/dicom';
import { voxelVolumeCc } from '@/lib/core/volume';
import { writeNifti } from '@/lib/nifti';
import { fail, printJson } from '../output';

const USAGE = `Usage:
  iseg-qa dicom inspect DIR [--json]
  iseg-qa dicom rasterize DIR --roi NAME --out MASK.nii.gz [--series UID] [--rtstruct FILE|SOP_UID] [--json]`;

const round = (v: number, d = 9) => Number(v.toFixed(d));

function seriesJson(s: CtSeries) {
  const h = s.slices[0];
  return {
    uid: s.seriesInstanceUid,
    key: s.key,
    modality: s.modality,
    description: s.description ?? null,
    seriesNumber: s.seriesNumber ?? null,
    frameOfReferenceUid: s.frameOfReferenceUid ?? null,
    phase: s.phase,
    sliceCount: s.slices.length,
    dims: s.grid?.dims ?? [h.columns, h.rows, s.slices.length],
    spacingMm: s.grid ? s.grid.spacingMm.map((v) => round(v)) : null,
    originMm: s.grid ? s.grid.originMm.map((v) => round(v)) : null,
    orientation: h.imageOrientation,
    loadable: s.loadable,
    findings: s.findings,
  };
}

function structureSetJson(ss: RtStructureSet, imp: DicomImport) {
  const ref = findReferencedSeries(ss, imp.series);
  const target = ref.series ? seriesRasterTarget(ref.series) : null;
  // Rasterise each ROI on the matched series so contour problems (off-slice, outside the image,
  // unresolved references) show up at inspection, with the voxel count and volume.
  const raster = new Map<number, { voxels: number; volumeCc: number; findings: Finding[] }>();
  if (target)
    for (const r of ss.rois) {
      if (r.contours.length === 0) continue;
      const res = rasterizeRoi({ structureSet: ss, roi: r.number, ...target });
      let voxels = 0;
      if (res.mask) for (const v of res.mask.data) voxels += v;
      raster.set(r.number, { voxels, volumeCc: round(voxels * voxelVolumeCc(target.grid), 4), findings: res.findings });
    }
  return {
    file: ss.file,
    sopInstanceUid: ss.sopInstanceUid,
    label: ss.label ?? null,
    frameOfReferenceUid: ss.frameOfReferenceUid ?? null,
    referencedSeriesUids: ss.referencedSeriesUids,
    matchedSeries: ref.series?.key ?? null,
    rois: ss.rois.map((r) => ({
      number: r.number,
      name: r.name,
      interpretedType: r.interpretedType ?? null,
      contourCount: r.contours.length,
      pointCount: r.contours.reduce((n, c) => n + c.pointsMm.length / 3, 0),
      types: [...new Set(r.contours.map((c) => c.geometricType))].sort(),
      voxels: raster.get(r.number)?.voxels ?? null,
      volumeCc: raster.get(r.number)?.volumeCc ?? null,
    })),
    findings: [...ss.findings, ...ref.findings, ...[...raster.values()].flatMap((x) => x.findings)],
  };
}

function findingLines(fs: Finding[], indent: string): string[] {
  return fs.map((f) => `${indent}[${f.severity}] ${f.code}: ${f.message}`);
}

async function inspect(dir: string, json: boolean): Promise<number> {
  const imp = await readDicom(dir);
  const out = {
    dir,
    fileCount: imp.fileCount,
    series: imp.series.map(seriesJson),
    structureSets: imp.structureSets.map((ss) => structureSetJson(ss, imp)),
    findings: imp.findings,
  };
  if (json) {
    printJson(out);
    return 0;
  }
  const lines: string[] = [`${dir}: ${imp.fileCount} files, ${out.series.length} series, ${out.structureSets.length} structure sets`];
  lines.push(...findingLines(out.findings, '  '));
  for (const s of out.series) {
    lines.push(
      `series ${s.uid}${s.key !== s.uid ? ` (${s.key})` : ''}`,
      `  ${s.modality} "${s.description ?? ''}"  phase ${s.phase ? `${s.phase.percent}% (${s.phase.source})` : '-'}`,
      `  ${s.dims.join('×')} voxels, spacing ${s.spacingMm ? s.spacingMm.join(' × ') + ' mm' : '-'}, orientation ${s.orientation.join('\\')}${s.loadable ? '' : ', voxels not loadable'}`,
      ...findingLines(s.findings, '  '),
    );
  }
  for (const ss of out.structureSets) {
    lines.push(`structure set ${ss.file}${ss.label ? ` "${ss.label}"` : ''} → series ${ss.matchedSeries ?? 'none'}`);
    for (const r of ss.rois)
      lines.push(
        `  ${String(r.number).padStart(3)}  ${r.name.padEnd(24)} ${String(r.contourCount).padStart(5)} contours ${String(r.pointCount).padStart(7)} points  ${(r.types.join(',') || '-').padEnd(13)}${r.volumeCc !== null ? ` ${String(r.volumeCc).padStart(10)} cc` : ''}${r.interpretedType ? `  ${r.interpretedType}` : ''}`,
      );
    lines.push(...findingLines(ss.findings, '  '));
  }
  console.log(lines.join('\n'));
  return 0;
}

async function rasterize(
  dir: string,
  roiName: string,
  outPath: string,
  seriesUid: string | undefined,
  rtstruct: string | undefined,
  json: boolean,
): Promise<number> {
  const imp = await readDicom(dir);
  const candidates = imp.structureSets.filter(
    (ss) => findRoi(ss, roiName) && (!rtstruct || ss.sopInstanceUid === rtstruct || ss.file === rtstruct || ss.file.endsWith(`/${rtstruct}`)),
  );
  if (candidates.length === 0) {
    const names = imp.structureSets.flatMap((ss) => ss.rois.map((r) => r.name));
    fail(
      imp.structureSets.length === 0
        ? `No RTSTRUCT found in ${dir}: check the folder.`
        : `No ROI "${roiName}" in ${dir}; ROIs there: ${[...new Set(names)].join(', ') || 'none'}.`,
    );
  }
  if (candidates.length > 1)
    fail(`ROI "${roiName}" is in ${candidates.length} structure sets (${candidates.map((c) => c.file).join(', ')}): choose one with --rtstruct FILE.`);
  const ss = candidates[0];
  let series: CtSeries | null;
  const findings: Finding[] = [];
  if (seriesUid) {
    series = imp.series.find((s) => s.seriesInstanceUid === seriesUid || s.key === seriesUid) ?? null;
    if (!series) fail(`No series ${seriesUid} in ${dir}; series there: ${imp.series.map((s) => s.key).join(', ') || 'none'}.`);
  } else {
    const ref = findReferencedSeries(ss, imp.series);
    findings.push(...ref.findings);
    series = ref.series;
    if (!series) fail(ref.findings.map((f) => f.message).join(' '));
  }
  const target = seriesRasterTarget(series);
  if (!target)
    fail(
      `Series ${series.seriesInstanceUid} has no usable grid: ${series.findings
        .filter((f) => f.severity === 'error')
        .map((f) => f.message)
        .join(' ')}`,
    );
  const res = rasterizeRoi({ structureSet: ss, roi: roiName, ...target });
  findings.push(...res.findings);
  if (!res.mask || !res.roi) fail(res.findings.map((f) => f.message).join(' '));
  writeNifti(outPath, res.mask, { intent: 'mask', description: `${res.roi.name} from ${ss.file}`.slice(0, 79) });
  let voxels = 0;
  for (const v of res.mask.data) voxels += v;
  const out = {
    out: outPath,
    roi: { number: res.roi.number, name: res.roi.name },
    structureSet: ss.file,
    series: series.seriesInstanceUid,
    dims: target.grid.dims,
    spacingMm: target.grid.spacingMm.map((v) => round(v)),
    voxels,
    volumeCc: round(voxels * voxelVolumeCc(target.grid), 4),
    findings,
  };
  if (json) printJson(out);
  else {
    console.log(`${out.roi.name}: ${voxels} voxels (${out.volumeCc} cc) on ${out.dims.join('×')} → ${outPath}`);
    for (const l of findingLines(findings, '  ')) console.error(l);
  }
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      roi: { type: 'string' },
      out: { type: 'string' },
      series: { type: 'string' },
      rtstruct: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [sub, dir, ...extra] = positionals;
  if (!sub || !dir) fail(`Missing ${sub ? 'DIR' : 'subcommand'}.\n${USAGE}`);
  if (extra.length > 0) fail(`Unexpected arguments: ${extra.join(' ')}. ${USAGE.split('\n')[0]}`);
  if (!existsSync(dir)) fail(`${dir} does not exist: pass a folder (or file) of DICOM files.`);
  if (sub === 'inspect') return inspect(dir, values.json);
  if (sub === 'rasterize') {
    if (!values.roi) fail('dicom rasterize needs --roi NAME (see `iseg-qa dicom inspect DIR` for the names).');
    if (!values.out) fail('dicom rasterize needs --out MASK.nii.gz.');
    return rasterize(dir, values.roi, values.out, values.series, values.rtstruct, values.json);
  }
  fail(`Unknown dicom subcommand "${sub}".\n${USAGE}`);
}
