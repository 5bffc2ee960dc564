/**
 * NIfTI half of the study importer: an image (or one image per 4D CT phase) plus mask files.
 *
 * Naming rules (file name without .nii/.nii.gz):
 * - an image has "ct", "image" or "img" as a word ("ct.nii.gz", "ct_phase_20", "example_ct_sm")
 *   and none of seg, mask, label, gtv, itv, roi, struct;
 * - every other file is a mask: a binary file is one structure named after the file; an integer
 *   label map gives one structure per label, "<name>_label_<n>";
 * - a phase in an image name ("ct_phase_20", "CT 20%") makes it a 4D CT phase; a mask goes on the
 *   image of the phase its name gives, else on the only (or first unphased) image, and must be
 *   on exactly that grid.
 * Kinds and phases of structures follow classify-structure.ts.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Mask, sameGrid, voxelVolumeCc } from '@/lib/core/volume';
import { NiftiError, type NiftiVolume, parseNifti, volumeToMask } from '@/lib/nifti';
import { AppError } from '../errors';
import { putNiftiVolume, type VolumeStore } from '../storage/volume-store';
import type { SiteRuleSet } from '@/lib/core/structures';
import { classifyStructure, phaseFromName } from './classify-structure';
import type { ImportFinding, ImportProgress, PreparedSeries, PreparedStructure, PreparedStudy } from './import-study.types';
import { combineHashes, derivedStudyUid, sha256File } from './prepare-dicom-study';
import { relativePath, relativeText } from './relative-paths';

export const NIFTI_FILE = /\.nii(\.gz)?$/i;
const IMAGE_WORD = /(^|[_.\-\s])(ct|image|img)([_.\-\s]|$)/i;
const NOT_IMAGE = /seg|mask|label|gtv|itv|roi|struct/i;

const stemOf = (file: string) => path.basename(file).replace(NIFTI_FILE, '');
export const isNiftiImageName = (file: string) => IMAGE_WORD.test(stemOf(file)) && !NOT_IMAGE.test(stemOf(file));

export interface NiftiScan {
  studyInstanceUid: string;
  contentHash: string;
  fileCount: number;
  images: { file: string; sha256: string }[];
  masks: { file: string; sha256: string }[];
  root: string;
}

export async function scanNiftiStudy(options: { files: string[]; label: string; root: string }): Promise<NiftiScan> {
  const images: NiftiScan['images'] = [];
  const masks: NiftiScan['masks'] = [];
  const seen = new Set<string>();
  for (const file of [...options.files].sort()) {
    const sha256 = await sha256File(file);
    if (seen.has(sha256)) continue;
    seen.add(sha256);
    (isNiftiImageName(file) ? images : masks).push({ file, sha256 });
  }
  if (images.length === 0)
    throw new AppError(
      'INVALID_INPUT',
      `No NIfTI image in ${options.label}: ${masks.length} file(s) look like masks (${masks
        .slice(0, 3)
        .map((m) => relativePath(options.root, m.file))
        .join(', ')}). Name the CT image ct.nii.gz (or ct_phase_20.nii.gz per phase).`,
    );
  const contentHash = combineHashes(seen);
  return { studyInstanceUid: derivedStudyUid(contentHash), contentHash, fileCount: seen.size, images, masks, root: options.root };
}

async function read(file: string, root: string): Promise<NiftiVolume> {
  try {
    return parseNifti(new Uint8Array(await readFile(file)), { source: relativePath(root, file) });
  } catch (e) {
    if (e instanceof NiftiError) throw new AppError('INVALID_INPUT', relativeText(e.message, root));
    throw e;
  }
}

export async function materialiseNiftiStudy(
  scan: NiftiScan,
  store: VolumeStore,
  onProgress?: (p: ImportProgress) => void,
  siteRules?: SiteRuleSet | null,
): Promise<PreparedStudy> {
  const { root } = scan;
  const rel = (f: string) => relativePath(root, f);
  const findings: ImportFinding[] = [];
  const loaded: { series: PreparedSeries; volume: NiftiVolume }[] = [];
  const withPhase = scan.images.map((i) => ({ ...i, percent: phaseFromName(stemOf(i.file)) }));
  const percents = withPhase
    .filter((i) => i.percent !== null)
    .map((i) => i.percent!)
    .sort((a, b) => a - b);
  for (let n = 1; n < percents.length; n++)
    if (percents[n] === percents[n - 1]) throw new AppError('INVALID_INPUT', `Two NIfTI images name the ${percents[n]}% phase; give each phase one image.`);
  let n = 0;
  for (const img of withPhase) {
    onProgress?.({ stage: 'loading', done: n++, total: withPhase.length, message: rel(img.file) });
    const volume = await read(img.file, root);
    const stored = await putNiftiVolume(store, volume, { intent: 'image' });
    const uid = derivedStudyUid(img.sha256);
    loaded.push({
      volume,
      series: {
        key: uid,
        seriesInstanceUid: uid,
        frameOfReferenceUid: null,
        modality: 'CT',
        description: stemOf(img.file),
        phaseIndex: img.percent !== null ? percents.indexOf(img.percent) : null,
        phasePercent: img.percent,
        grid: volume.grid,
        volumeKey: stored.key,
        volumeSha256: stored.sha256,
        volumeContentSha256: stored.contentSha256,
        // A NIfTI image has no DICOM instances to reference.
        sliceSopInstanceUids: [],
        sopClassUid: null,
      },
    });
  }
  const fallback = loaded.find((l) => l.series.phasePercent === null) ?? loaded[0];
  const structures: PreparedStructure[] = [];
  n = 0;
  for (const m of scan.masks) {
    onProgress?.({ stage: 'rasterising', done: n++, total: scan.masks.length, message: rel(m.file) });
    const stem = stemOf(m.file);
    const namePercent = phaseFromName(stem);
    const target = (namePercent !== null && loaded.find((l) => l.series.phasePercent === namePercent)) || fallback;
    let volume: NiftiVolume;
    try {
      volume = await read(m.file, root);
    } catch (e) {
      findings.push({ code: 'NOT_NIFTI', severity: 'error', message: `${rel(m.file)} is skipped: ${(e as Error).message}`, file: rel(m.file) });
      continue;
    }
    if (!sameGrid(volume.grid, target.series.grid)) {
      findings.push({
        code: 'MASK_GRID_MISMATCH',
        severity: 'error',
        message: `${rel(m.file)} is on a ${volume.grid.dims.join('×')} grid that is not the grid of image "${target.series.description}" (${target.series.grid.dims.join('×')}); it is skipped. Resample the mask onto the image first.`,
        file: rel(m.file),
      });
      continue;
    }
    const labels = new Set<number>();
    let integral = true;
    for (let t = 0; t < volume.data.length && labels.size <= 256; t++) {
      const v = volume.data[t];
      if (v !== 0) labels.add(v);
      if (!Number.isInteger(v)) integral = false;
    }
    let masks: { name: string; mask: Mask }[];
    if (labels.size <= 1) masks = [{ name: stem, mask: volumeToMask(volume, rel(m.file)) }];
    else if (integral && labels.size <= 255 && [...labels].every((v) => v > 0))
      masks = [...labels].sort((a, b) => a - b).map((v) => ({ name: `${stem}_label_${v}`, mask: volumeToMask(volume, rel(m.file), { label: v }) }));
    else {
      findings.push({
        code: 'NOT_A_MASK',
        severity: 'error',
        message: `${rel(m.file)} holds ${labels.size > 256 ? 'over 256' : labels.size} distinct non-integer or negative values: neither a binary mask nor a label map, so it is skipped. Is it an image? Name images ct*.nii.gz.`,
        file: rel(m.file),
      });
      continue;
    }
    for (const { name, mask } of masks) {
      const cls = classifyStructure(name, siteRules);
      const phasePercent = cls.kind === 'ITV' ? null : (target.series.phasePercent ?? cls.phasePercent);
      let voxelCount = 0;
      for (let t = 0; t < mask.data.length; t++) voxelCount += mask.data[t];
      const stored = await putNiftiVolume(store, mask, { intent: 'mask' });
      structures.push({
        seriesKey: target.series.key,
        roiNumber: null,
        name,
        kind: cls.kind,
        phaseIndex: phasePercent !== null && percents.includes(phasePercent) ? percents.indexOf(phasePercent) : null,
        phasePercent,
        interpretedType: null,
        maskKey: stored.key,
        maskSha256: stored.sha256,
        maskContentSha256: stored.contentSha256,
        voxelCount,
        volumeCc: voxelCount * voxelVolumeCc(mask.grid),
      });
    }
  }
  onProgress?.({ stage: 'rasterising', done: scan.masks.length, total: scan.masks.length });
  return {
    source: 'NIFTI',
    studyInstanceUid: scan.studyInstanceUid,
    contentHash: scan.contentHash,
    fileCount: scan.fileCount,
    patient: { patientId: null, name: null, birthDate: null, institutionName: null },
    studyDate: null,
    description: `NIfTI import: ${scan.images.map((i) => stemOf(i.file)).join(', ')}`.slice(0, 200),
    physician: null,
    scanner: null,
    series: loaded.map((l) => l.series),
    structures,
    findings,
  };
}
